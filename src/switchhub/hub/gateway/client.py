"""The area client: the contract's operations as typed methods, over HTTPS with the hub's certificate.

`AreaClient` is the interface; `HttpsAreaClient` the real implementation. Tests and the
sandbox plug another area server in behind the same contract by giving it an
`httpx.AsyncBaseTransport`. An area that is down answers 503 and one that is slow 504,
for that area only: nothing here is shared between areas except the hub itself.
"""

from __future__ import annotations

import json
import ssl
import zlib
from collections.abc import AsyncIterator, Awaitable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

import httpx
from pydantic import BaseModel, ValidationError

from switchhub.contract.applications import (
    ApplicationAnswer,
    AreaFeedPage,
    BulkFilingAnswer,
    BulkFilingRequest,
)
from switchhub.contract.headers import IDEMPOTENCY_KEY, caller_headers
from switchhub.contract.metering import FileFormat, MeteringFilePage
from switchhub.contract.points import BatchAnswer, PointItem, SearchAnswer
from switchhub.contract.usage import (
    UsageBatchInquiryRequest,
    UsageDecisionRequest,
    UsageIndexPage,
    UsageInquiryRequest,
    UsagePasswordAnswer,
    UsagePasswordRequest,
    UsageReviewDetail,
    UsageReviewPage,
)
from switchhub.hub.gateway.keepalive import KeepAliveError, KeepAlivePool, KeepAliveTimeout
from switchhub.kernel.caller import Caller
from switchhub.kernel.codes import Area
from switchhub.kernel.errors import (
    RESERVED_MEMBERS,
    AreaTimeout,
    AreaUnavailable,
    Conflict,
    Forbidden,
    InputError,
    NotFound,
    SwitchhubError,
)

Transport = httpx.AsyncBaseTransport


class AreaClient(Protocol):
    """The contract's operations, one typed method each (paths live only in the implementation)."""

    async def lookup(self, caller: Caller, spid: str) -> PointItem: ...

    async def batch_get(self, area: str, caller: Caller, spids: list[str]) -> BatchAnswer: ...

    async def search(self, area: str, caller: Caller, query: dict[str, str], limit: int) -> SearchAnswer: ...

    def export(self, area: str, caller: Caller, fmt: str, header: bool, fields: str = "standard",
               compression: str = "fast") -> "AbstractAsyncContextManager[httpx.Response]": ...

    async def file_application(self, caller: Caller, kind: str, body: BaseModel, *,
                               idempotency_key: str | None = None) -> dict[str, Any]: ...

    async def application(self, caller: Caller, application_no: str) -> dict[str, Any]: ...

    async def correct_application(self, caller: Caller, application_no: str, body: BaseModel, *,
                                  idempotency_key: str | None = None) -> dict[str, Any]: ...

    async def withdraw_application(self, caller: Caller, application_no: str, body: BaseModel, *,
                                   idempotency_key: str | None = None) -> dict[str, Any]: ...

    async def feed(self, area: str, caller: Caller, after: int, limit: int) -> AreaFeedPage: ...

    async def file_applications(self, area: str, caller: Caller, batch: BulkFilingRequest) -> BulkFilingAnswer: ...

    async def request_usage_password(self, caller: Caller, area: str, body: UsagePasswordRequest, *,
                                     idempotency_key: str | None = None) -> dict[str, Any]: ...

    async def usage_password(self, caller: Caller, application_no: str) -> dict[str, Any]: ...

    async def usage_reviews(self, area: str, caller: Caller, state: str, page: int, per_page: int
                            ) -> UsageReviewPage: ...

    async def usage_review(self, caller: Caller, application_no: str) -> dict[str, Any]: ...

    async def usage_index(self, area: str, caller: Caller, after: str, limit: int) -> UsageIndexPage: ...

    async def usage_review_document(self, caller: Caller, application_no: str, n: int) -> tuple[bytes, str]: ...

    async def decide_usage_review(self, caller: Caller, application_no: str, body: UsageDecisionRequest
                                  ) -> dict[str, Any]: ...

    async def query_usage(self, caller: Caller, spid: str, body: UsageInquiryRequest) -> bytes: ...

    async def query_usage_batch(self, area: str, caller: Caller, body: UsageBatchInquiryRequest
                                ) -> tuple[bytes, bytes | None]: ...

    def metering_file(self, area: str, caller: Caller, file_id: str, fmt: FileFormat
                      ) -> "AbstractAsyncContextManager[httpx.Response]": ...

    async def metering_files(self, area: str, caller: Caller, retailer: str, after: int, limit: int
                             ) -> MeteringFilePage: ...

    # sandbox mode only (src/switchhub/sandbox): the tenant's clock and reset, once per area system
    def sandbox_areas(self) -> list[str]: ...

    async def set_sandbox_clock(self, area: str, caller: Caller, offset_seconds: int) -> dict[str, Any]: ...

    async def reset_sandbox(self, area: str, caller: Caller) -> dict[str, Any]: ...

    async def aclose(self) -> None: ...


