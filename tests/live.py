"""Real servers over TLS for end-to-end, matrix and browser tests.

The area system and the hub run in uvicorn (our TLS protocol) in background threads on
loopback ports; the hub reaches the area over HTTPS with its client certificate, and the
tests are clients presenting registered certificates, exactly as in production.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support import ClientIdentity, World, create_database, drop_database


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveStack:
    world: World
    hub_base: str
    area_base: str
    hub_db: str
    area_db: str
    servers: list[Any]
    threads: list[threading.Thread]
    hub_app: Any = None

    def ssl_context(self, ident: ClientIdentity | None) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(ca_file(self.world)))
        if ident is not None:
            ctx.load_cert_chain(str(ident.cert), str(ident.key))
        return ctx

    def client(self, operator_code: str | None, purpose: str = "api", *, token: str | None = "auto",
               cert: ClientIdentity | None = None) -> httpx.AsyncClient:
        ident = cert or (self.world.clients[f"{operator_code}-{purpose}"] if operator_code else None)
        headers = {}
        if token == "auto" and operator_code and purpose == "api":
            token = self.world.token(operator_code)
        if token and token != "auto":
            headers["Authorization"] = f"Bearer {token}"
        return httpx.AsyncClient(base_url=self.hub_base, verify=self.ssl_context(ident), headers=headers,
                                 timeout=30)


def ca_file(world: World):
    from switchhub import devca

    return devca.ca_cert_path(world.certs_dir / "ca")


def _serve(app: Any, port: int, server_cert: Any, world: World) -> tuple[Any, threading.Thread]:
    from switchhub.tlsserver import build_server

    server = build_server(app, host="127.0.0.1", port=port, certfile=str(server_cert.cert_path),
                          keyfile=str(server_cert.key_path), ca_certs=str(ca_file(world)))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    return server, thread


def start_live(world: World, *, tag: str, settings_changes: dict | None = None) -> LiveStack:
    from switchhub.area.app import create_area_app
    from switchhub.config import Settings
    from switchhub.db.engine import make_engine
    from switchhub.hub.app import create_hub_app
    from switchhub.hub.gateway.client import HttpsAreaClient

    hub_db, area_db = f"live_hub_{tag}", f"live_area_{tag}"
    hub_url = create_database(world.admin, hub_db, world.hub_template)
    area_url = create_database(world.admin, area_db, world.area_template)
    area_port, hub_port = free_port(), free_port()
    assert world.hub_client and world.area_client
    settings = Settings(
        data_dir=world.certs_dir.parent, certs_dir=world.certs_dir,
        area_urls={f"{i:02d}": f"https://127.0.0.1:{area_port}" for i in range(1, 11)},
        hub_fingerprints=frozenset({world.hub_client.fingerprint}),
        area_certificates={world.area_client.fingerprint: frozenset(f"{i:02d}" for i in range(1, 11))},
        rate_per_second=10000.0, rate_burst=10000, public_hub_url=f"https://127.0.0.1:{hub_port}",
    ).with_(**(settings_changes or {}))
    area_app = create_area_app(settings, make_engine(area_url, pool_size=5))
    areas = HttpsAreaClient(settings.area_urls, cert=(str(world.hub_client.cert), str(world.hub_client.key)),
                            ca=str(ca_file(world)), timeout=settings.area_timeout_s)
    hub_app = create_hub_app(settings, make_engine(hub_url, pool_size=5), areas)
    a_srv, a_thr = _serve(area_app, area_port, world.server_certs["area-server"], world)
    h_srv, h_thr = _serve(hub_app, hub_port, world.server_certs["hub-server"], world)
    return LiveStack(world, f"https://127.0.0.1:{hub_port}", f"https://127.0.0.1:{area_port}", hub_url, area_url,
                     [h_srv, a_srv], [h_thr, a_thr], hub_app)


def stop_live(live: LiveStack) -> None:
    for server in live.servers:
        server.should_exit = True
    for thread in live.threads:
        thread.join(timeout=10)
    for url in (live.hub_db, live.area_db):
        drop_database(live.world.admin, url.rsplit("/", 1)[1].split("?")[0])
