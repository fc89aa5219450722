"""Break-glass disaster access (seed 004 type B): time-boxed, scoped, approved, audited grants."""
