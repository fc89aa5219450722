"""The TLS entry point over real TLS on loopback, under both event loops uvicorn may pick.

Required client certificates, the ASGI TLS extension the apps read, refused handshakes
logged (rate-limited) and counted, request-head limits, and the metrics endpoint.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import ssl
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from prometheus_client import REGISTRY

from switchhub import devca
from switchhub.config import Settings
from switchhub.metrics import start_metrics_server
from switchhub.tlsserver import build_server, client_cert_from_scope

LOOPS = ["asyncio", "uvloop"]
COUNTER = "switchhub_tls_handshakes_refused_total"


class Probe:
    """ASGI app answering what it saw; `calls` proves whether a request got this far."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":  # the server's lifespan events are not requests
            return
        self.calls += 1
        cert = client_cert_from_scope(scope, trusted_proxies=frozenset(), proxy_header=None)
        tls = scope["extensions"]["tls"]
        body = json.dumps({
            "fp": cert.fingerprint_sha256 if cert else None, "subject": cert.subject if cert else None,
            "scheme": scope["scheme"], "client_host": scope["client"][0], "client_port": scope["client"][1],
            "loop": type(asyncio.get_running_loop()).__module__,
            "tls": {k: v for k, v in tls.items() if k != "client_cert_chain"},
            "chain": tls["client_cert_chain"],
        }).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", b"%d" % len(body))]})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d: Path = tmp_path_factory.mktemp("pki")
    devca.create_ca(d / "ca")
    devca.create_ca(d / "foreign", name="foreign CA")
    return {
        "dir": d,
        "server": devca.issue_server_cert(d / "ca", d, "server"),
        "client": devca.issue_client_cert(d / "ca", d, "client", operator_code="A0001", purpose="api",
                                          common_name="a0001-api"),
        "foreign": devca.issue_client_cert(d / "foreign", d, "foreign-client", operator_code="A0001",
                                           purpose="api", common_name="intruder"),
    }


def _ctx(pki, client=None):
    ctx = ssl.create_default_context(cafile=str(devca.ca_cert_path(pki["dir"] / "ca")))
    if client is not None:
        ctx.load_cert_chain(str(client.cert_path), str(client.key_path))
    return ctx


def _tls_files(pki) -> dict[str, str]:
    return {"certfile": str(pki["server"].cert_path), "keyfile": str(pki["server"].key_path),
            "ca_certs": str(devca.ca_cert_path(pki["dir"] / "ca"))}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running(pki, loop, **options):
    """The server as `switchhub hub` runs it (`Server.run`, which creates the chosen loop), in a thread."""
    app, port = Probe(), _free_port()
    server = build_server(app, host="127.0.0.1", port=port, loop=loop, **_tls_files(pki), **options)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.01)
    try:
        yield app, port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        assert not thread.is_alive()


def refused(reason: str) -> float:
    return REGISTRY.get_sample_value(COUNTER, {"reason": reason}) or 0.0


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def tls_warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "switchhub.tls" and r.levelno == logging.WARNING]


def attempt(pki, port, client=None) -> bytes | None:
    """One connection with the given client certificate (or none); what came back, None on a TLS error."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
                _ctx(pki, client).wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            return s.recv(1000)
    except (ssl.SSLError, ConnectionError):
        return None


def exchange(pki, port, request: bytes):
    """Send one raw request with a valid certificate; read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
            _ctx(pki, pki["client"]).wrap_socket(raw, server_hostname="127.0.0.1") as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):  # b"" = the server closed; a kept-open connection times out instead
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def get(target: str, headers: list[str] = ()) -> bytes:
    return ("\r\n".join([f"GET {target} HTTP/1.1", "host: 127.0.0.1", *headers, "connection: close"])
            + "\r\n\r\n").encode()


@pytest.mark.parametrize("loop", LOOPS)
def test_valid_client_certificate_reaches_the_app(pki, loop):
    with running(pki, loop) as (app, port), httpx.Client(verify=_ctx(pki, pki["client"])) as c:
        first = c.get(f"https://127.0.0.1:{port}/").json()
        second = c.get(f"https://127.0.0.1:{port}/again").json()
    assert first["client_port"] == second["client_port"]  # the same kept-alive connection
    assert first["fp"] == pki["client"].fingerprint_sha256 == second["fp"]
    assert "CN=a0001-api" in first["subject"] and "O=A0001" in first["subject"]
    assert first["scheme"] == "https" and first["loop"].startswith(loop)
    assert first["chain"] == [Path(pki["client"].cert_path).read_text()]
    assert first["tls"]["client_cert_name"] == first["subject"]
    assert first["tls"]["tls_version"] == 0x0304 and first["tls"]["cipher_suite"].startswith("TLS_")


