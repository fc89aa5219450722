"""Test helper: the reference area system served over real TLS, as is or deliberately broken.

`BrokenArea` wraps the reference area's ASGI app and rewrites some answers the way a faulty grid
operator's system might: a supplier field leaked to another retailer, a wrong refusal code, an
answer missing a required member, a change duplicated in the feed, a slow answer, the export's
`compression=zstd` ignored. Each breakage
touches one behaviour only, so the conformance report must name exactly the matching checks.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tests.live import _serve, ca_file, free_port
from tests.support import World, create_database, drop_database

LEAKED = "customer_name_kanji"  # a supplier-class field (domain.md)


class BrokenArea:
    """ASGI wrapper: buffers the answers it breaks, passes every other one through untouched."""

    def __init__(self, app: Any, *, slow_s: float = 0.0) -> None:
        self.app, self.slow_s = app, slow_s

    async def _slow_if_found(self, receive: Any) -> Any:
        """A batch lookup that finds points (not the malformed one) is answered after the deadline."""
        messages = []
        while True:
            messages.append(await receive())
            if not messages[-1].get("more_body"):
                break
        if b'"12345"' not in b"".join(m.get("body", b"") for m in messages):
            await asyncio.sleep(self.slow_s)

        async def replay() -> Any:
            return messages.pop(0) if messages else await receive()

        return replay

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path, query = scope["method"], scope["path"], scope.get("query_string", b"").decode()
        if method == "GET" and path == "/area/v1/supply-points:export" and "compression=zstd" in query:
            # ignores the asked compression and answers its gzip default
            scope = {**scope, "query_string": query.replace("compression=zstd", "compression=fast").encode()}
        if method == "POST" and path == "/area/v1/supply-points:batch-get" and self.slow_s:
            receive = await self._slow_if_found(receive)
        rewrite = None
        if method == "GET" and path.startswith("/area/v1/supply-points/"):
            rewrite = self._lookup
        elif method == "GET" and path == "/area/v1/supply-points" and "pole_no=" in query:
            rewrite = self._search
        elif method == "GET" and path == "/area/v1/applications":
            rewrite = self._feed
        if rewrite is None:
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        status, body = start["status"], b"".join(chunks)
        if "json" in dict(start.get("headers", [])).get(b"content-type", b"").decode():
            body = json.dumps(rewrite(status, json.loads(body)), ensure_ascii=False).encode()
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _lookup(status: int, body: dict) -> dict:
        if status == 200 and body.get("relationship") == "other_retailer":
            body["point"][LEAKED] = "漏洩 太郎"  # another retailer sees the customer's name
        if status == 404:
            body["code"] = "no_such_point"  # not the contract's code
        return body

    @staticmethod
    def _search(status: int, body: dict) -> dict:
        if status == 200:
            body.pop("truncated", None)  # a required member of SearchPointsAnswer
        return body

    @staticmethod
    def _feed(status: int, body: dict) -> dict:
        if status == 200 and len(body.get("items", [])) >= 2:
            body["items"] = [*body["items"], body["items"][-1]]  # the last change sent twice
        return body


@dataclass
class ServedArea:
    base_url: str
    db_name: str
    server: Any
    thread: Any


@contextmanager
def served_area(world: World, tag: str, *, broken: bool = False, slow_s: float = 0.0,
                settings_changes: dict[str, Any] | None = None) -> Iterator[ServedArea]:
    """The reference area on a fresh copy of the test data, over TLS, trusting the hub's certificate
    (`settings_changes={"sandbox": True}`: the sandbox's area, behind the scenario stubs)."""
    from switchhub.area.app import create_area_app
    from switchhub.config import Settings
    from switchhub.db.engine import make_engine

    name = f"conf_area_{tag}"
    url = create_database(world.admin, name, world.area_template)
    assert world.hub_client
    settings = Settings(
        data_dir=world.certs_dir.parent,
        certs_dir=world.certs_dir,
        hub_fingerprints=frozenset({world.hub_client.fingerprint}),
    ).with_(**(settings_changes or {}))
    app: Any = create_area_app(settings, make_engine(url, pool_size=5))
    if broken:
        app = BrokenArea(app, slow_s=slow_s)
    port = free_port()
    server, thread = _serve(app, port, world.server_certs["area-server"], world)
    try:
        yield ServedArea(f"https://127.0.0.1:{port}", name, server, thread)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        drop_database(world.admin, name)


def hub_tls(world: World) -> dict[str, str]:
    """The conformance options that make the suite present the hub's certificate."""
    assert world.hub_client
    return {"cert": str(world.hub_client.cert), "key": str(world.hub_client.key), "ca": str(ca_file(world))}


class Deliverer:
    """What the area worker does with the outbox (worker.py): deliver it to `hub_url` with the area's
    certificate every 0.1 s, in its own thread and loop. lossy=True is a broken area that marks a
    refused delivery as done, so those events are never sent again."""

    def __init__(self, world: World, db_name: str, hub_url: str, *, lossy: bool = False) -> None:
        import threading

        self.world, self.db_name, self.hub_url, self.lossy = world, db_name, hub_url, lossy
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._loop()), daemon=True)

    async def _loop(self) -> None:
        from switchhub.area.outbox.dispatcher import deliver, https_poster
        from switchhub.db.engine import make_engine
        from switchhub.db.urls import with_database

        assert self.world.area_client
        engine = make_engine(with_database(self.world.admin, self.db_name), pool_size=1)
        client = self.world.area_client
        poster = https_poster(self.hub_url, (str(client.cert), str(client.key)), str(ca_file(self.world)),
                              timeout=5)

        async def post(events: list[dict]) -> bool:
            ok = await poster(events)
            return True if self.lossy else ok

        try:
            while not self._stop.is_set():
                try:
                    await deliver(engine, post)
                except Exception:  # the receiver is not up yet: the events stay in the outbox
                    pass
                await asyncio.sleep(0.1)
        finally:
            await poster.aclose()
            await engine.dispose()

    def __enter__(self) -> Deliverer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
