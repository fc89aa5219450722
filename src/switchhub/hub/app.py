"""The hub app factory: API routers, Web pages, certificate gate, rate limits, problem+json."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Receive, Scope, Send

from switchhub.config import Settings
from switchhub.httpkit import (
    SECURITY_HEADERS,
    BodyLimit,
    RejectNulBytes,
    install_error_handlers,
    known_query_only,
)
from switchhub.hub.accounts.endpoints import router as accounts_router
from switchhub.hub.accounts.identity import CertificateGate
from switchhub.hub.accounts.identity_cache import Identities
from switchhub.hub.accounts.ratelimit import TokenBuckets
from switchhub.hub.anomaly.endpoints import router as anomaly_router
from switchhub.hub.apiinfo.endpoints import router as api_info_router
from switchhub.hub.applications.endpoints import router as applications_router
from switchhub.hub.applications.list_endpoints import router as application_list_router
from switchhub.hub.audit.endpoints import router as audit_router
from switchhub.hub.breakglass.endpoints import router as breakglass_router
from switchhub.hub.bulk.endpoints import router as bulk_router
from switchhub.hub.calendar_endpoints import router as calendar_router
from switchhub.hub.certificates.endpoints import router as certificates_router
from switchhub.hub.deps import RATELIMIT_STATE
from switchhub.hub.developers.endpoints import router as developers_router
from switchhub.hub.files.endpoints import router as metering_router
from switchhub.hub.gateway.client import AreaClient
from switchhub.hub.inbox.endpoints import router as events_router
from switchhub.hub.notices.endpoints import router as notices_router
from switchhub.hub.notify.endpoints import router as notify_router
from switchhub.hub.openapi import build_openapi
from switchhub.hub.operators.endpoints import router as operators_admin_router
from switchhub.hub.points.endpoints import router as points_router
from switchhub.hub.relays.endpoints import router as relays_router
from switchhub.hub.statistics.endpoints import router as statistics_router
from switchhub.hub.usage.endpoints import router as usage_router
from switchhub.hub.users.endpoints import router as users_router
from switchhub.telemetry import RequestTelemetry

API_DESCRIPTION = """switchhub API — スイッチング支援システム.

Every call needs the operator's registered API client certificate (mutual TLS) **and** a bearer
credential of a named user of the same operator. Errors are `application/problem+json` with a
stable `code` and Japanese field messages (`Accept-Language: en` for English). Each operation
names the original interface IDs in `x-interface-ids`.

# 認証 (authentication)

1. 事業者の登録済みAPI用クライアント証明書で接続する (mutual TLS, purpose `api`)
2. 同じ事業者のAPIユーザのクレデンシャルを送る (`Authorization: Bearer shk_…`)

```
curl --cacert ca.pem --cert api.pem --key api.key \\
  -H 'Authorization: Bearer shk_…' https://hub.example/api/v1/me
```
"""


class ResponseHeaders:
    """Security headers on every answer; RateLimit-* on every API answer (api.md), whatever its
    status: the bucket state taken by the permission dependency, or a peek at the operator's
    bucket for answers given before it ran (refused credentials, unknown routes)."""

    def __init__(self, app: ASGIApp, buckets: TokenBuckets) -> None:
        self.app, self.buckets = app, buckets
        self._headers = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    def _rate_headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        state = scope.get("state") or {}
        headers = state.get(RATELIMIT_STATE)
        if headers is None:
            cert = state.get("cert")
            remaining, wait = self.buckets.peek(cert.operator_code) if cert else (float(self.buckets.burst), 0.0)
            headers = self.buckets.headers(remaining, wait)
        return [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"].startswith("/api/")

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = self._headers + ([h for h in self._rate_headers(scope) if h[0] not in present] if api else [])
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Close the pool and the area connections on the serving loop when the server stops."""
    yield
    await app.state.areas.aclose()
    await app.state.engine.dispose()


