"""Request dependencies of the hub: certificate identity, API caller, permission, rate limit.

Each refusal is written to the audit log in its own transaction before the error is
answered, so refused attempts are visible to OCCTO's analysis.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.httpkit import request_id
from switchhub.hub.accounts import permissions
from switchhub.hub.accounts.service import CertIdentity, RefusedError, resolve_api_caller
from switchhub.hub.audit.repository import AuditEntry, write
from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import Forbidden, RateLimited, Unauthenticated


@asynccontextmanager
async def tx(request: Request) -> AsyncIterator[AsyncConnection]:
    """The request's transaction: commits when the block ends, rolls back on error."""
    async with request.app.state.engine.begin() as conn:
        yield conn


async def cert_identity(request: Request) -> CertIdentity:
    cert = getattr(request.state, "cert", None)
    if cert is None:
        raise Forbidden("お使いの端末では当システムを利用できません", "This client cannot use the system",
                        code="certificate_required")
    return cert


async def log_refusal(request: Request, code: str, *, operator_code: str | None = None,
                      user_login: str | None = None, fingerprint: str | None = None) -> None:
    async with request.app.state.engine.begin() as conn:
        await write(conn, AuditEntry(action="auth.refused", operator_code=operator_code, user_login=user_login,
                                     cert_fingerprint=fingerprint, outcome=code,
                                     remote_addr=request.client.host if request.client else "",
                                     request_id=request_id(request), detail={"path": request.url.path}))


async def api_caller(request: Request, cert: CertIdentity = Depends(cert_identity)) -> Caller:
    try:
        async with request.app.state.reader.connect() as conn:
            caller = await resolve_api_caller(conn, cert, request.headers.get("authorization"))
    except (RefusedError, Unauthenticated) as exc:
        await log_refusal(request, exc.code, operator_code=cert.operator_code, fingerprint=cert.fingerprint)
        raise
    request.state.caller = caller
    return caller


def require(permission: str) -> Callable[..., object]:
    """Route dependency: the API caller must hold `permission` (also applies the rate limit)."""

    async def dependency(request: Request, response: Response, caller: Caller = Depends(api_caller)) -> Caller:
        permissions.check(caller, permission)
        cost = 1.0
        buckets = request.app.state.rate_limits
        ok, remaining, wait = buckets.take(caller.operator_code, cost)
        headers = buckets.headers(remaining, wait)
        if not ok:
            headers["Retry-After"] = str(max(1, int(wait + 0.999)))
            raise RateLimited("リクエストが多すぎます。Retry-After 秒後に再度お試しください",
                              "Too many requests; retry after Retry-After seconds", headers=headers)
        response.headers.update(headers)
        return caller

    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency
