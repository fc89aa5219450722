"""The hub's lean keep-alive client for the lookup and the usage batch (hub/gateway/keepalive.py), against
a real TLS server on a loopback socket that asks for the hub's client certificate and misbehaves on
purpose: connections reused, chunked answers decoded, an area that closed an idle connection retried on
a new one, a stalled area a timeout (504) whose connection is never reused, a cut answer 503, the area's
problem answers mapped as for every other call, and the batch's POST body, its gzip answer and a
content coding nobody asked for."""

from __future__ import annotations

import asyncio
import gzip
import json
import ssl

import pytest
from pydantic import BaseModel

from switchhub.contract.applications import REQUESTS
from switchhub.contract.usage import UsageBatchInquiryRequest
from switchhub.hub.gateway.client import HttpsAreaClient
from switchhub.hub.gateway.keepalive import KeepAliveError, KeepAlivePool, KeepAliveTimeout
from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import AreaTimeout, AreaUnavailable, Conflict, Forbidden, NotFound
from tests.live import ca_file

SPID = "0300111122223333444455"  # 22 digits, area 03
POINT = {"relationship": "other", "point": {"spid": SPID, "area": "03"}}
CALLER = Caller("M0300", "retailer", frozenset({"03"}), "m0300-api", "general", "fp")


class Area:
    """A TLS server speaking raw HTTP/1.1; `behave(n, request)` returns the bytes to send for the n-th
    request on a connection, or a callable taking the writer."""

    def __init__(self, world, behave) -> None:
        self.world, self.behave = world, behave
        self.connections = 0
        self.requests: list[bytes] = []
        self.bodies: list[bytes] = []

    async def __aenter__(self) -> "Area":
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca_file(self.world)))
        cert = self.world.server_certs["area-server"]
        ctx.load_cert_chain(str(cert.cert_path), str(cert.key_path))
        ctx.verify_mode = ssl.CERT_REQUIRED  # mutual TLS, as the area system asks
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=ctx)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        n = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.requests.append(head)
                length = [int(line[15:]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
                self.bodies.append(await reader.readexactly(length[0]) if length else b"")
                n += 1
                action = self.behave(n, head)
                if callable(action):
                    await action(writer)
                    return
                writer.write(action)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def answer(body: bytes, status: str = "200 OK", extra: str = "") -> bytes:
    return (f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n{extra}\r\n"
            ).encode() + body


def pool_for(world, area: Area, timeout: float = 2.0) -> KeepAlivePool:
    ctx = ssl.create_default_context(cafile=str(ca_file(world)))
    ctx.load_cert_chain(str(world.hub_client.cert), str(world.hub_client.key))
    return KeepAlivePool(f"https://127.0.0.1:{area.port}", ctx, timeout=timeout, connect_timeout=2.0)


def client_for(world, area: Area, timeout: float = 2.0) -> HttpsAreaClient:
    return HttpsAreaClient({"03": f"https://127.0.0.1:{area.port}"},
                           cert=(str(world.hub_client.cert), str(world.hub_client.key)), ca=str(ca_file(world)),
                           timeout=timeout)


async def test_one_connection_serves_many_lookups_and_sends_the_callers_headers(world):
    body = json.dumps(POINT).encode()
    async with Area(world, lambda n, head: answer(body)) as area:
        client = client_for(world, area)
        try:
            for _ in range(3):
                item = await client.lookup(CALLER, SPID)
                assert (item.relationship, item.point) == ("other", POINT["point"])
        finally:
            await client.aclose()
    assert area.connections == 1 and len(area.requests) == 3
    head = area.requests[0].decode()
    assert head.startswith(f"GET /area/v1/supply-points/{SPID} HTTP/1.1\r\n")
    assert "X-Switchhub-Operator: M0300\r\n" in head and "X-Switchhub-User: m0300-api\r\n" in head


async def test_a_chunked_answer_is_decoded(world):
    body = json.dumps(POINT).encode()
    chunked = (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
               + b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in (body[:7], body[7:])) + b"0\r\n\r\n")
    async with Area(world, lambda n, head: chunked) as area:
        pool = pool_for(world, area)
        try:
            assert await pool.get("/x", {}) == (200, body)
            assert await pool.get("/x", {}) == (200, body)  # the connection stayed usable after the trailer
        finally:
            pool.close()
    assert area.connections == 1


async def test_an_idle_connection_the_area_closed_is_retried_on_a_new_one(world):
    async def answer_then_close(writer):
        writer.write(answer(b"{}"))
        await writer.drain()

    async with Area(world, lambda n, head: answer_then_close) as area:  # keep-alive ended on the area's side
        pool = pool_for(world, area)
        try:
            assert await pool.get("/x", {}) == (200, b"{}")
            await asyncio.sleep(0.2)  # the close reaches the hub's idle connection
            assert await pool.get("/x", {}) == (200, b"{}")
        finally:
            pool.close()
    assert area.connections == 2 and len(area.requests) == 2  # each request reached the area once


async def test_connection_close_is_not_pooled(world):
    async with Area(world, lambda n, head: answer(b"{}", extra="connection: close\r\n")) as area:
        pool = pool_for(world, area)
        try:
            await pool.get("/x", {})
            await pool.get("/x", {})
        finally:
            pool.close()
    assert area.connections == 2


async def test_a_stalled_area_is_a_timeout_and_its_connection_is_dropped(world):
    async def stall(writer):
        await asyncio.sleep(3)

    async with Area(world, lambda n, head: stall if n == 2 else answer(b"{}")) as area:
        pool = pool_for(world, area, timeout=0.5)
        try:
            await pool.get("/x", {})
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            with pytest.raises(KeepAliveTimeout):
                await pool.get("/x", {})
            assert 0.5 <= loop.time() - t0 < 1.5
            assert await pool.get("/x", {}) == (200, b"{}")  # a new connection, not the stalled one
        finally:
            pool.close()
    assert area.connections == 2


async def test_a_cut_answer_is_an_error_not_a_short_body(world):
    async def cut(writer):
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"spid\":")
        await writer.drain()

    async with Area(world, lambda n, head: cut) as area:
        pool = pool_for(world, area)
        try:
            with pytest.raises(KeepAliveError):
                await pool.get("/x", {})
        finally:
            pool.close()
    assert len(area.requests) == 1  # a request that reached the area is not sent again


