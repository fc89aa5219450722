"""docs/grafana-dashboard.json queries only metrics the services export, and shows every one of them."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import REGISTRY

import switchhub.metrics  # noqa: F401  (declares the metrics in the default registry)

DASHBOARD = Path(__file__).parent.parent / "docs" / "grafana-dashboard.json"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def exported() -> dict[str, str]:
    """Every series name a scrape can show → its family (a histogram's _bucket/_count/_sum …)."""
    names = {}
    for family in REGISTRY.collect():
        if family.name.startswith("switchhub_"):
            for suffix in SUFFIXES.get(family.type, ("",)):
                names[family.name + suffix] = family.name
    return names


def queried() -> set[str]:
    board = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in board["panels"] for t in p["targets"]]
    assert exprs and all(p["datasource"]["uid"] == "${datasource}" for p in board["panels"])
    return {name for e in exprs for name in re.findall(r"\bswitchhub_[a-z0-9_]+", e)}


def test_every_queried_metric_exists():
    unknown = queried() - set(exported())
    assert not unknown, f"the dashboard queries metrics no service exports: {sorted(unknown)}"


def test_every_exported_metric_is_on_the_dashboard():
    # written out here (the brief: requests, latencies, refusals, jobs, queue depth, outbox lag)
    expected = {"switchhub_http_requests", "switchhub_http_request_duration_seconds", "switchhub_refusals",
                "switchhub_tls_handshakes_refused", "switchhub_jobs", "switchhub_jobs_due",
                "switchhub_outbox_oldest_undelivered_seconds", "switchhub_outbox_undelivered",
                "switchhub_worker_last_round_timestamp_seconds"}
    names = exported()
    assert set(names.values()) == expected
    assert {names[n] for n in queried()} == expected
