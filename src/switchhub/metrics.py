"""The project's Prometheus metrics, declared once, and serving them on loopback.

Metrics live in prometheus_client's default registry so any module can import and update
them without passing a registry around. They are served only when `metrics_port` is set
(env SWITCHHUB_METRICS_PORT), on 127.0.0.1 and without TLS: the hub and area systems speak
mutual TLS to everyone else, so the plain-HTTP scrape endpoint must stay on the machine
(a local Prometheus or agent scrapes it; publish it further only through a TLS proxy).
"""

from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server

TLS_REFUSAL_REASONS = ("no_certificate", "certificate_verify_failed", "handshake_error", "handshake_timeout",
                       "peer_closed")

TLS_HANDSHAKES_REFUSED = Counter(
    "switchhub_tls_handshakes_refused_total",
    "TLS handshakes the hub or area server did not complete, by reason",
    ["reason"],
)
for _reason in TLS_REFUSAL_REASONS:  # export zeros, so a first refusal is a visible increase
    TLS_HANDSHAKES_REFUSED.labels(reason=_reason)


# Requests, by the route's template (never the raw path: it holds spids) — updated by telemetry.py.
HTTP_REQUESTS = Counter(
    "switchhub_http_requests_total",
    "HTTP requests answered by the hub or area system, by route template, method and status",
    ["service", "route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "switchhub_http_request_duration_seconds",
    "Time from the request's arrival to the end of its answer, by route template and method",
    ["service", "route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
REFUSALS = Counter(
    "switchhub_refusals_total",
    "problem+json answers (refusals and errors), by their stable code",
    ["service", "code"],
)
# Jobs (db/jobs.py run_due) and the worker's view of its queues, set once per worker round (worker.py).
JOBS = Counter(
    "switchhub_jobs_total",
    "Keyed jobs run by the worker, by kind and outcome (done, failed: retried later with back-off)",
    ["kind", "outcome"],
)
JOBS_DUE = Gauge(
    "switchhub_jobs_due",
    "Jobs due and not done (the queue depth), by database (hub, area) and kind",
    ["db", "kind"],
)
OUTBOX_UNDELIVERED = Gauge(
    "switchhub_outbox_undelivered",
    "Area events not yet delivered to the hub, by area",
    ["area"],
)
OUTBOX_OLDEST_AGE = Gauge(
    "switchhub_outbox_oldest_undelivered_seconds",
    "Age of the oldest area event not yet delivered to the hub (the outbox lag; 0 when empty), by area",
    ["area"],
)
WORKER_ROUND = Gauge(
    "switchhub_worker_last_round_timestamp_seconds",
    "Unix time of the worker's last completed round, by role side (hub, area): a stalled worker stops it",
    ["db"],
)


def set_gauge_family(gauge: Gauge, values: dict[tuple[str, ...], float], seen: set[tuple[str, ...]]) -> None:
    """Set a labelled gauge to `values`; label sets seen before and absent now go to 0 (an emptied
    queue reads 0, not its last depth). `seen` is the caller's memory of the label sets it set."""
    for labels in seen - set(values):
        gauge.labels(*labels).set(0)
    for labels, value in values.items():
        gauge.labels(*labels).set(value)
    seen |= set(values)


class MetricsServer:
    """A running metrics endpoint (a daemon thread); `close()` frees the port."""

    def __init__(self, httpd: Any, thread: Any) -> None:
        self.httpd, self.thread = httpd, thread
        self.port: int = httpd.server_address[1]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def start_metrics_server(port: int | None, host: str = "127.0.0.1") -> MetricsServer | None:
    """Serve `/metrics` on host:port in a background thread; None (nothing started) when port is None."""
    if port is None:
        return None
    httpd, thread = start_http_server(port, addr=host, registry=REGISTRY)
    return MetricsServer(httpd, thread)