async def test_through_the_area_client_failures_are_that_areas_503_504_and_its_problems_mapped(world):
    problem = json.dumps({"status": 404, "code": "not_found", "detail": "ない"}).encode()
    answers = {1: answer(problem, "404 Not Found"), 2: answer(b"oops", "500 Internal Server Error"),
               3: answer(b'{"relationship": "other"}')}

    async def stall(writer):
        await asyncio.sleep(2)

    async with Area(world, lambda n, head: answers.get(n, stall)) as area:
        client = client_for(world, area, timeout=0.5)
        try:
            with pytest.raises(NotFound):
                await client.lookup(CALLER, SPID)
            with pytest.raises(AreaUnavailable) as down:
                await client.lookup(CALLER, SPID)
            assert down.value.status == 503 and down.value.extra == {"area": "03"}
            with pytest.raises(AreaUnavailable) as broken:  # outside the contract: no point
                await client.lookup(CALLER, SPID)
            assert broken.value.code == "area_contract_violation"
            with pytest.raises(AreaTimeout) as slow:
                await client.lookup(CALLER, SPID)
            assert slow.value.status == 504
        finally:
            await client.aclose()
    async with Area(world, lambda n, head: answer(b"{}")) as gone:
        port = gone.port
    client = HttpsAreaClient({"03": f"https://127.0.0.1:{port}"}, ca=str(ca_file(world)), timeout=0.5)
    try:
        with pytest.raises(AreaUnavailable):  # nobody listens any more
            await client.lookup(CALLER, SPID)
    finally:
        await client.aclose()


