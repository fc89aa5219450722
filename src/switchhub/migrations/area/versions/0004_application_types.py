"""Area: the values before a change (`previous`) of an ampere or customer change.

Revision ID: 0004
Revises: 0002 (the lead re-links it after 0003, the varchar migration)
"""
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE applications ADD COLUMN previous jsonb")


def downgrade() -> None:
    op.execute("ALTER TABLE applications DROP COLUMN previous")
