"""Shared HTTP plumbing for hub and area apps: problem+json, request IDs, languages, headers.

Both apps render every error, including FastAPI's own validation errors and anything
unexpected, as RFC 9457 problem+json with Japanese field messages (English on request).
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from switchhub.kernel.errors import (
    Collided,
    FieldIssue,
    Forbidden,
    InputError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    SwitchhubError,
    Unauthenticated,
)

log = logging.getLogger("switchhub")
PROBLEM = "application/problem+json"


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class FastJSONResponse(JSONResponse):
    """JSON for plain dicts/lists/dates without FastAPI's generic encoder (hot read paths)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":"), default=_json_default).encode()


def lang_of(request: Request) -> str:
    accept = request.headers.get("accept-language", "")
    return "en" if accept.lower().startswith("en") else "ja"


def request_id(request: Request) -> str:
    rid = getattr(request.state, "request_id", None)
    if not rid:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        request.state.request_id = rid
    return rid


def problem_response(request: Request, exc: SwitchhubError) -> JSONResponse:
    lang = lang_of(request)
    body = exc.problem(lang, request_id(request))
    return JSONResponse(body, status_code=exc.status, media_type=PROBLEM, headers=exc.headers or None)


_PYDANTIC_JA: dict[str, str] = {
    "missing": "必須項目です",
    "string_type": "文字列で入力してください",
    "int_type": "整数で入力してください",
    "int_parsing": "整数で入力してください",
    "bool_type": "true または false を指定してください",
    "bool_parsing": "true または false を指定してください",
    "date_type": "日付は YYYY-MM-DD 形式で入力してください",
    "date_parsing": "日付は YYYY-MM-DD 形式で入力してください",
    "date_from_datetime_parsing": "日付は YYYY-MM-DD 形式で入力してください",
    "greater_than_equal": "値が小さすぎます",
    "less_than_equal": "値が大きすぎます",
    "greater_than": "値が小さすぎます",
    "less_than": "値が大きすぎます",
    "string_too_long": "文字数が多すぎます",
    "string_too_short": "文字数が足りません",
    "too_long": "件数が多すぎます",
    "too_short": "件数が足りません",
    "list_type": "配列で指定してください",
    "dict_type": "オブジェクトで指定してください",
    "model_type": "オブジェクトで指定してください",
    "literal_error": "指定できない値です",
    "enum": "指定できない値です",
    "json_invalid": "JSON の形式が正しくありません",
    "extra_forbidden": "この項目は指定できません",
    "string_pattern_mismatch": "形式が正しくありません",
    "value_error": "値が正しくありません",
}


def validation_issues(errors: list[dict[str, Any]]) -> list[FieldIssue]:
    issues = []
    for err in errors:
        loc = [str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path", "header")]
        field = ".".join(loc) or "body"
        etype = str(err.get("type", "value_error"))
        ja = _PYDANTIC_JA.get(etype, "値が正しくありません")
        ctx = err.get("ctx") or {}
        if etype in ("greater_than_equal", "less_than_equal", "greater_than", "less_than") and ctx:
            bound = next(iter(ctx.values()))
            ja = f"{ja}（{'以上' if 'greater' in etype else '以下'}の基準: {bound}）"
        if etype in ("too_long", "string_too_long") and "max_length" in ctx:
            ja = f"{ja}（上限 {ctx['max_length']}）"
        if etype == "literal_error" and "expected" in ctx:
            ja = f"{ja}（指定可能: {ctx['expected']}）"
        issues.append(FieldIssue(field, etype, f"{field}: {ja}", f"{field}: {err.get('msg', 'invalid')}"))
    return issues


def http_error(exc: StarletteHTTPException) -> SwitchhubError:
    """The framework's own HTTP errors (unknown route, wrong method) as typed errors with their titles
    and their headers (a 405 names the allowed methods in `Allow`)."""
    err = _http_error_kind(exc)
    err.headers.update(exc.headers or {})
    return err


def _http_error_kind(exc: StarletteHTTPException) -> SwitchhubError:
    if exc.status_code == 404:
        return NotFound("指定されたURLは存在しません", "No such URL", code="no_such_route")
    if exc.status_code == 405:
        return MethodNotAllowed("このURLではこのメソッドは使用できません", "This URL does not allow this method")
    if exc.status_code == 401:
        return Unauthenticated()
    if exc.status_code == 403:
        return Forbidden()
    if exc.status_code == 413:
        return PayloadTooLarge()
    err = InputError(str(exc.detail), str(exc.detail), code="http_error")
    err.status = exc.status_code
    return err


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SwitchhubError)
    async def _switchhub_error(request: Request, exc: SwitchhubError) -> JSONResponse:
        return problem_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        issues = validation_issues(list(exc.errors()))
        err = InputError(issues[0].message_ja if issues else None, issues[0].message_en if issues else None,
                         errors=issues)
        return problem_response(request, err)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(request, http_error(exc))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        if transaction_collided(exc):  # a deadlock or serialization failure: rolled back, worth a retry
            log.warning("transaction collided", extra={"request_id": request_id(request), "sqlstate": _sqlstate(exc)})
            return problem_response(request, Collided(headers={"Retry-After": "1"}))
        log.exception("unexpected error", extra={"request_id": request_id(request)})
        return problem_response(request, SwitchhubError())


