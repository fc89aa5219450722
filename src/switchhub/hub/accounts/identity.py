"""Certificate gate of the hub: runs before any route, refuses and logs unregistered clients.

Every request must come with a client certificate (verified by TLS, or by the trusted
proxy) whose SHA-256 fingerprint is registered, active, and belongs to an active
operator. Web pages get the original FAQ text; the API gets problem+json.

An API request's identity may come from the hub's identity cache (identity_cache.py): then it is a
claim, and an answer that starts while the claim is unconfirmed waits here until the database has
confirmed it (`_confirming`), or is replaced by the refusal the database's identity calls for.
"""

from __future__ import annotations

import json
import logging

from starlette.types import ASGIApp, Receive, Scope, Send

from switchhub.config import Settings
from switchhub.hub.accounts.identity_cache import IDENTITY_CLAIM, PREFETCHED, Identities
from switchhub.hub.accounts.service import (
    MSG_TERMINAL,
    CertIdentity,
    RefusedError,
    identify_certificate,
    parse_bearer,
    resolve_api_caller,
)
from switchhub.hub.audit.context import unauthenticated
from switchhub.hub.audit.repository import AuditEntry, write
from switchhub.kernel.errors import SwitchhubError
from switchhub.tlsserver import client_cert_from_scope

log = logging.getLogger("switchhub.hub.identity")
OPEN_PATHS = frozenset({"/healthz"})
INTERNAL_PREFIX = "/internal/"
__all__ = ["PREFETCHED", "CertificateGate", "caller_refusal", "certificate_refusal"]


def _bearer_key_id(scope: Scope) -> str | None:
    """The key id of a well-formed bearer credential, else None (api_caller then refuses it)."""
    authorization = _authorization(scope)
    if authorization is None:
        return None
    try:
        return parse_bearer(authorization)[0] or None
    except Exception:  # Unauthenticated: refused by api_caller with its own code
        return None


def certificate_refusal(code: str, fingerprint: str | None, remote_addr: str, request_id: str, path: str
                        ) -> AuditEntry:
    """The audit record of a refused certificate (here and where a claimed identity is confirmed)."""
    return unauthenticated("auth.certificate.refused", cert_fingerprint=fingerprint, outcome=code,
                           remote_addr=remote_addr, request_id=request_id, detail={"path": path})


def caller_refusal(exc: SwitchhubError, cert: CertIdentity, remote_addr: str, request_id: str, path: str
                   ) -> AuditEntry:
    """The audit record of a refused credential (deps.api_caller, and here on confirming a claim):
    a RefusedError names the credential's user and both operators of a mismatch."""
    who = exc.audit if isinstance(exc, RefusedError) else {}
    return unauthenticated("auth.refused", operator_code=cert.operator_code, user_login=who.get("user_login"),
                           cert_fingerprint=cert.fingerprint, outcome=exc.code, remote_addr=remote_addr,
                           request_id=request_id, detail={"path": path, **(who.get("detail") or {})})


def _request_id(scope: Scope) -> str:
    return str((scope.get("state") or {}).get("request_id") or "")


