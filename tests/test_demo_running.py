"""`switchhub demo` as a script starts it: a real process with its embedded PostgreSQL and its four
services. A killed service is reported and restarted while the others keep answering; SIGTERM, and
SIGINT when the demo was started with SIGINT ignored, stop everything with exit code 0: every
service exits 0, the embedded PostgreSQL is stopped and the ports are free again."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.running import Demo, port_free, wait_port

STOPPED_CLEANLY = ("停止しました: area (終了コード 0), hub (終了コード 0), area-public (終了コード 0), "
                   "worker (終了コード 0)")


def public_page_answers(demo: Demo) -> int:
    ca = demo.data_dir / "certs" / "ca" / "ca.pem"
    with httpx.Client(verify=str(ca), timeout=10) as client:  # the public page asks for no certificate
        return client.get(f"https://localhost:{demo.port + 2}/").status_code


def hub_health(demo: Demo) -> int:
    certs = demo.data_dir / "certs"
    import ssl

    context = ssl.create_default_context(cafile=str(certs / "ca" / "ca.pem"))
    context.load_cert_chain(str(certs / "hub-client.pem"), str(certs / "hub-client.key"))
    with httpx.Client(verify=context, timeout=10) as client:
        return client.get(f"https://localhost:{demo.port}/healthz").status_code


def assert_everything_stopped(demo: Demo, started: float) -> None:
    code = demo.proc.wait(timeout=30)
    took = time.monotonic() - started
    demo.reader.join(timeout=5)
    assert code == 0, demo.output()
    assert took < 15, f"stopping took {took:.1f} s"
    assert STOPPED_CLEANLY in demo.output(), demo.output()
    assert not (demo.data_dir / "pg" / "postmaster.pid").exists(), "the embedded PostgreSQL still runs"
    assert all(port_free(demo.port + i) for i in range(3)), "a port is still taken"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo")


@pytest.fixture(scope="module")
def first_demo(data_dir: Path):
    demo = Demo(data_dir)
    try:
        demo.started()
        yield demo
    finally:
        demo.close()


def test_a_killed_service_is_reported_and_restarted_while_the_others_keep_answering(first_demo):
    demo = first_demo
    assert hub_health(demo) == 200
    hub_pid, worker_pid = demo.pid_of("hub"), demo.pid_of("worker")
    os.kill(hub_pid, signal.SIGKILL)
    demo.wait_for(r"hub が停止しました \(シグナル SIGKILL\)。1 秒後に再起動します")
    assert public_page_answers(demo) == 200  # the public page served on while the hub was down
    demo.wait_for(r"hub を再起動しました \(pid \d+\)")
    assert demo.pid_of("hub") != hub_pid
    wait_port(demo.port)
    assert hub_health(demo) == 200
    hub_metrics = httpx.get(f"http://127.0.0.1:{demo.metrics_port}/metrics").text  # the new hub's counters
    healthz = 'switchhub_http_requests_total{method="GET",route="/healthz",service="hub",status="200"} 1.0'
    assert healthz in hub_metrics
    os.kill(worker_pid, signal.SIGKILL)
    demo.wait_for(r"worker を再起動しました \(pid \d+\)")
    wait_port(demo.metrics_port + 2)  # the new worker is up (its metrics endpoint is)
    worker_metrics = httpx.get(f"http://127.0.0.1:{demo.metrics_port + 2}/metrics").text
    assert "switchhub_jobs_total" in worker_metrics
    assert demo.proc.poll() is None  # the demo itself never stopped


def test_sigterm_stops_the_demo_and_all_its_services_cleanly(first_demo):
    started = time.monotonic()
    first_demo.proc.send_signal(signal.SIGTERM)
    assert_everything_stopped(first_demo, started)


def test_sigint_stops_a_demo_started_with_sigint_ignored(data_dir, first_demo):
    assert first_demo.proc.poll() is not None  # the first one is gone: same data directory, new ports
    demo = Demo(data_dir, ignore_sigint=True)
    try:
        demo.started()
        started = time.monotonic()
        demo.proc.send_signal(signal.SIGINT)
        assert_everything_stopped(demo, started)
    finally:
        demo.close()
