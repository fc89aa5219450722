"""Hub: the sandbox developers an operator's admin made for itself (issue 10, self-service).

One row binds a developer's API user to the client certificate issued with it, so the admin's
list shows each developer with its certificate and a revocation ends both. The key and the
credential's secret are never stored: they are handed over once, in the answer that made them.

Revision ID: 0015
Revises: 0014
"""
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE sandbox_developers (
    id bigserial PRIMARY KEY,
    operator_code varchar(5) NOT NULL REFERENCES operators(code),
    user_id bigint NOT NULL UNIQUE REFERENCES users(id),
    certificate_id bigint NOT NULL UNIQUE REFERENCES client_certificates(id),
    key_id text NOT NULL,
    status varchar(10) NOT NULL CHECK (status IN ('active', 'revoked')),
    status_reason varchar(40) NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_by text,
    revoked_at timestamptz
);
CREATE INDEX sandbox_developers_operator ON sandbox_developers (operator_code, created_at DESC, id DESC);
""")


def downgrade() -> None:
    op.execute("DROP TABLE sandbox_developers;")
