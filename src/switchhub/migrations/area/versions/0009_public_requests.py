"""Area: a customer's own usage password request on the T&D's public page, and its rate buckets.

`public_usage_requests` holds a request from the moment the form is posted until the customer
opens the confirmation link (only the SHA-256 of the link's random token is stored; the link
expires) and then remembers which application it was filed as and when the result mail went out,
so the password (or the rejection) is mailed once. `public_rate_buckets` are token buckets per
client address and per e-mail address (area/public/service.py gives the limits).

Revision ID: 0009
Revises: 0008
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE public_usage_requests (
    id               bigserial PRIMARY KEY,
    area             varchar(2) NOT NULL,
    email            varchar(254) NOT NULL,
    token_hash       varchar(64) NOT NULL UNIQUE,
    request          jsonb NOT NULL,
    client_addr      varchar(45) NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    confirmed_at     timestamptz,
    application_no   varchar(30) UNIQUE,
    result_mailed_at timestamptz,
    CHECK (expires_at > created_at),
    CHECK (application_no IS NULL OR confirmed_at IS NOT NULL)
);
CREATE INDEX public_usage_requests_unmailed ON public_usage_requests (confirmed_at)
    WHERE application_no IS NOT NULL AND result_mailed_at IS NULL;
CREATE TABLE public_rate_buckets (
    key        varchar(300) PRIMARY KEY,
    tokens     double precision NOT NULL,
    updated_at timestamptz NOT NULL
);
""")


def downgrade() -> None:
    op.execute("DROP TABLE public_rate_buckets")
    op.execute("DROP TABLE public_usage_requests")
