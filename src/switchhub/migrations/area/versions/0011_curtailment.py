"""Area: curtailment and interruption events (制限・中止) per supply point — the source of the
standard form C02 制限中止割引 (metering.md; seed 001: "当月に制限中止割引の対象となった需要者とその
対象期間及び割引率").

One row per event of one point: its kind (制限 = curtailment, 中止 = interruption), the period
[starts_at, ends_at) in whole half hours (JST on input), the reason and the discount rate (%) of
the point's curtailment contract that the event earns. The T&D's dispatch records are ingested as
CSV or through /area/v1 (all or nothing); the same point and start again replaces the event (a
correction), so `(area, spid, starts_at)` is unique. No foreign key to supply_points, as for the readings
(the generator replaces the points; the ingest checks them).

Revision ID: 0011
Revises: 0010
"""
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE curtailment_events (
    id            bigserial PRIMARY KEY,
    area          varchar(2) NOT NULL,
    spid          varchar(22) NOT NULL,
    kind          varchar(2) NOT NULL CHECK (kind IN ('制限', '中止')),
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    reason        varchar(100) NOT NULL,
    discount_rate numeric(5,2) NOT NULL CHECK (discount_rate > 0 AND discount_rate <= 100),
    ingested_at   timestamptz NOT NULL,
    CHECK (ends_at > starts_at),
    UNIQUE (area, spid, starts_at)
);
CREATE INDEX curtailment_events_period ON curtailment_events (area, starts_at);
""")


def downgrade() -> None:
    op.execute("DROP TABLE curtailment_events")
