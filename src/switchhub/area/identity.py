"""The area accepts requests only from the hub's certificate and takes the acting operator from it.

A grid operator's system must never trust acting-operator headers from anyone else
(security.md, hub ↔ T&D); the check runs before any route.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Receive, Scope, Send

from switchhub.config import Settings
from switchhub.contract.headers import caller_from_headers
from switchhub.tlsserver import client_cert_from_scope

log = logging.getLogger("switchhub.area.identity")
OPEN_PATHS = ("/healthz",)
#: the contract document: the hub's certificate only, no acting operator needed to read it
CONTRACT_DOCUMENT = "/area/v1/openapi.json"


class HubOnlyMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        cert = client_cert_from_scope(
            scope, trusted_proxies=self.settings.trusted_proxies, proxy_header=self.settings.proxy_cert_header
        )
        if cert is None or cert.fingerprint_sha256 not in self.settings.hub_fingerprints:
            log.warning("refused: not the hub's certificate", extra={"fingerprint": cert and cert.fingerprint_sha256})
            await _refuse(send, 403, "hub_certificate_required", "ハブの証明書以外からの要求は受け付けません")
            return
        headers = {k.decode("latin-1"): v.decode("utf-8", "replace") for k, v in scope["headers"]}
        caller = caller_from_headers(headers)
        if caller is None and scope["path"].startswith("/area/v1/") and scope["path"] != CONTRACT_DOCUMENT:
            await _refuse(send, 400, "acting_operator_required", "操作する事業者が指定されていません")
            return
        scope.setdefault("state", {})["caller"] = caller
        await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    import json

    body = json.dumps({"type": f"https://switchhub.example/problems/{code}", "status": status, "code": code,
                       "title": message, "detail": message},
                      ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
