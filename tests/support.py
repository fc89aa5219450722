"""Test support: databases built by the migrations, generated data, certificates, app stacks.

Databases: one embedded PostgreSQL per test session (or SWITCHHUB_TEST_DATABASE_URL). Two
template databases are migrated and filled once; each test gets fresh copies
(`CREATE DATABASE … TEMPLATE …`), so tests are isolated and may commit freely.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from switchhub.db.urls import plain_url, with_database

TEST_POINTS = int(os.environ.get("SWITCHHUB_TEST_POINTS", "3000"))
TEST_SEED = 11
DEMO = ("M0300", "A0001", "A0002", "T0300", "T0600", "OC000")
_counter = itertools.count()
_ADMIN: str | None = None


def admin_url() -> str:
    configured = os.environ.get("SWITCHHUB_TEST_DATABASE_URL")
    if configured:
        return configured
    import tempfile

    from switchhub.db.embedded import start_embedded

    global _ADMIN
    if _ADMIN is None:  # one private server per test session: parallel sessions never share one
        _ADMIN = start_embedded(Path(tempfile.mkdtemp(prefix="swpg-", dir="/tmp")), delete_on_exit=True)
    return _ADMIN


def execute(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(plain_url(url), autocommit=True) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else []


def create_database(admin: str, name: str, template: str | None = None) -> str:
    execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    execute(admin, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return with_database(admin, name)


def drop_database(admin: str, name: str) -> None:
    execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class CopyPool:
    """Fresh template copies made ahead of time and old ones dropped behind, on one background thread.

    A copy of the area template (≈ 1,600 relations) takes ≈ 0.7 s to create and 0.2 s to drop — about a
    third of a typical test's wall time, spent waiting on the server. Each `take` hands out a copy made
    while the previous test ran and orders the next; `discard` drops in the background. `close` waits for
    the thread and drops the copies nobody took, so an external test server is left as it was found."""

    def __init__(self, admin: str) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.admin = admin
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-copies")
        self._ready: dict[str, list[Any]] = {}  # template → futures of (name, url)

    def _make(self, template: str) -> tuple[str, str]:
        name = f"t_{template[:14]}_{os.getpid()}_{next(_counter)}_{uuid.uuid4().hex[:4]}"
        return name, create_database(self.admin, name, template)

    def take(self, template: str) -> tuple[str, str]:
        queue = self._ready.setdefault(template, [])
        got = queue.pop(0).result() if queue else self._make(template)
        queue.append(self._thread.submit(self._make, template))
        return got

    def discard(self, name: str) -> None:
        self._thread.submit(drop_database, self.admin, name)

    def close(self) -> None:
        for queue in self._ready.values():
            for future in queue:
                self.discard(future.result()[0])
        self._ready.clear()
        self._thread.shutdown(wait=True)


@dataclass
class ClientIdentity:
    operator_code: str
    purpose: str
    cert: Path
    key: Path
    pem: str
    fingerprint: str
    p12: Path | None = None


@dataclass
class World:
    """Everything built once per session: templates, certificates, identities, tokens, logins."""

    admin: str
    hub_template: str
    area_template: str
    certs_dir: Path
    copies: CopyPool | None = None  # fresh copies of the templates, made ahead (build_stack)
    clients: dict[str, ClientIdentity] = field(default_factory=dict)  # "M0300-api" → identity
    tokens: dict[str, str] = field(default_factory=dict)  # login → bearer token
    logins: dict[str, str] = field(default_factory=dict)  # login → password
    totp: dict[str, str] = field(default_factory=dict)  # login → TOTP secret (admin, helpdesk)
    hub_client: ClientIdentity | None = None
    area_client: ClientIdentity | None = None
    foreign: ClientIdentity | None = None  # valid CA, never registered

    def token(self, operator_code: str) -> str:
        return self.tokens[f"{operator_code.lower()}-api"]


def build_world(tmp: Path) -> World:
    from switchhub import devca
    from switchhub.db.migrate import upgrade
    from switchhub.generate.load import generate
    from switchhub.generate.readings import generate_readings
    from switchhub.hub.accounts.admin import issue_api_credential, register_certificate

    admin = admin_url()
    suffix = uuid.uuid4().hex[:6]
    hub_t, area_t = f"tpl_hub_{suffix}", f"tpl_area_{suffix}"
    hub_url, area_url = create_database(admin, hub_t), create_database(admin, area_t)
    upgrade("hub", hub_url)
    upgrade("area", area_url)
    result = generate(hub_url, area_url, TEST_POINTS, TEST_SEED)
    # meter readings up to yesterday: half hours for the first 2 smart points of each (area, current
    # retailer), monthly totals for every active point (generate/readings.py; ≈ 3 s)
    generate_readings(area_url, TEST_SEED, per_group=2)
    certs = tmp / "certs"
    devca.create_ca(certs / "ca")
    world = World(admin, hub_t, area_t, certs, CopyPool(admin),
                  logins={x.login_id: x.password for x in result.logins},
                  totp={x.login_id: x.totp_secret for x in result.logins if x.totp_secret})

    def ident(name: str, code: str, purpose: str) -> ClientIdentity:
        issued = devca.issue_client_cert(certs / "ca", certs, name, operator_code=code, purpose=purpose,
                                         common_name=name)
        pem = Path(issued.cert_path).read_text()
        return ClientIdentity(code, purpose, Path(issued.cert_path), Path(issued.key_path), pem,
                              issued.fingerprint_sha256, Path(issued.p12_path))

    for code in DEMO:
        for purpose in ("web", "api"):
            world.clients[f"{code}-{purpose}"] = ident(f"{code.lower()}-{purpose}", code, purpose)
    world.hub_client = ident("hub-client", "OC000", "hub")
    world.area_client = ident("area-client", "OC000", "hub")
    world.foreign = ident("unregistered", "A0001", "api")

    async def register() -> None:
        from switchhub.db.engine import make_engine

        engine = make_engine(hub_url, pool_size=1)
        async with engine.begin() as conn:
            for c in world.clients.values():
                await register_certificate(conn, fingerprint=c.fingerprint, subject=f"CN={c.operator_code}",
                                           operator_code=c.operator_code, purpose=c.purpose, not_before=None,
                                           not_after=None)
            from sqlalchemy import text

            await conn.execute(text(
                "INSERT INTO users (login_id, operator_code, role, display_name, is_api_user)"
                " VALUES ('oc000-api', 'OC000', 'helpdesk', '広域機関 API', true) ON CONFLICT DO NOTHING"))
            for code in DEMO:
                login = f"{code.lower()}-api"
                world.tokens[login] = await issue_api_credential(conn, login)
        await engine.dispose()

    asyncio.run(register())
    world.server_certs = {name: devca.issue_server_cert(certs / "ca", certs, name) for name in ("hub-server",
                                                                                              "area-server")}
    return world


def with_client_cert(app: Any, pem: str | None, client_host: str = "127.0.0.1") -> Any:
    """ASGI wrapper: what the TLS server puts in the scope after a verified handshake."""
    from switchhub.tlsserver import fingerprint_of_pem

    async def wrapped(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "http":
            scope = dict(scope)
            scope["client"] = (client_host, 50000)
            scope["extensions"] = {**scope.get("extensions", {}), "tls": {
                "client_cert_chain": [pem] if pem else [], "client_cert_name": None, "client_cert_error": None,
                "server_cert": None, "tls_version": 0x0304, "cipher_suite": None}}
            if pem:
                fingerprint_of_pem(pem)
        await app(scope, receive, send)

    return wrapped


@dataclass
class Stack:
    """A hub and an area app on fresh database copies, wired as in production minus the sockets."""

    world: World
    hub_url: str
    area_url: str
    hub_app: Any
    area_app: Any
    names: tuple[str, str]

    def client(self, operator_code: str | None, purpose: str = "api", *, token: str | None = "auto",
               cert: ClientIdentity | None | str = "default", client_host: str = "127.0.0.1") -> httpx.AsyncClient:
        """A client presenting the operator's certificate (cert=None: none at all)."""
        if cert == "default":
            ident = self.world.clients[f"{operator_code}-{purpose}"] if operator_code else None
        else:
            ident = cert  # type: ignore[assignment]
        headers = {}
        if token == "auto" and operator_code and purpose == "api":
            token = self.world.token(operator_code)
        if token and token != "auto":
            headers["Authorization"] = f"Bearer {token}"
        transport = httpx.ASGITransport(app=with_client_cert(self.hub_app, ident.pem if ident else None,
                                                             client_host))
        return httpx.AsyncClient(transport=transport, base_url="https://hub.test", headers=headers)


