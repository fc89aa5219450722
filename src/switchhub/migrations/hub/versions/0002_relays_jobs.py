"""Hub: cancellation relays with their history, durable keyed jobs, received area events.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE SEQUENCE relay_no_seq;
CREATE TABLE relays (
    relay_no              text PRIMARY KEY,
    spid                  char(22) NOT NULL,
    area                  char(2) NOT NULL,
    new_retailer          char(5) NOT NULL REFERENCES operators(code),
    current_retailer      char(5) NOT NULL REFERENCES operators(code),
    contract_no           text NOT NULL,
    customer_name_kana    text NOT NULL,
    customer_name_kanji   text NOT NULL,
    address               text NOT NULL,
    building              text NOT NULL DEFAULT '',
    requested_switch_date date NOT NULL,
    contact_name          text NOT NULL,
    contact_phone         text NOT NULL,
    status                char(2) NOT NULL DEFAULT '01',
    status_reason         text NOT NULL DEFAULT '',
    decision              char(2),
    decision_staff        text,
    ng_reasons            text[] NOT NULL DEFAULT '{}',
    ng_memo               text NOT NULL DEFAULT '',
    decided_at            timestamptz,
    withdrawn_by          text,
    withdrawal_reason     text NOT NULL DEFAULT '',
    decision_deadline     date NOT NULL,
    switch_start_no       text,
    registered_by         text NOT NULL,
    registered_at         timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
-- the duplicate rule in the database too: one open relay (01 or 02) per supply point
CREATE UNIQUE INDEX relays_one_open_per_point ON relays (spid) WHERE status IN ('01', '02');
CREATE INDEX relays_new ON relays (new_retailer, updated_at DESC);
CREATE INDEX relays_current ON relays (current_retailer, updated_at DESC);
CREATE INDEX relays_updated ON relays (updated_at DESC);

CREATE TABLE relay_history (
    id          bigserial PRIMARY KEY,
    relay_no    text NOT NULL REFERENCES relays(relay_no),
    from_status char(2),
    to_status   char(2) NOT NULL,
    rule        text NOT NULL,
    reason_code text NOT NULL DEFAULT '',
    actor       text NOT NULL,
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX relay_history_relay ON relay_history (relay_no, id);

-- durable keyed jobs: written in the transaction of the change that causes them
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

-- events received from area systems (at least once): the key drops duplicates
CREATE TABLE area_events (
    area        char(2) NOT NULL,
    event_id    bigint NOT NULL,
    kind        text NOT NULL,
    payload     jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (area, event_id)
);
"""

DOWNGRADE = """
DROP TABLE area_events; DROP TABLE jobs; DROP TABLE relay_history; DROP TABLE relays; DROP SEQUENCE relay_no_seq;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
