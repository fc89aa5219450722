"""Area: application details, the ordered change log (feed), the outbox to the hub, keyed jobs.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE applications
    ADD COLUMN relay_no          text,
    ADD COLUMN channel           text NOT NULL DEFAULT 'low',
    ADD COLUMN meter_work        boolean NOT NULL DEFAULT false,
    ADD COLUMN customer_request  boolean NOT NULL DEFAULT false,
    ADD COLUMN matched_with      text,
    ADD COLUMN matching_deadline date,
    ADD COLUMN reason_code       text NOT NULL DEFAULT '',
    ADD COLUMN messages          jsonb NOT NULL DEFAULT '[]'::jsonb,
    ADD COLUMN notes             text NOT NULL DEFAULT '',
    ADD COLUMN supply_start_date date,
    ADD COLUMN supply_end_date   date,
    ADD COLUMN meter_replaced_date date,
    ADD COLUMN counterpart_code  char(5);
CREATE INDEX applications_pair ON applications (area, spid, requested_date, type) WHERE stage IN ('01', '02', '03', '04');

-- every stage change in commit order (seq is taken under a transaction-level lock, so a
-- reader that has seen seq n will never later find a committed change below n)
CREATE TABLE application_changes (
    seq            bigserial PRIMARY KEY,
    application_no text NOT NULL REFERENCES applications(application_no),
    applicant_code char(5) NOT NULL,
    area           char(2) NOT NULL,
    from_stage     char(2),
    to_stage       char(2) NOT NULL,
    rule           text NOT NULL,
    reason_code    text NOT NULL DEFAULT '',
    actor          text NOT NULL DEFAULT '',
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX application_changes_applicant ON application_changes (applicant_code, seq);

CREATE TABLE outbox_events (
    id           bigserial PRIMARY KEY,
    area         char(2) NOT NULL,
    kind         text NOT NULL,
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    attempts     integer NOT NULL DEFAULT 0
);
CREATE INDEX outbox_pending ON outbox_events (id) WHERE delivered_at IS NULL;

CREATE TABLE jobs (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL,
    key        text NOT NULL,
    run_at     timestamptz NOT NULL,
    payload    jsonb NOT NULL DEFAULT '{}'::jsonb,
    attempts   integer NOT NULL DEFAULT 0,
    last_error text NOT NULL DEFAULT '',
    done_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, key)
);
CREATE INDEX jobs_due ON jobs (run_at) WHERE done_at IS NULL;

CREATE TABLE idempotency_keys (
    operator_code char(5) NOT NULL,
    key           text NOT NULL,
    request_hash  char(64) NOT NULL,
    status_code   integer NOT NULL,
    response_body bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (operator_code, key)
);
"""

DOWNGRADE = """
DROP TABLE idempotency_keys; DROP TABLE jobs; DROP TABLE outbox_events; DROP TABLE application_changes;
DROP INDEX applications_pair;
ALTER TABLE applications DROP COLUMN relay_no, DROP COLUMN channel, DROP COLUMN meter_work,
    DROP COLUMN customer_request, DROP COLUMN matched_with, DROP COLUMN matching_deadline, DROP COLUMN reason_code,
    DROP COLUMN messages, DROP COLUMN notes, DROP COLUMN supply_start_date, DROP COLUMN supply_end_date,
    DROP COLUMN meter_replaced_date, DROP COLUMN counterpart_code;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
