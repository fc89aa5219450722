"""Hub: operators, users, client certificates, API credentials, sessions, audit, idempotency.

Revision ID: 0001
Revises:
"""
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE operators (
    code            char(5) PRIMARY KEY,
    name            text NOT NULL,
    name_kana       text NOT NULL DEFAULT '',
    kind            text NOT NULL CHECK (kind IN ('occto', 'retailer', 'tso')),
    areas           char(2)[] NOT NULL DEFAULT '{}',
    incumbent_areas char(2)[] NOT NULL DEFAULT '{}',
    contact_name    text NOT NULL DEFAULT '',
    contact_phone   text NOT NULL DEFAULT '',
    email           text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id                  bigserial PRIMARY KEY,
    login_id            text NOT NULL UNIQUE,
    operator_code       char(5) NOT NULL REFERENCES operators(code),
    role                text NOT NULL CHECK (role IN ('admin', 'general', 'helpdesk')),
    display_name        text NOT NULL,
    email               text NOT NULL DEFAULT '',
    status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen', 'suspended')),
    is_api_user         boolean NOT NULL DEFAULT false,
    password_hash       text,
    password_history    text[] NOT NULL DEFAULT '{}',
    password_changed_at timestamptz,
    failed_logins       integer NOT NULL DEFAULT 0,
    totp_secret         text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_operator ON users (operator_code);

CREATE TABLE client_certificates (
    id            bigserial PRIMARY KEY,
    fingerprint   char(64) NOT NULL UNIQUE,
    subject       text NOT NULL,
    operator_code char(5) NOT NULL REFERENCES operators(code),
    purpose       text NOT NULL CHECK (purpose IN ('web', 'api')),
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    not_before    timestamptz,
    not_after     timestamptz,
    registered_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX client_certificates_operator ON client_certificates (operator_code);

CREATE TABLE api_credentials (
    id           bigserial PRIMARY KEY,
    key_id       text NOT NULL UNIQUE,
    secret_hash  text NOT NULL,
    user_id      bigint NOT NULL REFERENCES users(id),
    label        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_credentials_user ON api_credentials (user_id);

CREATE TABLE web_sessions (
    token_hash       char(64) PRIMARY KEY,
    user_id          bigint NOT NULL REFERENCES users(id),
    cert_fingerprint char(64) NOT NULL,
    csrf_token       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_seen_at     timestamptz NOT NULL DEFAULT now(),
    ended_at         timestamptz
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);

CREATE TABLE audit_records (
    id               bigserial PRIMARY KEY,
    at               timestamptz NOT NULL DEFAULT now(),
    request_id       text NOT NULL DEFAULT '',
    operator_code    char(5),
    user_login       text,
    cert_fingerprint char(64),
    action           text NOT NULL,
    resource_type    text NOT NULL DEFAULT '',
    resource_ids     text[] NOT NULL DEFAULT '{}',
    fields           text[] NOT NULL DEFAULT '{}',
    purpose          text NOT NULL DEFAULT '',
    outcome          text NOT NULL DEFAULT 'ok',
    item_count       integer NOT NULL DEFAULT 0,
    remote_addr      text NOT NULL DEFAULT '',
    detail           jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_records_operator_at ON audit_records (operator_code, at);
CREATE INDEX audit_records_action_at ON audit_records (action, at);

-- Audit rows cannot be changed through the application; only the retention purge
-- (which sets switchhub.audit_purge for its own transaction) may delete old rows.
CREATE FUNCTION audit_records_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('switchhub.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit records are append-only';
END $$;
CREATE TRIGGER audit_records_no_change BEFORE UPDATE OR DELETE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_records_guard();

CREATE TABLE idempotency_keys (
    operator_code char(5) NOT NULL,
    key           text NOT NULL,
    request_hash  char(64) NOT NULL,
    status_code   integer NOT NULL,
    response_body bytea NOT NULL,
    content_type  text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (operator_code, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
"""

DOWNGRADE = """
DROP TABLE idempotency_keys;
DROP TABLE audit_records;
DROP FUNCTION audit_records_guard();
DROP TABLE web_sessions;
DROP TABLE api_credentials;
DROP TABLE client_certificates;
DROP TABLE users;
DROP TABLE operators;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