class CertificateGate:
    def __init__(self, app: ASGIApp, settings: Settings, engine: object, reader: object,
                 identities: Identities | None = None) -> None:
        self.app, self.settings, self.engine, self.reader = app, settings, engine, reader
        self.identities = identities if identities is not None else Identities(reader)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        cert = client_cert_from_scope(scope, trusted_proxies=self.settings.trusted_proxies,
                                      proxy_header=self.settings.proxy_cert_header)
        state = scope.setdefault("state", {})
        if scope["path"].startswith(INTERNAL_PREFIX):
            # area systems post events here with their own certificates, each bound to the area codes it
            # speaks for: configured in the settings, or registered by OCCTO (purpose `area`, P9)
            areas = await self._area_certificate_areas(cert.fingerprint_sha256) if cert else None
            if cert is None or areas is None:
                await self._refuse(scope, send, "area_certificate_required",
                                   cert.fingerprint_sha256 if cert else None)
                return
            state["area_cert"] = cert
            state["area_cert_areas"] = areas
            await self.app(scope, receive, send)
            return
        if cert is None:
            await self._refuse(scope, send, "certificate_required", None)
            return
        key_id = _bearer_key_id(scope) if scope["path"].startswith("/api/") else None
        entry = self.identities.cached(cert.fingerprint_sha256, key_id) if key_id else None
        if entry is not None:  # a claim: confirmed before anything it allowed leaves (identity_cache)
            state["cert"], state[PREFETCHED], state[IDENTITY_CLAIM] = entry.cert, entry.credential, entry.claim
            await self.app(scope, receive, self._confirming(scope, send))
            return
        try:
            if key_id:  # certificate, credential and break-glass grants in one statement (deps.api_caller)
                state["cert"], state[PREFETCHED], _ = await self.identities.read(cert.fingerprint_sha256, key_id)
            else:
                async with self.reader.connect() as conn:  # type: ignore[attr-defined]
                    state["cert"] = await identify_certificate(conn, cert.fingerprint_sha256)
        except RefusedError as exc:
            await self._refuse(scope, send, exc.code, cert.fingerprint_sha256)
            return
        await self.app(scope, receive, send)

    def _confirming(self, scope: Scope, send: Send) -> Send:
        """`send` for a request served under a claimed identity: the answer's start waits for the
        claim's confirmation if nothing confirmed it yet (an error answered before the audit write);
        if the database's identity refuses the request, the refusal is answered instead, and an answer
        that is not an error is held back (503) when the identity changed in any other way."""
        replaced = False
        state = scope["state"]

        async def confirming(message: dict) -> None:  # type: ignore[type-arg]
            nonlocal replaced
            if replaced:
                return  # the app's answer to a request that was refused meanwhile
            if message["type"] == "http.response.start" and state.get(IDENTITY_CLAIM) is not None:
                claim = state[IDENTITY_CLAIM]
                try:
                    unchanged = await self.identities.confirm(state)
                except RefusedError as exc:  # the certificate's refusal
                    replaced = True
                    await self._refuse(scope, send, exc.code, claim.fingerprint)
                    return
                if not unchanged:
                    try:
                        await resolve_api_caller(self.reader, state["cert"], _authorization(scope),  # type: ignore[arg-type]
                                                 state[PREFETCHED])
                    except SwitchhubError as exc:  # the credential's refusal (RefusedError, Unauthenticated)
                        replaced = True
                        await self._refuse_caller(scope, send, exc)
                        return
                    if message["status"] < 400:
                        replaced = True
                        await self._answer(send, 503, _problem(503, "identity_changed", "利用者情報が変更されました。"
                                                               "再度お試しください"), [(b"retry-after", b"1")])
                        return
            await send(message)

        return confirming  # type: ignore[return-value]

    async def _area_certificate_areas(self, fingerprint: str) -> frozenset[str] | None:
        configured = self.settings.area_certificates.get(fingerprint)
        if configured is not None:
            return configured
        from switchhub.hub.certificates.repository import area_certificate

        async with self.reader.connect() as conn:  # type: ignore[attr-defined]
            row = await area_certificate(conn, fingerprint)
        return frozenset(str(a).strip() for a in row["areas"]) if row else None

    async def _write_refusal(self, entry: AuditEntry) -> None:
        try:
            async with self.engine.begin() as conn:  # type: ignore[attr-defined]
                await write(conn, entry)
        except Exception:  # the refusal itself must never fail because logging did
            log.exception("could not write refusal audit record")

    async def _refuse(self, scope: Scope, send: Send, code: str, fingerprint: str | None) -> None:
        client = scope.get("client") or ("", 0)
        # no raw path in the log (it may hold a spid): the audit record keeps it, the access line the template
        log.warning("certificate refused", extra={"code": code, "fingerprint": fingerprint})
        await self._write_refusal(certificate_refusal(code, fingerprint, str(client[0]), _request_id(scope),
                                                      scope["path"]))
        if scope["path"].startswith(("/api/", INTERNAL_PREFIX)):
            await self._answer(send, 403, _problem(403, code, MSG_TERMINAL[0]))
            return
        body = (f"<!doctype html><html lang=ja><meta charset=utf-8><title>{MSG_TERMINAL[0]}</title>"
                f"<body><h1>{MSG_TERMINAL[0]}</h1><p>{MSG_TERMINAL[1]}</p></body></html>").encode()
        await self._answer(send, 403, (body, b"text/html; charset=utf-8"))

    async def _refuse_caller(self, scope: Scope, send: Send, exc: SwitchhubError) -> None:
        """A credential's refusal found on confirming a claim: recorded as deps.api_caller records it."""
        client = scope.get("client") or ("", 0)
        await self._write_refusal(caller_refusal(exc, scope["state"]["cert"], str(client[0]), _request_id(scope),
                                                 scope["path"]))
        await self._answer(send, exc.status, _problem(exc.status, exc.code, exc.detail_ja))

    @staticmethod
    async def _answer(send: Send, status: int, content: tuple[bytes, bytes],
                      headers: list[tuple[bytes, bytes]] | None = None) -> None:
        body, ctype = content
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode()),
                                *(headers or [])]})
        await send({"type": "http.response.body", "body": body})


def _problem(status: int, code: str, title: str) -> tuple[bytes, bytes]:
    body = json.dumps({"type": f"https://switchhub.example/problems/{code}", "status": status, "title": title,
                       "detail": title, "code": code}, ensure_ascii=False).encode()
    return body, b"application/problem+json"


def _authorization(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"authorization":
            return value.decode("latin-1")
    return None
