"""`AsyncSwitchhubClient`: the hub API as typed async methods (api.md operation catalogue).

Each method is one row of `operations.OPERATIONS` (checked against the OpenAPI document in a test);
request bodies may be given as the generated request model or as a plain dict (validated into the
model first, so a misspelt field fails here, not at the hub). Answers are the generated models.
Lists page (`iter_*`), the applications feed and the metering files follow their cursor.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import json
import zlib
from collections.abc import AsyncIterator, Callable
from typing import IO, Any, TypeVar

import httpx
from pydantic import BaseModel

from switchhub.client import models as m
from switchhub.client.feed import FeedIterator
from switchhub.client.metering import DownloadedFile
from switchhub.client.operations import APPLICATION_KINDS, OPERATIONS, Operation
from switchhub.client.transport import RateLimitState, Sleep, Transport, ssl_context

T = TypeVar("T", bound=BaseModel)
SEARCH_MAX_PAGE = 5  # api.md: search answers are capped at 100 points, 20 a page
Progress = Callable[[int, int | None], None]  # (rows so far, rows in all or None)


def _body(op: Operation, body: BaseModel | dict[str, Any] | None) -> Any:
    if body is None:
        return None
    assert op.request is not None
    model = body if isinstance(body, op.request) else op.request.model_validate(
        body.model_dump(exclude_unset=True) if isinstance(body, BaseModel) else body)
    return model.model_dump(mode="json", exclude_unset=True, by_alias=True)


def _decompressor(media_type: str) -> Any:
    """A streaming decompressor of one gzip member or zstd frame, by the export's Content-Type."""
    if media_type.split(";")[0].strip() == "application/zstd":
        import zstandard  # imported late: only a zstd export needs it

        return zstandard.ZstdDecompressor().decompressobj()
    return zlib.decompressobj(wbits=31)


class _ExportLines:
    """Lines of a compressed export of one or more gzip members or zstd frames (the export
    concatenates one per area), decompressed as the chunks arrive."""

    def __init__(self, media_type: str) -> None:
        self._media_type = media_type
        self._z = _decompressor(media_type)
        self._rest = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        data = b""
        while chunk:
            if self._z.eof:  # a part ended (at a chunk's end or inside it): the next one begins
                self._z = _decompressor(self._media_type)
            data += self._z.decompress(chunk)
            chunk = self._z.unused_data if self._z.eof else b""
        lines = (self._rest + data).split(b"\n")
        self._rest = lines.pop()
        return lines

    def close(self) -> list[bytes]:
        rest, self._rest = self._rest, b""
        return [rest] if rest else []


