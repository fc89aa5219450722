"""Hub: varchar(n) instead of char(n), so codes, hashes and areas come back without blank padding.

Casting char(n) to varchar(n) drops the trailing blanks. Keys, foreign keys and indexes are
converted by PostgreSQL; column defaults and the partial index that compares `status` with
literals are made again, so that they no longer carry a cast to bpchar.

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# the char(n) columns of revisions 0001-0003: column → what follows the type name
# (operators first: the other tables' foreign keys reference operators.code)
COLUMNS = {
    "operators": {"code": "(5)", "areas": "(2)[]", "incumbent_areas": "(2)[]"},
    "users": {"operator_code": "(5)"},
    "client_certificates": {"fingerprint": "(64)", "operator_code": "(5)"},
    "web_sessions": {"token_hash": "(64)", "cert_fingerprint": "(64)"},
    "audit_records": {"operator_code": "(5)", "cert_fingerprint": "(64)"},
    "idempotency_keys": {"operator_code": "(5)", "request_hash": "(64)"},
    "relays": {"spid": "(22)", "area": "(2)", "new_retailer": "(5)", "current_retailer": "(5)", "status": "(2)",
               "decision": "(2)"},
    "relay_history": {"from_status": "(2)", "to_status": "(2)"},
    "area_events": {"area": "(2)"},
    "subscriptions": {"operator_code": "(5)"},
    "webhooks": {"operator_code": "(5)"},
    "deliveries": {"operator_code": "(5)"},
}
DEFAULTS = {("operators", "areas"): "'{}'", ("operators", "incumbent_areas"): "'{}'", ("relays", "status"): "'01'"}
OPEN_RELAY_INDEX = "CREATE UNIQUE INDEX relays_one_open_per_point ON relays (spid) WHERE status IN ('01', '02')"


def _retype(type_name: str) -> str:
    statements = ["DROP INDEX relays_one_open_per_point;"]
    for table, columns in COLUMNS.items():
        changes = []
        for column, size in columns.items():
            default = DEFAULTS.get((table, column))
            changes += [f"ALTER COLUMN {column} DROP DEFAULT"] if default else []
            changes += [f"ALTER COLUMN {column} TYPE {type_name}{size}"]
            changes += [f"ALTER COLUMN {column} SET DEFAULT {default}"] if default else []
        statements.append(f"ALTER TABLE {table} {', '.join(changes)};")
    statements.append(OPEN_RELAY_INDEX + ";")
    return "\n".join(statements)


def upgrade() -> None:
    op.execute(_retype("varchar"))


def downgrade() -> None:
    op.execute(_retype("char"))
