"""Each service command on its own, started as a script or a process manager starts it: SIGTERM stops
it with exit code 0 as SIGINT does, also when SIGINT was inherited ignored. (The databases are
never reached here: stopping must not depend on them.)"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from switchhub.config import Settings
from switchhub.demo import init_certificates
from tests.live import free_port

UNREACHABLE = "postgresql://postgres@127.0.0.1:9/none"  # discard port: refused at once


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("services")
    init_certificates(Settings(data_dir=d, certs_dir=d / "certs"))
    return d


def start(data_dir, args: list[str], *, ignore_sigint: bool, **extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHHUB_")} | extra
    env.update(SWITCHHUB_DATA_DIR=str(data_dir), SWITCHHUB_HUB_DATABASE_URL=UNREACHABLE,
               SWITCHHUB_AREA_DATABASE_URL=UNREACHABLE, SWITCHHUB_METERING_JOBS="0")

    def child_setup() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    return subprocess.Popen([sys.executable, "-m", "switchhub.cli", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=child_setup if ignore_sigint else None)


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"exited early with {proc.returncode}"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"port {port} did not open")


def stop_and_wait(proc: subprocess.Popen, sig: int) -> int:
    proc.send_signal(sig)
    try:
        return proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_server_stops_with_exit_code_0_when_sigint_was_ignored(data_dir, sig):
    port = free_port()
    proc = start(data_dir, ["area-public", "--port", str(port)], ignore_sigint=True)
    wait_port(port, proc)
    assert stop_and_wait(proc, sig) == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # the port is free again


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_worker_stops_with_exit_code_0_when_sigint_was_ignored(data_dir, sig):
    metrics = free_port()  # its metrics endpoint opening says the worker is running
    proc = start(data_dir, ["worker"], ignore_sigint=True, SWITCHHUB_METRICS_PORT=str(metrics))
    wait_port(metrics, proc)
    time.sleep(1)  # into its rounds (each fails: no database), where the signal must still stop it
    assert stop_and_wait(proc, sig) == 0
