"""Hub: an index of applications (the hub's worklists without asking ten areas).

One row per application, written from the filing answer and from every
`application.stage_changed` event; `last_event_id` is the area outbox id of the newest event
applied, so a redelivered or older event never moves a stage back. No customer data.

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE applications_index (
    application_no  varchar(40) PRIMARY KEY,
    area            varchar(2) NOT NULL,
    spid            varchar(22) NOT NULL,
    type            varchar(2) NOT NULL,
    stage           varchar(2) NOT NULL,
    applicant_code  varchar(5) NOT NULL,
    relay_no        varchar(20),
    requested_date  date,
    received_at     timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    last_event_id   bigint NOT NULL DEFAULT 0
);
CREATE INDEX applications_index_applicant ON applications_index (applicant_code, received_at DESC);
CREATE INDEX applications_index_area ON applications_index (area, received_at DESC);
CREATE INDEX applications_index_received ON applications_index (received_at DESC);
CREATE INDEX applications_index_stage ON applications_index (stage, type);
CREATE INDEX applications_index_spid ON applications_index (spid);
CREATE INDEX applications_index_requested ON applications_index (requested_date);
"""

DOWNGRADE = r"""
DROP TABLE applications_index;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
