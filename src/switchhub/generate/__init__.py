"""Deterministic synthetic data: operators, users and supply points for all 10 areas."""
