"""`switchhub demo` as a script starts it: a real process with its embedded PostgreSQL and its four
services. A killed service is reported and restarted while the others keep answering; SIGTERM, and
SIGINT when the demo was started with SIGINT ignored, stop everything with exit code 0: every
service exits 0, the embedded PostgreSQL is stopped and the ports are free again."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

STOPPED_CLEANLY = ("停止しました: area (終了コード 0), hub (終了コード 0), area-public (終了コード 0), "
                   "worker (終了コード 0)")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _ports() -> int:
    """A base port with 7 free ports from it: hub, area, public page, SMTP, metrics of hub, area, worker."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base < 65000 and all(_free(base + i) for i in range(7)):
            return base
    raise RuntimeError("no free ports")


class Demo:
    """One `switchhub demo` process; its output collected line by line by a thread."""

    def __init__(self, data_dir: Path, *, ignore_sigint: bool = False) -> None:
        port = _ports()
        smtp_port, metrics_port = port + 3, port + 4
        self.data_dir, self.port, self.metrics_port = data_dir, port, metrics_port
        env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHHUB_")}
        env.update(SWITCHHUB_DATA_DIR=str(data_dir), SWITCHHUB_SMTP_PORT=str(smtp_port),
                   SWITCHHUB_METRICS_PORT=str(metrics_port),  # hub, area +1, worker +2
                   SWITCHHUB_DEMO_READINGS_MAX_GB="0",  # no background fill: the test measures stopping
                   SWITCHHUB_METERING_JOBS="0", PYTHONUNBUFFERED="1")

        def child_setup() -> None:  # as a shell starts a background job from a script
            signal.signal(signal.SIGINT, signal.SIG_IGN)

        self.proc = subprocess.Popen([sys.executable, "-m", "switchhub.cli", "demo", "--points", "100",
                                      "--port", str(port)], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, start_new_session=True,
                                     preexec_fn=child_setup if ignore_sigint else None)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        try:
            for line in self.proc.stdout:
                self.lines.append(line.rstrip("\n"))
        except ValueError:  # closed by close() while a left-over child still held the pipe
            pass

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 180) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.output())
            if found:
                return found
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"{pattern!r} not seen; output:\n{self.output()}")

    def pid_of(self, service: str) -> int:
        return int(re.findall(rf"^{re.escape(service)} を(?:再)?起動しました \(pid (\d+)\)", self.output(), re.M)[-1])

    def started(self) -> None:
        for name in ("area", "hub", "area-public", "worker"):
            self.wait_for(rf"(?m)^{re.escape(name)} を起動しました \(pid \d+\)")
        for p in (self.port, self.port + 1, self.port + 2, *(self.metrics_port + i for i in range(3))):
            wait_port(p)

    def close(self) -> None:
        """After a failed test: stop the demo as a user would, then kill its whole session (children
        included, so no service outlives the test)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.reader.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"port {port} did not open")


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
    assert all(_free(demo.port + i) for i in range(3)), "a port is still taken"


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
