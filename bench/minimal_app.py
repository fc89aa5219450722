"""The reference endpoint of P1: one FastAPI route, one query, same TLS server as the hub.

    python bench/minimal_app.py --port 18500 --database-url URL --certs DIR
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import asyncpg  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from switchhub.db.urls import plain_url  # noqa: E402
from switchhub.tlsserver import serve  # noqa: E402


def build(url: str) -> FastAPI:
    import asyncio

    app = FastAPI()
    state: dict = {}
    lock = asyncio.Lock()

    @app.get("/p/{spid}")
    async def lookup(spid: str) -> dict:
        if "pool" not in state:
            async with lock:
                if "pool" not in state:
                    state["pool"] = await asyncpg.create_pool(plain_url(url), min_size=4, max_size=10)
        row = await state["pool"].fetchrow("SELECT * FROM supply_points WHERE area = $1 AND spid = $2", spid[:2], spid)
        return {k: (v if isinstance(v, (str, int, float, bool, type(None))) else str(v)) for k, v in dict(row).items()}

    return app


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--certs", required=True)
    a = ap.parse_args()
    d = Path(a.certs)
    serve(build(a.database_url), host="127.0.0.1", port=a.port, certfile=str(d / "hub-server.pem"),
          keyfile=str(d / "hub-server.key"), ca_certs=str(d / "ca" / "ca.pem"))
