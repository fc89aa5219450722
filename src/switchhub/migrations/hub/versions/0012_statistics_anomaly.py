"""Hub: published statistics per period and area, and the findings of the access-log analysis.

`statistics` holds one figure per (period kind, period start, area, metric); a keyed job
recomputes one period at a time by SQL over the audit records, the applications index and the
relay history (delete + insert in one transaction), so the page and the API read a small table.
`anomaly_findings` holds what the daily analysis flagged (seed 004: regular analysis of access
logs); the unique key makes a repeated run of the same day find nothing new.

Revision ID: 0012
Revises: 0011
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE statistics (
    period_kind  varchar(5) NOT NULL CHECK (period_kind IN ('month', 'week')),
    period_start date NOT NULL,
    area         varchar(2) NOT NULL,
    metric       varchar(40) NOT NULL,
    value        bigint NOT NULL,
    refreshed_at timestamptz NOT NULL,
    PRIMARY KEY (period_kind, period_start, area, metric)
);

CREATE TABLE anomaly_findings (
    id              bigserial PRIMARY KEY,
    kind            varchar(30) NOT NULL CHECK (kind IN ('lookup_volume', 'lookup_without_application',
                        'usage_off_hours', 'many_certificates', 'retail_tso_access')),
    operator_code   varchar(5) NOT NULL,
    user_login      text NOT NULL DEFAULT '',
    window_start    timestamptz NOT NULL,
    window_end      timestamptz NOT NULL,
    figures         jsonb NOT NULL DEFAULT '{}'::jsonb,
    status          varchar(12) NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged')),
    ack_note        text NOT NULL DEFAULT '',
    acknowledged_by text,
    acknowledged_at timestamptz,
    found_at        timestamptz NOT NULL,
    UNIQUE (kind, operator_code, user_login, window_start)
);
CREATE INDEX anomaly_findings_status ON anomaly_findings (status, found_at DESC);
-- the analysis and the statistics read windows of time; audit rows arrive in time order, so a BRIN
-- index on `at` is small and lets a window's scan skip the rest of the table
CREATE INDEX audit_records_at_brin ON audit_records USING brin (at);
CREATE INDEX relay_history_at ON relay_history (at);
CREATE INDEX relays_spid ON relays (spid, new_retailer);
"""

DOWNGRADE = r"""
DROP INDEX relays_spid;
DROP INDEX relay_history_at;
DROP INDEX audit_records_at_brin;
DROP TABLE anomaly_findings;
DROP TABLE statistics;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
