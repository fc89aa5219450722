"""A small HTTPS receiver standing in for the hub's inbox (`POST /internal/v1/area-events`), for an
area that can be pointed at another hub URL: the suite then sees the push side of the events too.

It refuses the first delivery (503, as a hub that is restarting) so that the area must send the same
events again with the same ids (at least once, api.md), and accepts every later one. What it got is
kept for the `events.*` checks; it runs in its own thread on the suite's TLS server."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

INBOX = "/internal/v1/area-events"


@dataclass
class Delivery:
    accepted: bool
    events: list[dict[str, Any]]
    at: float


@dataclass
class EventReceiver:
    host: str
    port: int
    certfile: str
    keyfile: str
    ca: str | None  # the CA of the area's client certificate (None: no client certificate asked)
    deliveries: list[Delivery] = field(default_factory=list)
    _server: Any = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["method"] != "POST" or scope["path"] != INBOX:
            await _answer(send, 404, {"code": "not_found"})
            return
        try:
            events = json.loads(body)["events"]
        except (ValueError, KeyError, TypeError):
            await _answer(send, 422, {"code": "invalid_input"})
            return
        with self._lock:
            accepted = bool(self.deliveries)  # the first delivery is refused
            self.deliveries.append(Delivery(accepted, list(events), time.monotonic()))
        await _answer(
            send,
            200 if accepted else 503,
            {"accepted": len(events)} if accepted else {"code": "area_unavailable", "status": 503},
        )

    def start(self) -> None:
        from switchhub.tlsserver import build_server

        self._server = build_server(
            self,
            host=self.host,
            port=self.port,
            certfile=self.certfile,
            keyfile=self.keyfile,
            ca_certs=self.ca,
            client_certs=self.ca is not None,
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True, name="conformance-receiver")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the event receiver did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def snapshot(self) -> list[Delivery]:
        with self._lock:
            return list(self.deliveries)


async def _answer(send: Any, status: int, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            # no keep-alive: each delivery is its own connection, so stopping never waits on the area's
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(raw)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})
