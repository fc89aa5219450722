"""Certificate gate of the hub: runs before any route, refuses and logs unregistered clients.

Every request must come with a client certificate (verified by TLS, or by the trusted
proxy) whose SHA-256 fingerprint is registered, active, and belongs to an active
operator. Web pages get the original FAQ text; the API gets problem+json.
"""

from __future__ import annotations

import json
import logging

from starlette.types import ASGIApp, Receive, Scope, Send

from switchhub.config import Settings
from switchhub.hub.accounts.service import (
    MSG_TERMINAL,
    RefusedError,
    identify_api_request,
    identify_certificate,
    parse_bearer,
)
from switchhub.hub.audit.context import unauthenticated
from switchhub.hub.audit.repository import write
from switchhub.tlsserver import client_cert_from_scope

log = logging.getLogger("switchhub.hub.identity")
OPEN_PATHS = frozenset({"/healthz"})
INTERNAL_PREFIX = "/internal/"
#: request state: the credential read with the certificate (service.PrefetchedCredential)
PREFETCHED = "prefetched_credential"


def _bearer_key_id(scope: Scope) -> str | None:
    """The key id of a well-formed bearer credential, else None (api_caller then refuses it)."""
    for name, value in scope.get("headers") or ():
        if name == b"authorization":
            try:
                return parse_bearer(value.decode("latin-1"))[0] or None
            except Exception:  # Unauthenticated: refused by api_caller with its own code
                return None
    return None


class CertificateGate:
    def __init__(self, app: ASGIApp, settings: Settings, engine: object, reader: object) -> None:
        self.app, self.settings, self.engine, self.reader = app, settings, engine, reader

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
        try:
            async with self.reader.connect() as conn:  # type: ignore[attr-defined]
                if key_id:  # certificate, credential and break-glass grants in one statement (deps.api_caller)
                    state["cert"], state[PREFETCHED] = await identify_api_request(conn, cert.fingerprint_sha256,
                                                                                  key_id)
                else:
                    state["cert"] = await identify_certificate(conn, cert.fingerprint_sha256)
        except RefusedError as exc:
            await self._refuse(scope, send, exc.code, cert.fingerprint_sha256)
            return
        await self.app(scope, receive, send)

    async def _area_certificate_areas(self, fingerprint: str) -> frozenset[str] | None:
        configured = self.settings.area_certificates.get(fingerprint)
        if configured is not None:
            return configured
        from switchhub.hub.certificates.repository import area_certificate

        async with self.reader.connect() as conn:  # type: ignore[attr-defined]
            row = await area_certificate(conn, fingerprint)
        return frozenset(str(a).strip() for a in row["areas"]) if row else None

    async def _refuse(self, scope: Scope, send: Send, code: str, fingerprint: str | None) -> None:
        client = scope.get("client") or ("", 0)
        # no raw path in the log (it may hold a spid): the audit record keeps it, the access line the template
        log.warning("certificate refused", extra={"code": code, "fingerprint": fingerprint})
        try:
            async with self.engine.begin() as conn:  # type: ignore[attr-defined]
                await write(conn, unauthenticated("auth.certificate.refused", cert_fingerprint=fingerprint,
                                                  outcome=code, remote_addr=str(client[0]),
                                                  detail={"path": scope["path"]}))
        except Exception:  # the refusal itself must never fail because logging did
            log.exception("could not write refusal audit record")
        if scope["path"].startswith(("/api/", INTERNAL_PREFIX)):
            body = json.dumps({"type": f"https://switchhub.example/problems/{code}", "status": 403,
                               "title": MSG_TERMINAL[0], "detail": MSG_TERMINAL[0], "code": code},
                              ensure_ascii=False).encode()
            ctype = b"application/problem+json"
        else:
            body = (f"<!doctype html><html lang=ja><meta charset=utf-8><title>{MSG_TERMINAL[0]}</title>"
                    f"<body><h1>{MSG_TERMINAL[0]}</h1><p>{MSG_TERMINAL[1]}</p></body></html>").encode()
            ctype = b"text/html; charset=utf-8"
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
