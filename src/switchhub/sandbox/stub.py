"""The scenario layer: the reference area system (its real code and database) behind the published
scenario table (`sandbox.scenarios`, docs/sandbox.md), chosen by `SWITCHHUB_AREA_BACKEND=sandbox`
or sandbox mode.

It is ASGI middleware in front of the area app, so the hub reaches it through the same contract
and the same `HttpsAreaClient` as the reference system. It looks at the operations that name a
supply point — the lookup and the usage inquiry (`/area/v1/supply-points/{spid}…`), the batch
lookup (its `spids`) and every application filing (`POST /area/v1/applications/{kind}`, its
`spid`) — and answers, delays or passes the call on as the spid's scenario says. Everything else
(status, feed, corrections, files) goes straight to the reference system.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from switchhub.sandbox.markers import marking
from switchhub.sandbox.scenarios import REFUSAL_CODE, SLOW_SECONDS, STALL_EXTRA_SECONDS, Scenario, scenario_of

_POINT_PATH = re.compile(r"^/area/v1/supply-points/(\d{22})(/usage:query)?$")
_FILING_PATH = re.compile(r"^/area/v1/applications/([a-z-]+)$")
_BATCH_PATH = "/area/v1/supply-points:batch-get"
#: when one call names several scenarios (a batch), the strongest decides the whole call
_STRENGTH = {"unavailable": 3, "stall": 2, "slow": 1}


def _problem(status: int, code: str, title_ja: str, detail_ja: str, **extra: Any) -> bytes:
    return json.dumps(
        {
            "type": f"https://switchhub.example/problems/{code}",
            "status": status,
            "code": code,
            "title": title_ja,
            "detail": detail_ja,
            **extra,
        },
        ensure_ascii=False,
    ).encode()


class ScenarioLayer:
    def __init__(self, app: ASGIApp, area_timeout_s: float) -> None:
        self.app = app
        self.stall_seconds = area_timeout_s + STALL_EXTRA_SECONDS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        marked = marking(send)
        path, method = scope["path"], scope["method"]
        scenario: Scenario | None = None
        filing = False
        m = _POINT_PATH.match(path)
        if m:
            scenario = scenario_of(m.group(1))
        elif method == "POST" and (path == _BATCH_PATH or _FILING_PATH.match(path)):
            body, receive = await _buffered(receive)
            filing = path != _BATCH_PATH
            scenario = _of_body(body, filing)
        if scenario is None:
            await self.app(scope, receive, marked)
            return
        action = scenario.action
        if action == "not_found" and path != _BATCH_PATH:  # in a batch: an absent item, as the area answers
            await _answer(
                marked,
                404,
                _problem(
                    404,
                    "not_found",
                    "見つかりません",
                    "指定された供給地点特定番号の設備情報はありません",
                    sandbox_scenario=scenario.suffix,
                ),
            )
        elif action == "unavailable":
            await _answer(
                marked,
                503,
                _problem(
                    503,
                    "area_unavailable",
                    "一般送配電事業者のシステムが停止しています",
                    "サンドボックスのシナリオ 9906: エリアシステム停止",
                    sandbox_scenario=scenario.suffix,
                ),
            )
        elif action == "refuse_filing" and filing:
            await _answer(
                marked,
                409,
                _problem(
                    409,
                    REFUSAL_CODE,
                    "契約状態チェックエラー",
                    "サンドボックスのシナリオ 9902: 契約状態チェックエラーのため受付できません",
                    sandbox_scenario=scenario.suffix,
                ),
            )
        else:
            if action == "slow":
                await asyncio.sleep(SLOW_SECONDS)
            elif action == "stall":
                await asyncio.sleep(self.stall_seconds)
            await self.app(scope, receive, marked)


def _of_body(body: bytes, filing: bool) -> Scenario | None:
    try:
        data = json.loads(body or b"null")
    except ValueError:
        return None  # the reference system answers the malformed body
    if not isinstance(data, dict):
        return None
    if filing:
        spid = data.get("spid")
        return scenario_of(spid) if isinstance(spid, str) else None
    found = [s for s in (scenario_of(x) for x in data.get("spids") or [] if isinstance(x, str)) if s]
    ranked = [s for s in found if s.action in _STRENGTH]
    return max(ranked, key=lambda s: _STRENGTH[s.action]) if ranked else None


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole request body, and a `receive` that replays it to the app behind."""
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body, sent = b"".join(chunks), False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
