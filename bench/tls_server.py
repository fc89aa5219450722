"""The TLS entry point's own cost: switchhub's server (its own handshake with refusal logging and
request-head limits) next to stock uvicorn TLS serving the same trivial app, in the same run.

Two loads, both with client certificates: kept-alive connections (per-request cost of the
protocol) and a new connection per request (handshake cost).

    python bench/tls_server.py --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from lookup import drive, line  # noqa: E402
from rawclient import RawConnection  # noqa: E402


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


def serve(kind: str, port: int, d: Path) -> None:
    files = {"certfile": str(d / "server.pem"), "keyfile": str(d / "server.key"), "ca_certs": str(d / "ca" / "ca.pem")}
    if kind == "switchhub":
        from switchhub.tlsserver import serve as tls_serve

        tls_serve(app, host="127.0.0.1", port=port, **files)
    else:
        import uvicorn

        uvicorn.run(app, host="127.0.0.1", port=port, ssl_certfile=files["certfile"], ssl_keyfile=files["keyfile"],
                    ssl_ca_certs=files["ca_certs"], ssl_cert_reqs=ssl.CERT_REQUIRED, log_level="warning",
                    access_log=False, lifespan="off")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} did not open")


async def measure(port: int, ctx: ssl.SSLContext, seconds: float) -> tuple[dict, dict]:
    conns = [RawConnection("127.0.0.1", port, ctx, {}) for _ in range(32)]
    free: asyncio.Queue = asyncio.Queue()
    for c in conns:
        free.put_nowait(c)

    async def kept(_: str) -> bool:
        c = await free.get()
        try:
            return (await c.get("/"))[0] == 200
        finally:
            free.put_nowait(c)

    async def fresh(_: str) -> bool:
        c = RawConnection("127.0.0.1", port, ctx, {})
        try:
            return (await c.get("/"))[0] == 200
        finally:
            c.close()

    await drive(kept, ["/"], 1, 32)  # warm-up
    kept_r = await drive(kept, ["/"], seconds, 32)
    for c in conns:
        c.close()
    fresh_r = await drive(fresh, ["/"], seconds, 8)
    return kept_r, fresh_r


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--serve", choices=("switchhub", "uvicorn"))
    ap.add_argument("--port", type=int)
    ap.add_argument("--certs")
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.port, Path(args.certs))
        return
    from switchhub import devca

    d = Path(tempfile.mkdtemp(prefix="tls-bench-"))
    devca.create_ca(d / "ca")
    server = devca.issue_server_cert(d / "ca", d, "server")
    Path(server.cert_path).rename(d / "server.pem")
    Path(server.key_path).rename(d / "server.key")
    client = devca.issue_client_cert(d / "ca", d, "client", operator_code="A0001", purpose="api", common_name="c")
    ctx = ssl.create_default_context(cafile=str(d / "ca" / "ca.pem"))
    ctx.load_cert_chain(str(client.cert_path), str(client.key_path))
    results = {}
    for kind in ("uvicorn", "switchhub"):
        port = free_port()
        proc = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--port", str(port), "--certs", str(d)])
        try:
            wait_for(port)
            results[kind] = asyncio.run(measure(port, ctx, args.seconds))
        finally:
            proc.terminate()
            proc.wait()
    print("TLS server, trivial app, client certificates, client on the same 2 cores")
    for kind, label in (("uvicorn", "stock uvicorn TLS (reference)"), ("switchhub", "switchhub TLS server")):
        print(line(f"{label}, kept alive", results[kind][0]))
        print(line(f"{label}, new connection", results[kind][1]))
    for i, what in ((0, "kept alive"), (1, "new connection")):
        print(f"switchhub / stock, {what}: {results['switchhub'][i]['rps'] / results['uvicorn'][i]['rps']:.0%}")


if __name__ == "__main__":
    main()
