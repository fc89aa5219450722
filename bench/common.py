"""Shared setup for the benchmarks: an embedded (or configured) PostgreSQL with generated data,
development certificates, and hub/area servers started as separate processes over TLS."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from switchhub.db.urls import plain_url, with_database  # noqa: E402

BENCH_DIR = Path(os.environ.get("SWITCHHUB_BENCH_DIR", "/tmp/switchhub-bench"))


def admin_url() -> str:
    url = os.environ.get("SWITCHHUB_BENCH_DATABASE_URL")
    if url:
        return url
    from switchhub.db.embedded import start_embedded

    return start_embedded(BENCH_DIR / "pg")


def database_exists(admin: str, name: str) -> bool:
    with psycopg.connect(plain_url(admin), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def ensure_dataset(points: int, seed: int = 1) -> tuple[str, str]:
    """Hub and area databases holding `points` generated points (created once, then reused)."""
    from switchhub.db.migrate import upgrade
    from switchhub.generate.load import generate

    admin = admin_url()
    hub_name, area_name = f"bench_hub_{points}", f"bench_area_{points}"
    hub, area = with_database(admin, hub_name), with_database(admin, area_name)
    if not (database_exists(admin, hub_name) and database_exists(admin, area_name)):
        with psycopg.connect(plain_url(admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{hub_name}"')
            conn.execute(f'DROP DATABASE IF EXISTS "{area_name}"')
            conn.execute(f'CREATE DATABASE "{hub_name}"')
            conn.execute(f'CREATE DATABASE "{area_name}"')
        upgrade("hub", hub)
        upgrade("area", area)
        t0 = time.monotonic()
        generate(hub, area, points, seed)
        print(f"(generated {points:,} points in {time.monotonic() - t0:.1f} s)")
    upgrade("hub", hub)  # a dataset made by an older checkout gets the newer tables
    upgrade("area", area)
    return hub, area


def percentiles(samples: list[float]) -> tuple[float, float]:
    if not samples:
        return float("nan"), float("nan")
    qs = statistics.quantiles(samples, n=100, method="inclusive")
    return qs[49], qs[98]


def rss_mb(pid: int) -> float:
    import psutil

    return psutil.Process(pid).memory_info().rss / 1e6


def start_services(hub_url: str, area_url: str, port: int = 18443) -> tuple[list[subprocess.Popen], dict]:
    """`switchhub area` and `switchhub hub` processes over TLS with development certificates."""
    from switchhub.config import Settings
    from switchhub.demo import init_certificates, issue_and_register, issue_token

    data = BENCH_DIR / "data"
    data.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SWITCHHUB_DATA_DIR": str(data), "SWITCHHUB_HUB_DATABASE_URL": hub_url,
           "SWITCHHUB_AREA_DATABASE_URL": area_url, "SWITCHHUB_RATE_PER_SECOND": "1000000",
           "SWITCHHUB_RATE_BURST": "1000000", "PYTHONPATH": str(ROOT / "src")}
    settings = Settings(data_dir=data, certs_dir=data / "certs", hub_database_url=hub_url,
                        area_database_url=area_url)
    paths = init_certificates(settings)
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    def run(coro):  # callable from inside a running event loop too
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, coro).result()

    clients = {}
    for code in ("M0300", "A0001"):
        issued = run(issue_and_register(settings, code, "api", f"bench-{code.lower()}"))
        clients[code] = {"cert": str(issued.cert_path), "key": str(issued.key_path),
                         "token": run(issue_token(settings, f"{code.lower()}-api"))}
    (data / "runtime.json").write_text(json.dumps(
        {"area_urls": {f"{i:02d}": f"https://127.0.0.1:{port + 1}" for i in range(1, 11)}}))
    procs = [subprocess.Popen([*_service("area"), "area", "--port", str(port + 1)], env=env),
             subprocess.Popen([*_service("hub"), "hub", "--port", str(port)], env=env)]
    from switchhub.demo import _wait_for_port

    _wait_for_port(port)
    _wait_for_port(port + 1)
    return procs, {"base": f"https://127.0.0.1:{port}", "ca": str(paths["ca"]), "clients": clients,
                   "area_base": f"https://127.0.0.1:{port + 1}",
                   "hub_client": (str(paths["hub_client"]), str(paths["hub_client_key"]))}


def cpu_seconds(procs: list[subprocess.Popen]) -> dict[str, float]:
    """CPU time (user + system) so far of the area and hub processes, every PostgreSQL process and
    this load generator: where a lookup's CPU goes on the shared cores."""
    import psutil

    def used(p: psutil.Process) -> float:
        t = p.cpu_times()
        return t.user + t.system

    pg = 0.0
    for p in psutil.process_iter(["name"]):
        try:
            if (p.info["name"] or "").startswith("postgres"):
                pg += used(p)
        except psutil.Error:
            pass
    return {"hub": used(psutil.Process(procs[1].pid)), "area": used(psutil.Process(procs[0].pid)),
            "postgres": pg, "load generator": used(psutil.Process())}


def _service(name: str) -> list[str]:
    """The command that runs one service; with SWITCHHUB_BENCH_PROFILE=<dir> under cProfile, whose
    statistics (<dir>/<name>.prof) are written when the benchmark stops the service."""
    profile = os.environ.get("SWITCHHUB_BENCH_PROFILE")
    if not profile:
        return [sys.executable, "-m", "switchhub.cli"]
    Path(profile).mkdir(parents=True, exist_ok=True)
    return [sys.executable, "-m", "cProfile", "-o", str(Path(profile) / f"{name}.prof"), "-m", "switchhub.cli"]


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


def copy_databases(points: int, prefix: str) -> tuple[str, str]:
    """Fresh hub and area databases `<prefix>_hub` / `<prefix>_area` copied from the dataset's templates
    (a benchmark that changes data runs on copies, so the dataset is built once)."""
    admin = admin_url()
    with psycopg.connect(plain_url(admin), autocommit=True) as conn:
        for kind in ("hub", "area"):
            conn.execute(f'DROP DATABASE IF EXISTS "{prefix}_{kind}"')
            conn.execute(f'CREATE DATABASE "{prefix}_{kind}" TEMPLATE "bench_{kind}_{points}"')
    return with_database(admin, f"{prefix}_hub"), with_database(admin, f"{prefix}_area")
