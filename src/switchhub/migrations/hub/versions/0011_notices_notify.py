"""Hub: notices (インフォメーション) with their audience and period, per-user read marks.

A notice is shown to the users of its audience (all, retailers, T&Ds or one operator) between its
start and end; `published_at` is set when the `notice.published` event was fanned out, so the
event goes out once, when the notice first becomes visible. Read marks are per user (login ID).

Revision ID: 0011
Revises: 0010
"""
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE notices (
    id            bigserial PRIMARY KEY,
    title         text NOT NULL,
    body          text NOT NULL,
    audience      text NOT NULL CHECK (audience IN ('all', 'retailer', 'tso', 'operator')),
    operator_code varchar(5) REFERENCES operators(code),
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz,
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn')),
    published_at  timestamptz,
    created_by    text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((audience = 'operator') = (operator_code IS NOT NULL)),
    CHECK (ends_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX notices_current ON notices (starts_at DESC) WHERE status = 'active';
CREATE TABLE notice_reads (
    notice_id  bigint NOT NULL REFERENCES notices(id) ON DELETE CASCADE,
    login_id   text NOT NULL,
    read_at    timestamptz NOT NULL,
    PRIMARY KEY (login_id, notice_id)
);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute("DROP TABLE notice_reads; DROP TABLE notices;")
