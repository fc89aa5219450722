"""The client's HTTP policies (api.md conventions) against a local httpx MockTransport, where the
timing can be observed: Retry-After on 429/503, exponential back-off, bounded retries, the
Idempotency-Key kept across retries, pacing by RateLimit-*, typed problem errors.
(Everything the hub really answers is tested over TLS in test_live.py.)"""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from switchhub.client import AsyncSwitchhubClient, Conflict, InputError, NotFound, RateLimited, TransportError

BODY = {"spids": ["0300000000000000000001"]}
ANSWER = {"items": [], "not_found": ["0300000000000000000001"], "failed": []}


class Script:
    """Answers in order; records every request and every sleep."""

    def __init__(self, *answers) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def client(self, **kw) -> AsyncSwitchhubClient:
        return AsyncSwitchhubClient("https://hub.test", token="t", verify=False,
                                    transport=httpx.MockTransport(self.handler), sleep=self.sleep, **kw)

    def keys(self) -> list[str | None]:
        return [r.headers.get("idempotency-key") for r in self.requests]


def problem(status: int, code: str, **extra) -> httpx.Response:
    return httpx.Response(status, json={"type": f"https://switchhub.example/problems/{code}",
                                        "status": status, "title": "タイトル", "detail": "詳細", "code": code,
                                        **extra},
                          headers={"content-type": "application/problem+json"})


def limited(retry_after: str) -> httpx.Response:
    return httpx.Response(429, json={"status": 429, "code": "rate_limited", "title": "t", "detail": "d",
                                     "type": "x"}, headers={"Retry-After": retry_after})


async def test_429_waits_retry_after_and_resends_the_same_idempotency_key():
    script = Script(limited("2"), httpx.Response(200, json=ANSWER))
    async with script.client() as c:
        answer = await c.batch_lookup(BODY["spids"])
    assert answer.not_found == BODY["spids"]
    assert script.sleeps == [2.0]
    first, second = script.keys()
    assert first == second and uuid.UUID(first).version == 4
    assert [json.loads(r.content) for r in script.requests] == [BODY, BODY]
    assert script.requests[0].headers["authorization"] == "Bearer t"


async def test_503_without_retry_after_backs_off_exponentially():
    unavailable = httpx.Response(503, json={"status": 503, "code": "area_unavailable"})
    script = Script(unavailable, unavailable, httpx.Response(200, json=ANSWER))
    async with script.client() as c:
        await c.batch_lookup(BODY["spids"])
    assert script.sleeps == [0.5, 1.0]
    assert len(set(script.keys())) == 1


async def test_retries_are_bounded_and_the_last_429_is_raised_with_its_retry_after():
    script = Script(limited("1"))
    async with script.client(max_retries=2) as c:
        with pytest.raises(RateLimited) as caught:
            await c.lookup("0300000000000000000001")
    assert len(script.requests) == 3 and script.sleeps == [1.0, 1.0]
    assert caught.value.status == 429 and caught.value.code == "rate_limited"
    assert caught.value.retry_after == 1.0


async def test_a_wait_longer_than_max_wait_is_raised_not_slept():
    script = Script(limited("3600"), httpx.Response(200, json=ANSWER))
    async with script.client(max_wait=60) as c:
        with pytest.raises(RateLimited):
            await c.batch_lookup(BODY["spids"])
    assert script.sleeps == [] and len(script.requests) == 1


async def test_a_lost_connection_is_retried_with_the_same_key_and_then_given_up():
    script = Script(httpx.ConnectError("refused"), httpx.Response(200, json=ANSWER))
    async with script.client() as c:
        await c.batch_lookup(BODY["spids"])
        assert len(set(script.keys())) == 1 and len(script.requests) == 2
        down = Script(httpx.ReadTimeout("slow"))
        async with down.client(max_retries=1) as d:
            with pytest.raises(TransportError):
                await d.batch_lookup(BODY["spids"])
        assert len(down.requests) == 2


