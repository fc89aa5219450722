"""The push side of the events, when the area posts to the suite's receiver (receiver.py)."""

from __future__ import annotations

import json
from typing import Any

from switchhub.conformance import contract
from switchhub.conformance.checks import Suite
from switchhub.conformance.judge import Failed


class EventChecks:
    """The push side, when the area posts to the suite's receiver (receiver.py): every event in the
    contract's `AreaEvent` schema (its payload by kind), the refused delivery sent again with the same
    ids and content, one id per event, and the run's application as a chain of stage changes."""

    def __init__(self, suite: Suite, receiver: Any, wait_s: float) -> None:
        self.suite, self.receiver, self.wait_s = suite, receiver, wait_s

    def _events(self, accepted_only: bool = True) -> list[dict[str, Any]]:
        return [e for d in self.receiver.snapshot() if d.accepted or not accepted_only for e in d.events]

    def _mine(self) -> list[dict[str, Any]]:
        no = self.suite.state.application_no
        unique = {e.get("id"): e for e in self._events()}
        return [
            e
            for _, e in sorted(unique.items(), key=lambda kv: str(kv[0]).zfill(20))
            if e.get("kind") == "application.stage_changed"
            and e.get("payload", {}).get("application_no") == no
        ]

    async def delivered(self) -> tuple[str, str]:
        import asyncio
        import time

        self.suite._need_application()
        final = self.suite.state.final_stage
        until = time.monotonic() + self.wait_s
        while time.monotonic() < until:
            if any(e["payload"].get("to_stage") == final for e in self._mine()):
                break
            await asyncio.sleep(0.2)
        else:
            raise Failed(
                f"{self.wait_s:g} 秒以内に申込 {self.suite.state.application_no} の"
                "取消のイベントが届きません",
                f"no withdrawal event of {self.suite.state.application_no} within {self.wait_s:g} s",
            )
        wrong = []
        for event in self._events(accepted_only=False):
            errors = contract.event_errors(event)
            if errors or event.get("area") != self.suite.area:
                wrong.append(f"id {event.get('id')}: {'; '.join(errors) or 'area ' + str(event.get('area'))}")
        if wrong:
            raise Failed(
                f"連携仕様に合わないイベント: {'; '.join(wrong[:3])}",
                f"events not in the contract's schema: {'; '.join(wrong[:3])}",
            )
        return (
            f"{len(self._events())} 件を受信、すべてスキーマどおり",
            f"{len(self._events())} events, all in the schema",
        )

    async def redelivery(self) -> tuple[str, str]:
        deliveries = self.receiver.snapshot()
        refused = [e for d in deliveries if not d.accepted for e in d.events]
        if not refused:
            raise Failed("イベントが一度も届いていません", "no event was ever delivered")
        later = {e.get("id"): e for d in deliveries if d.accepted for e in d.events}
        lost = [e.get("id") for e in refused if e.get("id") not in later]
        changed = [
            e.get("id") for e in refused if e.get("id") in later and _content(later[e["id"]]) != _content(e)
        ]
        if lost or changed:
            raise Failed(
                f"拒否したイベントの再送がありません {lost}、または内容が変わりました {changed}",
                f"refused events not sent again {lost}, or sent with other content {changed}",
            )
        return (
            f"拒否した {len(refused)} 件が同じIDで再送された",
            f"the {len(refused)} refused events came again, same ids",
        )

    async def ids(self) -> tuple[str, str]:
        by_id: dict[Any, dict[str, Any]] = {}
        clashes = []
        for event in self._events():
            seen = by_id.setdefault(event.get("id"), event)
            if _content(seen) != _content(event):
                clashes.append(event.get("id"))
        if clashes:
            raise Failed(
                f"同じIDで内容の違うイベント: {clashes[:5]}", f"one id for different events: {clashes[:5]}"
            )
        mine = self._mine()
        pairs = [(e["payload"].get("from_stage"), e["payload"].get("to_stage")) for e in mine]
        if not mine or pairs[0][0] is not None or any(b[0] != a[1] for a, b in zip(pairs, pairs[1:])):
            raise Failed(
                f"申込の工程変更イベントが連続していません: {pairs}",
                f"stage change events do not chain: {pairs}",
            )
        return (
            f"IDごとに1件、工程 {' → '.join(p[1] for p in pairs)}",
            f"one event per id, stages {' → '.join(p[1] for p in pairs)}",
        )


def _content(event: dict[str, Any]) -> tuple[Any, ...]:
    return event.get("area"), event.get("kind"), json.dumps(event.get("payload"), sort_keys=True)
