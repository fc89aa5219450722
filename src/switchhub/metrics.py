"""The project's Prometheus metrics, declared once, and serving them on loopback.

Metrics live in prometheus_client's default registry so any module can import and update
them without passing a registry around. They are served only when `metrics_port` is set
(env SWITCHHUB_METRICS_PORT), on 127.0.0.1 and without TLS: the hub and area systems speak
mutual TLS to everyone else, so the plain-HTTP scrape endpoint must stay on the machine
(a local Prometheus or agent scrapes it; publish it further only through a TLS proxy).
"""

from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY, Counter, start_http_server

TLS_REFUSAL_REASONS = ("no_certificate", "certificate_verify_failed", "handshake_error", "handshake_timeout",
                       "peer_closed")

TLS_HANDSHAKES_REFUSED = Counter(
    "switchhub_tls_handshakes_refused_total",
    "TLS handshakes the hub or area server did not complete, by reason",
    ["reason"],
)
for _reason in TLS_REFUSAL_REASONS:  # export zeros, so a first refusal is a visible increase
    TLS_HANDSHAKES_REFUSED.labels(reason=_reason)


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