def build_stack(world: World, *, settings_changes: dict | None = None) -> Stack:
    from switchhub.area.app import create_area_app
    from switchhub.config import Settings
    from switchhub.db.engine import make_engine
    from switchhub.hub.app import create_hub_app
    from switchhub.hub.gateway.client import HttpsAreaClient

    assert world.copies
    hub_name, hub_url = world.copies.take(world.hub_template)
    area_name, area_url = world.copies.take(world.area_template)
    assert world.hub_client and world.area_client
    settings = Settings(
        data_dir=world.certs_dir.parent, certs_dir=world.certs_dir,
        area_urls={f"{i:02d}": "https://area.test" for i in range(1, 11)},
        hub_fingerprints=frozenset({world.hub_client.fingerprint}),
        area_certificates={world.area_client.fingerprint: frozenset(f"{i:02d}" for i in range(1, 11))},
        rate_per_second=1000.0, rate_burst=1000,
    ).with_(**(settings_changes or {}))
    area_app = create_area_app(settings, make_engine(area_url, pool_size=5))
    area_transport = httpx.ASGITransport(app=with_client_cert(area_app, world.hub_client.pem))
    areas = HttpsAreaClient(settings.area_urls, transports={"https://area.test": area_transport})
    hub_app = create_hub_app(settings, make_engine(hub_url, pool_size=5), areas)
    return Stack(world, hub_url, area_url, hub_app, area_app, (hub_name, area_name))


def area_poster(stack: Stack):
    """Posts outbox events to the hub exactly as the area worker does, with the area's certificate."""
    assert stack.world.area_client
    transport = httpx.ASGITransport(app=with_client_cert(stack.hub_app, stack.world.area_client.pem))

    async def post(events: list[dict]) -> bool:
        async with httpx.AsyncClient(transport=transport, base_url="https://hub.test") as client:
            resp = await client.post("/internal/v1/area-events", json={"events": events})
            return resp.status_code == 200

    return post


async def close_stack(stack: Stack) -> None:
    from switchhub.area.app import dispose_pools

    await stack.hub_app.state.areas.aclose()
    await stack.hub_app.state.engine.dispose()
    await dispose_pools(stack.area_app.state)
    assert stack.world.copies
    for name in stack.names:
        stack.world.copies.discard(name)
