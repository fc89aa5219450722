"""A lean pooled HTTP/1.1 keep-alive client over TLS for the hub's hottest area calls: the lookup,
the usage batch inquiry and the application filings.

Why not httpx here: on the facility lookup path (targets.md P1) httpx/httpcore cost the hub about a
third of its CPU per lookup, ≈ 3.5× a lean client on the same path (../shared/spikes/p1-chain,
docs/benchmarks.md P1); receiving the usage batch's 3.2 MB answer over TLS costs httpx ≈ 15 ms of
CPU against ≈ 4.5 ms for asyncio's streams (P10). Both are one request with a JSON answer, so this
speaks just the HTTP/1.1 they need: a request head (and a small body), an answer with Content-Length
or chunked transfer coding, and keep-alive. A filing is one of four HTTPS calls per complete switch;
moving the filings here cut the hub's CPU per switch by about a third (docs/benchmarks.md P3).
Everything else (streams,
exports, the other calls) stays on httpx in `client.py`.

Failure rules, the same as httpx's for the caller (`client.py` maps them to 503/504 for that area):
a connection that timed out, failed or was cut mid-answer is closed, never reused. A read (`get`,
`post_json`) on a pooled connection that the area had already closed (keep-alive ended on its side)
is retried once on a new connection. A write (`send_once`) is never sent twice: an idle connection
the area has closed is dropped before the request is written, and a connection that fails after it
was written is an error for the caller, who may send the filing again under its Idempotency-Key.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from urllib.parse import urlsplit


class KeepAliveError(Exception):
    """The area could not be reached or its answer was cut (the caller answers 503)."""


class KeepAliveTimeout(KeepAliveError):
    """No answer within the timeout (the caller answers 504)."""


class _Connection:
    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    def close(self) -> None:
        self.writer.transport.abort()  # no TLS close_notify wait: the connection is dropped

    def closed_by_area(self) -> bool:
        """The area ended this idle connection (its end of stream, or anything it sent unasked, has
        arrived): a write must not be sent on it. (StreamReader has no public view of its buffer; a
        byte waiting there would otherwise be taken for the start of the write's answer.)"""
        return self.reader.at_eof() or bool(self.reader._buffer) or self.writer.is_closing()


class KeepAlivePool:
    """Keep-alive connections to one area base URL: at most `max_connections` open, every one kept
    when its answer is read. A request waits (within its timeout) for a free connection rather than
    opening one more: with 128 lookups in flight and 32 connections kept, each of the others opened
    and closed a TLS connection per lookup (p99 990 ms against 132 ms for the minimal endpoint,
    docs/benchmarks.md P1), and the area's database pool serves ≈ 20 at once anyway."""

    def __init__(self, base_url: str, ctx: ssl.SSLContext, *, timeout: float, connect_timeout: float,
                 max_connections: int = 64) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"an https base URL is needed: {base_url!r}")
        self.host, self.port = parts.hostname, parts.port or 443
        self.prefix = parts.path.rstrip("/")
        self.authority = parts.netloc.encode("ascii")
        self.ctx, self.timeout, self.connect_timeout = ctx, timeout, connect_timeout
        self.max_connections = max_connections
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: deque[_Connection] = deque()

    async def get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        """(status, body) of a GET; the body decoded from chunked coding if the area used it."""
        status, body, _ = await self._send(self._head("GET", path, headers))
        return status, body

    async def post_json(self, path: str, headers: dict[str, str], body: bytes, *, gzip: bool = False,
                        timeout: float | None = None) -> tuple[int, bytes, bool]:
        """(status, body, gzipped) of a POST of a JSON body that reads (an inquiry): with `gzip` the
        area may deflate its answer, and `gzipped` says whether it did (the body is then as sent);
        `timeout` instead of the pool's for an answer that takes longer (megabytes)."""
        head = self._head("POST", path, {**headers, "Content-Type": "application/json",
                                         "Content-Length": str(len(body))},
                          accept_encoding="gzip" if gzip else "identity")
        return await self._send(head + body, timeout)

    async def send_once(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        """(status, body) of a request with a JSON body that changes something (a filing), written to
        the area at most once (the module's failure rules)."""
        head = self._head(method, path, {**headers, "Content-Type": "application/json",
                                         "Content-Length": str(len(body))})
        status, answer, _ = await self._send(head + body, replayable=False)
        return status, answer

    async def _send(self, request: bytes, timeout: float | None = None, *, replayable: bool = True
                    ) -> tuple[int, bytes, bool]:
        try:
            async with asyncio.timeout(timeout or self.timeout):
                await self._slots.acquire()
        except TimeoutError as exc:
            raise KeepAliveTimeout("no connection to the area free in time") from exc
        try:
            return await self._send_on_a_connection(request, timeout, replayable)
        finally:
            self._slots.release()

    async def _send_on_a_connection(self, request: bytes, timeout: float | None, replayable: bool
                                    ) -> tuple[int, bytes, bool]:
        while self._idle:
            conn = self._idle.pop()
            if not replayable and conn.closed_by_area():
                conn.close()
                continue
            try:
                return await self._exchange(conn, request, stale_retry=replayable, timeout=timeout)
            except _Stale:
                continue  # closed by the area while idle: nothing was processed, try the next one
        return await self._exchange(await self._connect(), request, stale_retry=False, timeout=timeout)

    def _head(self, method: str, path: str, headers: dict[str, str], accept_encoding: str = "identity") -> bytes:
        lines = [f"{method} {self.prefix}{path} HTTP/1.1", "Host: " + self.authority.decode(),
                 "Accept: application/json", "Accept-Encoding: " + accept_encoding]
        for k, v in headers.items():
            if "\r" in v or "\n" in v or "\r" in k or "\n" in k:
                raise ValueError("header values may not contain line breaks")
            lines.append(f"{k}: {v}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")

    async def _connect(self) -> _Connection:
        try:
            async with asyncio.timeout(self.connect_timeout):
                reader, writer = await asyncio.open_connection(self.host, self.port, ssl=self.ctx,
                                                               server_hostname=self.host)
        except TimeoutError as exc:
            raise KeepAliveTimeout("connect timed out") from exc
        except (OSError, ssl.SSLError) as exc:
            raise KeepAliveError(f"connect failed: {exc}") from exc
        return _Connection(reader, writer)

    async def _exchange(self, conn: _Connection, request: bytes, *, stale_retry: bool, timeout: float | None = None
                        ) -> tuple[int, bytes, bool]:
        """One request and its answer; with `stale_retry` (a read on a pooled connection) a connection
        the area had closed before answering anything raises _Stale for the caller to try another."""
        keep = False
        received = False
        try:
            async with asyncio.timeout(timeout or self.timeout):
                conn.writer.write(request)
                await conn.writer.drain()
                try:
                    status_head = await conn.reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError as exc:
                    if not exc.partial and stale_retry:
                        raise _Stale() from exc
                    raise KeepAliveError("the area closed the connection") from exc
                received = True
                status, length, chunked, keep, gzipped = _parse_head(status_head)
                if chunked:
                    body = await _read_chunked(conn.reader)
                elif length is not None:
                    if length > MAX_BODY:
                        raise ValueError("answer too large")
                    body = await conn.reader.readexactly(length) if length else b""
                else:  # neither: the body runs to the end of the connection
                    body, keep = await conn.reader.read(), False
        except (_Stale, KeepAliveError):
            conn.close()
            raise
        except TimeoutError as exc:
            conn.close()
            raise KeepAliveTimeout("no answer in time") from exc
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            conn.close()
            if not received and stale_retry and isinstance(exc, (ConnectionResetError, BrokenPipeError)):
                raise _Stale() from exc
            raise KeepAliveError(f"the answer was cut: {exc}") from exc
        except BaseException:  # cancelled: the answer may still be on its way, the connection is unusable
            conn.close()
            raise
        if keep and len(self._idle) < self.max_connections:
            self._idle.append(conn)
        else:
            conn.close()
        return status, body, gzipped

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()


class _Stale(Exception):
    """A pooled connection the area had closed before this request reached it."""


def _parse_head(head: bytes) -> tuple[int, int | None, bool, bool, bool]:
    """(status, content length, chunked, keep-alive, gzip content coding) from an answer's head; any
    other content coding is refused (the pool asks for identity or gzip only)."""
    lines = head.split(b"\r\n")
    status_line = lines[0]
    if not status_line.startswith(b"HTTP/1.") or len(status_line) < 12:
        raise ValueError("not an HTTP/1.x answer")
    status = int(status_line[9:12])
    keep = status_line.startswith(b"HTTP/1.1")
    length: int | None = None
    chunked = gzipped = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"content-encoding":
            coding = value.strip().lower()
            if coding not in (b"gzip", b"identity", b""):
                raise ValueError("a content coding that was not asked for")
            gzipped = coding == b"gzip"
        elif name == b"connection":
            v = value.strip().lower()
            keep = False if v == b"close" else (True if v == b"keep-alive" else keep)
    return status, length, chunked, keep, gzipped


MAX_BODY = 32 * 1024 * 1024  # a lookup answer is a few kB, a 20-point usage batch ≈ 3.2 MB; beyond: no answer


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers, then the blank line
                pass
            return b"".join(parts)
        total += size
        if total > MAX_BODY:
            raise ValueError("answer too large")
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