def _area_name(area: str) -> str:
    try:
        return Area(area).ja
    except ValueError:
        return area


class HttpsAreaClient:
    """One pooled httpx client per distinct area base URL, keep-alive, hub certificate."""

    def __init__(self, urls: dict[str, str], *, cert: tuple[str, str] | None = None, ca: str | None = None,
                 timeout: float = 5.0, transports: dict[str, Transport] | None = None, gzip: bool = False) -> None:
        self.urls = dict(urls)
        #: ask for the usage inquiry's answer gzipped (Settings.area_gzip; docs/benchmarks.md P10)
        self.gzip = gzip
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._pools: dict[str, KeepAlivePool] = {}
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._cert, self._ca, self._timeout = cert, ca, timeout
        self._transports = transports or {}

    def _base(self, area: str) -> str:
        base = self.urls.get(area)
        if not base:
            raise AreaUnavailable(f"エリア {_area_name(area)} の一般送配電事業者システムは登録されていません",
                                  f"No system is registered for area {area}", extra={"area": area})
        return base

    def _ssl_context(self, base: str) -> ssl.SSLContext:
        """One TLS context per area system, shared by its httpx client and its keep-alive pool."""
        if base not in self._contexts:
            ctx = ssl.create_default_context(cafile=self._ca) if self._ca else ssl.create_default_context()
            if self._cert:
                ctx.load_cert_chain(*self._cert)
            self._contexts[base] = ctx
        return self._contexts[base]

    def _pool(self, area: str) -> KeepAlivePool | None:
        """The lean keep-alive pool for the lookup (keepalive.py); None when a transport is plugged in
        for this area (tests, in-process stubs), which then serves every call through httpx."""
        base = self._base(area)
        if base in self._transports or not base.startswith("https://"):
            return None
        if base not in self._pools:
            self._pools[base] = KeepAlivePool(base, self._ssl_context(base), timeout=self._timeout,
                                              connect_timeout=min(self._timeout, 3.0))
        return self._pools[base]

    def _client(self, area: str) -> httpx.AsyncClient:
        base = self._base(area)
        if base not in self._clients:
            kwargs: dict[str, Any] = {}
            if base in self._transports:
                kwargs["transport"] = self._transports[base]
            else:
                kwargs["verify"] = self._ssl_context(base)
            self._clients[base] = httpx.AsyncClient(
                base_url=base, timeout=httpx.Timeout(self._timeout, connect=min(self._timeout, 3.0)),
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32), **kwargs)
        return self._clients[base]


    # -- the contract's operations ------------------------------------------------------------

    async def lookup(self, caller: Caller, spid: str) -> PointItem:
        area, path = spid[:2], f"/area/v1/supply-points/{spid}"
        pool = self._pool(area)
        if pool is None:
            return _checked_answer(PointItem, await self._call(area, "GET", path, caller))
        # the hot path (targets.md P1): the lean keep-alive pool, the answer decoded once
        body = await _pooled(area, pool.get(path, caller_headers(caller)))
        try:
            return PointItem.model_validate_json(body)
        except ValidationError as exc:
            raise _contract_violation(exc) from None

    async def batch_get(self, area: str, caller: Caller, spids: list[str]) -> BatchAnswer:
        return BatchAnswer.model_validate(await self._call(area, "POST", "/area/v1/supply-points:batch-get", caller,
                                                           json={"spids": spids}))

    async def search(self, area: str, caller: Caller, query: dict[str, str], limit: int) -> SearchAnswer:
        return SearchAnswer.model_validate(await self._call(area, "GET", "/area/v1/supply-points", caller,
                                                            params={**query, "area": area, "offset": 0,
                                                                    "limit": limit}))

    def export(self, area: str, caller: Caller, fmt: str, header: bool, fields: str = "standard",
               compression: str = "fast") -> AbstractAsyncContextManager[httpx.Response]:
        return self._stream(area, "/area/v1/supply-points:export", caller,
                            params={"area": area, "format": fmt, "header": "true" if header else "false",
                                    "fields": fields, "compression": compression})

    async def file_application(self, caller: Caller, kind: str, body: BaseModel, *,
                               idempotency_key: str | None = None) -> dict[str, Any]:
        spid = getattr(body, "spid")
        return _application(await self._write(spid[:2], "POST", f"/area/v1/applications/{kind}", caller,
                                              body.model_dump(mode="json"), idempotency_key))

    async def application(self, caller: Caller, application_no: str) -> dict[str, Any]:
        return _application(await self._call(application_no[:2], "GET", f"/area/v1/applications/{application_no}",
                                             caller))

    async def correct_application(self, caller: Caller, application_no: str, body: BaseModel, *,
                                  idempotency_key: str | None = None) -> dict[str, Any]:
        return _application(await self._write(application_no[:2], "PATCH", f"/area/v1/applications/{application_no}",
                                              caller, body.model_dump(mode="json", exclude_unset=True),
                                              idempotency_key))

    async def withdraw_application(self, caller: Caller, application_no: str, body: BaseModel, *,
                                   idempotency_key: str | None = None) -> dict[str, Any]:
        return _application(await self._write(application_no[:2], "POST",
                                              f"/area/v1/applications/{application_no}:withdraw", caller,
                                              body.model_dump(mode="json"), idempotency_key))

    async def feed(self, area: str, caller: Caller, after: int, limit: int) -> AreaFeedPage:
        return AreaFeedPage.model_validate(await self._call(area, "GET", "/area/v1/applications", caller,
                                                            params={"area": area, "after": after, "limit": limit}))

    async def file_applications(self, area: str, caller: Caller, batch: BulkFilingRequest) -> BulkFilingAnswer:
        """A bulk file's rows of one area in one area transaction (the read may take a while: up to
        10,000 filings, so its timeout grows with the batch)."""
        return BulkFilingAnswer.model_validate(await self._call(
            area, "POST", "/area/v1/applications:bulk", caller, json=batch.model_dump(mode="json"),
            read_timeout=max(self._timeout, 30.0 + len(batch.items) * 0.05)))

    # -- usage passwords (type 08) and the usage inquiry ------------------------------------------

    async def request_usage_password(self, caller: Caller, area: str, body: UsagePasswordRequest, *,
                                     idempotency_key: str | None = None) -> dict[str, Any]:
        return _checked_model(UsagePasswordAnswer, await self._call(
            area, "POST", "/area/v1/usage-passwords", caller, json=body.model_dump(mode="json"),
            idempotency_key=idempotency_key))

    async def usage_password(self, caller: Caller, application_no: str) -> dict[str, Any]:
        return _checked_model(UsagePasswordAnswer, await self._call(
            application_no[:2], "GET", f"/area/v1/usage-passwords/{application_no}", caller))

    async def usage_reviews(self, area: str, caller: Caller, state: str, page: int, per_page: int
                            ) -> UsageReviewPage:
        return UsageReviewPage.model_validate(_checked_model(UsageReviewPage, await self._call(
            area, "GET", "/area/v1/usage-password-reviews", caller,
            params={"area": area, "state": state, "page": page, "per_page": per_page})))

    async def usage_index(self, area: str, caller: Caller, after: str, limit: int) -> UsageIndexPage:
        """A page of an area's retailer usage requests (the applications index backfill)."""
        return UsageIndexPage.model_validate(await self._call(
            area, "GET", "/area/v1/usage-passwords", caller, params={"area": area, "after": after, "limit": limit}))

    async def usage_review(self, caller: Caller, application_no: str) -> dict[str, Any]:
        return _checked_model(UsageReviewDetail, await self._call(
            application_no[:2], "GET", f"/area/v1/usage-password-reviews/{application_no}", caller))

    async def usage_review_document(self, caller: Caller, application_no: str, n: int) -> tuple[bytes, str]:
        resp = await self._call(application_no[:2], "GET",
                                f"/area/v1/usage-password-reviews/{application_no}/documents/{n}", caller, raw=True)
        return resp.content, resp.headers.get("content-type", "application/octet-stream").split(";")[0]

    async def decide_usage_review(self, caller: Caller, application_no: str, body: UsageDecisionRequest
                                  ) -> dict[str, Any]:
        return _checked_model(UsageReviewDetail, await self._call(
            application_no[:2], "POST", f"/area/v1/usage-password-reviews/{application_no}/decision", caller,
            json=body.model_dump(mode="json")))

    async def query_usage(self, caller: Caller, spid: str, body: UsageInquiryRequest) -> bytes:
        """The area's answer as bytes, unparsed: the hub checks it on its hot path (hub/usage/service.py)
        and passes it through when its re-check strips nothing."""
        resp = await self._call(spid[:2], "POST", f"/area/v1/supply-points/{spid}/usage:query", caller,
                                json=body.model_dump(mode="json"), raw=True)
        return resp.content

    async def query_usage_batch(self, area: str, caller: Caller, body: UsageBatchInquiryRequest
                                ) -> tuple[bytes, bytes | None]:
        """All points of one area in one call (`POST /area/v1/usage:query`): the answer's bytes, and the
        gzip stream as the area sent it (None if it did not compress; asked for only with `gzip`),
        which the hub can pass on to a client that accepts gzip without compressing 3 MB again
        (docs/benchmarks.md P10)."""
        pool = self._pool(area)
        if pool is not None:  # the lean pool: ≈ 11 ms of the hub's CPU less for 3.2 MB (keepalive.py)
            try:
                status, raw, gzipped = await pool.post_json("/area/v1/usage:query", caller_headers(caller),
                                                            body.model_dump_json().encode(), gzip=self.gzip,
                                                            timeout=max(self._timeout, 15.0))
            except KeepAliveTimeout as exc:
                raise _timeout(area) from exc
            except KeepAliveError as exc:
                raise _unavailable(area) from exc
            return _usage_batch_answer(area, status, raw, gzipped)
        client = self._client(area)
        try:
            request = client.build_request("POST", "/area/v1/usage:query", json=body.model_dump(mode="json"),
                                           headers={**caller_headers(caller),
                                                    "Accept-Encoding": "gzip" if self.gzip else "identity"},
                                           timeout=httpx.Timeout(max(self._timeout, 15.0), connect=3.0))
            resp = await client.send(request, stream=True)
            try:
                raw = b"".join([chunk async for chunk in resp.aiter_raw()])
            finally:
                await resp.aclose()
        except httpx.TimeoutException as exc:
            raise _timeout(area) from exc
        except httpx.HTTPError as exc:
            raise _unavailable(area) from exc
        return _usage_batch_answer(area, resp.status_code, raw,
                                   resp.headers.get("content-encoding", "").lower() == "gzip")

    def metering_file(self, area: str, caller: Caller, file_id: str, fmt: FileFormat
                      ) -> AbstractAsyncContextManager[httpx.Response]:
        """One metering file's bytes (ZIP or JSON), streamed as the area sends them."""
        return self._stream(area, f"/area/v1/metering/files/{file_id}", caller, params={"format": fmt.value})

    async def metering_files(self, area: str, caller: Caller, retailer: str, after: int, limit: int
                             ) -> MeteringFilePage:
        """A page of an area's file list after a position (the hub's catch-up after missed events)."""
        params = {"after": after, "limit": limit, **({"retailer": retailer} if retailer else {})}
        return MeteringFilePage.model_validate(await self._call(area, "GET", "/area/v1/metering/files", caller,
                                                                params=params))

    # -- sandbox mode only (src/switchhub/sandbox) ------------------------------------------------

    def sandbox_areas(self) -> list[str]:
        """One area code per distinct area system (the demo's one process serves all 10)."""
        first: dict[str, str] = {}
        for area in sorted(self.urls):
            first.setdefault(self.urls[area], area)
        return sorted(first.values())

    async def set_sandbox_clock(self, area: str, caller: Caller, offset_seconds: int) -> dict[str, Any]:
        return await self._call(area, "POST", "/area/v1/sandbox/clock", caller,
                                json={"offset_seconds": offset_seconds})

    async def reset_sandbox(self, area: str, caller: Caller) -> dict[str, Any]:
        """Recreating a database from its snapshot takes seconds for a large tenant."""
        return await self._call(area, "POST", "/area/v1/sandbox/reset", caller, json={},
                                read_timeout=max(self._timeout, 120.0))

    # -- transport ------------------------------------------------------------------------------

    async def _call(self, area: str, method: str, path: str, caller: Caller, *, params: dict | None = None,
                    json: Any = None, idempotency_key: str | None = None, read_timeout: float | None = None,
                    raw: bool = False) -> Any:
        client = self._client(area)
        headers = caller_headers(caller)
        if idempotency_key:  # the area stores the first answer under the caller's key (retry after a lost answer)
            headers[IDEMPOTENCY_KEY] = idempotency_key
        timeout = httpx.Timeout(read_timeout, connect=min(self._timeout, 3.0)) if read_timeout else httpx.USE_CLIENT_DEFAULT
        try:  # httpx's timeouts bound each step (connect, TLS, read); cancelling mid-handshake leaks sockets
            resp = await client.request(method, path, params=params, json=json, headers=headers, timeout=timeout)
        except httpx.TimeoutException as exc:
            raise _timeout(area) from exc
        except httpx.HTTPError as exc:
            raise _unavailable(area) from exc
        if resp.status_code >= 400:
            raise translate_error(area, resp.status_code, _json_or_none(resp))
        return resp if raw else resp.json()

    async def _write(self, area: str, method: str, path: str, caller: Caller, payload: Any,
                     idempotency_key: str | None) -> Any:
        """A JSON request that changes something (a filing, correction, withdrawal), over the lean
        keep-alive pool and sent at most once (keepalive.py); through httpx when a transport is plugged
        in. A 2xx answer that is not JSON is the area's failure, as an answer outside the contract."""
        pool = self._pool(area)
        if pool is None:
            return await self._call(area, method, path, caller, json=payload, idempotency_key=idempotency_key)
        headers = caller_headers(caller)
        if idempotency_key:
            headers[IDEMPOTENCY_KEY] = idempotency_key
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        answer = await _pooled(area, pool.send_once(method, path, headers, body))
        try:
            return json.loads(answer)
        except ValueError:
            raise _outside_contract({"area": area}) from None

    @asynccontextmanager
    async def _stream(self, area: str, path: str, caller: Caller, *, params: dict | None = None
                      ) -> AsyncIterator[httpx.Response]:
        client = self._client(area)
        try:
            async with client.stream("GET", path, params=params, headers=caller_headers(caller),
                                     timeout=httpx.Timeout(None, connect=3.0)) as resp:
                if resp.status_code >= 400:
                    await resp.aread()
                    raise translate_error(area, resp.status_code, _json_or_none(resp))
                yield resp
        except httpx.TimeoutException as exc:
            raise _timeout(area) from exc
        except httpx.HTTPError as exc:
            raise _unavailable(area) from exc

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()


