"""Request dependencies of the hub API: certificate identity, API caller, permission, rate limit.

Each refusal is written to the audit log in its own transaction before the error is
answered, so refused attempts are visible to OCCTO's analysis.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, TypeVar

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.httpkit import request_id
from switchhub.hub.accounts import permissions
from switchhub.hub.accounts.identity import PREFETCHED, caller_refusal, certificate_refusal
from switchhub.hub.accounts.identity_cache import (
    CONFIRMED_BY_AUDIT,
    IDENTITY_CLAIM,
    RequestClaim,
    StaleIdentity,
)
from switchhub.hub.accounts.service import CertIdentity, RefusedError, resolve_api_caller
from switchhub.hub.audit.context import Actor, unauthenticated
from switchhub.hub.audit.repository import write
from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import Forbidden, RateLimited, Unauthenticated

RATELIMIT_STATE = "ratelimit_headers"
PERMISSION_STATE = "declared_permission"  # request state: the permission the route's `require` declared
T = TypeVar("T")


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


async def confirm_identity(request: Request) -> CertIdentity:
    """The request's identity as the database has it now, when it came from the hub's identity cache
    (accounts/identity_cache.py); a refused certificate is recorded as the gate records it."""
    state = request.scope["state"]
    claim = state.get(IDENTITY_CLAIM)
    try:
        await request.app.state.identities.confirm(state)
    except RefusedError as exc:
        async with request.app.state.engine.begin() as conn:
            await write(conn, certificate_refusal(exc.code, claim.fingerprint, remote_addr(request), request_id(request),
                                                  request.url.path))
        raise
    return state["cert"]


async def api_caller(request: Request, cert: CertIdentity = Depends(cert_identity)) -> Caller:
    state = request.scope["state"]
    if state.get(IDENTITY_CLAIM) is not None and not getattr(request.scope.get("endpoint"), CONFIRMED_BY_AUDIT, False):
        cert = await confirm_identity(request)  # before the route acts on it: one statement, as uncached
    while True:
        try:
            caller = await resolve_api_caller(request.app.state.reader, cert, request.headers.get("authorization"),
                                              state.get(PREFETCHED))
            break
        except (RefusedError, Unauthenticated) as exc:
            if state.get(IDENTITY_CLAIM) is None:
                await _log_caller_refusal(request, cert, exc)
                raise
        cert = await confirm_identity(request)  # a cached identity's refusal is decided again by the database's
    request.state.caller = caller
    return caller


async def _log_caller_refusal(request: Request, cert: CertIdentity, exc: RefusedError | Unauthenticated) -> None:
    async with request.app.state.engine.begin() as conn:
        await write(conn, caller_refusal(exc, cert, remote_addr(request), request_id(request), request.url.path))


async def check_or_refuse(request: Request, caller: Caller, permission: str) -> None:
    """The declared permission of a route or page: a refusal is audited, then answered 403."""
    if not permissions.allowed(caller, permission):
        await log_refusal(request, "permission_denied", operator_code=caller.operator_code,
                          user_login=caller.user_login, fingerprint=caller.cert_fingerprint,
                          detail={"permission": permission})
        permissions.check(caller, permission)


async def served_under_claim(request: Request, caller: Caller,
                             serve: Callable[[Caller, RequestClaim | None], Awaitable[T]]) -> T:
    """A route marked `identity_cache.confirmed_by_audit`: `serve` sends the request's identity claim
    with its audit records; if the claim no longer holds, nothing was written or answered, and the
    request is served once more under the identity the database has now (refused, if suspended, or
    without the permission its `require` declared)."""
    state = request.scope["state"]
    claim = state.get(IDENTITY_CLAIM)
    pending = RequestClaim(claim) if claim is not None else None
    try:
        result = await serve(caller, pending)
    except StaleIdentity:
        await confirm_identity(request)
        caller = await api_caller(request, state["cert"])
        await check_or_refuse(request, caller, state[PERMISSION_STATE])
        return await serve(caller, None)
    if pending is not None and pending.confirmed:
        state[IDENTITY_CLAIM] = None  # confirmed by the audit write: the answer need not wait (identity.py)
    return result


def require(permission: str) -> Callable[..., object]:
    """Route dependency: the API caller must hold `permission`; also applies the rate limit.

    The RateLimit-* headers go on the answer whatever it is (a middleware adds them from
    the request state), not only on 429.
    """

    async def dependency(request: Request, caller: Caller = Depends(api_caller)) -> Caller:
        request.scope["state"][PERMISSION_STATE] = permission
        if not permissions.allowed(caller, permission) and request.scope["state"].get(IDENTITY_CLAIM) is not None:
            caller = await api_caller(request, await confirm_identity(request))  # decided by the database's role
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
