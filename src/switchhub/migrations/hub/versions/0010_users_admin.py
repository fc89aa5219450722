"""Hub: operators' own user administration (deleted users, forced password change, TOTP enrolment).

* `deleted` status with `deleted_at`: a deleted user keeps its row, so its login ID is never issued
  again and its audit trail keeps pointing at it; sessions and credentials end with the deletion.
* `must_change_password`: an initial or reset password is a one-time password; the next login goes
  straight to the change page (set by the admin's create/reset, cleared by the user's change).
* `totp_pending_secret`: a TOTP secret being enrolled; it becomes `totp_secret` (and so required at
  login) only after the user proved it with a correct current code.

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE users DROP CONSTRAINT users_status_check;
ALTER TABLE users ADD CONSTRAINT users_status_check CHECK (status IN ('active', 'frozen', 'suspended', 'deleted'));
ALTER TABLE users ADD COLUMN deleted_at timestamptz;
ALTER TABLE users ADD CONSTRAINT users_deleted_at CHECK ((status = 'deleted') = (deleted_at IS NOT NULL));
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN totp_pending_secret text;
CREATE INDEX users_operator_status ON users (operator_code, status, login_id);
"""

DOWNGRADE = r"""
DROP INDEX users_operator_status;
ALTER TABLE users DROP COLUMN totp_pending_secret;
ALTER TABLE users DROP COLUMN must_change_password;
ALTER TABLE users DROP CONSTRAINT users_deleted_at;
ALTER TABLE users DROP COLUMN deleted_at;
ALTER TABLE users DROP CONSTRAINT users_status_check;
UPDATE users SET status = 'suspended' WHERE status = 'deleted';
ALTER TABLE users ADD CONSTRAINT users_status_check CHECK (status IN ('active', 'frozen', 'suspended'));
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
