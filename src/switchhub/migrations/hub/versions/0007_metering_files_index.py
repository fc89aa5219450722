"""Hub: an index of metering files (the retailers' download list without asking ten areas).

One row per file from the area's `metering.file_published` event; the bytes stay in the area
and are streamed through the hub on download. `position` is the hub's own order of arrival:
a retailer's list from a cursor is one range scan of (retailer_code, position), a T&D's of
(area, position). `superseded_by` is set when the next revision arrives (in either order), so
"latest revisions only" is a column test, not a join. `area_position` is the area's own list
position, from which a catch-up pages the area after missed events.

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE metering_files_index (
    position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_id         varchar(40) NOT NULL UNIQUE,
    area            varchar(2) NOT NULL,
    retailer_code   varchar(5) NOT NULL,
    type            varchar(8) NOT NULL,
    target_date     date,
    target_month    varchar(7),
    target_day      date NOT NULL,
    slot_time       varchar(4),
    sequence        integer NOT NULL DEFAULT 1,
    revision        integer NOT NULL,
    name            varchar(120) NOT NULL,
    supersedes      varchar(40),
    superseded_by   varchar(40),
    points          integer,
    size_bytes      bigint,
    sha256          varchar(64),
    operation_mode  varchar(1),
    area_position   bigint NOT NULL,
    created_at      timestamptz,
    published_at    timestamptz NOT NULL
);
CREATE INDEX metering_files_index_retailer ON metering_files_index (retailer_code, position);
CREATE INDEX metering_files_index_area ON metering_files_index (area, position);
CREATE INDEX metering_files_index_supersedes ON metering_files_index (supersedes) WHERE supersedes IS NOT NULL;
CREATE INDEX metering_files_index_area_position ON metering_files_index (area, area_position);
"""

DOWNGRADE = r"""
DROP TABLE metering_files_index;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
