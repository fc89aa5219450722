"""One access log line and the request metrics per HTTP request of the hub and the area system.

The line names the route's template (`/api/v1/supply-points/{spid}`), never the raw path, and
the names of the query parameters, never their values: spids, addresses and meter numbers travel
in paths and queries, and the log is read by more people than the audit trail. No body is read.
Who asked comes from what the gates already resolved on the request state (the hub's
certificate identity and API or Web caller, the area's acting operator), plus the first 12 hex
digits of the client certificate's fingerprint: enough to find it in the registry, not a secret.

Requests refused before routing (certificate gate, body limit) still get their template, found by
matching the app's routes; a path that matches none is logged and counted as `(unmatched)`, so
probing random URLs cannot grow the metrics' label sets. A problem+json answer's `code` is read
from its (small) body and counted in `switchhub_refusals_total`.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from switchhub.logs import ACCESS_LOGGER, emit_info
from switchhub.metrics import HTTP_DURATION, HTTP_REQUESTS, REFUSALS
from switchhub.tlsserver import client_cert_from_scope

UNMATCHED = "(unmatched)"
FINGERPRINT_PREFIX = 12
MAX_QUERY_KEYS = 10
MAX_PROBLEM_BYTES = 65536
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
log = logging.getLogger(ACCESS_LOGGER)


def route_template(scope: Scope, routes: list[Any]) -> str:
    """The matched route's path template; for a request answered before routing, the first route
    whose template fits the path (any method); else UNMATCHED."""
    route = scope.get("route")
    if route is not None and getattr(route, "path", None):
        return route.path
    probe = {**scope, "type": "http"}
    for candidate in routes:
        match, _ = candidate.matches(probe)
        if match is not Match.NONE:
            return candidate.path
    return UNMATCHED


def flat_routes(routes: list[Any]) -> list[Any]:
    """The app's routes with a path template, in matching order: FastAPI keeps an included router as
    one entry (`original_router`) whose own routes carry the full paths (prefixes are set on the
    APIRouters, not on include_router)."""
    flat: list[Any] = []
    for route in routes:
        original = getattr(route, "original_router", None)
        inner = getattr(original, "routes", None) or getattr(route, "routes", None)
        if inner is not None and not getattr(route, "path", None):
            flat.extend(flat_routes(inner))
        elif getattr(route, "path", None) and hasattr(route, "matches"):
            flat.append(route)
    return flat


def _query_keys(scope: Scope) -> list[str]:
    from urllib.parse import parse_qsl

    raw = scope.get("query_string", b"").decode("latin-1")
    keys = sorted({k[:40] for k, _ in parse_qsl(raw, keep_blank_values=True)})
    return keys[:MAX_QUERY_KEYS]


def _who(state: dict[str, Any]) -> tuple[str | None, str | None]:
    """(operator code, user login) from what the gates put on the request state."""
    caller = state.get("caller")
    web = state.get("web_user")
    if caller is None and web is not None:
        caller = web.caller
    cert = state.get("cert")
    operator = getattr(caller, "operator_code", None) or getattr(cert, "operator_code", None)
    return operator, (getattr(caller, "user_login", None) or None)


class RequestTelemetry:
    """Outermost middleware of an app (`service` is "hub" or "area"): times the request, assigns its
    request ID (the client's `X-Request-ID` when well-formed), then logs and counts the answer."""

    def __init__(self, app: ASGIApp, service: str, router: Any, settings: Any) -> None:
        self.app, self.service, self.router, self.settings = app, service, router, settings
        self._routes: list[Any] | None = None  # flattened at the first request (all routes included by then)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state = scope.setdefault("state", {})
        given = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-request-id"), "")
        state.setdefault("request_id", given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex)
        answer: dict[str, Any] = {"status": 500, "bytes": 0, "problem": None}

        async def observed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                ctype = next((v for k, v in message.get("headers", []) if k.lower() == b"content-type"), b"")
                if ctype.startswith(b"application/problem+json"):
                    answer["problem"] = bytearray()
            elif message["type"] == "http.response.body":
                body = message.get("body", b"")
                answer["bytes"] += len(body)
                problem = answer["problem"]
                if problem is not None and len(problem) < MAX_PROBLEM_BYTES:
                    problem.extend(body[:MAX_PROBLEM_BYTES - len(problem)])
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:  # also when the app raised: the server answers 500 then
            self._record(scope, state, answer, time.perf_counter() - started)

    def _record(self, scope: Scope, state: dict[str, Any], answer: dict[str, Any], seconds: float) -> None:
        if self._routes is None:
            self._routes = flat_routes(self.router.routes)
        route = route_template(scope, self._routes)
        method, status = scope.get("method", ""), answer["status"]
        HTTP_REQUESTS.labels(self.service, route, method, str(status)).inc()
        HTTP_DURATION.labels(self.service, route, method).observe(seconds)
        code = _problem_code(answer["problem"])
        if code is not None:
            REFUSALS.labels(self.service, code).inc()
        operator, user = _who(state)
        cert = client_cert_from_scope(scope, trusted_proxies=self.settings.trusted_proxies,
                                      proxy_header=self.settings.proxy_cert_header)
        client = scope.get("client") or ("", 0)
        emit_info(log, "request", {
            "service": self.service, "method": method, "route": route, "query_keys": _query_keys(scope),
            "status": status, "duration_ms": round(seconds * 1000, 1), "bytes": answer["bytes"],
            "request_id": state.get("request_id"), "operator": operator, "user": user,
            "cert": cert.fingerprint_sha256[:FINGERPRINT_PREFIX] if cert else None,
            "client": client[0] or None, "refusal": code})


def _problem_code(body: bytearray | None) -> str | None:
    """The stable `code` of a problem+json answer, bounded to a label-safe shape."""
    if not body:
        return None
    try:
        code = json.loads(bytes(body)).get("code")
    except (ValueError, AttributeError):
        return "unreadable_problem"
    return code[:64] if isinstance(code, str) and re.fullmatch(r"[a-z0-9_.-]{1,64}", code) else "unknown"
