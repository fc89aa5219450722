"""Group commit of the read path's audit records: durable before the answer, one transaction for many.

Why: every facility lookup writes its audit record before its answer leaves (security.md), and one
INSERT in its own transaction per lookup was, with the identity statement, the largest share of the
hub's and PostgreSQL's CPU per lookup (docs/benchmarks.md P1): a round trip, a commit and a WAL
flush per request. Here the records of the requests that arrive while a write is in flight wait for
the next write, and each write is one statement (the rows as one JSON parameter) in autocommit, so one
commit. A request still returns only after the commit holding its record returned: durability
before the answer is unchanged, and an idle hub writes each record at once (nothing waits for a
batch to fill).

When a write of several requests' records fails, each request's records are written again on their
own, so a record the database refuses (a value too long for its column) fails only its own request.

A request may send a claim with its records (`Claim`: the identity it was served under, read from the
hub's identity cache, accounts/identity_cache.py): the statement that writes the batch then checks
every claim in it and writes the records of the requests whose claim holds; a request whose claim does
not hold gets the claim's `stale` exception and none of its records is written.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from switchhub.db import driver
from switchhub.db.engine import autocommit
from switchhub.hub.audit.repository import INSERT_ROWS_SQL, ORDERED, AuditEntry, row_params
from switchhub.kernel.clock import get_clock

MAX_ROWS = 500  # per statement: bounds the JSON parameter (≈ 1 kB a record)



class Claim(Protocol):
    """A precondition of a request's records, checked in the statement that writes them; hashable
    (equal claims of one batch are checked once)."""

    #: a SELECT of (n integer, holds boolean) over the claims given by `params`
    check_sql: ClassVar[str]
    #: raised to a request whose claim does not hold
    stale: ClassVar[type[Exception]]

    def __hash__(self) -> int: ...

    @staticmethod
    def params(claims: list[Any], now: Any) -> dict[str, Any]: ...


def _claimed_sql(check_sql: str) -> str:
    """The batch's records whose claim holds (or that have none) written, the claims that do not hold
    returned: one statement, one snapshot taken after every request of the batch arrived."""
    return (f"WITH claims AS ({check_sql}), written AS ({INSERT_ROWS_SQL}"
            " WHERE r.claim IS NULL OR r.claim IN (SELECT n FROM claims WHERE holds)" + ORDERED + " RETURNING 1)"
            " SELECT n FROM claims WHERE holds IS NOT TRUE")


#: one caller's records (column values), its claim and the future its caller waits on
_Queued = tuple[list[dict[str, Any]], "Claim | None", "asyncio.Future[None]"]


class GroupCommit:
    """The audit writer of one engine on one event loop."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = autocommit(engine)
        self._pending: list[_Queued] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, entries: Sequence[AuditEntry], claim: Claim | None = None) -> None:
        """Return when `entries` are committed (all of them in one transaction); raise if they are not,
        `claim.stale` if the claim does not hold (then none of them is written)."""
        if not entries:
            return
        at = get_clock().now().isoformat()
        rows = [{**row_params(e), "at": at} for e in entries]
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((rows, claim, done))
        if self._writer is None or self._writer.done():
            in_flight: list[_Queued] = []
            self._writer = writer = asyncio.create_task(self._drain(in_flight))
            writer.add_done_callback(lambda task: self._after_drain(task, in_flight))
        # the write runs in a task of its own: a caller that goes away (client disconnected) cancels
        # only its own wait, never the write that holds the others' records
        await done

    async def _drain(self, in_flight: list[_Queued]) -> None:
        # ends when nothing is pending; a record queued later starts the next drain (`write` sees this
        # one done: no await lies between the last check of `_pending` and the end)
        while self._pending:
            size = 0
            while self._pending and (not in_flight or size + len(self._pending[0][0]) <= MAX_ROWS):
                in_flight.append(self._pending.pop(0))
                size += len(in_flight[-1][0])
            await self._write_batch(in_flight)
            in_flight.clear()

    def _after_drain(self, task: asyncio.Task[None], in_flight: list[_Queued]) -> None:
        """A drain cancelled (the loop is closing; also before it started) or failed leaves no caller
        waiting for a write that will not happen."""
        if not task.cancelled() and task.exception() is None:
            return
        unwritten = list(in_flight)
        if self._writer is task:  # no newer drain has taken the queue over
            unwritten += self._pending
            self._pending, self._writer = [], None
        for _, _, done in unwritten:
            if not done.done():
                done.cancel()

    async def _write_batch(self, batch: list[_Queued]) -> None:
        try:
            stale = await self._insert(batch)
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][2], exc)
                return
            for queued in batch:  # one bad record must not fail the requests that shared its write
                try:
                    own_stale = await self._insert([queued])
                except Exception as own:
                    _settle(queued[2], own)
                else:
                    _settle(queued[2], _stale(queued[1]) if own_stale else None)
        else:
            for i, (_, claim, done) in enumerate(batch):
                _settle(done, _stale(claim) if i in stale else None)

    async def _insert(self, batch: list[_Queued]) -> set[int]:
        """Write the batch's records; the positions in `batch` of the requests whose claim did not hold."""
        numbered: dict[Claim, int] = {}  # equal claims (one identity's) checked once
        rows: list[dict[str, Any]] = []
        for records, claim, _ in batch:
            n = None if claim is None else numbered.setdefault(claim, len(numbered))
            rows += [{**r, "claim": n} for r in records]
        payload = json.dumps([{**r, "ord": i} for i, r in enumerate(rows)], ensure_ascii=False, default=str)
        async with self.engine.connect() as conn:
            if not numbered:
                await driver.execute(conn, INSERT_ROWS_SQL + ORDERED, {"rows": payload})
                return set()
            kind = type(next(iter(numbered)))
            failed = await driver.fetch(conn, _claimed_sql(kind.check_sql),
                                        {"rows": payload, **kind.params(list(numbered), get_clock().now())})
        not_held = {row["n"] for row in failed}
        return {i for i, (_, claim, _) in enumerate(batch) if claim is not None and numbered[claim] in not_held}


def _stale(claim: Claim | None) -> Exception | None:
    return claim.stale() if claim is not None else None


def _settle(done: asyncio.Future[None], exc: BaseException | None) -> None:
    if done.done():
        return
    if exc is None:
        done.set_result(None)
    else:
        done.set_exception(exc)


_WRITERS: "weakref.WeakKeyDictionary[AsyncEngine, dict[asyncio.AbstractEventLoop, GroupCommit]]" = (
    weakref.WeakKeyDictionary())


def group_commit(engine: AsyncEngine) -> GroupCommit:
    """The writer of `engine` on the running loop (a pool's connections and futures belong to one loop)."""
    loop = asyncio.get_running_loop()
    by_loop = _WRITERS.setdefault(engine, {})
    writer = by_loop.get(loop)
    if writer is None:
        for stale in [lp for lp in by_loop if lp.is_closed()]:
            del by_loop[stale]
        writer = by_loop[loop] = GroupCommit(engine)
    return writer
