"""Transactional outbox (a rolled-back change emits nothing; a committed one survives a hub outage)
and notifications over a real SMTP server and a real HTTPS webhook receiver.

The receiver listens on 127.0.0.1 with a certificate from a development CA for the name
`hooks.test`, which only the injected resolver knows: a delivery succeeds only if the hub
connects to the address it checked and verifies the certificate against the name. The
receiver, the resolver and the stack with `hooks.test` on the allow-list are shared with
tests/hub/test_webhook_urls.py.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import ssl
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from switchhub import devca
from switchhub.area.outbox.dispatcher import deliver
from switchhub.area.outbox.repository import emit
from switchhub.contract.events import StageChanged, SwitchMatchFailed
from switchhub.hub.notify.delivery import SmtpConfig, deliver_due, verify_signature
from switchhub.hub.notify.urlpolicy import WebhookPolicy
from switchhub.kernel.clock import JST
from tests.flow.helpers import frozen, smart_point_of
from tests.flow.test_switch_api import relay_body
from tests.support import build_stack, close_stack, with_client_cert

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=JST)
HOOK_HOST = "hooks.test"


class ScriptedResolver:
    """Answers per name from a script, one answer per call (the last one repeats); records calls."""

    def __init__(self, script: dict[str, list[list[str]]]) -> None:
        self.script = {k: list(v) for k, v in script.items()}
        self.calls: list[str] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answers = self.script.get(host)
        if not answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answers.pop(0) if len(answers) > 1 else answers[0]


class HttpsReceiver:
    """A real HTTPS webhook receiver on 127.0.0.1 answering the next status from `statuses` (then 200).

    Counts TCP connections before the TLS handshake, so "no connection at all" can be asserted."""

    def __init__(self, cert: devca.IssuedCert, statuses: list[int] | None = None, *,
                 hang: bool = False) -> None:
        self.statuses = list(statuses or [])
        self.hang = hang
        self.connections = 0
        self.tls_failures = 0
        self.sni: list[str | None] = []
        self.requests: list[tuple[str, dict[str, str], bytes]] = []  # (request line, headers, body)
        self._ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ctx.load_cert_chain(str(cert.cert_path), str(cert.key_path))
        self._ctx.sni_callback = lambda _obj, name, _ctx: self.sni.append(name)  # type: ignore[assignment]

    async def __aenter__(self) -> "HttpsReceiver":
        self._release = asyncio.Event()
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._release.set()
        self._server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await writer.start_tls(self._ctx)
        except (ssl.SSLError, OSError):
            self.tls_failures += 1
            writer.close()
            return
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode()
            first, *lines = head.split("\r\n")
            headers = {k.lower(): v.strip() for k, v in (x.split(":", 1) for x in lines if ":" in x)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append((first, headers, body))
            if self.hang:
                await self._release.wait()
            status = self.statuses.pop(0) if self.statuses else 200
            moved = f"location: https://127.0.0.1:{self.port}/elsewhere\r\n" if 300 <= status < 400 else ""
            writer.write(f"HTTP/1.1 {status} X\r\n{moved}content-length: 5\r\nconnection: close\r\n\r\nsecret"
                         .encode())
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


def webhook_certs(tmp: Path) -> tuple[Path, devca.IssuedCert, devca.IssuedCert]:
    """A fresh development CA, a receiver certificate for hooks.test only (no IP address), and one
    for another name that does include 127.0.0.1 (valid for the address, wrong for the name)."""
    ca_cert, _ = devca.create_ca(tmp / "webhook-ca")
    good = devca.issue_server_cert(tmp / "webhook-ca", tmp, "hooks", hostnames=(HOOK_HOST,), ips=())
    wrong = devca.issue_server_cert(tmp / "webhook-ca", tmp, "other", hostnames=("other.test",),
                                    ips=("127.0.0.1",))
    return ca_cert, good, wrong


def trusting(ca_cert: Path, timeout: float = 10) -> httpx.AsyncClient:
    """The hub's delivery client, trusting only the webhook CA."""
    return httpx.AsyncClient(verify=ssl.create_default_context(cafile=str(ca_cert)), trust_env=False,
                             timeout=timeout)


@pytest.fixture
async def hooks_stack(world):
    """A stack whose settings put hooks.test on the webhook allow-list; hooks.test → 127.0.0.1."""
    s = build_stack(world, settings_changes={"webhook_allowed_hosts": frozenset({HOOK_HOST})})
    s.hub_app.state.webhook_resolver = ScriptedResolver({HOOK_HOST: [["127.0.0.1"]]})
    yield s
    await close_stack(s)


def policy_of(stack) -> WebhookPolicy:
    """What the worker uses: the same settings and (in tests) the same resolver as registration."""
    return WebhookPolicy.from_settings(stack.hub_app.state.settings, stack.hub_app.state.webhook_resolver)