async def _pooled(area: str, exchange: Awaitable[tuple[int, bytes]]) -> bytes:
    """The body of a 2xx answer over the keep-alive pool; the pool's failures (503/504 for that area)
    and the area's problem answers mapped as for every other call."""
    try:
        status, body = await exchange
    except KeepAliveTimeout as exc:
        raise _timeout(area) from exc
    except KeepAliveError as exc:
        raise _unavailable(area) from exc
    if status >= 400:
        raise translate_error(area, status, _json_bytes_or_none(body))
    return body


def _application(body: Any) -> dict[str, Any]:
    """An application answer checked against the contract; extra fields are kept so that the hub's
    visibility re-check sees everything the area sent. An answer outside the contract (an unknown
    type or stage, a missing field) is the area's failure, answered as that area unavailable."""
    try:
        ApplicationAnswer.model_validate(body)
    except ValidationError as exc:
        raise _contract_violation(exc) from None
    return body


def _checked_model(model: type[BaseModel], body: Any) -> Any:
    """An answer checked against its contract model, kept as sent (the hub's visibility re-check sees
    everything the area sent); outside the contract it is that area's failure."""
    _checked_answer(model, body)
    return body


def _checked_answer(model: type[BaseModel], body: Any) -> Any:
    """The answer as its contract model; outside the contract it is that area's failure."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise _contract_violation(exc) from None


def _contract_violation(exc: ValidationError) -> AreaUnavailable:
    return _outside_contract({"problems": len(exc.errors())})


def _outside_contract(extra: dict[str, Any]) -> AreaUnavailable:
    return AreaUnavailable("一般送配電事業者システムの応答が契約（インタフェース仕様）と一致しません",
                           "The area system answered outside the contract", code="area_contract_violation",
                           extra=extra)


def _usage_batch_answer(area: str, status: int, raw: bytes, gzipped: bool) -> tuple[bytes, bytes | None]:
    """(the answer's bytes, the gzip stream as the area sent it or None) of a usage batch, or the
    area's refusal as the hub's error."""
    gz = raw if gzipped else None
    try:
        content = zlib.decompress(raw, 31) if gz is not None else raw
    except zlib.error:
        raise _unavailable(area) from None
    if status >= 400:
        raise translate_error(area, status, _json_bytes_or_none(content))
    return content, gz


def _json_bytes_or_none(body: bytes) -> dict | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _json_or_none(resp: httpx.Response) -> dict | None:
    return _json_bytes_or_none(resp.content)


def _timeout(area: str) -> AreaTimeout:
    return AreaTimeout(f"エリア {_area_name(area)} の一般送配電事業者システムから応答がありません",
                       f"The system of area {area} did not answer in time", extra={"area": area})


def _unavailable(area: str) -> AreaUnavailable:
    return AreaUnavailable(f"エリア {_area_name(area)} の一般送配電事業者システムに接続できません",
                           f"The system of area {area} is unavailable", extra={"area": area})


def translate_error(area: str, status: int, body: dict | None) -> SwitchhubError:
    """An area's problem answer as the hub's own typed error (5xx → 503 for that area).

    Business refusals keep the area's code, title and detail (a 409 state check stays the
    state check it is); "not found" is the hub's own, so absent and not-yours stay alike.
    """
    body = body or {}
    detail = str(body.get("detail") or "")
    if status == 404:
        return NotFound(detail or None)
    if status in (400, 422):
        from switchhub.kernel.errors import FieldIssue

        issues = [FieldIssue(str(e.get("field", "")), str(e.get("code", "")), str(e.get("message", "")),
                             str(e.get("message", ""))) for e in body.get("errors", []) if isinstance(e, dict)]
        return InputError(detail or None, detail or None, errors=issues, code=body.get("code") or None)
    if 400 <= status < 500:
        kind = {403: Forbidden, 409: Conflict}.get(status, SwitchhubError)
        err = kind(detail or None, detail or None, code=str(body.get("code") or "area_refused"),
                   extra={k: v for k, v in body.items() if k not in RESERVED_MEMBERS})
        err.status = status
        if kind is SwitchhubError:
            err.title_ja, err.title_en = "一般送配電事業者のシステムが要求を受け付けませんでした", "The area system refused the request"
        if body.get("title"):
            err.title_ja = str(body["title"])
        return err
    return _unavailable(area)
