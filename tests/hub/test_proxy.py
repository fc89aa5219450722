"""Behind a TLS-terminating proxy the certificate comes in a header, trusted only from the proxy."""

from __future__ import annotations

from urllib.parse import quote

from tests.support import build_stack, close_stack


async def test_certificate_header_accepted_only_from_configured_proxy(world):
    stack = build_stack(world, settings_changes={"trusted_proxies": frozenset({"10.9.9.9"}),
                                                 "proxy_cert_header": "X-SSL-Client-Cert"})
    try:
        ident = world.clients["A0001-api"]
        header = {"X-SSL-Client-Cert": quote(ident.pem)}
        async with stack.client("A0001", cert=None, client_host="10.9.9.9") as c:
            c.headers.update(header)
            via_proxy = await c.get("/api/v1/me")
        async with stack.client("A0001", cert=None, client_host="192.0.2.10") as c:
            c.headers.update(header)
            spoofed = await c.get("/api/v1/me")
        async with stack.client("A0001", cert=world.foreign, client_host="192.0.2.10") as c:
            c.headers.update(header)
            spoofed_with_tls = await c.get("/api/v1/me")
        assert via_proxy.status_code == 200, via_proxy.text
        assert via_proxy.json()["certificate"]["fingerprint_sha256"] == ident.fingerprint
        assert spoofed.status_code == 403 and spoofed.json()["code"] == "certificate_required"
        # a direct TLS client's own certificate counts, never the header it sends
        assert spoofed_with_tls.status_code == 403
        assert spoofed_with_tls.json()["code"] == "certificate_not_registered"
    finally:
        await close_stack(stack)
