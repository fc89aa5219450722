"""Hub: break-glass grants (seed 004 type B, processes.md P9) and their status history.

A grant names one operator, users of it, field classes and areas, a declared disaster and a
period of at most 7 days. Whether it is in force is computed from its status and the clock
(approved and now within [starts_at, ends_at)); the expiry job only marks it for the lists.

Revision ID: 0013
Revises: 0012
"""
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE SEQUENCE breakglass_no_seq;
CREATE TABLE breakglass_grants (
    grant_id varchar(10) PRIMARY KEY,
    operator_code varchar(5) NOT NULL REFERENCES operators(code),
    users text[] NOT NULL,
    field_classes text[] NOT NULL,
    areas varchar(2)[] NOT NULL,
    disaster_title text NOT NULL,
    reason text NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    status varchar(10) NOT NULL,
    status_reason varchar(40) NOT NULL,
    requested_by text NOT NULL,
    requested_by_operator varchar(5) NOT NULL,
    decided_by text,
    decided_at timestamptz,
    decision_note text NOT NULL DEFAULT '',
    revoked_by text,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at AND ends_at <= starts_at + interval '7 days'),
    CHECK (cardinality(users) > 0 AND cardinality(field_classes) > 0 AND cardinality(areas) > 0)
);
CREATE INDEX breakglass_grants_active ON breakglass_grants USING gin (users) WHERE status = 'approved';
CREATE INDEX breakglass_grants_operator ON breakglass_grants (operator_code, created_at DESC);
CREATE TABLE breakglass_history (
    id bigserial PRIMARY KEY,
    grant_id varchar(10) NOT NULL REFERENCES breakglass_grants(grant_id),
    from_status varchar(10),
    to_status varchar(10) NOT NULL,
    rule text NOT NULL,
    reason_code varchar(40) NOT NULL,
    actor text NOT NULL,
    detail jsonb NOT NULL DEFAULT '{}',
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX breakglass_history_grant ON breakglass_history (grant_id, id);
""")


def downgrade() -> None:
    op.execute("DROP TABLE breakglass_history; DROP TABLE breakglass_grants; DROP SEQUENCE breakglass_no_seq;")
