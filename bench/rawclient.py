"""A lean keep-alive HTTP/1.1 client over TLS with a client certificate, for load generation.

httpx spends more CPU per request than the servers under test; on a 2-core machine the
load generator must stay light, so this speaks just enough HTTP/1.1 (Content-Length bodies).
"""

from __future__ import annotations

import asyncio
import ssl


class RawConnection:
    def __init__(self, host: str, port: int, ctx: ssl.SSLContext, headers: dict[str, str]) -> None:
        self.host, self.port, self.ctx = host, port, ctx
        self.extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        return await self._exchange(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.extra}\r\n".encode())

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        """A JSON POST (an inquiry); the answer as sent (the request asks for no content coding)."""
        return await self._exchange(f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.extra}"
                                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                                    + body)

    async def _exchange(self, request: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port, ssl=self.ctx,
                                                                     server_hostname="localhost")
        self.writer.write(request)
        await self.writer.drain()
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