@pytest.mark.parametrize("loop", LOOPS)
def test_missing_or_foreign_certificate_refused_in_handshake(pki, loop):
    with running(pki, loop) as (app, port):
        for client in (None, pki["foreign"]):
            with pytest.raises(httpx.HTTPError):
                with httpx.Client(verify=_ctx(pki, client)) as c:
                    c.get(f"https://127.0.0.1:{port}/")
    assert app.calls == 0


@pytest.mark.parametrize("loop", LOOPS)
@pytest.mark.parametrize("client, reason",
                         [(None, "no_certificate"), ("foreign", "certificate_verify_failed")])
def test_refused_handshake_is_logged_and_counted(pki, loop, client, reason, caplog):
    before = refused(reason)
    with running(pki, loop) as (app, port):
        assert attempt(pki, port, pki[client] if client else None) in (None, b"")
        wait_until(lambda: refused(reason) >= before + 1)
    assert refused(reason) == before + 1
    [record] = tls_warnings(caplog)
    assert "127.0.0.1" in record.getMessage() and reason in record.getMessage()
    assert (record.peer, record.reason) == ("127.0.0.1", reason)
    assert app.calls == 0


@pytest.mark.parametrize("loop", LOOPS)
def test_refusals_logged_at_most_once_per_address_per_second(pki, loop, caplog):
    before = refused("no_certificate")
    with running(pki, loop) as (app, port):
        for _ in range(5):
            attempt(pki, port)
        wait_until(lambda: refused("no_certificate") >= before + 5)
        assert refused("no_certificate") == before + 5
        assert len(tls_warnings(caplog)) == 1
        time.sleep(1.1)
        attempt(pki, port)
        wait_until(lambda: refused("no_certificate") >= before + 6)
    lines = tls_warnings(caplog)
    assert len(lines) == 2 and "4 more from this address" in lines[1].getMessage()


def test_refusal_log_forgets_addresses_beyond_its_bound(caplog):
    from switchhub import tlsserver

    now = [100.0]
    refusals = tlsserver.RefusalLog(max_addresses=2, clock=lambda: now[0])
    for host in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):  # all within the interval: all kept
        refusals.refused((host, 1), "no_certificate", "test")
    now[0] += 1.5
    refusals.refused(("192.0.2.4", 1), "no_certificate", "test")
    assert list(refusals._seen) == ["192.0.2.3", "192.0.2.4"]
    assert len(tls_warnings(caplog)) == 4


@pytest.mark.parametrize("loop", LOOPS)
def test_broken_stalled_and_abandoned_handshakes(pki, loop, caplog):
    caplog.set_level(logging.DEBUG, logger="switchhub.tls")
    before = {r: refused(r) for r in ("handshake_error", "handshake_timeout", "peer_closed")}
    with running(pki, loop, handshake_timeout=0.3) as (app, port):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:  # plain HTTP to the TLS port
            s.sendall(get("/"))
            assert s.recv(100) == b""
        wait_until(lambda: refused("handshake_error") >= before["handshake_error"] + 1)
        time.sleep(1.1)  # a fresh line allowed for 127.0.0.1
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:  # says nothing
            wait_until(lambda: refused("handshake_timeout") >= before["handshake_timeout"] + 1)
        time.sleep(1.1)
        with socket.create_connection(("127.0.0.1", port), timeout=5):  # a port probe: connect, close
            pass
        wait_until(lambda: refused("peer_closed") >= before["peer_closed"] + 1)
    assert [r.reason for r in tls_warnings(caplog)] == ["handshake_error", "handshake_timeout"]
    assert app.calls == 0