def test_header_values_with_line_breaks_are_refused(world):
    pool = KeepAlivePool("https://127.0.0.1:1", ssl.create_default_context(), timeout=1, connect_timeout=1)
    with pytest.raises(ValueError):
        asyncio.run(pool.get("/x", {"X-Switchhub-User": "a\r\nX-Switchhub-Operator-Kind: occto"}))


async def test_the_usage_batch_posts_its_body_and_a_gzip_answer_is_inflated_and_kept_as_sent(world):
    usage = json.dumps({"items": []}).encode()
    zipped = gzip.compress(usage)
    problem = json.dumps({"status": 403, "code": "usage_password_invalid", "detail": "違う"}).encode()
    answers = {1: answer(usage), 2: answer(zipped, extra="content-encoding: gzip\r\n"),
               3: answer(problem, "403 Forbidden"), 4: answer(zipped, extra="content-encoding: br\r\n")}
    request = UsageBatchInquiryRequest(spids=[SPID], password="ABCDEF-GHIJKL-MNOPQR", purpose="料金試算")
    async with Area(world, lambda n, head: answers[n]) as area:
        client = client_for(world, area)
        try:
            assert await client.query_usage_batch("03", CALLER, request) == (usage, None)
            client.gzip = True
            assert await client.query_usage_batch("03", CALLER, request) == (usage, zipped)
            with pytest.raises(Forbidden) as refused:
                await client.query_usage_batch("03", CALLER, request)
            assert refused.value.code == "usage_password_invalid"
            with pytest.raises(AreaUnavailable):  # a coding that was not asked for: no answer, a new connection
                await client.query_usage_batch("03", CALLER, request)
        finally:
            await client.aclose()
    assert area.connections == 1 and len(area.requests) == 4
    first, second = area.requests[0].decode(), area.requests[1].decode()
    assert first.startswith("POST /area/v1/usage:query HTTP/1.1\r\n") and "Accept-Encoding: identity\r\n" in first
    assert "Accept-Encoding: gzip\r\n" in second and "X-Switchhub-Operator: M0300\r\n" in second
    assert [json.loads(b) for b in area.bodies] == [{"spids": [SPID], "password": "ABCDEF-GHIJKL-MNOPQR",
                                                     "purpose": "料金試算"}] * 4


async def test_the_usage_batch_has_the_longer_timeout_of_a_megabyte_answer_the_lookup_has_not(world):
    async def late(writer):
        await asyncio.sleep(0.8)
        writer.write(answer(b'{"items": []}'))
        await writer.drain()

    request = UsageBatchInquiryRequest(spids=[SPID], password="ABCDEF-GHIJKL-MNOPQR", purpose="料金試算")
    async with Area(world, lambda n, head: late) as area:
        client = client_for(world, area, timeout=0.4)
        try:
            assert await client.query_usage_batch("03", CALLER, request) == (b'{"items": []}', None)
            with pytest.raises(AreaTimeout):
                await client.lookup(CALLER, SPID)
        finally:
            await client.aclose()


async def test_lookups_beyond_the_connection_limit_wait_for_a_kept_connection_instead_of_opening_more(world):
    body = json.dumps(POINT).encode()
    async with Area(world, lambda n, head: answer(body)) as area:
        ctx = ssl.create_default_context(cafile=str(ca_file(world)))
        ctx.load_cert_chain(str(world.hub_client.cert), str(world.hub_client.key))
        pool = KeepAlivePool(f"https://127.0.0.1:{area.port}", ctx, timeout=2.0, connect_timeout=2.0,
                             max_connections=2)
        try:
            answers = await asyncio.gather(*(pool.get(f"/area/v1/supply-points/{SPID}", {}) for _ in range(8)))
            again = await asyncio.gather(*(pool.get(f"/area/v1/supply-points/{SPID}", {}) for _ in range(8)))
        finally:
            pool.close()
    assert [status for status, _ in answers + again] == [200] * 16
    # eight at once over two connections, both kept: the second eight open none
    assert area.connections == 2 and len(area.requests) == 16


