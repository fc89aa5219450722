"""Hub: the API user role, web sessions timed by the application clock.

API users (the credential holders of a retailer's or T&D's systems) get their own role `api`
instead of `general`, so the role table can tell a person at a desk from a system (security.md
lists "retailer admin / general / API user" as separate roles).

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE users DROP CONSTRAINT users_role_check;
UPDATE users SET role = 'api' WHERE is_api_user AND role = 'general';
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'general', 'helpdesk', 'api'));
ALTER TABLE users ADD CONSTRAINT users_api_role_is_api_user CHECK (role <> 'api' OR is_api_user);
"""

DOWNGRADE = r"""
ALTER TABLE users DROP CONSTRAINT users_api_role_is_api_user;
ALTER TABLE users DROP CONSTRAINT users_role_check;
UPDATE users SET role = 'general' WHERE role = 'api';
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'general', 'helpdesk'));
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
