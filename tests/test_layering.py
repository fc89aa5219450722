"""The hub and the reference area system meet only in `switchhub.contract` (architecture.md): the hub
imports nothing from `switchhub.area`, the area nothing from `switchhub.hub`, and the contract and
the kernel neither of them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "switchhub"
FORBIDDEN = {
    "hub": ("switchhub.area",),
    "area": ("switchhub.hub",),
    "contract": ("switchhub.area", "switchhub.hub"),
    "kernel": ("switchhub.area", "switchhub.hub", "switchhub.contract"),
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                names.append(arg.value)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_across_the_contract(package):
    bad = [f"{p.relative_to(SRC)} imports {name}" for p in sorted((SRC / package).rglob("*.py"))
           for name in _imports(p) if name.startswith(FORBIDDEN[package])]
    assert bad == []


def test_the_check_sees_a_violation(tmp_path):
    """The checker itself: a module importing the area from the hub is found."""
    bad = tmp_path / "x.py"
    bad.write_text("from switchhub.area.points import service\nimport switchhub.area.app\n", encoding="utf-8")
    assert _imports(bad) == ["switchhub.area.points", "switchhub.area.app"]


def test_audit_entries_are_built_in_one_place():
    """`hub/audit/context.py` is the one builder of audit records (Actor.entry/alert, unauthenticated,
    cli_entry): every other module takes its result."""
    builders = [str(p.relative_to(SRC)) for p in sorted(SRC.rglob("*.py"))
                if "AuditEntry(" in p.read_text(encoding="utf-8").replace("class AuditEntry(", "")]
    assert builders == ["hub/audit/context.py"]


# -- all SQL in repositories (architecture.md: repository.py holds ALL SQL) ---------------------

#: Where SQL may be run: every domain's repository.py, and these packages as a whole.
SQL_PLACES = ("db", "migrations")
#: Calls on a connection that run a statement (SQLAlchemy, psycopg and asyncpg spellings).
SQL_CALLS = {"execute", "executemany", "exec_driver_sql", "copy_records_to_table", "fetch", "fetchrow", "fetchval"}
#: Modules outside repositories that must keep their SQL, each with the reason.
SQL_ALLOWED = {
    "generate/load.py": "the bulk generator of the demo/benchmark data set: COPY of millions of rows over its own "
                        "psycopg/asyncpg connections (no SQLAlchemy engine), dropping and rebuilding secondary "
                        "indexes around the load; a database tool like db/, not a use case of any domain",
    "generate/readings.py": "the generator of the demo's meter readings: millions of synthetic half hours computed "
                            "inside the database (INSERT … SELECT into the month × area leaves) over its own psycopg "
                            "connections, like generate/load.py; the monthly totals of the smart points go through "
                            "the area readings service (confirm_month), not through this module",
    "generate/readings_fill.py": "the demo's background fill of the same generator: generate/readings.py's statements "
                                 "(bound for SQLAlchemy) over the worker's job connection, one area × month per job, "
                                 "the fresh points' monthly totals from their half hours, and the fill's progress",
}


def _sql_calls(path: Path) -> list[str]:
    """`text(...)` from sqlalchemy and `<x>.execute(...)`-like calls whose receiver is not a module
    imported by the file (`execution.execute(conn, ...)` calls a domain function, not the database)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    text_names, modules = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            text_names |= {a.asname or a.name for a in node.names if a.name == "text"}
        if isinstance(node, ast.ImportFrom):
            modules |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import):
            modules |= {(a.asname or a.name).split(".")[0] for a in node.names}
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id in text_names:
            found.append((node.lineno, f"{f.id}("))
        elif isinstance(f, ast.Attribute) and f.attr == "text" and getattr(f.value, "id", "") in ("sqlalchemy", "sa"):
            found.append((node.lineno, f"{f.value.id}.text("))
        elif isinstance(f, ast.Attribute) and f.attr in SQL_CALLS and getattr(f.value, "id", None) not in modules:
            found.append((node.lineno, f".{f.attr}("))
    return [f"line {n}: {call}" for n, call in sorted(found)]


def _outside_repositories() -> list[Path]:
    return [p for p in sorted(SRC.rglob("*.py")) if p.name != "repository.py"
            and p.relative_to(SRC).parts[0] not in SQL_PLACES]


def test_sql_runs_only_in_repositories():
    bad = [f"{p.relative_to(SRC)} {call}" for p in _outside_repositories()
           if str(p.relative_to(SRC)) not in SQL_ALLOWED for call in _sql_calls(p)]
    assert bad == []


def test_every_sql_exception_is_still_needed():
    """An allow-listed module that no longer runs SQL leaves the list."""
    assert [m for m in SQL_ALLOWED if not _sql_calls(SRC / m)] == []


def test_the_sql_check_sees_a_violation(tmp_path):
    """The checker itself: SQL in a service is found, a call of a module's `execute` function is not."""
    bad = tmp_path / "service.py"
    bad.write_text("from sqlalchemy import text as t\nimport sqlalchemy\nfrom switchhub.area.applications import"
                   " execution\n\nasync def f(conn, db):\n    await conn.execute(t('SELECT 1'))\n"
                   "    sqlalchemy.text('x')\n    await db.fetchval('SELECT 1')\n    await execution.execute(conn, 1)\n",
                   encoding="utf-8")
    assert _sql_calls(bad) == ["line 6: .execute(", "line 6: t(", "line 7: sqlalchemy.text(", "line 8: .fetchval("]