async def make_admin(stack, *logins: str) -> None:
    """Notification settings need an operator admin; set explicitly, not via the demo's role table."""
    async with stack.hub_app.state.engine.begin() as conn:
        await conn.execute(text("UPDATE users SET role = 'admin' WHERE login_id = ANY(:l)"),
                           {"l": list(logins)})


def by_channel(log: dict) -> dict[str, dict]:
    return {i["channel"]: {k: i[k] for k in ("target", "event_kind", "status", "attempts", "last_error")}
            for i in log["items"]}


async def _rows(engine, sql: str, params: dict | None = None) -> list[tuple]:
    async with engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(text(sql), params or {})]


def answering_poster(stack, answers: list[dict]):
    """Posts as the area worker does (area certificate) and keeps the hub's answers."""
    transport = httpx.ASGITransport(app=with_client_cert(stack.hub_app, stack.world.area_client.pem))

    async def post(events: list[dict]) -> bool:
        async with httpx.AsyncClient(transport=transport, base_url="https://hub.test") as client:
            resp = await client.post("/internal/v1/area-events", json={"events": events})
        answers.append(resp.json())
        return resp.status_code == 200

    return post


async def test_rolled_back_change_emits_nothing_and_committed_survives_hub_outage(stack):
    area_engine, hub_engine = stack.area_app.state.engine, stack.hub_app.state.engine
    assert await _rows(area_engine, "SELECT id FROM outbox_events") == []
    assert await _rows(hub_engine, "SELECT event_id FROM area_events") == []
    with pytest.raises(RuntimeError):
        async with area_engine.begin() as conn:
            await emit(conn, "03", SwitchMatchFailed(spid="03" + "0" * 20, relay_no="R-rolled-back",
                                                     application_no="03X", reason_code="matching_deadline"))
            raise RuntimeError("the change fails after the event was written")
    assert await _rows(area_engine, "SELECT id FROM outbox_events") == []

    async with area_engine.begin() as conn:
        await emit(conn, "03", StageChanged(application_no="03X", applicant_code="A0001", type="05",
                                            spid="03" + "0" * 20, from_stage="01", to_stage="04", rule="accept"))
    [(event_id,)] = await _rows(area_engine, "SELECT id FROM outbox_events")

    async def hub_down(events):
        raise httpx.ConnectError("hub is down")

    assert await deliver(area_engine, hub_down) == 0
    assert await _rows(area_engine, "SELECT id, attempts, delivered_at IS NULL FROM outbox_events") == [
        (event_id, 1, True)]
    answers: list[dict] = []
    assert await deliver(area_engine, answering_poster(stack, answers)) == 1
    assert answers == [{"accepted": 1, "duplicates": 0}]
    assert await _rows(area_engine, "SELECT id, attempts, delivered_at IS NULL FROM outbox_events") == [
        (event_id, 2, False)]
    received = [("03", event_id, "application.stage_changed")]
    assert await _rows(hub_engine, "SELECT area, event_id, kind FROM area_events") == received
    # at least once: the batch sent again is confirmed, and dropped by the hub's key
    async with area_engine.begin() as conn:
        await conn.execute(text("UPDATE outbox_events SET delivered_at = NULL"))
    assert await deliver(area_engine, answering_poster(stack, answers)) == 1
    assert answers[1:] == [{"accepted": 0, "duplicates": 1}]
    assert await _rows(hub_engine, "SELECT area, event_id, kind FROM area_events") == received


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


