"""docs/integration.md as a new integrator runs it: `switchhub sandbox` started as a real process (its
embedded PostgreSQL, hub, area behind the scenario stubs, worker), then every Python snippet of the
guide executed in order, through the client only: lookup → relay → the counterpart's OK → switch-start
and switch-end matched → the clock to the switch date → the supplier changed → reset. The outcomes are
checked against what domain.md says each step does (relay 02 OK, matched 05, executed 06, the new
retailer supplies from the switch date, the reset brings the incumbent back)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.running import Demo

pytestmark = pytest.mark.e2e
GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integration.md"


def snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S)


def test_the_guide_has_its_steps_as_code():
    blocks = snippets()
    assert len(blocks) == 6  # connect, lookup, relay + OK, start + end, clock, reset
    assert all("await" not in b for b in blocks)  # the sync client throughout
    assert "switchhub sandbox" in GUIDE.read_text()


def test_every_snippet_of_the_guide_completes_a_switch_in_a_real_sandbox(tmp_path, monkeypatch):
    sandbox = Demo(tmp_path, command=("sandbox", "--points", "300"))
    ns: dict = {"__name__": "integration_guide"}
    try:
        sandbox.started()
        monkeypatch.setenv("SWITCHHUB_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("SWITCHHUB_SANDBOX_URL", f"https://localhost:{sandbox.port}")
        for block in snippets():
            exec(compile(block, str(GUIDE), "exec"), ns)  # noqa: S102 — the guide's own code, as a reader runs it
    finally:
        for name in ("new", "current"):
            if name in ns:
                ns[name].close()  # a second close (after the guide's own) does nothing
        sandbox.close()
    assert ns["public"].current_retailer_code is None and ns["public"].channel == "low"  # public fields only
    assert ns["before"].current_retailer_code == "M0300"
    assert ns["relay"].status == "01" and ns["decided"].status == "02"
    assert ns["start"].switch_date == ns["switch_date"]
    assert ns["end"].stage == "05" and ns["end"].matched_with == ns["start"].application_no
    assert ns["done"].stage == "06" and ns["done"].supply_start_date == ns["switch_date"]
    assert ns["after"].current_retailer_code == "A0001"
    assert ns["reset"]["offset_seconds"] == 0 and ns["reset"]["reset"] is True
    assert ns["restored"].current_retailer_code == "M0300"
