"""The public page over real TLS (our TLS server with client_certs=False): a browser without any
client certificate gets the form, while the area app next to it still refuses the same client."""

from __future__ import annotations

import ssl
import threading
import time

import httpx

from tests.live import ca_file, free_port


def _serve(app, server_cert, world, **options):
    from switchhub.tlsserver import build_server

    port = free_port()
    server = build_server(app, host="127.0.0.1", port=port, certfile=str(server_cert.cert_path),
                          keyfile=str(server_cert.key_path), ca_certs=str(ca_file(world)), **options)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    return server, thread, f"https://127.0.0.1:{port}"


def _stop(server, thread):
    server.should_exit = True
    thread.join(timeout=10)


async def test_public_page_over_tls_without_a_client_certificate(world, public, area_db):
    from switchhub.area.app import create_area_app
    from switchhub.config import Settings
    from switchhub.db.engine import make_engine

    cert = world.server_certs["area-server"]
    server, thread, base = _serve(public, cert, world, client_certs=False)
    area_app = create_area_app(Settings(hub_fingerprints=frozenset({world.hub_client.fingerprint})),
                               make_engine(area_db, pool_size=1))
    area_server, area_thread, area_base = _serve(area_app, cert, world)
    no_client_cert = ssl.create_default_context(cafile=str(ca_file(world)))
    try:
        async with httpx.AsyncClient(verify=no_client_cert, timeout=20) as c:
            page = await c.get(f"{base}/")
            assert page.status_code == 200 and "使用量情報照会パスワードの申請" in page.text
            assert page.url.scheme == "https"
            refused = None
            try:
                await c.get(f"{area_base}/healthz")
            except httpx.HTTPError as exc:  # the area app asks for a certificate: no HTTP at all
                refused = exc
            assert refused is not None
    finally:
        _stop(server, thread)
        _stop(area_server, area_thread)
        await area_app.state.engine.dispose()
        await area_app.state.reader.dispose()
        await area_app.state.writer.dispose()