async def test_email_and_signed_webhook_with_retries(hooks_stack, tmp_path):
    stack = hooks_stack
    ca_cert, cert, _ = webhook_certs(tmp_path)
    mailbox, smtp_port = _Mailbox(), _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    spid = smart_point_of(stack.world, "M0300", skip=6)
    await make_admin(stack, "m0300-api", "a0001-api")
    try:
        async with HttpsReceiver(cert, [500]) as receiver, trusting(ca_cert) as http:
            with frozen(NOW) as clock:
                async with stack.client("M0300") as cur, stack.client("A0001") as new:
                    sub = await cur.post("/api/v1/subscriptions", json={"email": "desk@m0300.example",
                                                                         "event_kind": "relay.registered"})
                    assert sub.status_code == 201, sub.text
                    bad = await cur.post("/api/v1/webhooks", json={"url": "ftp://example.com/x",
                                                                    "event_kinds": ["nope"]})
                    assert bad.status_code == 422
                    assert [(e["field"], e["code"]) for e in bad.json()["errors"]] == [
                        ("url", "https_required"), ("event_kinds", "unknown_event_kind")]
                    url = f"https://{HOOK_HOST}:{receiver.port}/hook"
                    hook = await cur.post("/api/v1/webhooks", json={"url": url,
                                                                     "event_kinds": ["relay.registered"]})
                    assert hook.status_code == 201, hook.text
                    secret = hook.json()["secret"]
                    r = await new.post("/api/v1/relays", json=relay_body(spid))
                    assert r.status_code == 201
                    relay_no = r.json()["relay_no"]

                    smtp = SmtpConfig("127.0.0.1", smtp_port, "switchhub@test")
                    engine = stack.hub_app.state.engine
                    due = dict(smtp=smtp, http_client=http, policy=policy_of(stack))
                    assert await deliver_due(engine, now=clock.now(), **due) == 1  # mail ok, webhook 500
                    [envelope] = mailbox.messages
                    assert envelope.rcpt_tos == ["desk@m0300.example"]
                    mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
                    assert mail["Subject"] == "【スイッチング支援システム】廃止取次の登録のお知らせ"
                    assert (mail["To"], mail["From"]) == ("desk@m0300.example", "switchhub@test")
                    assert mail.get_body(("plain",)).get_content().splitlines() == [
                        "廃止取次の登録がありました。", "", f"廃止取次番号: {relay_no}", f"供給地点特定番号: {spid}",
                        "ステータス: 判断待ち", "", "詳細はスイッチング支援システムでご確認ください。"]
                    assert (receiver.connections, len(receiver.requests)) == (1, 1)

                    log = (await cur.get("/api/v1/notifications/deliveries")).json()
                    assert log["total"] == 2
                    webhook_id = next(i["id"] for i in log["items"] if i["channel"] == "webhook")
                    assert by_channel(log) == {
                        "email": {"target": "desk@m0300.example", "event_kind": "relay.registered",
                                  "status": "delivered", "attempts": 1, "last_error": ""},
                        "webhook": {"target": url, "event_kind": "relay.registered", "status": "pending",
                                    "attempts": 1, "last_error": "http_500"}}
                    retry_at = next(i["next_attempt_at"] for i in log["items"] if i["channel"] == "webhook")
                    assert datetime.fromisoformat(retry_at) == NOW + timedelta(minutes=1)

                    # not retried before its back-off time
                    assert await deliver_due(engine, now=NOW + timedelta(seconds=30), **due) == 0
                    assert (receiver.connections, len(receiver.requests)) == (1, 1)
                    later = NOW + timedelta(seconds=61)
                    assert await deliver_due(engine, now=later, **due) == 1
                    assert (receiver.connections, len(receiver.requests), len(mailbox.messages)) == (2, 2, 1)
                    line, headers, body = receiver.requests[-1]
                    assert line == "POST /hook HTTP/1.1"
                    assert receiver.sni == [HOOK_HOST, HOOK_HOST]
                    assert headers["host"] == f"{HOOK_HOST}:{receiver.port}"
                    assert (headers["x-switchhub-event"], headers["x-switchhub-delivery"],
                            headers["x-switchhub-timestamp"]) == ("relay.registered", str(webhook_id),
                                                                  str(int(later.timestamp())))
                    assert verify_signature(secret, headers["x-switchhub-timestamp"], body,
                                            headers["x-switchhub-signature"])
                    sent = json.loads(body)
                    assert (sent["id"], sent["kind"]) == (f"relay.registered:{relay_no}:01",
                                                          "relay.registered")
                    assert sent["data"] == {"relay_no": relay_no, "spid": spid, "status": "01",
                                            "status_name": "判断待ち", "new_retailer": "A0001",
                                            "current_retailer": "M0300"}

                    log = (await cur.get("/api/v1/notifications/deliveries")).json()
                    assert log["total"] == 2
                    assert by_channel(log)["webhook"] == {
                        "target": url, "event_kind": "relay.registered", "status": "delivered", "attempts": 2,
                        "last_error": ""}
                    other = await new.get("/api/v1/notifications/deliveries")
                    assert other.status_code == 200
                    assert (other.json()["total"], other.json()["items"]) == (0, [])
    finally:
        controller.stop()


def expected_attempt_times(steps: list[datetime]) -> list[datetime]:
    """The rule, applied to a worker that runs only at `steps`: the first retry is due 1 min after the
    first attempt, each further delay doubles, at most 1 h; an attempt failing 24 h or more after the
    first attempt is the last one."""
    times: list[datetime] = []
    due = steps[0]
    for t in steps:
        if t < due:
            continue
        times.append(t)
        if t - times[0] >= timedelta(hours=24):
            break
        due = t + min(timedelta(minutes=1) * 2 ** (len(times) - 1), timedelta(hours=1))
    return times


