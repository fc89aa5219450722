"""Area: the sandbox's movable clock (docs/sandbox.md).

One row: the offset in seconds added to the real time by `sandbox.clock.SandboxClock`. Every area
process reads it at the start of each request and each worker round, so the area server and
workers agree on the time; the hub database has the same table (hub 0014), and the hub writes
this one through the area's sandbox endpoint when its tester moves the clock. Outside sandbox
mode the table stays at offset 0, unused.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE sandbox_clock (
    id integer PRIMARY KEY CHECK (id = 1),
    offset_seconds bigint NOT NULL DEFAULT 0,
    moved_at timestamptz,
    moved_by varchar(100)
);
INSERT INTO sandbox_clock (id, offset_seconds) VALUES (1, 0);
""")


def downgrade() -> None:
    op.execute("DROP TABLE sandbox_clock")
