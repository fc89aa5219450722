"""Area: a point-day's 48 kWh values stored as the text they are read as.

`readings_30min.kwh` was numeric(10,4)[]; it becomes one text of 48 comma-separated fields, each
the value exactly as numeric(10,4) prints it (four decimals: `0.1230`), an empty field for a slot
not received — the compact form the usage inquiry sends (`UsageDay.kwh`) and the past-day files
write. Why: the inquiry reads ≈ 400 days per point and each read turned 48 numerics into text
again; for a 20-point, 13-month batch that was ≈ 20 ms of the ≈ 30 ms days query (docs/benchmarks.md
P10), while a day is written once. The text is also smaller (≈ 7 bytes a household value against
≈ 8–12 for a numeric array element; docs/scaling.md "Meter readings").

Every writer builds the text from numeric(10,4) values in SQL (the ingest's merge, the generator),
so a value's text is canonical and two texts are equal exactly when the values are; the CHECK keeps
the shape (47 commas, digits and points only) without a per-field regular expression (≈ 170 µs a
row, against ≈ 2 µs for these two tests). `readings_kwh(text)` gives the values back as
numeric(10,4)[] (NULL for a slot not received) for the sums of monthly totals and files.

The column is rewritten in every month × area leaf (ALTER COLUMN TYPE): minutes per month of a
large deployment, once.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

SHAPE = ("CHECK (octet_length(kwh) - octet_length(replace(kwh, ',', '')) = 47 AND kwh !~ '[^0-9.,]')")


def upgrade() -> None:
    op.execute("ALTER TABLE readings_30min DROP CONSTRAINT readings_30min_kwh_check")
    op.execute("ALTER TABLE readings_30min ALTER COLUMN kwh TYPE text USING array_to_string(kwh, ',', '')")
    op.execute(f"ALTER TABLE readings_30min ADD CONSTRAINT readings_30min_kwh_check {SHAPE}")
    op.execute("""CREATE FUNCTION readings_kwh(kwh text) RETURNS numeric(10,4)[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN string_to_array(kwh, ',', '')::numeric(10,4)[]""")


def downgrade() -> None:
    op.execute("DROP FUNCTION readings_kwh(text)")
    op.execute("ALTER TABLE readings_30min DROP CONSTRAINT readings_30min_kwh_check")
    op.execute("ALTER TABLE readings_30min ALTER COLUMN kwh TYPE numeric(10,4)[]"
               " USING string_to_array(kwh, ',', '')::numeric(10,4)[]")
    op.execute("ALTER TABLE readings_30min ADD CONSTRAINT readings_30min_kwh_check CHECK (cardinality(kwh) = 48)")
