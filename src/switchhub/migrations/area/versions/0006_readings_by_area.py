"""Area: 30-minute readings partitioned by month AND area (issue 8: "partitioned by month and area").

Each month partition `readings_30min_YYYYMM` is itself LIST-partitioned by area into ten leaves
`readings_30min_YYYYMM_NN`. A read by (area, spid, date range) prunes to one leaf per month; an
area's month is loaded, vacuumed, detached or dropped alone; a busy area's leaf (Tokyo) can be
HASH-subpartitioned later without touching the others. `readings_month_partition(month)` creates a
missing month with its ten leaves (idempotent, advisory-locked per month as before).

The table is rebuilt: in every deployment that matters it is still empty at this revision.

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = r"""(
    area          varchar(2) NOT NULL,
    spid          varchar(22) NOT NULL,
    reading_date  date NOT NULL,
    revision      integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
    kwh           numeric(10,4)[] NOT NULL CHECK (cardinality(kwh) = 48),
    status        smallint[] NOT NULL CHECK (cardinality(status) = 48),
    received_at   timestamptz NOT NULL DEFAULT now(),
    revised_at    timestamptz,
    PRIMARY KEY (area, spid, reading_date)
) PARTITION BY RANGE (reading_date)"""

BY_MONTH_AND_AREA = r"""
CREATE OR REPLACE FUNCTION readings_month_partition(month date) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    m0 date := date_trunc('month', month)::date;
    part text := 'readings_30min_' || to_char(m0, 'YYYYMM');
    area text;
BEGIN
    IF to_regclass(part || '_10') IS NULL THEN  -- the last leaf is created last
        PERFORM pg_advisory_xact_lock(hashtext(part));
        IF to_regclass(part) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF readings_30min FOR VALUES FROM (%L) TO (%L)'
                           ' PARTITION BY LIST (area)', part, m0, (m0 + interval '1 month')::date);
        END IF;
        FOREACH area IN ARRAY ARRAY['01','02','03','04','05','06','07','08','09','10'] LOOP
            IF to_regclass(part || '_' || area) IS NULL THEN
                EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES IN (%L)', part || '_' || area, part, area);
            END IF;
        END LOOP;
    END IF;
    RETURN part;
END $$;
"""

BY_MONTH = r"""
CREATE OR REPLACE FUNCTION readings_month_partition(month date) RETURNS text LANGUAGE plpgsql AS $$
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
"""

# 13 months back (the usage inquiry's window) and 2 ahead; older or later months on ingest
MONTHS = """SELECT readings_month_partition((date_trunc('month', current_date) + m * interval '1 month')::date)
FROM generate_series(-13, 2) m"""


def _rebuild(function: str) -> None:
    op.execute("DROP TABLE readings_30min")
    op.execute(f"CREATE TABLE readings_30min {COLUMNS}")
    op.execute(function)
    op.execute(MONTHS)


def upgrade() -> None:
    _rebuild(BY_MONTH_AND_AREA)


def downgrade() -> None:
    _rebuild(BY_MONTH)