def create_hub_app(settings: Settings, engine: AsyncEngine, areas: AreaClient) -> FastAPI:
    from switchhub.sandbox import wiring as sandbox

    sandbox.configure_process(settings)
    app = FastAPI(title="switchhub API", version="1.0.0", description=API_DESCRIPTION,
                  openapi_url="/api/v1/openapi.json", docs_url=None, redoc_url=None, lifespan=_lifespan)
    app.state.settings = settings
    app.state.engine = engine
    # reads that need no transaction skip BEGIN/COMMIT round trips (the hot lookup path)
    app.state.reader = engine.execution_options(isolation_level="AUTOCOMMIT")
    app.state.identities = Identities(app.state.reader)  # the API identity cache (accounts/identity_cache.py)
    app.state.areas = areas
    app.state.rate_limits = TokenBuckets(settings.rate_per_second, settings.rate_burst)
    install_error_handlers(app)
    install_web_error_pages(app)
    app.state.api_routers = (points_router, calendar_router, accounts_router, relays_router, applications_router,
                             application_list_router, bulk_router, notify_router, audit_router, usage_router,
                             metering_router, operators_admin_router, certificates_router, api_info_router,
                             notices_router, statistics_router, anomaly_router, users_router,
                             breakglass_router, developers_router, *sandbox.hub_routers(settings))
    for router in app.state.api_routers:
        app.include_router(router, dependencies=[Depends(known_query_only)])
    from switchhub.hub.docs import router as docs_router
    from switchhub.hub.web.access_log_views import router as access_log_web_router
    from switchhub.hub.web.admin_certificate_views import router as admin_certificate_web_router
    from switchhub.hub.web.admin_operator_views import router as admin_operator_web_router
    from switchhub.hub.web.admin_user_views import router as admin_user_web_router
    from switchhub.hub.web.anomaly_views import router as anomaly_web_router
    from switchhub.hub.web.api_repository_views import router as api_repository_web_router
    from switchhub.hub.web.application_forms import router as application_forms_router
    from switchhub.hub.web.breakglass_views import router as breakglass_web_router
    from switchhub.hub.web.bulk_views import router as bulk_web_router
    from switchhub.hub.web.developer_views import router as developer_web_router
    from switchhub.hub.web.helpdesk_views import router as helpdesk_web_router
    from switchhub.hub.web.metering_views import router as metering_web_router
    from switchhub.hub.web.notice_views import router as notice_web_router
    from switchhub.hub.web.notify_views import router as notify_web_router
    from switchhub.hub.web.statistics_views import router as statistics_web_router
    from switchhub.hub.web.switch_views import router as switch_web_router
    from switchhub.hub.web.usage_views import router as usage_web_router
    from switchhub.hub.web.views import router as web_router
    from switchhub.hub.web.worklist_views import router as worklist_web_router

    # fixed paths (/applications/new, /relays/bulk …) before the switch pages' /…/{number}
    app.state.web_routers = (web_router, worklist_web_router, application_forms_router, bulk_web_router,
                             switch_web_router, metering_web_router, usage_web_router,
                             admin_operator_web_router, admin_certificate_web_router, api_repository_web_router,
                             notify_web_router, notice_web_router, statistics_web_router,
                             anomaly_web_router, admin_user_web_router,
                             breakglass_web_router, helpdesk_web_router, access_log_web_router,
                             developer_web_router)
    for router in app.state.web_routers:
        app.include_router(router)

    app.include_router(events_router)
    app.include_router(docs_router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict:
        return {"status": "ok"}

    def openapi() -> dict[str, Any]:
        if not app.openapi_schema:
            app.openapi_schema = build_openapi(app, settings.public_hub_url)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    from switchhub.hub.bulk.endpoints import PATHS as BULK_PATHS
    from switchhub.hub.bulk.endpoints import REQUEST_LIMIT as BULK_LIMIT
    from switchhub.hub.web.bulk_views import LIMITS as BULK_PAGE_LIMITS

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes,
                       larger={**{p: max(BULK_LIMIT, settings.max_body_bytes) for p in BULK_PATHS},
                               # ≤ 5 identity documents of ≤ 1 MB each, as base64
                               "/api/v1/applications/usage-password": max(8_000_000, settings.max_body_bytes),
                               "/usage/password-requests/new": max(6_000_000, settings.max_body_bytes),  # the Web form
                               **{p: max(n, settings.max_body_bytes) for p, n in BULK_PAGE_LIMITS.items()}})
    app.add_middleware(CertificateGate, settings=settings, engine=engine, reader=app.state.reader,
                       identities=app.state.identities)
    app.add_middleware(ResponseHeaders, buckets=app.state.rate_limits)
    sandbox.wrap_hub(app, settings, engine)  # sandbox mode only: the clock per request, the test marker
    app.add_middleware(RejectNulBytes)
    # outermost: every answer, the gates' refusals included, is logged and counted (telemetry.py)
    app.add_middleware(RequestTelemetry, service="hub", router=app.router, settings=settings)
    return app


def install_web_error_pages(app: FastAPI) -> None:
    """Errors on Web pages are pages (the API keeps problem+json): login redirects, 403/404 pages."""
    from fastapi import Request
    from fastapi.responses import RedirectResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from switchhub.httpkit import http_error, problem_response
    from switchhub.hub.web.render import html_error
    from switchhub.hub.web.session import LoginRequired, PasswordChangeRequired, ReauthRequired
    from switchhub.kernel.errors import SwitchhubError

    def is_api(request: Request) -> bool:
        return request.url.path.startswith(("/api/", "/internal/"))

    @app.exception_handler(SwitchhubError)
    async def _error(request: Request, exc: SwitchhubError):  # type: ignore[no-untyped-def]
        return problem_response(request, exc) if is_api(request) else html_error(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):  # type: ignore[no-untyped-def]
        err = http_error(exc)
        if exc.status_code == 405:  # every method of the path, not only those of the first route tried
            err.headers["Allow"] = ", ".join(allowed_methods(app, request.scope))
        return problem_response(request, err) if is_api(request) else html_error(request, err)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired):  # type: ignore[no-untyped-def]
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(ReauthRequired)
    async def _reauth(request: Request, exc: ReauthRequired):  # type: ignore[no-untyped-def]
        from urllib.parse import quote

        return RedirectResponse(f"/reauth?next={quote(exc.next_path)}", status_code=303)

    @app.exception_handler(PasswordChangeRequired)
    async def _password(request: Request, exc: PasswordChangeRequired):  # type: ignore[no-untyped-def]
        return RedirectResponse("/password", status_code=303)


def allowed_methods(app: FastAPI, scope: dict[str, Any]) -> list[str]:
    from starlette.routing import Match

    """Methods of the most specific route template matching the path: `/applications/0:withdraw`
    also fits `/applications/{application_no}`, but it is the `…:withdraw` operation's URL."""
    by_template: dict[str, set[str]] = {}
    routers = (*app.state.api_routers, *app.state.web_routers)
    for route in (r for router in routers for r in router.routes):
        match, _ = route.matches({**scope, "method": "GET"})
        if match is not Match.NONE and getattr(route, "methods", None):
            by_template.setdefault(route.path, set()).update(route.methods)
    if not by_template:
        return []
    return sorted(by_template[max(by_template, key=lambda t: len(re.sub(r"\{[^}]*\}", "", t)))])