COLLISION_STATES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure


def _sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error, through SQLAlchemy's and the driver's wrappers."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        state = getattr(seen, "sqlstate", None) or getattr(seen, "pgcode", None)
        if isinstance(state, str):
            return state
        seen = getattr(seen, "orig", None) or seen.__cause__
    return None


def transaction_collided(exc: BaseException) -> bool:
    return _sqlstate(exc) in COLLISION_STATES


SECURITY_HEADERS = {
    "strict-transport-security": "max-age=31536000",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'",
    "x-frame-options": "DENY",
}


async def parse_body(request: Request, model: type) -> Any:
    """Validate a JSON body in pydantic's strict JSON mode (dates only as YYYY-MM-DD strings)."""
    from pydantic import ValidationError

    raw = await request.body()  # bounded while it is read (BodyLimit)
    if b"\\u0000" in raw or b"\x00" in raw:
        raise InputError.single("body", "nul_character", "使用できない文字（NUL）が含まれています",
                                "The body contains a NUL character")
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        issues = validation_issues(list(exc.errors()))
        raise InputError(issues[0].message_ja, issues[0].message_en, errors=issues) from None


def json_body(model: type) -> Any:
    """A route parameter holding the strictly parsed JSON body (`parse_body`), declared in OpenAPI.

    Declare it after the caller's permission dependency: the permission is decided first, so a
    caller without it is refused before its input is judged.
    """
    from fastapi import Depends

    async def body(request: Request) -> Any:
        return await parse_body(request, model)

    body.body_model = model  # type: ignore[attr-defined]  (read by the OpenAPI builder)
    return Depends(body)


def _query_names(dependant: Any) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def known_query_only(request: Request) -> None:
    """Refuse query parameters the operation does not have (a mistyped filter must not be
    silently ignored, which would answer more than was asked for)."""
    route = request.scope.get("route")
    if route is None:
        return
    names = getattr(route, "_switchhub_query_names", None)
    if names is None:  # computed once per route, kept on the route itself
        names = frozenset(_query_names(route.dependant))
        route._switchhub_query_names = names
    unknown = sorted({k for k in request.query_params.keys() if k not in names})
    if unknown:
        shown = ", ".join(repr(k)[:40] for k in unknown[:5])
        raise InputError(f"指定できないパラメータです: {shown}", f"Unknown query parameters: {shown}",
                         errors=[FieldIssue(k[:60] or "query", "unknown_parameter",
                                            f"{k[:60]}: 指定できないパラメータです", f"{k[:60]}: unknown parameter")
                                 for k in unknown[:20]])


class RejectNulBytes:
    """PostgreSQL text cannot hold NUL: refuse it in paths and query strings with a field error
    instead of letting it reach the database (found by the schemathesis run)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            from urllib.parse import parse_qsl

            field = None
            if "\x00" in scope.get("path", ""):
                field = "path"
            else:
                for key, value in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True):
                    if "\x00" in key or "\x00" in value:
                        field = key.replace("\x00", "") or "query"
                        break
            if field is not None:
                err = InputError.single(field, "nul_character", f"{field}: 使用できない文字（NUL）が含まれています",
                                        f"{field}: contains a NUL character")
                body = json.dumps(err.problem("ja"), ensure_ascii=False).encode()
                await send({"type": "http.response.start", "status": 422,
                            "headers": [(b"content-type", PROBLEM.encode()), (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"リクエストの本文が大きすぎます（上限 {limit:,} バイト）",
                           f"The request body is larger than {limit:,} bytes")


class BodyLimit:
    """Refuse request bodies over `max_bytes` while they are read, not after (security review).

    A declared Content-Length over the limit is answered 413 before anything is read; otherwise
    the bytes are counted as the app receives them and the read that crosses the limit raises
    `PayloadTooLarge`, which the app's error handlers answer as 413 problem+json.
    """

    def __init__(self, app: Any, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.larger = dict(larger or {})  # exact path → its own limit (bulk file uploads)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope.get("path", ""), self.max_bytes)
        declared = next((v for k, v in scope.get("headers", []) if k == b"content-length"), None)
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            err = _too_large(limit)
            body = json.dumps(err.problem("ja"), ensure_ascii=False).encode()
            await send({"type": "http.response.start", "status": 413,
                        "headers": [(b"content-type", PROBLEM.encode()), (b"content-length", str(len(body)).encode()),
                                    (b"connection", b"close")]})
            await send({"type": "http.response.body", "body": body})
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _too_large(limit)
            return message

        await self.app(scope, counted, send)
