"""Access log lines and request metrics of the hub and the area system, for real requests through the
apps on real databases (the log stream captured, the metrics endpoint scraped)."""

from __future__ import annotations

import io
import json
import logging

import httpx
import pytest
import structlog
from prometheus_client.parser import text_string_to_metric_families

from switchhub.logs import configure_logging
from switchhub.metrics import start_metrics_server
from tests.hub.helpers import point_of
from tests.live import free_port

# what the brief and docs/operations.md promise on every line (written here, not imported)
ACCESS_FIELDS = {"event", "service", "method", "route", "query_keys", "status", "duration_ms", "bytes",
                 "request_id", "operator", "user", "cert", "client", "refusal", "level", "logger",
                 "timestamp"}


@pytest.fixture
def log_stream():
    """All logging of the process captured as the services write it; restored afterwards."""
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging("json", stream)
    yield Captured(stream, handler)
    root.removeHandler(handler)
    handler.close()
    root.setLevel(level)
    structlog.reset_defaults()


class Captured:
    """The stream the background log thread writes; read after it wrote everything queued."""

    def __init__(self, stream: io.StringIO, handler) -> None:
        self.stream, self.handler = stream, handler

    def getvalue(self) -> str:
        self.handler.flush()
        return self.stream.getvalue()


def access_lines(stream: Captured) -> list[dict]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    return [x for x in lines if x.get("logger") == "switchhub.access"]


async def test_one_json_line_per_request_with_the_route_template_and_no_personal_data(stack, log_stream):
    spid = point_of(stack.world, "M0300")
    async with stack.client("M0300") as c:
        ok = await c.get(f"/api/v1/supply-points/{spid}", headers={"X-Request-ID": "req-telemetry-1"})
        found = await c.get("/api/v1/supply-points",
                            params={"prefecture": "東京都", "city": "千代田区", "town": "丸の内"})
        unknown = await c.get(f"/api/v1/no-such-thing/{spid}")
    async with stack.client(None) as c:
        refused = await c.get(f"/api/v1/supply-points/{spid}")
    statuses = (ok.status_code, found.status_code, unknown.status_code, refused.status_code)
    assert statuses == (200, 200, 404, 403)

    raw = log_stream.getvalue()
    # no spid, no query value
    assert spid not in raw and "東京都" not in raw and "千代田区" not in raw and "丸の内" not in raw
    assert ok.json()["customer_name_kanji"] not in raw  # nor anything of the answer
    lines = access_lines(log_stream)
    hub = [x for x in lines if x["service"] == "hub"]
    area = [x for x in lines if x["service"] == "area"]
    assert all(set(x) == ACCESS_FIELDS for x in lines), lines
    assert [(x["method"], x["route"], x["status"]) for x in hub] == [
        ("GET", "/api/v1/supply-points/{spid}", 200), ("GET", "/api/v1/supply-points", 200),
        ("GET", "(unmatched)", 404), ("GET", "/api/v1/supply-points/{spid}", 403)]
    lookup, search, missing, gate = hub
    m0300 = stack.world.clients["M0300-api"].fingerprint
    assert (lookup["operator"], lookup["user"], lookup["cert"]) == ("M0300", "m0300-api", m0300[:12])
    assert lookup["request_id"] == "req-telemetry-1" and lookup["refusal"] is None and lookup["bytes"] > 0
    assert isinstance(lookup["duration_ms"], float) and 0 <= lookup["duration_ms"] < 30_000
    assert search["query_keys"] == ["city", "prefecture", "town"]
    assert missing["refusal"] == "no_such_route" and len(missing["request_id"]) == 32  # generated
    assert (gate["refusal"], gate["operator"], gate["user"], gate["cert"]) == ("certificate_required", None,
                                                                              None, None)
    # the area answered the hub's lookup and search: the acting operator and the hub's certificate
    assert [(x["route"], x["status"], x["operator"]) for x in area] == [
        ("/area/v1/supply-points/{spid}", 200, "M0300"), ("/area/v1/supply-points", 200, "M0300")]
    assert area[0]["cert"] == stack.world.hub_client.fingerprint[:12]