async def test_each_call_gets_its_own_key_and_get_sends_none():
    script = Script(httpx.Response(200, json=ANSWER))
    async with script.client() as c:
        await c.batch_lookup(BODY["spids"])
        await c.batch_lookup(BODY["spids"])
    a, b = script.keys()
    assert a != b
    get = Script(httpx.Response(200, json={"spid": "0300000000000000000001"}))
    async with get.client() as c:
        await c.lookup("0300000000000000000001")
    assert get.keys() == [None]


async def test_an_empty_bucket_paces_the_next_request_by_one_token():
    """RateLimit-Limit 10, Remaining 0, Reset 10 s (full again in 10 s) → one token takes 1 s."""
    drained = httpx.Response(200, json=ANSWER, headers={"RateLimit-Limit": "10", "RateLimit-Remaining": "0",
                                                        "RateLimit-Reset": "10"})
    script = Script(drained)
    async with script.client() as c:
        await c.batch_lookup(BODY["spids"])
        assert script.sleeps == []
        await c.batch_lookup(BODY["spids"])
        assert c.rate_limit.remaining == 0 and c.rate_limit.limit == 10
    assert len(script.sleeps) == 1 and 0.9 < script.sleeps[0] <= 1.0


async def test_problem_answers_raise_the_class_of_their_status_with_the_problem_fields():
    issues = [{"field": "contact_phone", "code": "pattern", "message": "電話番号の形式が正しくありません"}]
    script = Script(problem(422, "invalid_input", errors=issues, request_id="r-1"), problem(404, "not_found"),
                    problem(409, "state_check"))
    async with script.client() as c:
        with pytest.raises(InputError) as bad:
            await c.batch_lookup(BODY["spids"])
        with pytest.raises(NotFound) as missing:
            await c.lookup("0300000000000000000001")
        with pytest.raises(Conflict) as conflict:
            await c.lookup("0300000000000000000001")
    e = bad.value
    assert (e.status, e.code, e.title, e.detail, e.request_id) == (422, "invalid_input", "タイトル", "詳細", "r-1")
    assert e.type == "https://switchhub.example/problems/invalid_input"
    assert e.issue("contact_phone").message == "電話番号の形式が正しくありません"
    assert missing.value.status == 404 and conflict.value.code == "state_check"


async def test_the_sandbox_calls_send_the_documented_bodies():
    """api.md § Sandbox: POST /api/v1/sandbox/clock with {"advance": "P3D"} | {"to": ISO datetime} |
    {"to_next_reading_day": true}; GET it to read the clock; POST /api/v1/sandbox/reset."""
    from datetime import datetime, timedelta, timezone

    script = Script(httpx.Response(200, json={"now": "2026-12-04T09:00:00+09:00"}))
    jst = timezone(timedelta(hours=9))
    async with script.client() as c:
        await c.sandbox_clock()
        await c.advance_sandbox_clock("P3D")
        await c.set_sandbox_clock(datetime(2027, 1, 5, 9, 0, tzinfo=jst))
        await c.sandbox_clock_to_next_reading_day()
        answer = await c.sandbox_reset()
    sent = [(r.method, r.url.path, json.loads(r.content) if r.content else None) for r in script.requests]
    assert sent == [("GET", "/api/v1/sandbox/clock", None),
                    ("POST", "/api/v1/sandbox/clock", {"advance": "P3D"}),
                    ("POST", "/api/v1/sandbox/clock", {"to": "2027-01-05T09:00:00+09:00"}),
                    ("POST", "/api/v1/sandbox/clock", {"to_next_reading_day": True}),
                    ("POST", "/api/v1/sandbox/reset", None)]
    assert answer == {"now": "2026-12-04T09:00:00+09:00"}
    assert all(r.headers.get("idempotency-key") for r in script.requests if r.method == "POST")