async def test_server_stop_drops_handshakes_in_progress(pki):
    """`serve()` on a loop that lives on (an embedding app): a stalled handshake ends with the server."""
    server = build_server(Probe(), host="127.0.0.1", port=_free_port(), **_tls_files(pki))
    before = {r: refused(r) for r in ("handshake_timeout", "handshake_error", "peer_closed")}
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.config.port)  # says nothing
    while not server.listener.handshakes:
        await asyncio.sleep(0.01)
    server.should_exit = True
    await asyncio.wait_for(task, 5)
    assert await asyncio.wait_for(reader.read(), 5) == b""  # the server closed it
    writer.close()
    await writer.wait_closed()
    assert not server.listener.handshakes
    assert {r: refused(r) for r in before} == before  # a shutdown is no refusal


def _finish_handshake_and_send(pki, port, request: bytes) -> bytes:
    """The client's last handshake flight and the request leave in one write, so the server decrypts
    the request in the same read that completes its handshake."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = _ctx(pki, pki["client"]).wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    response = b""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                sock.sendall(outgoing.read())
                incoming.write(sock.recv(65536))
        tls.write(request)
        sock.sendall(outgoing.read())
        while True:
            try:
                if not (chunk := tls.read(65536)):  # close_notify
                    break
                response += chunk
            except ssl.SSLWantReadError:
                if not (data := sock.recv(65536)):
                    break
                incoming.write(data)
            except ssl.SSLZeroReturnError:
                break
    return response


@pytest.mark.parametrize("loop", LOOPS)
def test_request_in_the_same_segment_as_the_handshake_is_served(pki, loop):
    with running(pki, loop) as (app, port):
        response = _finish_handshake_and_send(pki, port, get("/early"))
    assert response.startswith(b"HTTP/1.1 200 ")
    assert json.loads(response.partition(b"\r\n\r\n")[2])["fp"] == pki["client"].fingerprint_sha256


@pytest.mark.parametrize("loop", LOOPS)
def test_url_over_8_kib_gets_414_problem_and_the_connection_closed(pki, loop):
    with running(pki, loop) as (app, port):
        status, headers, body = exchange(pki, port, get("/" + "a" * 9 * 1024, ["connection: keep-alive"]))
        assert exchange(pki, port, get("/" + "a" * 8191))[0] == 200  # 8192 bytes: at the limit
        assert exchange(pki, port, get("/" + "a" * 8192))[0] == 414
        assert exchange(pki, port, get("/" + "a" * 7999))[0] == 200
    assert status == 414 and headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    problem = json.loads(body)
    assert problem == {"type": "https://switchhub.example/problems/uri_too_long", "status": 414,
                       "title": "リクエストURLが長すぎます", "detail": "URL は 8192 バイト以内で指定してください",
                       "code": "uri_too_long"}
    assert app.calls == 2


@pytest.mark.parametrize("loop", LOOPS)
def test_headers_over_16_kib_or_100_lines_get_431(pki, loop):
    with running(pki, loop) as (app, port):
        big = exchange(pki, port, get("/", [f"x-pad-{i}: {'b' * 2000}" for i in range(10)]))
        many = exchange(pki, port, get("/", [f"x-line-{i}: 1" for i in range(99)]))  # + host + connection
        assert exchange(pki, port, get("/", [f"x-line-{i}: 1" for i in range(98)]))[0] == 200  # 100 lines
        assert exchange(pki, port, get("/", [f"x-pad-{i}: {'b' * 2000}" for i in range(7)]))[0] == 200
    for status, headers, body in (big, many):
        assert status == 431 and headers["content-type"] == "application/problem+json"
        assert headers["connection"] == "close"
        problem = json.loads(body)
        assert problem["code"] == "headers_too_large" and problem["title"] == "リクエストヘッダが大きすぎます"
        assert problem["type"] == "https://switchhub.example/problems/headers_too_large"
    assert app.calls == 2


@pytest.mark.parametrize("loop", LOOPS)
def test_a_malformed_header_gets_a_400_problem_not_plain_text(pki, loop):
    """Found by schemathesis: `content-length: ?u!` was answered by uvicorn's text/plain line."""
    with running(pki, loop) as (app, port):
        status, headers, body = exchange(pki, port, get("/", ["content-length: ?u!"]))
    assert status == 400 and headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    problem = json.loads(body)
    assert (problem["code"], problem["status"], problem["title"]) == (
        "invalid_request", 400, "HTTPリクエストの形式が正しくありません")
    assert app.calls == 0


