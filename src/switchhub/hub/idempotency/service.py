"""`Idempotency-Key` on every POST (api.md): the same key and body returns the first answer for 7
days; the same key with another body is 422. A client can always retry after a timeout."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse

from switchhub.httpkit import PROBLEM, lang_of, request_id
from switchhub.hub.idempotency import repository
from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import Conflict, InputError, SwitchhubError

Producer = Callable[[], Awaitable[Any]]
MAX_KEY_LENGTH = 200


async def _declared_key(key: Annotated[str, Header(
        alias="Idempotency-Key", json_schema_extra={"maxLength": MAX_KEY_LENGTH},
        description="再送しても一度だけ処理されるためのキー（7日間保持）。同じキー・同じ内容なら最初の応答を返し、"
                    "同じキーで内容が異なれば422 (the same key and body returns the first answer)")] = "") -> str:
    return key


#: Route dependency that declares the `Idempotency-Key` header of a route answered through
#: `idempotent` (the header itself is read and checked there, with its Japanese field message).
#: Async, like every route dependency: FastAPI runs a plain function on a worker thread.
IDEMPOTENCY_KEY = Depends(_declared_key)


async def idempotent(request: Request, caller: Caller, produce: Producer, status_code: int = 200, *,
                     fingerprint: bytes | None = None) -> JSONResponse:
    """`fingerprint`: what identifies the request when its raw body does not (a multipart upload's
    boundary changes on every retry of the same file); the route's method and path are added."""
    key = request.headers.get("idempotency-key")
    if not key:
        return JSONResponse(await produce(), status_code=status_code)
    if len(key) > MAX_KEY_LENGTH:
        raise InputError.single("Idempotency-Key", "too_long", "Idempotency-Key は200文字以内で指定してください",
                                "Idempotency-Key must be at most 200 characters")
    content = fingerprint if fingerprint is not None else await request.body()
    digest = hashlib.sha256(request.method.encode() + request.url.path.encode() + content).hexdigest()
    engine = request.app.state.engine
    async with engine.begin() as conn:
        row = await repository.lock_key(conn, caller.operator_code, key)
        if row is not None:
            if row.request_hash != digest:
                raise InputError.single("Idempotency-Key", "idempotency_key_reused",
                                        "同じ Idempotency-Key が異なる内容のリクエストに使われています",
                                        "The Idempotency-Key was used with a different request")
            if row.status_code:
                return JSONResponse(json.loads(bytes(row.response_body)), status_code=row.status_code,
                                    media_type=row.content_type, headers={"Idempotent-Replayed": "true"})
            if not row.stale:
                raise Conflict("同じ Idempotency-Key のリクエストを処理中です", "A request with this key is in progress",
                               code="idempotency_in_progress")
            await repository.delete_key(conn, caller.operator_code, key)
        await repository.insert_claim(conn, caller.operator_code, key, digest)
    try:
        body, code, ctype = await produce(), status_code, "application/json"
    except SwitchhubError as exc:
        if exc.status >= 500:  # the area was unavailable: let the client retry the same key
            async with engine.begin() as conn:
                await repository.delete_key(conn, caller.operator_code, key)
            raise
        body, code, ctype = exc.problem(lang_of(request), request_id(request)), exc.status, PROBLEM
    async with engine.begin() as conn:
        await repository.store_answer(conn, caller.operator_code, key, code,
                                      json.dumps(body, ensure_ascii=False, default=str).encode(), ctype)
    return JSONResponse(body, status_code=code, media_type=ctype)