async def test_console_format_is_the_default(stack, monkeypatch):
    monkeypatch.delenv("SWITCHHUB_LOG_FORMAT", raising=False)
    stream = io.StringIO()
    root, level = logging.getLogger(), logging.getLogger().level
    handler = configure_logging(None, stream)
    try:
        async with stack.client("M0300") as c:
            await c.get("/api/v1/me")
    finally:
        handler.flush()
        root.removeHandler(handler)
        handler.close()
        root.setLevel(level)
        structlog.reset_defaults()
    line = next(x for x in stream.getvalue().splitlines() if "switchhub.access" in x)
    assert not line.startswith("{") and "route=/api/v1/me" in line and "status=200" in line


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def delta(before: dict, after: dict, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


async def test_metrics_count_requests_latencies_and_refusals_by_route_template(stack):
    server = start_metrics_server(free_port())
    try:
        spid = point_of(stack.world, "M0300")
        before = scrape(server.port)
        async with stack.client("M0300") as c:
            for _ in range(3):
                assert (await c.get(f"/api/v1/supply-points/{spid}")).status_code == 200
            assert (await c.get("/api/v1/supply-points/03XX")).status_code == 422
        async with stack.client(None) as c:
            assert (await c.get(f"/api/v1/supply-points/{spid}")).status_code == 403
        after = scrape(server.port)
    finally:
        server.close()
    route = "/api/v1/supply-points/{spid}"
    assert delta(before, after, "switchhub_http_requests_total", service="hub", route=route, method="GET",
                 status="200") == 3
    assert delta(before, after, "switchhub_http_requests_total", service="hub", route=route, method="GET",
                 status="403") == 1
    assert delta(before, after, "switchhub_http_requests_total", service="area",
                 route="/area/v1/supply-points/{spid}", method="GET", status="200") == 3
    assert delta(before, after, "switchhub_http_request_duration_seconds_count", service="hub", route=route,
                 method="GET") == 5
    assert delta(before, after, "switchhub_http_request_duration_seconds_bucket", service="hub", route=route,
                 method="GET", le="+Inf") == 5
    assert delta(before, after, "switchhub_http_request_duration_seconds_sum", service="hub", route=route,
                 method="GET") > 0
    assert delta(before, after, "switchhub_refusals_total", service="hub", code="certificate_required") == 1
    assert delta(before, after, "switchhub_refusals_total", service="hub", code="invalid_input") == 1
    assert not [k for k in after if spid in str(k)]  # no spid in any label


def test_a_slow_log_output_does_not_hold_up_the_caller():
    """The line is written by the background thread: a stalled output (a full pipe, a busy disk) no
    longer stalls the event loop that logged it, and flush() still gets every line out."""
    import time

    from switchhub.logs import ACCESS_LOGGER, stdlib_bound

    class Stalled(io.StringIO):
        def write(self, text: str) -> int:
            time.sleep(0.3)
            return super().write(text)

    stream = Stalled()
    root, level = logging.getLogger(), logging.getLogger().level
    handler = configure_logging("json", stream)
    try:
        t0 = time.monotonic()
        for n in range(5):
            stdlib_bound(ACCESS_LOGGER).info("request", n=n)
        assert time.monotonic() - t0 < 0.2  # five writes of 0.3 s each did not happen here
        handler.flush()
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(level)
        structlog.reset_defaults()
    assert [json.loads(x)["n"] for x in stream.getvalue().splitlines()] == [0, 1, 2, 3, 4]


def test_closing_twice_or_after_the_stream_was_closed_is_quiet():
    """A CLI run inside a test runner logs to a captured stderr that the runner closes: the handler's
    close at exit must not raise on it (CI printed 'Exception ignored in atexit callback')."""
    stream = io.StringIO()
    root, level = logging.getLogger(), logging.getLogger().level
    handler = configure_logging("json", stream)
    root.removeHandler(handler)
    root.setLevel(level)
    structlog.reset_defaults()
    stream.close()
    handler.close()
    handler.close()
