"""The TLS entry point: required client certificates, and the ASGI TLS extension the apps read."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from switchhub import devca
from switchhub.tlsserver import build_server, client_cert_from_scope


async def echo_app(scope, receive, send):
    cert = client_cert_from_scope(scope, trusted_proxies=frozenset(), proxy_header=None)
    body = (f'{{"fp": "{cert.fingerprint_sha256}", "subject": "{cert.subject}"}}' if cert else "{}").encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d: Path = tmp_path_factory.mktemp("pki")
    devca.create_ca(d / "ca")
    devca.create_ca(d / "foreign", name="foreign CA")
    return {
        "dir": d,
        "server": devca.issue_server_cert(d / "ca", d, "server"),
        "client": devca.issue_client_cert(d / "ca", d, "client", operator_code="A0001", purpose="api",
                                          common_name="a0001-api"),
        "foreign": devca.issue_client_cert(d / "foreign", d, "foreign-client", operator_code="A0001",
                                           purpose="api", common_name="intruder"),
    }


def _ctx(pki, client=None):
    ctx = ssl.create_default_context(cafile=str(devca.ca_cert_path(pki["dir"] / "ca")))
    if client is not None:
        ctx.load_cert_chain(str(client.cert_path), str(client.key_path))
    return ctx


async def _serve(pki):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = build_server(echo_app, host="127.0.0.1", port=port, certfile=str(pki["server"].cert_path),
                          keyfile=str(pki["server"].key_path), ca_certs=str(devca.ca_cert_path(pki["dir"] / "ca")))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    return server, task, f"https://127.0.0.1:{port}"


async def test_valid_client_certificate_reaches_the_app(pki):
    server, task, url = await _serve(pki)
    try:
        async with httpx.AsyncClient(verify=_ctx(pki, pki["client"])) as c:
            first = (await c.get(url + "/")).json()
            second = (await c.get(url + "/again")).json()  # same kept-alive connection
        assert first["fp"] == pki["client"].fingerprint_sha256 == second["fp"]
        assert "CN=a0001-api" in first["subject"] and "O=A0001" in first["subject"]
    finally:
        server.should_exit = True
        await task


async def test_missing_or_foreign_certificate_refused_in_handshake(pki):
    server, task, url = await _serve(pki)
    try:
        for client in (None, pki["foreign"]):
            with pytest.raises(httpx.HTTPError):
                async with httpx.AsyncClient(verify=_ctx(pki, client)) as c:
                    await c.get(url + "/")
    finally:
        server.should_exit = True
        await task


def test_proxy_header_only_from_trusted_proxy(pki):
    pem = Path(pki["client"].cert_path).read_text()
    headers = [(b"x-ssl-client-cert", quote(pem).encode())]
    trusted = {"client": ("10.0.0.5", 1), "headers": headers}
    untrusted = {"client": ("192.0.2.9", 1), "headers": headers}
    kw = {"trusted_proxies": frozenset({"10.0.0.5"}), "proxy_header": "X-SSL-Client-Cert"}
    cert = client_cert_from_scope(trusted, **kw)
    assert cert is not None and cert.via == "proxy" and cert.fingerprint_sha256 == pki["client"].fingerprint_sha256
    assert client_cert_from_scope(untrusted, **kw) is None
    spaced = pem.replace("\n", " ")
    assert client_cert_from_scope({"client": ("10.0.0.5", 1), "headers": [(b"x-ssl-client-cert", spaced.encode())]},
                                  **kw).fingerprint_sha256 == pki["client"].fingerprint_sha256