async def test_webhook_failing_for_24_hours_is_marked_failed(hooks_stack, tmp_path):
    stack = hooks_stack
    ca_cert, cert, _ = webhook_certs(tmp_path)
    spid = smart_point_of(stack.world, "M0300", skip=7)
    steps = [NOW + timedelta(minutes=10 * i) for i in range(6 * 30)]  # the worker every 10 min for 30 h
    expected = expected_attempt_times(steps)
    # by hand: 0:00, 0:10, 0:20, 0:30, 0:40 (due 0:56), 1:00 (due 1:32), then hourly 1:40 … 24:40
    assert len(expected) == 6 + 24 and expected[-1] == NOW + timedelta(hours=24, minutes=40)
    async with HttpsReceiver(cert, [500] * 1000) as receiver, trusting(ca_cert) as http:
        with frozen(NOW):
            async with stack.hub_app.state.engine.begin() as conn:
                await conn.execute(text("INSERT INTO webhooks (operator_code, url, secret)"
                                        " VALUES ('M0300', :u, 's3cret')"),
                                   {"u": f"https://{HOOK_HOST}:{receiver.port}/h"})
            async with stack.client("A0001") as new:
                assert (await new.post("/api/v1/relays", json=relay_body(spid))).status_code == 201
            engine, smtp = stack.hub_app.state.engine, SmtpConfig("127.0.0.1", 1, "x@test")
            due = dict(smtp=smtp, http_client=http, policy=policy_of(stack))
            for t in steps:
                assert await deliver_due(engine, now=t, **due) == 0
            rows = await _rows(engine, "SELECT status, attempts, last_error, first_attempt_at FROM deliveries")
            assert rows == [("failed", len(expected), "http_500", NOW)]
            stamps = [datetime.fromtimestamp(int(h["x-switchhub-timestamp"]), JST)
                      for _, h, _ in receiver.requests]
            assert stamps == expected
            assert receiver.connections == len(expected)
            # given up: nothing is sent afterwards
            for hours in (31, 48, 100):
                assert await deliver_due(engine, now=NOW + timedelta(hours=hours), **due) == 0
            assert receiver.connections == len(expected)
            assert await _rows(engine, "SELECT status, attempts FROM deliveries") == [
                ("failed", len(expected))]


class _RefusingMailbox(_Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        return "550 5.1.1 mailbox unavailable"


async def test_delivery_log_keeps_only_short_reasons(hooks_stack, tmp_path):
    """Each failure is logged as a code; no response body ("secret") and no exception text."""
    stack = hooks_stack
    ca_cert, cert, _ = webhook_certs(tmp_path)
    smtp_port, closed_port = _free_port(), _free_port()
    controller = Controller(_RefusingMailbox(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    await make_admin(stack, "m0300-api")
    try:
        async with (HttpsReceiver(cert, hang=True) as slow, HttpsReceiver(cert, [302]) as moved,
                    HttpsReceiver(cert, [503]) as down, trusting(ca_cert, timeout=1.0) as http):
            urls = {"slow": f"https://{HOOK_HOST}:{slow.port}/h", "moved": f"https://{HOOK_HOST}:{moved.port}/h",
                    "down": f"https://{HOOK_HOST}:{down.port}/h", "closed": f"https://{HOOK_HOST}:{closed_port}/h"}
            with frozen(NOW) as clock:
                async with stack.client("M0300") as cur, stack.client("A0001") as new:
                    for url in urls.values():
                        assert (await cur.post("/api/v1/webhooks", json={"url": url})).status_code == 201
                    assert (await cur.post("/api/v1/subscriptions", json={
                        "email": "desk@m0300.example", "event_kind": "relay.registered"})).status_code == 201
                    spid = smart_point_of(stack.world, "M0300", skip=8)
                    assert (await new.post("/api/v1/relays", json=relay_body(spid))).status_code == 201
                    smtp = SmtpConfig("127.0.0.1", smtp_port, "switchhub@test")
                    assert await deliver_due(stack.hub_app.state.engine, smtp=smtp, now=clock.now(),
                                             http_client=http, policy=policy_of(stack)) == 0
                    log = (await cur.get("/api/v1/notifications/deliveries")).json()
        reasons = {i["target"]: (i["status"], i["attempts"], i["last_error"]) for i in log["items"]}
        assert reasons == {urls["slow"]: ("pending", 1, "timeout"), urls["moved"]: ("pending", 1, "http_302"),
                           urls["down"]: ("pending", 1, "http_503"), urls["closed"]: ("pending", 1, "connect_error"),
                           "desk@m0300.example": ("pending", 1, "smtp_refused")}
        # the redirect was not followed
        assert [line for line, _, _ in moved.requests] == ["POST /h HTTP/1.1"]
        assert moved.connections == 1
    finally:
        controller.stop()
