"""Area: varchar(n) instead of char(n), so spids, codes and areas come back without blank padding.

Casting char(n) to varchar(n) drops the trailing blanks. `area` is the partition key of the
point tables, and PostgreSQL cannot change the type of a partition key column: their leaf
partitions are detached and changed as plain tables (rows and indexes stay where they are), the
partitioned tables are made anew from a leaf with the same key, constraints and indexes, and the
leaves are attached again. HASH sub-partitions by spid (docs/scaling.md) are made anew the same
way. Column defaults and the partial index that compares `stage` with literals are made again,
so that they no longer carry a cast to bpchar.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
from sqlalchemy import text

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# the char(n) columns of revisions 0001 and 0002: column → what follows the type name
PARTITIONED = {
    "supply_points": {"spid": "(22)", "area": "(2)", "postcode": "(7)", "reading_day_code": "(2)"},
    "supply_periods": {"area": "(2)", "spid": "(22)", "retailer_code": "(5)"},
    "customer_periods": {"area": "(2)", "spid": "(22)"},
}
PLAIN = {
    "applications": {"area": "(2)", "spid": "(22)", "type": "(2)", "stage": "(2)", "applicant_code": "(5)",
                     "counterpart_code": "(5)"},
    "application_changes": {"applicant_code": "(5)", "area": "(2)", "from_stage": "(2)", "to_stage": "(2)"},
    "outbox_events": {"area": "(2)"},
    "idempotency_keys": {"operator_code": "(5)", "request_hash": "(64)"},
}
DEFAULTS = {"postcode": "''"}
PAIR_INDEX = ("CREATE INDEX applications_pair ON applications (area, spid, requested_date, type)"
              " WHERE stage IN ('01', '02', '03', '04')")

# every table of a partition tree: its parent, bound and key (partitioned tables only)
TREE = text("""
SELECT t.relid::regclass::text AS name, t.parentrelid::regclass::text AS parent, t.isleaf, t.level,
       pg_get_expr(c.relpartbound, c.oid) AS bound,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS key
FROM pg_partition_tree(CAST(:root AS regclass)) t JOIN pg_class c ON c.oid = t.relid
ORDER BY t.level, t.relid::regclass::text
""")
# constraints (keys, foreign keys) and indexes a partitioned table has of its own, not from its parent;
# CHECK and NOT NULL constraints are copied from the leaf
OWN_DEFINITIONS = text("""
SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
FROM pg_constraint WHERE conrelid = CAST(:table AS regclass) AND contype IN ('p', 'u', 'f', 'x')
    AND conparentid = 0
UNION ALL
SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
WHERE i.indrelid = CAST(:table AS regclass)
    AND NOT EXISTS (SELECT FROM pg_constraint WHERE conindid = i.indexrelid AND conrelid = i.indrelid)
    AND NOT EXISTS (SELECT FROM pg_inherits WHERE inhrelid = i.indexrelid)
""")


def _changes(columns: dict[str, str], type_name: str) -> str:
    changes = []
    for column, size in columns.items():
        default = DEFAULTS.get(column)
        changes += [f"ALTER COLUMN {column} DROP DEFAULT"] if default else []
        changes += [f"ALTER COLUMN {column} TYPE {type_name}{size}"]
        changes += [f"ALTER COLUMN {column} SET DEFAULT {default}"] if default else []
    return ", ".join(changes)


def _retype_partitioned(root: str, columns: dict[str, str], type_name: str) -> None:
    conn = op.get_bind()
    tree = conn.execute(TREE, {"root": root}).mappings().all()
    leaves = [t for t in tree if t["isleaf"]]
    branches = [t for t in tree if not t["isleaf"]]  # the root first, then by level
    definitions = {t["name"]: conn.execute(OWN_DEFINITIONS, {"table": t["name"]}).scalars().all() for t in branches}
    for leaf in leaves:
        op.execute(f"ALTER TABLE {leaf['parent']} DETACH PARTITION {leaf['name']}")
        op.execute(f"ALTER TABLE {leaf['name']} {_changes(columns, type_name)}")
    op.execute(f"DROP TABLE {root}")  # with its partitioned partitions, now without leaves
    for branch in branches:
        if branch["parent"] is None:
            op.execute(f"CREATE TABLE {root} (LIKE {leaves[0]['name']} INCLUDING DEFAULTS INCLUDING CONSTRAINTS"
                       f" INCLUDING STORAGE INCLUDING COMPRESSION) PARTITION BY {branch['key']}")
        else:
            op.execute(f"CREATE TABLE {branch['name']} PARTITION OF {branch['parent']} {branch['bound']}"
                       f" PARTITION BY {branch['key']}")
        for definition in definitions[branch["name"]]:
            op.execute(definition)
    for leaf in leaves:  # the leaves' own indexes become the partitions of the parents' indexes
        op.execute(f"ALTER TABLE {leaf['parent']} ATTACH PARTITION {leaf['name']} {leaf['bound']}")
    op.execute(f"ANALYZE {root}")


def _retype(type_name: str) -> None:
    op.execute("DROP INDEX applications_pair")
    for table, columns in PLAIN.items():
        op.execute(f"ALTER TABLE {table} {_changes(columns, type_name)}")
    op.execute(PAIR_INDEX)
    for root, columns in PARTITIONED.items():
        _retype_partitioned(root, columns, type_name)


def upgrade() -> None:
    _retype("varchar")


def downgrade() -> None:
    _retype("char")
