"""Hub: the sandbox's movable clock (docs/sandbox.md).

One row: the offset in seconds added to the real time by `sandbox.clock.SandboxClock`. Every hub
process reads it at the start of each request and each worker round, so the hub's servers and
workers agree on the time; the area database has the same table (area 0012), written by the hub
through the area's sandbox endpoint. Outside sandbox mode the table stays at offset 0, unused.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
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