@pytest.mark.parametrize("loop", LOOPS)
def test_unterminated_header_line_is_refused_before_it_ends(pki, loop):
    """httptools collects a header line until it ends; the server must not wait (or buffer) that long."""
    with running(pki, loop) as (app, port):
        endless = b"GET / HTTP/1.1\r\nhost: x\r\nx-endless: " + b"c" * 200_000
        status, headers, body = exchange(pki, port, endless)
    assert status == 431 and json.loads(body)["code"] == "headers_too_large"
    assert app.calls == 0


def test_metrics_endpoint_serves_the_counter(monkeypatch):
    assert Settings().metrics_port is None and start_metrics_server(None) is None  # off by default
    monkeypatch.setenv("SWITCHHUB_METRICS_PORT", str(_free_port()))
    settings = Settings.from_env()
    metrics = start_metrics_server(settings.metrics_port)
    assert metrics is not None and metrics.port == settings.metrics_port
    try:
        text = httpx.get(f"http://127.0.0.1:{settings.metrics_port}/metrics").text
    finally:
        metrics.close()
    assert f'{COUNTER}{{reason="no_certificate"}}' in text
    assert f'{COUNTER}{{reason="certificate_verify_failed"}}' in text


def test_hub_and_area_commands_serve_metrics_when_configured(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from switchhub import cli, metrics, runtime, tlsserver

    port, started, served = _free_port(), [], []
    real_start = metrics.start_metrics_server
    monkeypatch.setattr(metrics, "start_metrics_server",
                        lambda p: started.append(real_start(p)) or started[-1])
    monkeypatch.setattr(runtime, "build_hub_app", lambda settings: "hub app")
    monkeypatch.setattr(runtime, "build_area_app", lambda settings: "area app")

    def serve(app, **kw):  # called where the real server would run: is /metrics up?
        try:
            served.append((app, httpx.get(f"http://127.0.0.1:{port}/metrics").status_code))
        except httpx.ConnectError:
            served.append((app, None))

    monkeypatch.setattr(tlsserver, "serve", serve)
    monkeypatch.setenv("SWITCHHUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SWITCHHUB_METRICS_PORT", str(port))
    # the commands install their stop handlers and the process's log handler: not in pytest's process
    import logging
    import signal

    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    root_handlers, root_level = list(logging.getLogger().handlers), logging.getLogger().level
    try:
        for command in ("hub", "area"):
            assert CliRunner().invoke(cli.app, [command]).exit_code == 0
            started[-1].close()
        monkeypatch.delenv("SWITCHHUB_METRICS_PORT")
        assert CliRunner().invoke(cli.app, ["hub"]).exit_code == 0
    finally:
        for server in started:
            if server is not None:
                server.close()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        logging.getLogger().handlers[:] = root_handlers
        logging.getLogger().setLevel(root_level)
    assert served == [("hub app", 200), ("area app", 200), ("hub app", None)] and started[2] is None


def test_proxy_header_only_from_trusted_proxy(pki):
    pem = Path(pki["client"].cert_path).read_text()
    headers = [(b"x-ssl-client-cert", quote(pem).encode())]
    trusted = {"client": ("10.0.0.5", 1), "headers": headers}
    untrusted = {"client": ("192.0.2.9", 1), "headers": headers}
    kw = {"trusted_proxies": frozenset({"10.0.0.5"}), "proxy_header": "X-SSL-Client-Cert"}
    cert = client_cert_from_scope(trusted, **kw)
    assert cert is not None and cert.via == "proxy" and cert.fingerprint_sha256 == pki["client"].fingerprint_sha256
    assert client_cert_from_scope(untrusted, **kw) is None
    spaced = pem.replace("\n", " ")
    assert client_cert_from_scope({"client": ("10.0.0.5", 1), "headers": [(b"x-ssl-client-cert", spaced.encode())]},
                                  **kw).fingerprint_sha256 == pki["client"].fingerprint_sha256


def test_forwarded_headers_do_not_change_the_client_address(pki):
    """The peer address decides whether a proxy's certificate header is trusted, so a client on
    the server's own host must not be able to claim another address with X-Forwarded-For."""
    with running(pki, "asyncio") as (app, port), httpx.Client(verify=_ctx(pki, pki["client"])) as c:
        seen = c.get(f"https://127.0.0.1:{port}/", headers={"X-Forwarded-For": "10.0.0.5",
                                                             "X-Forwarded-Proto": "http"}).json()
    assert seen["client_host"] == "127.0.0.1" and seen["scheme"] == "https"

