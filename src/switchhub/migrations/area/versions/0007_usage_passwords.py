"""Area: usage password requests (type 08) — requests, their points, identity documents, history.

Every table is LIST-partitioned by area like the point tables (area leads every key). The password
is kept only as a salted SHA-256 (`password_salt`, `password_hash`); its plaintext sits in
`pickup_password` until the applicant's first status read clears it (UPDATE … RETURNING) or the
password expires. The inquiry path goes spid → requests through `usage_request_points_spid`.

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

AREAS = [f"{i:02d}" for i in range(1, 11)]
TABLES = ("usage_requests", "usage_request_points", "usage_documents", "usage_request_history")

UPGRADE = r"""
CREATE SEQUENCE usage_request_no_seq;
CREATE TABLE usage_requests (
    area                varchar(2) NOT NULL,
    application_no      varchar(30) NOT NULL,
    applicant_code      varchar(5) NOT NULL,
    channel             varchar(10) NOT NULL CHECK (channel IN ('low', 'high')),
    stage               varchar(2) NOT NULL,
    reason_code         text NOT NULL DEFAULT '',
    verification        varchar(10) NOT NULL CHECK (verification IN ('auto', 'review')),
    validity_days       smallint NOT NULL CHECK (validity_days IN (1, 7, 31)),
    customer_name_kana  text NOT NULL,
    customer_name_kanji text NOT NULL,
    address             text NOT NULL,
    phone               text NOT NULL,
    consent_date        date NOT NULL,
    received_at         timestamptz NOT NULL,
    review_deadline     date NOT NULL,
    decided_at          timestamptz,
    decided_by          text,
    note                text NOT NULL DEFAULT '',
    issued_at           timestamptz,
    expires_at          timestamptz,
    password_salt       bytea,
    password_hash       bytea,
    pickup_password     text,
    picked_up_at        timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (area, application_no)
) PARTITION BY LIST (area);
CREATE INDEX usage_requests_review ON usage_requests (area, review_deadline, application_no)
    WHERE stage = '02';

CREATE TABLE usage_request_points (
    area               varchar(2) NOT NULL,
    application_no     varchar(30) NOT NULL,
    n                  smallint NOT NULL,
    spid               varchar(22) NOT NULL,
    customer_period_id bigint,
    mismatches         text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (area, application_no, n)
) PARTITION BY LIST (area);
CREATE INDEX usage_request_points_spid ON usage_request_points (area, spid);

CREATE TABLE usage_documents (
    area           varchar(2) NOT NULL,
    application_no varchar(30) NOT NULL,
    n              smallint NOT NULL,
    filename       text NOT NULL,
    content_type   varchar(40) NOT NULL,
    size           integer NOT NULL CHECK (size BETWEEN 1 AND 1048576),
    content        bytea NOT NULL,
    PRIMARY KEY (area, application_no, n)
) PARTITION BY LIST (area);

CREATE SEQUENCE usage_request_history_seq;
CREATE TABLE usage_request_history (
    area           varchar(2) NOT NULL,
    seq            bigint NOT NULL DEFAULT nextval('usage_request_history_seq'),
    application_no varchar(30) NOT NULL,
    from_stage     varchar(2),
    to_stage       varchar(2) NOT NULL,
    rule           text NOT NULL,
    reason_code    text NOT NULL DEFAULT '',
    actor          text NOT NULL DEFAULT '',
    at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (area, seq)
) PARTITION BY LIST (area);
CREATE INDEX usage_request_history_request ON usage_request_history (area, application_no, seq);
"""


def upgrade() -> None:
    op.execute(UPGRADE)
    for table in TABLES:
        for a in AREAS:
            op.execute(f"CREATE TABLE {table}_{a} PARTITION OF {table} FOR VALUES IN ('{a}')")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.execute(f"DROP TABLE {table}")
    op.execute("DROP SEQUENCE usage_request_history_seq; DROP SEQUENCE usage_request_no_seq;")
