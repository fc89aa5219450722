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
