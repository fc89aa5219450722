"""Request dependencies of the hub API: certificate identity, API caller, permission, rate limit.

Each refusal is written to the audit log in its own transaction before the error is
answered, so refused attempts are visible to OCCTO's analysis.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.httpkit import request_id
from switchhub.hub.accounts import permissions
from switchhub.hub.accounts.identity import PREFETCHED
from switchhub.hub.accounts.service import CertIdentity, RefusedError, resolve_api_caller
from switchhub.hub.audit.context import Actor, unauthenticated
from switchhub.hub.audit.repository import write
from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import Forbidden, RateLimited, Unauthenticated

RATELIMIT_STATE = "ratelimit_headers"


@asynccontextmanager
async def tx(request: Request) -> AsyncIterator[AsyncConnection]:
    """The request's transaction: commits when the block ends, rolls back on error."""
    async with request.app.state.engine.begin() as conn:
        yield conn


def remote_addr(request: Request) -> str:
    return request.client.host if request.client else ""


def actor_of(request: Request, caller: Caller, channel: str = "api", purpose: str = "switching") -> Actor:
    key = request.headers.get("idempotency-key", "")[:200] if request.method in ("POST", "PATCH") else ""
    return Actor(caller, channel, request_id(request), remote_addr(request), purpose, key)


async def cert_identity(request: Request) -> CertIdentity:
    cert = getattr(request.state, "cert", None)
    if cert is None:
        raise Forbidden("お使いの端末では当システムを利用できません", "This client cannot use the system",
                        code="certificate_required")
    return cert


async def log_refusal(request: Request, code: str, *, operator_code: str | None = None,
                      user_login: str | None = None, fingerprint: str | None = None,
                      detail: dict[str, Any] | None = None) -> None:
    async with request.app.state.engine.begin() as conn:
        await write(conn, unauthenticated("auth.refused", operator_code=operator_code, user_login=user_login,
                                          cert_fingerprint=fingerprint, outcome=code, remote_addr=remote_addr(request),
                                          request_id=request_id(request),
                                          detail={"path": request.url.path, **(detail or {})}))


async def api_caller(request: Request, cert: CertIdentity = Depends(cert_identity)) -> Caller:
    try:
        caller = await resolve_api_caller(request.app.state.reader, cert, request.headers.get("authorization"),
                                          getattr(request.state, PREFETCHED, None))
    except (RefusedError, Unauthenticated) as exc:
        who = exc.audit if isinstance(exc, RefusedError) else {}
        await log_refusal(request, exc.code, operator_code=cert.operator_code, fingerprint=cert.fingerprint,
                          user_login=who.get("user_login"), detail=who.get("detail"))
        raise
    request.state.caller = caller
    return caller


async def check_or_refuse(request: Request, caller: Caller, permission: str) -> None:
    """The declared permission of a route or page: a refusal is audited, then answered 403."""
    if not permissions.allowed(caller, permission):
        await log_refusal(request, "permission_denied", operator_code=caller.operator_code,
                          user_login=caller.user_login, fingerprint=caller.cert_fingerprint,
                          detail={"permission": permission})
        permissions.check(caller, permission)


def require(permission: str) -> Callable[..., object]:
    """Route dependency: the API caller must hold `permission`; also applies the rate limit.

    The RateLimit-* headers go on the answer whatever it is (a middleware adds them from
    the request state), not only on 429.
    """

    async def dependency(request: Request, caller: Caller = Depends(api_caller)) -> Caller:
        await check_or_refuse(request, caller, permission)
        buckets = request.app.state.rate_limits
        ok, remaining, wait = buckets.take(caller.operator_code, 1.0)
        headers = buckets.headers(remaining, wait)
        setattr(request.state, RATELIMIT_STATE, headers)
        if not ok:
            raise RateLimited("リクエストが多すぎます。Retry-After 秒後に再度お試しください",
                              "Too many requests; retry after Retry-After seconds",
                              headers={**headers, "Retry-After": str(max(1, int(wait + 0.999)))})
        return caller

    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency
