"""Area: a usage password request knows its applicant's origin — a retailer or the customer itself
through the T&D's public page.

A public request has no applicant code (no operator filed it, so none may see it or pick up its
password) and keeps the customer's e-mail address, where its result is mailed. Requests filed
before this revision under the placeholder code `00000` become public ones with the address the
public page kept for them.

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
ALTER TABLE usage_requests
    ADD COLUMN applicant_origin varchar(10) NOT NULL DEFAULT 'retailer',
    ADD COLUMN applicant_email varchar(254),
    ALTER COLUMN applicant_code DROP NOT NULL;
UPDATE usage_requests u SET applicant_origin = 'public', applicant_code = NULL,
    applicant_email = coalesce((SELECT p.email FROM public_usage_requests p
                                WHERE p.application_no = u.application_no), '')
    WHERE u.applicant_code = '00000';
ALTER TABLE usage_requests ADD CONSTRAINT usage_requests_applicant CHECK (
    (applicant_origin = 'retailer' AND applicant_code IS NOT NULL AND applicant_email IS NULL)
    OR (applicant_origin = 'public' AND applicant_code IS NULL AND applicant_email IS NOT NULL));
""")


def downgrade() -> None:
    op.execute("""
ALTER TABLE usage_requests DROP CONSTRAINT usage_requests_applicant;
UPDATE usage_requests SET applicant_code = '00000' WHERE applicant_origin = 'public';
ALTER TABLE usage_requests ALTER COLUMN applicant_code SET NOT NULL,
    DROP COLUMN applicant_email, DROP COLUMN applicant_origin;
""")
