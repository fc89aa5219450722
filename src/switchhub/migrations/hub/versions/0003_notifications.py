"""Hub: notification subscriptions (e-mail), webhooks and the delivery log.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE subscriptions (
    id            bigserial PRIMARY KEY,
    operator_code char(5) NOT NULL REFERENCES operators(code),
    email         text NOT NULL,
    event_kind    text NOT NULL,
    created_by    text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (operator_code, email, event_kind)
);
CREATE TABLE webhooks (
    id            bigserial PRIMARY KEY,
    operator_code char(5) NOT NULL REFERENCES operators(code),
    url           text NOT NULL,
    secret        text NOT NULL,
    event_kinds   text[] NOT NULL DEFAULT '{}',
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_operator ON webhooks (operator_code) WHERE active;
CREATE TABLE deliveries (
    id               bigserial PRIMARY KEY,
    operator_code    char(5) NOT NULL,
    channel          text NOT NULL CHECK (channel IN ('email', 'webhook')),
    target           text NOT NULL,
    webhook_id       bigint,
    event_id         text NOT NULL,
    event_kind       text NOT NULL,
    payload          jsonb NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    first_attempt_at timestamptz,
    last_error       text NOT NULL DEFAULT '',
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel, target, event_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_operator ON deliveries (operator_code, id DESC);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute("DROP TABLE deliveries; DROP TABLE webhooks; DROP TABLE subscriptions;")
