"""Area: generated metering files (metering.md) — one row per revision of one sequence of one file.

A row holds the ZIP (one XML inside) and the gzip'd JSON rendering of the same content, so a
download is one primary-key read. `position` (the id, a bigserial) is the listing cursor: a
retailer lists its files from a position (`metering_files_retailer`), the hub indexes each
file from its `metering.file_published` event. A corrected rebuild is a new row with
revision + 1 and `supersedes` = the previous revision's id; `(area, retailer_code, type, target,
slot, sequence, revision)` is unique.

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = r"""
CREATE TABLE metering_files (
    id             bigserial PRIMARY KEY,
    area           varchar(2) NOT NULL,
    retailer_code  varchar(5) NOT NULL,
    type           varchar(6) NOT NULL,
    target         date NOT NULL,
    slot           smallint NOT NULL DEFAULT 0 CHECK (slot BETWEEN 0 AND 48),
    sequence       integer NOT NULL CHECK (sequence >= 1),
    revision       integer NOT NULL CHECK (revision >= 1),
    name           varchar(80) NOT NULL,
    operation_mode varchar(1) NOT NULL CHECK (operation_mode IN ('0', '1')),
    zip            bytea NOT NULL,
    json           bytea NOT NULL,
    sha256         varchar(64) NOT NULL,
    content_sha256 varchar(64) NOT NULL,
    points         integer NOT NULL CHECK (points >= 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    supersedes     bigint REFERENCES metering_files (id),
    UNIQUE (area, retailer_code, type, target, slot, sequence, revision)
);
CREATE INDEX metering_files_retailer ON metering_files (retailer_code, id);
CREATE INDEX metering_files_area ON metering_files (area, id);
"""


def upgrade() -> None:
    op.execute(TABLES)


def downgrade() -> None:
    op.execute("DROP TABLE metering_files")