FILED = {"application_no": "0320261124000001", "type": "01", "type_name": "廃止", "spid": SPID, "stage": "01",
         "stage_name": "受付", "terminal": False, "applicant_code": "M0300", "received_at": "2026-11-24T10:00:00+09:00"}


def termination() -> BaseModel:
    return REQUESTS["termination"].model_validate({"spid": SPID, "reason_note": "転居"})


async def test_a_filing_is_posted_once_on_a_kept_connection_with_its_body_key_and_callers_headers(world):
    body = json.dumps(FILED, ensure_ascii=False).encode()
    async with Area(world, lambda n, head: answer(body, "201 Created")) as area:
        client = client_for(world, area)
        try:
            first = await client.file_application(CALLER, "termination", termination(), idempotency_key="k-1")
            second = await client.file_application(CALLER, "termination", termination())
        finally:
            await client.aclose()
    assert first == second == FILED
    assert area.connections == 1 and len(area.requests) == 2
    head = area.requests[0].decode()
    assert head.startswith("POST /area/v1/applications/termination HTTP/1.1\r\n")
    assert "Idempotency-Key: k-1\r\n" in head and "X-Switchhub-Operator: M0300\r\n" in head
    assert "Content-Type: application/json\r\n" in head and "Idempotency-Key" not in area.requests[1].decode()
    assert json.loads(area.bodies[0]) == {"spid": SPID, "end_date": None, "remove_meter": False, "attendance": False,
                                          "reason_note": "転居", "contact_name": "", "contact_phone": ""}


async def test_a_filing_is_not_written_to_an_idle_connection_the_area_closed(world):
    async def answer_then_close(writer):
        writer.write(answer(json.dumps(FILED).encode(), "201 Created"))
        await writer.drain()

    async with Area(world, lambda n, head: answer_then_close) as area:  # keep-alive ended on the area's side
        client = client_for(world, area)
        try:
            await client.file_application(CALLER, "termination", termination())
            await asyncio.sleep(0.2)  # the close reaches the hub's idle connection
            assert await client.file_application(CALLER, "termination", termination()) == FILED
        finally:
            await client.aclose()
    assert area.connections == 2 and len(area.requests) == 2  # a new connection; each filing reached the area once


async def test_a_filing_cut_after_it_was_sent_is_that_areas_503_and_is_never_sent_again(world):
    async def read_then_close(writer):  # the area took the filing and closed without an answer
        return

    point = json.dumps(POINT).encode()
    async with Area(world, lambda n, head: answer(point) if n == 1 else read_then_close) as area:
        client = client_for(world, area)
        try:
            await client.lookup(CALLER, SPID)  # leaves a kept connection
            with pytest.raises(AreaUnavailable) as cut:
                await client.file_application(CALLER, "termination", termination())
            assert cut.value.status == 503 and cut.value.extra == {"area": "03"}
        finally:
            await client.aclose()
    # the lookup, then the filing exactly once: a read cut like this would have been sent again
    assert [r.split(b" ", 2)[:2] for r in area.requests] == [
        [b"GET", f"/area/v1/supply-points/{SPID}".encode()], [b"POST", b"/area/v1/applications/termination"]]


async def test_a_filings_refusal_is_the_areas_problem_and_a_non_json_answer_a_contract_violation(world):
    problem = json.dumps({"status": 409, "code": "stage_transition_not_allowed", "title": "受付不可",
                          "detail": "できません"}, ensure_ascii=False).encode()
    answers = {1: answer(problem, "409 Conflict"), 2: answer(b"<html>", "201 Created")}
    async with Area(world, lambda n, head: answers[n]) as area:
        client = client_for(world, area)
        try:
            with pytest.raises(Conflict) as refused:
                await client.file_application(CALLER, "termination", termination())
            assert refused.value.code == "stage_transition_not_allowed"
            with pytest.raises(AreaUnavailable) as broken:
                await client.file_application(CALLER, "termination", termination())
            assert broken.value.code == "area_contract_violation"
        finally:
            await client.aclose()
