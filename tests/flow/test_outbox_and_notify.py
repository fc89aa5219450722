"""Transactional outbox (a rolled-back change emits nothing; a committed one survives a hub outage)
and notifications over a real SMTP server and a real webhook receiver."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import datetime, timedelta

import httpx
from aiosmtpd.controller import Controller
from sqlalchemy import text

from switchhub.area.outbox.dispatcher import deliver
from switchhub.area.outbox.repository import emit
from switchhub.hub.notify.delivery import SmtpConfig, deliver_due, verify_signature
from switchhub.kernel.clock import JST
from tests.flow.helpers import frozen, settle, smart_point_of
from tests.flow.test_switch_api import relay_body
from tests.support import area_poster

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=JST)


async def _count(engine, sql: str) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(sql))).scalar_one())


async def test_rolled_back_change_emits_nothing_and_committed_survives_hub_outage(stack):
    area_engine = stack.area_app.state.engine
    before = await _count(area_engine, "SELECT count(*) FROM outbox_events")
    try:
        async with area_engine.begin() as conn:
            await emit(conn, "03", "switch.matched", {"relay_no": "R-rolled-back"})
            raise RuntimeError("the change fails after the event was written")
    except RuntimeError:
        pass
    assert await _count(area_engine, "SELECT count(*) FROM outbox_events") == before

    async with area_engine.begin() as conn:
        await emit(conn, "03", "application.stage_changed",
                   {"application_no": "03X", "applicant_code": "A0001", "type": "05", "to_stage": "04"})

    async def hub_down(events):
        raise httpx.ConnectError("hub is down")

    assert await deliver(area_engine, hub_down) == 0
    pending = await _count(area_engine, "SELECT count(*) FROM outbox_events WHERE delivered_at IS NULL")
    assert pending >= 1
    delivered = await deliver(area_engine, area_poster(stack))
    assert delivered == pending
    assert await _count(area_engine, "SELECT count(*) FROM outbox_events WHERE delivered_at IS NULL") == 0
    hub_engine = stack.hub_app.state.engine
    received = await _count(hub_engine, "SELECT count(*) FROM area_events")
    # at-least-once: a re-sent batch is dropped by the hub's key
    async with area_engine.begin() as conn:
        await conn.execute(text("UPDATE outbox_events SET delivered_at = NULL"))
    await deliver(area_engine, area_poster(stack))
    assert await _count(hub_engine, "SELECT count(*) FROM area_events") == received


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.messages.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _receiver(statuses: list[int], seen: list[tuple[dict, bytes]]):
    """A real HTTP webhook receiver on loopback answering the next status from `statuses`."""
    async def handle(reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        seen.append((headers, body))
        status = statuses.pop(0) if statuses else 200
        writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def test_email_and_signed_webhook_with_retries(stack):
    mailbox = _Mailbox()
    smtp_port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    seen: list[tuple[dict, bytes]] = []
    server, port = await _receiver([500], seen)
    spid = smart_point_of(stack.world, "M0300", skip=6)
    try:
        with frozen(NOW) as clock:
            async with stack.client("M0300") as cur, stack.client("A0001") as new:
                sub = await cur.post("/api/v1/subscriptions", json={"email": "desk@m0300.example",
                                                                     "event_kind": "relay.registered"})
                assert sub.status_code == 403  # general API user: admin permission needed
                async with stack.hub_app.state.engine.begin() as conn:
                    await conn.execute(text("UPDATE users SET role = 'admin' WHERE login_id = 'm0300-api'"))
                sub = await cur.post("/api/v1/subscriptions", json={"email": "desk@m0300.example",
                                                                     "event_kind": "relay.registered"})
                assert sub.status_code == 201, sub.text
                bad = await cur.post("/api/v1/webhooks", json={"url": "ftp://example.com/x", "event_kinds": ["nope"]})
                assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"url", "event_kinds"}
                hook = await cur.post("/api/v1/webhooks", json={"url": f"http://127.0.0.1:{port}/hook",
                                                                 "event_kinds": ["relay.registered"]})
                assert hook.status_code == 201
                secret = hook.json()["secret"]
                r = await new.post("/api/v1/relays", json=relay_body(spid))
                assert r.status_code == 201
                smtp = SmtpConfig("127.0.0.1", smtp_port, "switchhub@test")
                engine = stack.hub_app.state.engine
                assert await deliver_due(engine, smtp=smtp, now=clock.now()) == 1  # mail ok, webhook 500
                assert len(mailbox.messages) == 1
                mail = mailbox.messages[0]
                assert mail.rcpt_tos == ["desk@m0300.example"]
                assert "廃止取次の登録" in mail.content.decode("utf-8", "replace") or "=?utf-8?" in mail.content.decode()
                assert len(seen) == 1
                # not retried before its back-off time
                assert await deliver_due(engine, smtp=smtp, now=clock.now() + timedelta(seconds=30)) == 0
                assert len(seen) == 1
                assert await deliver_due(engine, smtp=smtp, now=clock.now() + timedelta(seconds=61)) == 1
                headers, body = seen[-1]
                assert verify_signature(secret, headers["x-switchhub-timestamp"], body,
                                        headers["x-switchhub-signature"])
                assert json.loads(body)["data"]["relay_no"] == r.json()["relay_no"]
                log = (await cur.get("/api/v1/notifications/deliveries")).json()
                assert {(i["channel"], i["status"]) for i in log["items"]} == {("email", "delivered"),
                                                                               ("webhook", "delivered")}
                webhook_row = [i for i in log["items"] if i["channel"] == "webhook"][0]
                assert webhook_row["attempts"] == 2
                other = (await new.get("/api/v1/notifications/deliveries"))
                assert other.status_code == 403 or other.json()["total"] == 0
    finally:
        controller.stop()
        server.close()


async def test_webhook_failing_for_24_hours_is_marked_failed(stack):
    seen: list = []
    server, port = await _receiver([500] * 100, seen)
    spid = smart_point_of(stack.world, "M0300", skip=7)
    try:
        with frozen(NOW) as clock:
            async with stack.hub_app.state.engine.begin() as conn:
                await conn.execute(text("INSERT INTO webhooks (operator_code, url, secret) VALUES"
                                        " ('M0300', :u, 's3cret')"), {"u": f"http://127.0.0.1:{port}/h"})
            async with stack.client("A0001") as new:
                assert (await new.post("/api/v1/relays", json=relay_body(spid))).status_code == 201
            engine, smtp = stack.hub_app.state.engine, SmtpConfig("127.0.0.1", 1, "x@test")
            t = clock.now()
            for step in range(40):
                await deliver_due(engine, smtp=smtp, now=t)
                t += timedelta(hours=1)
            async with engine.connect() as conn:
                status, attempts = (await conn.execute(text(
                    "SELECT status, attempts FROM deliveries WHERE channel = 'webhook'"))).first()
        assert status == "failed" and 20 <= attempts <= 30
    finally:
        server.close()
    await settle(stack)
