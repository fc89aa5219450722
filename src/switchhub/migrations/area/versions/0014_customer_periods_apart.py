"""Area: a point's customer periods never overlap; one superseded before it began covers no day.

A customer period that a later one replaces from its own first day (a customer change and a switch
carried out on the same date, say) was cut to `[first day, first day]` (`valid_to >= valid_from` left
no shorter period), so two periods covered that day and which customer a read showed depended on
its ORDER BY ... LIMIT 1. Such a period now ends the day before it begins (`valid_to = valid_from -
1`, allowed by the CHECK, covering no day), as supply periods already never overlap.

Why it matters beyond that day: with at most one period covering any day, the own-point export joins
the customers of the area by one hash join instead of a LIMIT 1 probe per row (a subquery with LIMIT
also keeps PostgreSQL from running the join in parallel): ≈ 40 % of the database's time for the
export (docs/benchmarks.md P4).

Existing overlaps are cut the same way: each period ends at the latest the day before the next one
(by first day, then id) begins, which is the period every read already showed from that day on (the
latest first day wins; usage's reads already broke a tie by the higher id).

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

CUT_OVERLAPS = """
UPDATE customer_periods c SET valid_to = n.next_from - 1
FROM (SELECT area, id, lead(valid_from) OVER (PARTITION BY area, spid ORDER BY valid_from, id) AS next_from
      FROM customer_periods) n
WHERE c.area = n.area AND c.id = n.id AND n.next_from IS NOT NULL
  AND (c.valid_to IS NULL OR c.valid_to >= n.next_from)
"""


def upgrade() -> None:
    op.execute("ALTER TABLE customer_periods DROP CONSTRAINT customer_periods_check")
    op.execute(CUT_OVERLAPS)
    op.execute("ALTER TABLE customer_periods ADD CONSTRAINT customer_periods_check"
               " CHECK (valid_to IS NULL OR valid_to >= valid_from - 1)")


def downgrade() -> None:
    # a period that covers no day becomes the one-day period it was before this revision
    op.execute("ALTER TABLE customer_periods DROP CONSTRAINT customer_periods_check")
    op.execute("UPDATE customer_periods SET valid_to = valid_from WHERE valid_to = valid_from - 1")
    op.execute("ALTER TABLE customer_periods ADD CONSTRAINT customer_periods_check"
               " CHECK (valid_to IS NULL OR valid_to >= valid_from)")
