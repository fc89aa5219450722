"""Area: the values before a change (`previous`) of an ampere or customer change.

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE applications ADD COLUMN previous jsonb")


def downgrade() -> None:
    op.execute("ALTER TABLE applications DROP COLUMN previous")
