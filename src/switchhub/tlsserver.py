"""Serving ASGI apps over TLS with required client certificates, and reading them back.

The protocol class does the TLS handshake itself (`loop.start_tls` on the accepted TCP
connection) instead of letting uvicorn hand an SSL context to `create_server`: asyncio's
and uvloop's SSL transports swallow a failed handshake (logged only in loop debug mode),
and refusals are what security review wants to see. start_tls is entered inside
`connection_made` itself, as uvloop starts reading as soon as that returns. Every refusal is
counted in `switchhub_tls_handshakes_refused_total{reason}` and logged on `switchhub.tls` at
most once per peer address per second, so a scanner cannot flood the log. Client certificates stay
CERT_REQUIRED: OpenSSL then names a missing certificate (PEER_DID_NOT_RETURN_A_CERTIFICATE)
apart from an unverifiable one, the client gets a proper TLS alert, and a client without a
certificate never gets as far as HTTP.

After the handshake `TLSHttpToolsProtocol` fills the standard ASGI TLS extension
(`scope["extensions"]["tls"]["client_cert_chain"]`) once per connection, and limits the
request head (llhttp has no limits of its own): a target over 8 KiB gets 414, headers over
16 KiB or 100 lines get 431, before the app is called. This relies on uvicorn internals
(`self.app` per protocol instance, parser callbacks), so uvicorn is pinned in pyproject.toml.

Behind a TLS-terminating proxy (nginx `ssl_verify_client on`), the certificate comes in a
configured header instead, accepted only from configured proxy addresses.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import logging
import ssl
import time
import types
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, Callable
from urllib.parse import unquote

import httptools
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from uvicorn.config import LOGGING_CONFIG, SSL_PROTOCOL_VERSION, create_ssl_context
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from switchhub.metrics import TLS_HANDSHAKES_REFUSED

log = logging.getLogger("switchhub.tls")

MAX_URL_BYTES = 8 * 1024  # request target, as sent
MAX_HEADER_BYTES = 16 * 1024  # all header lines of one request, "name: value\r\n" each
MAX_HEADER_LINES = 100
HANDSHAKE_TIMEOUT_S = 10.0
REFUSAL_LOG_INTERVAL_S = 1.0  # per peer address


@dataclass(frozen=True)
class ClientCert:
    fingerprint_sha256: str
    subject: str
    pem: str
    via: str  # "tls" | "proxy"


@dataclass(frozen=True)
class Limits:
    url_bytes: int = MAX_URL_BYTES
    header_bytes: int = MAX_HEADER_BYTES
    header_lines: int = MAX_HEADER_LINES


def fingerprint_of_der(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def fingerprint_of_pem(pem: str) -> str:
    cert = x509.load_pem_x509_certificate(pem.encode())
    return fingerprint_of_der(cert.public_bytes(Encoding.DER))


def _tls_extension(transport: Any) -> dict[str, Any] | None:
    ssl_object = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    chain, name = [], None
    if der:
        cert = x509.load_der_x509_certificate(der)
        chain = [cert.public_bytes(Encoding.PEM).decode()]
        name = cert.subject.rfc4514_string()
    cipher = ssl_object.cipher()
    return {"server_cert": None, "client_cert_chain": chain, "client_cert_name": name, "client_cert_error": None,
            "tls_version": {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304}.get(ssl_object.version() or ""),
            "cipher_suite": None if not cipher else cipher[0]}


def refusal_reason(exc: BaseException) -> str:
    """Why a server-side handshake failed, from what asyncio's and uvloop's start_tls raise."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "certificate_verify_failed"
    if isinstance(exc, ssl.SSLError):
        return "no_certificate" if exc.reason == "PEER_DID_NOT_RETURN_A_CERTIFICATE" else "handshake_error"
    if isinstance(exc, (ConnectionAbortedError, TimeoutError)):  # how both loops end a slow handshake
        return "handshake_timeout"
    if isinstance(exc, (ConnectionResetError, BrokenPipeError)):  # EOF before the handshake finished
        return "peer_closed"
    return "handshake_error"


