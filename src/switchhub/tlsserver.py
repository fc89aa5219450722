"""Serving ASGI apps over TLS with required client certificates, and reading them back.

uvicorn verifies client certificates (`ssl_cert_reqs=CERT_REQUIRED`) but does not hand
the verified certificate to the app. `TLSHttpToolsProtocol` fills the standard ASGI TLS
extension (`scope["extensions"]["tls"]["client_cert_chain"]`) from the connection's SSL
object, once per connection after the handshake. This relies on uvicorn internals
(`self.app` per protocol instance), so uvicorn is pinned in pyproject.toml.

Behind a TLS-terminating proxy (nginx `ssl_verify_client on`), the certificate comes in a
configured header instead, accepted only from configured proxy addresses.
"""

from __future__ import annotations

import hashlib
import ssl
from functools import lru_cache
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


@dataclass(frozen=True)
class ClientCert:
    fingerprint_sha256: str
    subject: str
    pem: str
    via: str  # "tls" | "proxy"


def fingerprint_of_der(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def fingerprint_of_pem(pem: str) -> str:
    cert = x509.load_pem_x509_certificate(pem.encode())
    return fingerprint_of_der(cert.public_bytes(Encoding.DER))


def _tls_extension(transport: Any) -> dict[str, Any] | None:
    ssl_object = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    chain, name = [], None
    if der:
        cert = x509.load_der_x509_certificate(der)
        chain = [cert.public_bytes(Encoding.PEM).decode()]
        name = cert.subject.rfc4514_string()
    cipher = ssl_object.cipher()
    return {"server_cert": None, "client_cert_chain": chain, "client_cert_name": name, "client_cert_error": None,
            "tls_version": {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304}.get(ssl_object.version() or ""),
            "cipher_suite": None if not cipher else cipher[0]}


class _WithTLS:
    """Per-connection ASGI wrapper adding the TLS extension to every request scope."""

    def __init__(self, app: Any, tls: dict[str, Any]) -> None:
        self.app, self.tls = app, tls

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            scope["extensions"] = {**(scope.get("extensions") or {}), "tls": self.tls}
        await self.app(scope, receive, send)


class TLSHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        tls = _tls_extension(transport)
        if tls is not None:
            self.app = _WithTLS(self.app, tls)


def build_server(app: Any, *, host: str, port: int, certfile: str, keyfile: str, ca_certs: str,
                 log_level: str = "warning") -> uvicorn.Server:
    config = uvicorn.Config(app, host=host, port=port, ssl_certfile=certfile, ssl_keyfile=keyfile,
                            ssl_ca_certs=ca_certs, ssl_cert_reqs=ssl.CERT_REQUIRED, http=TLSHttpToolsProtocol,
                            log_level=log_level, access_log=False, timeout_keep_alive=30, lifespan="off")
    return uvicorn.Server(config)


def serve(app: Any, *, host: str, port: int, certfile: str, keyfile: str, ca_certs: str,
          log_level: str = "warning") -> None:
    build_server(app, host=host, port=port, certfile=certfile, keyfile=keyfile, ca_certs=ca_certs,
                 log_level=log_level).run()


def _parse_header_pem(value: str) -> str | None:
    text = unquote(value) if "%" in value else value
    if "-----BEGIN CERTIFICATE-----" not in text:
        return None
    body = text.split("-----BEGIN CERTIFICATE-----", 1)[1].split("-----END CERTIFICATE-----", 1)[0]
    body = "".join(body.split())
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


@lru_cache(maxsize=4096)
def _from_pem(pem: str, via: str) -> ClientCert | None:
    """Parsed once per distinct certificate (the same few certificates arrive on every request)."""
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        return None
    return ClientCert(fingerprint_of_der(cert.public_bytes(Encoding.DER)), cert.subject.rfc4514_string(), pem, via)


def client_cert_from_scope(scope: Any, *, trusted_proxies: frozenset[str], proxy_header: str | None
                           ) -> ClientCert | None:
    """The verified client certificate of a request: from TLS, or from a trusted proxy's header."""
    client = scope.get("client") or ("", 0)
    if proxy_header and client[0] in trusted_proxies:
        wanted = proxy_header.lower().encode()
        for k, v in scope.get("headers", []):
            if k == wanted:
                pem = _parse_header_pem(v.decode("latin-1"))
                return _from_pem(pem, "proxy") if pem else None
        return None
    tls = (scope.get("extensions") or {}).get("tls") or {}
    chain = tls.get("client_cert_chain") or []
    return _from_pem(chain[0], "tls") if chain else None
