"""Hub: when a Web session last re-authenticated (security.md: re-authentication for admin actions).

An admin page or action needs a password (and TOTP where the user has it) entered within the last
few minutes in this session; the time is kept on the session row, so it ends with the session.

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE web_sessions ADD COLUMN reauth_at timestamptz")


def downgrade() -> None:
    op.execute("ALTER TABLE web_sessions DROP COLUMN reauth_at")