def _detail(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_message:
        return exc.verify_message
    return (exc.reason if isinstance(exc, ssl.SSLError) else None) or str(exc) or type(exc).__name__


class RefusalLog:
    """Counts every refused handshake; logs at most one line per peer address per interval.

    A peer that merely closed the connection (port probes, load-balancer checks, the demo's
    readiness check) is counted but logged at DEBUG only, and does not use up the address's
    line, so it cannot hide a real refusal that follows.
    """

    def __init__(self, interval: float = REFUSAL_LOG_INTERVAL_S, max_addresses: int = 4096,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval, self.max_addresses, self.clock = interval, max_addresses, clock
        # address -> (time of its last line, refusals not logged since), oldest line first
        self._seen: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def refused(self, peer: Any, reason: str, detail: str) -> None:
        host, port = (str(peer[0]), peer[1]) if isinstance(peer, (tuple, list)) and peer else ("unknown", 0)
        if reason == "peer_closed":
            log.debug("TLS handshake not completed, %s:%s closed the connection", host, port)
        else:
            self._log(host, port, reason, detail)
        TLS_HANDSHAKES_REFUSED.labels(reason=reason).inc()

    def _log(self, host: str, port: int, reason: str, detail: str) -> None:
        now = self.clock()
        last = self._seen.get(host)
        if last is not None and now - last[0] < self.interval:
            self._seen[host] = (last[0], last[1] + 1)
            return
        self._seen.pop(host, None)
        self._seen[host] = (now, 0)
        while len(self._seen) > self.max_addresses:  # bounded: forget addresses whose interval is over
            oldest, (at, _) = next(iter(self._seen.items()))
            if now - at < self.interval:
                break
            del self._seen[oldest]
        more = f"; {last[1]} more from this address since the previous line" if last and last[1] else ""
        log.warning("TLS handshake refused from %s:%s: %s (%s)%s", host, port, reason, detail, more,
                    extra={"peer": host, "reason": reason})


class _WithTLS:
    """Per-connection ASGI wrapper adding the TLS extension to every request scope."""

    def __init__(self, app: Any, tls: dict[str, Any]) -> None:
        self.app, self.tls = app, tls

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            scope["extensions"] = {**(scope.get("extensions") or {}), "tls": self.tls}
        await self.app(scope, receive, send)


class _Listener:
    """What the connections of one server share: TLS context, limits, refusal log, open handshakes."""

    def __init__(self, ssl_context: ssl.SSLContext, handshake_timeout: float, limits: Limits,
                 client_certs: bool = True) -> None:
        self.ssl_context, self.handshake_timeout, self.limits = ssl_context, handshake_timeout, limits
        self.client_certs = client_certs
        self.refusals = RefusalLog()
        self.handshakes: set[asyncio.Task[None]] = set()


_PROBLEMS = {  # code -> status, title, detail
    "invalid_request": (400, "HTTPリクエストの形式が正しくありません",
                        "リクエスト行またはヘッダが HTTP/1.1 の形式に従っていません"),
    "uri_too_long": (414, "リクエストURLが長すぎます", "URL は {url_bytes} バイト以内で指定してください"),
    "headers_too_large": (431, "リクエストヘッダが大きすぎます",
                          "ヘッダは合計 {header_bytes} バイト・{header_lines} 行以内にしてください"),
}


class _TooLarge(Exception):
    """Raised in a parser callback; httptools stops parsing and re-raises it as the error's context."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _start_eagerly(loop: asyncio.AbstractEventLoop, coro: Any) -> asyncio.Task[Any] | None:
    """A task for `coro` whose first step runs now, inside the caller (Python 3.12's eager tasks).

    start_tls must take the TCP transport over inside connection_made: uvloop starts reading
    right after connection_made returns, paused or not, so a ClientHello would otherwise reach
    the HTTP parser before a task's first step called start_tls. None if `coro` finished at once.
    """
    try:
        pending = coro.send(None)
    except StopIteration:
        return None
    return loop.create_task(_resume(coro, pending))


@types.coroutine
def _resume(coro: Any, pending: Any) -> Any:
    """Carry on a coroutine suspended on `pending`, as `await coro` would have (results, throws, cancels)."""
    while True:
        try:
            sent = yield pending
        except BaseException as exc:  # noqa: BLE001 -- a cancellation goes on into coro like any throw
            step = partial(coro.throw, exc)
        else:
            step = partial(coro.send, sent)
        try:
            pending = step()
        except StopIteration as done:
            return done.value


class TLSHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol behind our own TLS handshake, with request-head limits."""

    def __init__(self, config: Any, server_state: Any, app_state: Any, _loop: Any = None, *,
                 listener: _Listener) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.listener, self.limits = listener, listener.limits
        self._early: list[bytes] | None = []  # decrypted data that came before the handshake task resumed
        self._lost = self._refused = False
        self._in_head, self._quiet, self._progress = True, 0, False
        self._header_bytes = self._header_lines = 0

    # Handshake: the TCP transport is ours until start_tls hands back the TLS transport.
    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        task = _start_eagerly(self.loop, self._handshake(transport))
        if task is not None:
            self.listener.handshakes.add(task)
            task.add_done_callback(self.listener.handshakes.discard)

    async def _handshake(self, transport: Any) -> None:
        peer = transport.get_extra_info("peername")
        try:
            tls = await self.loop.start_tls(transport, self, self.listener.ssl_context, server_side=True,
                                            ssl_handshake_timeout=self.listener.handshake_timeout)
        except Exception as exc:
            transport.close()
            self.listener.refusals.refused(peer, refusal_reason(exc), _detail(exc))
            return
        extension = _tls_extension(tls)
        if extension is None:  # uvloop returns from start_tls when the peer left before the handshake began
            tls.close()
            self.listener.refusals.refused(peer, "peer_closed", "closed before the handshake")
            return
        if self.listener.client_certs and not extension["client_cert_chain"]:  # CERT_REQUIRED refuses it already
            tls.close()
            self.listener.refusals.refused(peer, "no_certificate", "no certificate after the handshake")
            return
        if self._lost:  # handshake done, but the peer is gone already
            return
        super().connection_made(tls)  # uvicorn: scheme "https" as the TLS transport has an sslcontext
        self.app = _WithTLS(self.app, extension)
        early, self._early = self._early, None
        for data in early:
            self.data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.transport is None:  # closed before uvicorn's connection_made: nothing of its to tear down
            self._lost = True
            return
        super().connection_lost(exc)

    def pause_writing(self) -> None:
        if self.flow is not None:
            super().pause_writing()

    def resume_writing(self) -> None:
        if self.flow is not None:
            super().resume_writing()

    # HTTP: uvicorn 0.38's data_received, plus the limits of the request head.
    def data_received(self, data: bytes) -> None:
        if self._early is not None:
            self._early.append(data)
            return
        if self._refused:
            return
        self._unset_keepalive_if_required()
        self._progress, head_before = False, self._in_head
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            if isinstance(exc.__context__, _TooLarge):
                self._refuse_request(exc.__context__.code)
            else:
                self._invalid_request()
            return
        except httptools.HttpParserError:
            self._invalid_request()
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        # httptools buffers a header line until it ends: bound the bytes that pass without a callback
        # (only bytes that arrived while a head was open: a body's last piece is not a silent head)
        if head_before and self._in_head:
            self._quiet = 0 if self._progress else self._quiet + len(data)
            if self._quiet > self.limits.header_bytes:
                self._refuse_request("headers_too_large")

    def _invalid_request(self) -> None:
        """A request the parser cannot read (e.g. a header value with illegal bytes) gets the API's
        problem+json like every other refusal, not uvicorn's text/plain line."""
        self.logger.warning("Invalid HTTP request received.")
        self._refuse_request("invalid_request")

    def _refuse_request(self, code: str) -> None:
        self._refused = True
        status, title, detail = _PROBLEMS[code]
        problem = {"type": f"https://switchhub.example/problems/{code}", "status": status, "title": title,
                   "detail": detail.format(**vars(self.limits)), "code": code}
        body = json.dumps(problem, ensure_ascii=False).encode()
        head = [STATUS_LINE[status]] + [b"%s: %s\r\n" % kv for kv in self.server_state.default_headers]
        head += [b"content-type: application/problem+json\r\n", b"content-length: %d\r\n" % len(body),
                 b"connection: close\r\n\r\n"]
        self.transport.write(b"".join(head) + body)
        self.transport.close()
        log.info("request refused with %s from %s", status, "%s:%s" % self.client if self.client else "?")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = self._header_lines = 0
        self._progress = True

    def on_url(self, url: bytes) -> None:
        self._progress = True
        if len(self.url) + len(url) > self.limits.url_bytes:
            raise _TooLarge("uri_too_long")
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._progress = True
        self._header_lines += 1
        self._header_bytes += len(name) + len(value) + 4
        if self._header_lines > self.limits.header_lines or self._header_bytes > self.limits.header_bytes:
            raise _TooLarge("headers_too_large")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._progress = True
        super().on_body(body)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        # the bytes that completed this message were parsed: they must not count as a silent head
        self._in_head, self._quiet, self._progress = True, 0, True


class TLSServer(uvicorn.Server):
    """uvicorn's server that also aborts handshakes still in progress when it shuts down."""

    def __init__(self, config: uvicorn.Config, listener: _Listener) -> None:
        super().__init__(config)
        self.listener = listener

    async def shutdown(self, sockets: Any = None) -> None:
        for server in getattr(self, "servers", []):
            server.close()  # no new connections, then no half-open ones
        for task in list(self.listener.handshakes):
            task.cancel()
        await super().shutdown(sockets)


def build_server(app: Any, *, host: str, port: int, certfile: str, keyfile: str, ca_certs: str | None,
                 log_level: str = "warning", loop: str = "auto",
                 handshake_timeout: float = HANDSHAKE_TIMEOUT_S, limits: Limits = Limits(),
                 client_certs: bool = True, log_config: Any = LOGGING_CONFIG) -> TLSServer:
    """A uvicorn server for `app`; `loop` as uvicorn's ("auto" = uvloop when installed, "asyncio").

    client_certs=False serves a public page (the T&D's page for customers, `switchhub area-public`):
    no client certificate is asked for, and requests carry an empty certificate chain."""
    context = create_ssl_context(  # what uvicorn made of its ssl_* options before
        certfile=certfile, keyfile=keyfile, password=None, ssl_version=SSL_PROTOCOL_VERSION,
        cert_reqs=ssl.CERT_REQUIRED if client_certs else ssl.CERT_NONE,
        ca_certs=ca_certs if client_certs else None, ciphers="TLSv1")
    listener = _Listener(context, handshake_timeout, limits, client_certs)
    protocol = partial(TLSHttpToolsProtocol, listener=listener)
    # proxy_headers off: uvicorn would otherwise rewrite the client address from X-Forwarded-For
    # (trusted from 127.0.0.1), and the address decides whether the certificate header is trusted
    config = uvicorn.Config(app, host=host, port=port, http=protocol, loop=loop,  # type: ignore[arg-type]
                            log_level=log_level, access_log=False, timeout_keep_alive=30, lifespan="auto",
                            proxy_headers=False, log_config=log_config)
    return TLSServer(config, listener)


def serve(app: Any, *, host: str, port: int, certfile: str, keyfile: str, ca_certs: str | None,
          log_level: str = "warning", **options: Any) -> None:
    """Run the server. The heap built by the imports and the app (a few hundred thousand objects that
    live as long as the process) is frozen out of the garbage collector first: a full collection
    then walks only what requests allocate: one in the hub took 262 ms among 90 usage inquiries on the
    loaded bench machine, against 5 and 30 ms frozen (docs/benchmarks.md P10). The C allocator keeps
    large answers' buffers in its heap (allocator.py: page faults were most of a big answer's copies)."""
    from switchhub import allocator
    from switchhub.stopping import exit_on_stop_signals

    allocator.tune()
    gc.freeze()
    exit_on_stop_signals()  # SIGTERM and SIGINT (even if inherited ignored) stop it gracefully, exit code 0
    # log_config=None: uvicorn's own lines go through the process's logging (logs.py), one format
    build_server(app, host=host, port=port, certfile=certfile, keyfile=keyfile, ca_certs=ca_certs,
                 log_level=log_level, log_config=None, **options).run()


def _parse_header_pem(value: str) -> str | None:
    text = unquote(value) if "%" in value else value
    if "-----BEGIN CERTIFICATE-----" not in text:
        return None
    body = text.split("-----BEGIN CERTIFICATE-----", 1)[1].split("-----END CERTIFICATE-----", 1)[0]
    body = "".join(body.split())
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


@lru_cache(maxsize=4096)
def _from_pem(pem: str, via: str) -> ClientCert | None:
    """Parsed once per distinct certificate (the same few certificates arrive on every request)."""
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        return None
    return ClientCert(fingerprint_of_der(cert.public_bytes(Encoding.DER)), cert.subject.rfc4514_string(), pem, via)


def client_cert_from_scope(scope: Any, *, trusted_proxies: frozenset[str], proxy_header: str | None
                           ) -> ClientCert | None:
    """The verified client certificate of a request: from TLS, or from a trusted proxy's header."""
    client = scope.get("client") or ("", 0)
    if proxy_header and client[0] in trusted_proxies:
        wanted = proxy_header.lower().encode()
        for k, v in scope.get("headers", []):
            if k == wanted:
                pem = _parse_header_pem(v.decode("latin-1"))
                return _from_pem(pem, "proxy") if pem else None
        return None
    tls = (scope.get("extensions") or {}).get("tls") or {}
    chain = tls.get("client_cert_chain") or []
    return _from_pem(chain[0], "tls") if chain else None
