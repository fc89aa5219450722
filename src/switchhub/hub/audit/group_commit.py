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
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from switchhub.db import driver
from switchhub.db.engine import autocommit
from switchhub.hub.audit.repository import AuditEntry, row_params
from switchhub.kernel.clock import get_clock

MAX_ROWS = 500  # per statement: bounds the JSON parameter (≈ 1 kB a record)

_INSERT_ROWS_SQL = (
    "INSERT INTO audit_records (at, request_id, operator_code, user_login, cert_fingerprint, action,"
    " resource_type, resource_ids, fields, purpose, outcome, item_count, remote_addr, detail)"
    " SELECT at, request_id, operator_code, user_login, cert_fingerprint, action, resource_type,"
    " resource_ids, fields, purpose, outcome, item_count, remote_addr, detail"
    " FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(at timestamptz, request_id text, operator_code text,"
    " user_login text, cert_fingerprint text, action text, resource_type text, resource_ids text[],"
    " fields text[], purpose text, outcome text, item_count integer, remote_addr text, detail jsonb, ord integer)"
    " ORDER BY ord"  # the rows keep their order: ids ascend within a write as with separate statements
)


#: one caller's records (column values) and the future its caller waits on
_Queued = tuple[list[dict[str, Any]], "asyncio.Future[None]"]


class GroupCommit:
    """The audit writer of one engine on one event loop."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = autocommit(engine)
        self._pending: list[_Queued] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, entries: Sequence[AuditEntry]) -> None:
        """Return when `entries` are committed (all of them in one transaction); raise if they are not."""
        if not entries:
            return
        at = get_clock().now().isoformat()
        rows = [{**row_params(e), "at": at} for e in entries]
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((rows, done))
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
        for _, done in unwritten:
            if not done.done():
                done.cancel()

    async def _write_batch(self, batch: list[_Queued]) -> None:
        try:
            await self._insert([row for rows, _ in batch for row in rows])
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], exc)
                return
            for rows, done in batch:  # one bad record must not fail the requests that shared its write
                try:
                    await self._insert(rows)
                except Exception as own:
                    _settle(done, own)
                else:
                    _settle(done, None)
        else:
            for _, done in batch:
                _settle(done, None)

    async def _insert(self, rows: list[dict[str, Any]]) -> None:
        payload = json.dumps([{**r, "ord": i} for i, r in enumerate(rows)], ensure_ascii=False, default=str)
        async with self.engine.connect() as conn:
            await driver.execute(conn, _INSERT_ROWS_SQL, {"rows": payload})


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
