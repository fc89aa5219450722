"""The streamed download of one metering file, for the API route and the Web page alike: the service
opens it (permission, visibility, audit row), this streams the area's bytes and closes the area
response when the client has them (or went away)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

from fastapi.responses import StreamingResponse

from switchhub.contract.metering import FileFormat
from switchhub.hub.audit.context import Actor
from switchhub.hub.files import service


async def streamed(engine: Any, areas: Any, actor: Actor, file_id: str, fmt: FileFormat) -> StreamingResponse:
    stack = AsyncExitStack()
    try:
        resp, row = await service.open_download(engine, areas, actor, file_id, fmt, stack)
    except BaseException:
        await stack.aclose()
        raise

    async def body():
        try:
            async for chunk in resp.aiter_raw():
                yield chunk
        finally:
            await stack.aclose()

    name = row["name"] if fmt is FileFormat.ZIP else row["json_name"]
    headers = {"content-disposition": f'attachment; filename="{name}"', "x-metering-revision": str(row["revision"])}
    if resp.headers.get("content-length"):
        headers["content-length"] = resp.headers["content-length"]
    return StreamingResponse(body(), media_type=service.MEDIA[fmt], headers=headers)
