"""Area: supply points (facility master), supply and customer periods, applications.

Tables are LIST-partitioned by area (architecture.md); a grid operator with a very
large area adds HASH sub-partitions by spid (docs/scaling.md). Identity columns are
avoided on partitioned tables so that PostgreSQL 15 works.

Revision ID: 0001
Revises:
"""
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

AREAS = [f"{i:02d}" for i in range(1, 11)]

TABLES = r"""
CREATE TABLE supply_points (
    spid                  char(22) NOT NULL,
    area                  char(2) NOT NULL,
    channel               text NOT NULL,
    postcode              char(7) NOT NULL DEFAULT '',
    prefecture            text NOT NULL,
    city                  text NOT NULL,
    town                  text NOT NULL DEFAULT '',
    block                 text NOT NULL DEFAULT '',
    building              text NOT NULL DEFAULT '',
    room                  text NOT NULL DEFAULT '',
    town_norm             text COLLATE "C" NOT NULL DEFAULT '',
    block_norm            text COLLATE "C" NOT NULL DEFAULT '',
    building_norm         text COLLATE "C" NOT NULL DEFAULT '',
    room_norm             text COLLATE "C" NOT NULL DEFAULT '',
    island_flag           boolean NOT NULL DEFAULT false,
    contract_form         text NOT NULL,
    capacity_method       text NOT NULL,
    contract_current      integer,
    contract_capacity     numeric(8,1),
    current_upper_limit   integer,
    current_limit_value   integer,
    ampere_breaker        boolean NOT NULL DEFAULT false,
    breaker_remote        boolean NOT NULL DEFAULT false,
    minimum_charge        boolean NOT NULL DEFAULT false,
    power_factor          smallint,
    flat_rate_lamp        text NOT NULL DEFAULT '',
    meters                jsonb NOT NULL DEFAULT '[]'::jsonb,
    meter_nos_norm        text[] NOT NULL DEFAULT '{}',
    pole_no               text NOT NULL DEFAULT '',
    pole_no_norm          text COLLATE "C" NOT NULL DEFAULT '',
    supply_method         text NOT NULL,
    disconnection_method  text NOT NULL,
    reading_day_code      char(2) NOT NULL,
    past_new_extension_dates date[] NOT NULL DEFAULT '{}',
    contract_status       text NOT NULL,
    service_menu          text NOT NULL DEFAULT '',
    contract_power        numeric(8,1),
    load_equipment        text NOT NULL DEFAULT '',
    tso_notes             text NOT NULL DEFAULT '',
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (area, spid)
) PARTITION BY LIST (area);

CREATE SEQUENCE supply_periods_id_seq;
CREATE TABLE supply_periods (
    id            bigint NOT NULL DEFAULT nextval('supply_periods_id_seq'),
    area          char(2) NOT NULL,
    spid          char(22) NOT NULL,
    retailer_code char(5) NOT NULL,
    valid_from    date NOT NULL,
    valid_to      date,
    PRIMARY KEY (area, id),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
) PARTITION BY LIST (area);

CREATE SEQUENCE customer_periods_id_seq;
CREATE TABLE customer_periods (
    id            bigint NOT NULL DEFAULT nextval('customer_periods_id_seq'),
    area          char(2) NOT NULL,
    spid          char(22) NOT NULL,
    name_kana     text NOT NULL,
    name_kanji    text NOT NULL,
    phone         text NOT NULL DEFAULT '',
    contact_phone text NOT NULL DEFAULT '',
    valid_from    date NOT NULL,
    valid_to      date,
    PRIMARY KEY (area, id),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
) PARTITION BY LIST (area);

CREATE SEQUENCE applications_no_seq;
CREATE TABLE applications (
    application_no text PRIMARY KEY,
    area           char(2) NOT NULL,
    spid           char(22) NOT NULL,
    type           char(2) NOT NULL,
    stage          char(2) NOT NULL,
    applicant_code char(5) NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    requested_date date,
    effective_date date,
    payload        jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX applications_point ON applications (area, spid, stage);
CREATE INDEX applications_applicant ON applications (applicant_code, updated_at);
"""

INDEXES = r"""
CREATE INDEX supply_points_address ON supply_points (prefecture, city, town_norm, block_norm, building_norm, room_norm);
CREATE INDEX supply_points_pole ON supply_points (pole_no_norm);
CREATE INDEX supply_points_meters ON supply_points USING gin (meter_nos_norm);
CREATE INDEX supply_periods_point ON supply_periods (area, spid, valid_from);
CREATE INDEX supply_periods_retailer ON supply_periods (retailer_code, valid_from, valid_to);
CREATE INDEX customer_periods_point ON customer_periods (area, spid, valid_from);
"""


def upgrade() -> None:
    op.execute(TABLES)
    for table in ("supply_points", "supply_periods", "customer_periods"):
        for area in AREAS:
            op.execute(f"CREATE TABLE {table}_{area} PARTITION OF {table} FOR VALUES IN ('{area}')")
    op.execute(INDEXES)


def downgrade() -> None:
    op.execute("DROP TABLE applications; DROP SEQUENCE applications_no_seq;")
    op.execute("DROP TABLE customer_periods; DROP SEQUENCE customer_periods_id_seq;")
    op.execute("DROP TABLE supply_periods; DROP SEQUENCE supply_periods_id_seq;")
    op.execute("DROP TABLE supply_points;")
