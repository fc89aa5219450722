"""A `switchhub` command run as a script runs it (`demo`, `sandbox`): a real process with its embedded
PostgreSQL and its four services under the supervisor, its output collected line by line."""

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


def port_free(port: int) -> bool:
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
        if base < 65000 and all(port_free(base + i) for i in range(7)):
            return base
    raise RuntimeError("no free ports")


class Demo:
    """One `switchhub demo` (or `command`, e.g. ("sandbox", "--points", "300")) process; its output
    collected line by line by a thread."""

    def __init__(self, data_dir: Path, *, ignore_sigint: bool = False,
                 command: tuple[str, ...] = ("demo", "--points", "100")) -> None:
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

        self.proc = subprocess.Popen([sys.executable, "-m", "switchhub.cli", *command, "--port", str(port)], env=env, stdout=subprocess.PIPE,
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
            wait_port(p, timeout=120)  # a started service still imports and binds: slow on a loaded machine

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