class AsyncSwitchhubClient:
    """The hub's API over mutual TLS: `cert` + `key` (the operator's API certificate), `ca` (the hub's
    CA), `token` (the bearer credential of a named API user of the same operator)."""

    def __init__(self, base_url: str, *, token: str | None = None, cert: str | None = None,
                 key: str | None = None, ca: str | None = None, verify: Any = None, timeout: float = 30.0,
                 max_retries: int = 3, max_wait: float = 120.0, language: str = "ja",
                 transport: httpx.AsyncBaseTransport | None = None, sleep: Sleep | None = None) -> None:
        if verify is None:
            verify = ssl_context(ca=ca, cert=cert, key=key)
        self._t = Transport(base_url, token=token, verify=verify, timeout=timeout, max_retries=max_retries,
                            max_wait=max_wait, language=language, transport=transport, sleep=sleep)

    @property
    def rate_limit(self) -> RateLimitState:
        """The hub's last RateLimit-* values (limit, remaining, reset)."""
        return self._t.rate

    async def aclose(self) -> None:
        await self._t.aclose()

    async def __aenter__(self) -> AsyncSwitchhubClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- plumbing ---------------------------------------------------------------------------------

    async def _call(self, name: str, *, body: BaseModel | dict[str, Any] | None = None,
                    params: dict[str, Any] | None = None, idempotency_key: str | None = None,
                    **path: str) -> Any:
        op = OPERATIONS[name]
        response = await self._t.request(op.method, op.path.format(**path), params=params,
                                         json=_body(op, body), idempotency_key=idempotency_key)
        data = response.json() if response.content else None
        return op.answer.model_validate(data) if op.answer is not None else data

    # -- supply points ----------------------------------------------------------------------------

    async def lookup(self, spid: str) -> m.SupplyPoint:
        """設備情報照会 (IF_10110): the fields the caller may see of one point."""
        return await self._call("lookup", spid=spid)

    async def batch_lookup(self, spids: list[str]) -> m.BatchLookupAnswer:
        """Up to 1,000 points in one call (counts once against the rate limit)."""
        return await self._call("batch_lookup", body={"spids": list(spids)})

    async def search(self, *, page: int = 1, per_page: int = 20, **criteria: str | None) -> m.SearchPage:
        """Search by address (area, prefecture, city, town, block, building, room), pole_no or meter_no."""
        return await self._call("search", params={**criteria, "page": page, "per_page": per_page})

    async def iter_search(self, *, per_page: int = 100,
                          **criteria: str | None) -> AsyncIterator[m.SupplyPoint]:
        """Every page of a search; the hub answers at most SEARCH_MAX_PAGE pages (100 points)."""
        page = 1
        while True:
            answer = await self.search(page=page, per_page=per_page, **criteria)
            for item in answer.items:
                yield item
            if not answer.items or page * per_page >= answer.total or page >= SEARCH_MAX_PAGE:
                return
            page += 1

    async def export(self, out: IO[bytes], *, format: str = "ndjson", fields: str = "standard",
                     compression: str = "fast", progress: Progress | None = None) -> int:
        """Writes the compressed export of every point the caller supplies to `out` as received
        (streamed); `fields`: `standard` (the reconciliation columns) or `full` (every field the
        supplier sees); `compression`: `fast` (gzip 1), `small` (gzip 6) or `zstd` (a .zst file).
        `progress(rows, total)` after each chunk.
        Returns the number of rows."""
        rows = 0
        async for chunk, rows, total in self._export_chunks(format, fields, compression):
            out.write(chunk)
            if progress:
                progress(rows, total)
        return rows

    async def iter_export(self, *, format: str = "ndjson", fields: str = "standard", compression: str = "fast",
                          progress: Progress | None = None) -> AsyncIterator[dict[str, Any]]:
        """The export's rows as dicts (NDJSON), decompressed while streaming (`fields`, `compression`:
        as for `export`)."""
        if format != "ndjson":
            raise ValueError("iter_export reads NDJSON; use export() for CSV")
        done = 0
        response = await self._t.stream("GET", OPERATIONS["export"].path, params=_export_params(
            format, fields, compression))
        total = _int(response.headers.get("x-row-count"))
        lines = _ExportLines(response.headers.get("content-type", ""))
        try:
            async for chunk in response.aiter_raw():
                for line in lines.feed(chunk):
                    if line.strip():
                        done += 1
                        yield json.loads(line)
                if progress:
                    progress(done, total)
            for line in lines.close():
                if line.strip():
                    done += 1
                    yield json.loads(line)
        finally:
            await response.aclose()

    async def _export_chunks(self, format: str, fields: str, compression: str
                             ) -> AsyncIterator[tuple[bytes, int, int | None]]:
        response = await self._t.stream("GET", OPERATIONS["export"].path, params=_export_params(
            format, fields, compression))
        total = _int(response.headers.get("x-row-count"))
        lines = _ExportLines(response.headers.get("content-type", ""))
        rows = 0
        try:
            async for chunk in response.aiter_raw():
                rows += sum(1 for line in lines.feed(chunk) if line.strip())
                yield chunk, _data_rows(rows, format, total), total
            rows += len(lines.close())
            yield b"", _data_rows(rows, format, total), total
        finally:
            await response.aclose()

    async def me(self) -> dict[str, Any]:
        return await self._call("me")

    # -- relays -----------------------------------------------------------------------------------

    async def register_relay(self, body: m.RelayRegistration | dict[str, Any], *,
                             idempotency_key: str | None = None) -> m.Relay:
        """廃止取次の登録 (IS_20110)."""
        return await self._call("register_relay", body=body, idempotency_key=idempotency_key)

    async def relay(self, relay_no: str) -> m.Relay:
        return await self._call("relay", relay_no=relay_no)

    async def list_relays(self, *, role: str = "new", page: int = 1, per_page: int = 20,
                          **filters: Any) -> m.RelayPage:
        """role=new: relays I registered (IS_20210); role=current: addressed to me (IS_20310)."""
        return await self._call("list_relays", params={"role": role, "page": page, "per_page": per_page,
                                                       **_params(filters)})

    async def iter_relays(self, *, role: str = "new", per_page: int = 100,
                          **filters: Any) -> AsyncIterator[m.RelaySummary]:
        page = 1
        while True:
            answer = await self.list_relays(role=role, page=page, per_page=per_page, **filters)
            for item in answer.items:
                yield item
            if not answer.items or page * per_page >= answer.total:
                return
            page += 1

    async def decide_relay(self, relay_no: str, decision: str, staff_name: str, *,
                           ng_reasons: list[str] | None = None, memo: str | None = None) -> m.Relay:
        """判断 (IS_20410): decision 01 OK / 02 NG with reason codes."""
        body: dict[str, Any] = {"decision": decision, "staff_name": staff_name}
        if ng_reasons:
            body["ng_reasons"] = ng_reasons
        if memo:
            body["memo"] = memo
        return await self._call("decide_relay", body=body, relay_no=relay_no)

    async def withdraw_relay(self, relay_no: str, reason: str = "") -> m.Relay:
        body = {"reason": reason} if reason else {}
        return await self._call("withdraw_relay", body=body, relay_no=relay_no)

    # -- applications -----------------------------------------------------------------------------

    async def file_application(self, kind: str, body: BaseModel | dict[str, Any], *,
                               idempotency_key: str | None = None) -> m.ApplicationAnswer:
        """File an application of `kind` (switch-start, switch-end, termination, reconnection,
        ampere-change, customer-change) with its request model or a dict of its fields."""
        if kind not in APPLICATION_KINDS:
            raise ValueError(f"unknown application kind {kind!r}: one of {', '.join(APPLICATION_KINDS)}")
        return await self._call(APPLICATION_KINDS[kind], body=body, idempotency_key=idempotency_key)

    async def switch_start(self, body: m.SwitchStartRequest | dict[str, Any],
                           **kw: Any) -> m.ApplicationAnswer:
        return await self.file_application("switch-start", body, **kw)

    async def switch_end(self, body: m.SwitchEndRequest | dict[str, Any], **kw: Any) -> m.ApplicationAnswer:
        return await self.file_application("switch-end", body, **kw)

    async def termination(self, body: m.TerminationRequest | dict[str, Any],
                          **kw: Any) -> m.ApplicationAnswer:
        return await self.file_application("termination", body, **kw)

    async def reconnection(self, body: m.ReconnectionRequest | dict[str, Any],
                           **kw: Any) -> m.ApplicationAnswer:
        return await self.file_application("reconnection", body, **kw)

    async def ampere_change(self, body: m.AmpereChangeRequest | dict[str, Any],
                            **kw: Any) -> m.ApplicationAnswer:
        return await self.file_application("ampere-change", body, **kw)

    async def customer_change(self, body: m.CustomerChangeRequest | dict[str, Any],
                              **kw: Any) -> m.ApplicationAnswer:
        return await self.file_application("customer-change", body, **kw)

    async def application(self, application_no: str) -> m.ApplicationAnswer:
        """業務処理状況確認 (IF_xxx20)."""
        return await self._call("application", application_no=application_no)

    async def correct_application(self, application_no: str, body: m.CorrectionRequest | dict[str, Any]
                                  ) -> m.ApplicationAnswer:
        return await self._call("correct_application", body=body, application_no=application_no)

    async def withdraw_application(self, application_no: str, reason: str) -> m.ApplicationAnswer:
        return await self._call("withdraw_application", body={"reason": reason},
                                application_no=application_no)

    async def search_applications(self, *, page: int = 1, per_page: int = 20,
                                  **filters: Any) -> m.ApplicationList:
        return await self._call("search_applications", params={"page": page, "per_page": per_page,
                                                               **_params(filters)})

    async def iter_applications(self, *, per_page: int = 100,
                                **filters: Any) -> AsyncIterator[m.ApplicationRow]:
        page = 1
        while True:
            answer = await self.search_applications(page=page, per_page=per_page, **filters)
            for item in answer.items:
                yield item
            if not answer.items or page * per_page >= answer.total:
                return
            page += 1

    async def feed_page(self, cursor: str = "", *, limit: int | None = None) -> m.FeedAnswer:
        """One page of the applications feed (IF_11110) after `cursor`."""
        return await self._call("feed", params={"cursor": cursor, "limit": limit})

    def feed(self, cursor: str = "", *, follow: bool = False, poll_interval: float = 5.0,
             limit: int | None = None) -> FeedIterator:
        """The feed's items from `cursor` on (`async for`); with follow=True it waits `poll_interval`
        when caught up and goes on. `.cursor` is where to resume next time."""
        return FeedIterator(self.feed_page, self._t._wait, cursor, follow=follow, poll_interval=poll_interval,
                            limit=limit)

    # -- metering files ---------------------------------------------------------------------------

    async def list_files(self, cursor: str = "", *, per_page: int | None = None, **filters: Any
                         ) -> m.MeteringFileList:
        """My metering files after `cursor` (filters type, date_from, date_to, revision)."""
        params = {"cursor": cursor, "per_page": per_page, **_params(filters)}
        return await self._call("list_files", params=params)

    async def iter_files(self, cursor: str = "", **filters: Any) -> AsyncIterator[m.MeteringFileRow]:
        while True:
            answer = await self.list_files(cursor, **filters)
            for item in answer.items:
                yield item
            cursor = answer.next_cursor
            if not answer.has_more:
                return

    async def download_file(self, file_id: str, *, format: str = "zip") -> DownloadedFile:
        """The file's bytes (a ZIP holding one XML or CSV, or JSON); `.parse()` reads them."""
        response = await self._t.stream("GET", OPERATIONS["download_file"].path.format(file_id=file_id),
                                        params={"format": format})
        try:
            content = b"".join([chunk async for chunk in response.aiter_raw()])
        finally:
            await response.aclose()
        if format == "json" and response.headers.get("content-encoding") == "gzip":
            content = gzip.decompress(content)
        name = _filename(response.headers.get("content-disposition", "")) or f"{file_id}.{format}"
        revision = _int(response.headers.get("x-metering-revision"))
        return DownloadedFile(file_id, format, name, revision, content)

    # -- usage ------------------------------------------------------------------------------------

    async def request_usage_password(self, body: m.UsagePasswordRequest | dict[str, Any], *,
                                     idempotency_key: str | None = None) -> m.UsagePasswordAnswer:
        """使用量照会パスワードの申込 (IF_10210) for 1–20 points of one customer."""
        return await self._call("request_usage_password", body=body, idempotency_key=idempotency_key)

    async def usage_password_status(self, application_no: str) -> m.UsagePasswordAnswer:
        return await self._call("usage_password_status", application_no=application_no)

    async def query_usage(self, spid: str, password: str, purpose: str) -> m.UsageAnswer:
        """使用量照会 (IF_10310): the password travels in the body, never in the URL."""
        return await self._call("query_usage", body={"password": password, "purpose": purpose}, spid=spid)

    async def query_usage_batch(self, spids: list[str], password: str, purpose: str) -> m.UsageBatchAnswer:
        return await self._call("query_usage_batch", body={"spids": list(spids), "password": password,
                                                           "purpose": purpose})

    # -- sandbox (api.md § Sandbox) ---------------------------------------------------------------

    async def sandbox_clock(self) -> dict[str, Any]:
        return await self._call("sandbox_clock")

    async def advance_sandbox_clock(self, duration: str) -> dict[str, Any]:
        """Moves the tenant's clock forward by an ISO 8601 duration (e.g. "P3D", "PT6H")."""
        return await self._sandbox_move({"advance": duration})

    async def set_sandbox_clock(self, to: _dt.datetime | str) -> dict[str, Any]:
        return await self._sandbox_move({"to": to.isoformat() if isinstance(to, _dt.datetime) else to})

    async def sandbox_clock_to_next_reading_day(self) -> dict[str, Any]:
        return await self._sandbox_move({"to_next_reading_day": True})

    async def sandbox_reset(self) -> dict[str, Any]:
        """Restores the tenant's sandbox data."""
        return await self._call("sandbox_reset")

    async def _sandbox_move(self, body: dict[str, Any]) -> dict[str, Any]:
        op = OPERATIONS["move_sandbox_clock"]
        response = await self._t.request(op.method, op.path, json=body)
        return response.json()


def _params(filters: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, _dt.date) else v) for k, v in filters.items()}


def _export_params(format: str, fields: str, compression: str) -> dict[str, str]:
    return {"format": format, "fields": fields, "compression": compression}


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _data_rows(lines: int, format: str, total: int | None) -> int:
    """Rows written so far: NDJSON lines; CSV lines without the header rows (never past the total)."""
    rows = lines if format == "ndjson" else max(0, lines - 1)
    return min(rows, total) if total is not None else rows


def _filename(disposition: str) -> str | None:
    marker = 'filename="'
    if marker in disposition:
        return disposition.split(marker, 1)[1].split('"', 1)[0]
    return None
