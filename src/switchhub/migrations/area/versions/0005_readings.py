"""Area: meter readings — 30-minute energy per point and day, monthly confirmed totals.

`readings_30min` holds ONE row per (area, spid, reading date): the day's 48 half-hour values as a
numeric(10,4)[] (NULL = not received yet) and a per-slot status array, with a revision that a
correction of an already received slot increments. It is RANGE-partitioned by month of the reading
date; this migration creates the months around today and `readings_month_partition()` creates a
missing month on ingest (docs/scaling.md "Meter readings"). `readings_monthly` holds the confirmed
totals per point and billing month, LIST-partitioned by area like supply_points.

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

AREAS = [f"{i:02d}" for i in range(1, 11)]

TABLES = r"""
CREATE TABLE readings_30min (
    area          varchar(2) NOT NULL,
    spid          varchar(22) NOT NULL,
    reading_date  date NOT NULL,
    revision      integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
    kwh           numeric(10,4)[] NOT NULL CHECK (cardinality(kwh) = 48),
    status        smallint[] NOT NULL CHECK (cardinality(status) = 48),
    received_at   timestamptz NOT NULL DEFAULT now(),
    revised_at    timestamptz,
    PRIMARY KEY (area, spid, reading_date)
) PARTITION BY RANGE (reading_date);

CREATE FUNCTION readings_month_partition(month date) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    m0 date := date_trunc('month', month)::date;
    part text := 'readings_30min_' || to_char(m0, 'YYYYMM');
BEGIN
    IF to_regclass(part) IS NULL THEN
        PERFORM pg_advisory_xact_lock(hashtext(part));
        IF to_regclass(part) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF readings_30min FOR VALUES FROM (%L) TO (%L)',
                           part, m0, (m0 + interval '1 month')::date);
        END IF;
    END IF;
    RETURN part;
END $$;

-- 13 months back (the usage inquiry's window) and 2 ahead; older or later months on ingest
SELECT readings_month_partition((date_trunc('month', current_date) + m * interval '1 month')::date)
FROM generate_series(-13, 2) m;

CREATE TABLE readings_monthly (
    area               varchar(2) NOT NULL,
    spid               varchar(22) NOT NULL,
    billing_month      date NOT NULL CHECK (date_trunc('month', billing_month) = billing_month),
    revision           integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
    kwh                numeric(14,4) NOT NULL CHECK (kwh >= 0),
    max_demand_kw      numeric(10,4) CHECK (max_demand_kw >= 0),
    power_factor       smallint CHECK (power_factor BETWEEN 0 AND 100),
    next_reading_date  date,
    confirmed_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (area, spid, billing_month)
) PARTITION BY LIST (area);
"""


def upgrade() -> None:
    op.execute(TABLES)
    for a in AREAS:
        op.execute(f"CREATE TABLE readings_monthly_{a} PARTITION OF readings_monthly FOR VALUES IN ('{a}')")


def downgrade() -> None:
    op.execute("DROP TABLE readings_monthly")
    op.execute("DROP TABLE readings_30min")
    op.execute("DROP FUNCTION readings_month_partition(date)")
