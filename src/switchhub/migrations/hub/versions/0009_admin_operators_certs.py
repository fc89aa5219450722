"""Hub: OCCTO administration — area certificates in the database, expiry warnings, API repository.

* client certificates get the purpose `area` (a T&D's system posting area events to the hub), the
  area codes such a certificate speaks for, and the issuer read from the uploaded certificate;
* one row per certificate and warning threshold records that its expiry warning went out, so the
  daily job warns once per certificate per threshold however often it runs;
* the API repository page's operating information: maintenance windows, interface versions and
  change log entries (one table, `kind` says which fields are used).

Revision ID: 0009
Revises: 0008
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
ALTER TABLE client_certificates DROP CONSTRAINT client_certificates_purpose_check;
ALTER TABLE client_certificates ADD CONSTRAINT client_certificates_purpose_check
    CHECK (purpose IN ('web', 'api', 'area'));
ALTER TABLE client_certificates ADD COLUMN areas varchar(2)[] NOT NULL DEFAULT '{}';
ALTER TABLE client_certificates ADD COLUMN issuer text NOT NULL DEFAULT '';
ALTER TABLE client_certificates ADD CONSTRAINT client_certificates_area_bound
    CHECK (purpose <> 'area' OR cardinality(areas) > 0);
CREATE INDEX client_certificates_not_after ON client_certificates (not_after) WHERE status = 'active';

CREATE TABLE certificate_expiry_warnings (
    certificate_id bigint NOT NULL REFERENCES client_certificates(id),
    threshold_days integer NOT NULL,
    warned_at      timestamptz NOT NULL,
    PRIMARY KEY (certificate_id, threshold_days)
);

CREATE TABLE api_info_entries (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('maintenance', 'version', 'change')),
    title       text NOT NULL DEFAULT '',
    body        text NOT NULL DEFAULT '',
    version     text NOT NULL DEFAULT '',
    starts_at   timestamptz,
    ends_at     timestamptz,
    entry_date  date,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'maintenance' OR (starts_at IS NOT NULL AND ends_at IS NOT NULL AND ends_at > starts_at)),
    CHECK (kind <> 'change' OR entry_date IS NOT NULL)
);
CREATE INDEX api_info_entries_kind ON api_info_entries (kind, id);
""")


def downgrade() -> None:
    op.execute("""
DROP TABLE api_info_entries;
DROP TABLE certificate_expiry_warnings;
DROP INDEX client_certificates_not_after;
ALTER TABLE client_certificates DROP CONSTRAINT client_certificates_area_bound;
ALTER TABLE client_certificates DROP COLUMN issuer;
ALTER TABLE client_certificates DROP COLUMN areas;
DELETE FROM client_certificates WHERE purpose = 'area';
ALTER TABLE client_certificates DROP CONSTRAINT client_certificates_purpose_check;
ALTER TABLE client_certificates ADD CONSTRAINT client_certificates_purpose_check CHECK (purpose IN ('web', 'api'));
""")
