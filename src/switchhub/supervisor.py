"""The demo's services as supervised child processes: a dead one is reported and restarted.

Before, the demo stopped everything as soon as any of hub, area, area-public or worker exited,
so one crash (an out-of-memory kill of the worker during a large fill, a bug in one request
path) took the whole system down. Now the supervisor logs a Japanese line with the reason
(exit code or signal) and starts the service again after a back-off that doubles on each
crash in a row (1, 2, 4 … 30 s) and starts again from 1 s once the service has run for a
minute; the other services keep running meanwhile. Every start is announced with its pid
(operators and tests find the process to look at).

Stopping sends SIGTERM to every child (each one stops cleanly on it: stopping.py), waits,
and kills what is still running after the timeout.
"""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass
from typing import Any, Callable

BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
STABLE_AFTER_S = 60.0


@dataclass
class Service:
    name: str  # hub | area | area-public | worker
    argv: list[str]
    env: dict[str, str]
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    crashes: int = 0  # in a row: reset when a run lasted STABLE_AFTER_S
    restart_at: float | None = None
    starts: int = 0


def describe_exit(code: int) -> str:
    """'終了コード 1' or 'シグナル SIGKILL' (a negative Popen return code is the signal)."""
    if code < 0:
        try:
            return f"シグナル {signal.Signals(-code).name}"
        except ValueError:
            return f"シグナル {-code}"
    return f"終了コード {code}"


class Supervisor:
    def __init__(self, services: list[Service], say: Callable[[str], None], *,
                 backoff: tuple[float, ...] = BACKOFF_S, stable_after: float = STABLE_AFTER_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.services, self.say, self.backoff, self.stable_after = services, say, backoff, stable_after
        self.clock = clock

    def start_all(self) -> None:
        for service in self.services:
            self._start(service)

    def _start(self, service: Service) -> None:
        service.proc = subprocess.Popen(service.argv, env=service.env)
        service.started_at, service.restart_at = self.clock(), None
        service.starts += 1
        again = "再起動" if service.starts > 1 else "起動"
        self.say(f"{service.name} を{again}しました (pid {service.proc.pid})")

    def poll(self) -> None:
        """One supervision step: report and schedule the dead, start those whose back-off is over."""
        now = self.clock()
        for service in self.services:
            if service.proc is not None:
                code = service.proc.poll()
                if code is None:
                    continue
                service.proc = None
                if now - service.started_at >= self.stable_after:
                    service.crashes = 0
                delay = self.backoff[min(service.crashes, len(self.backoff) - 1)]
                service.crashes += 1
                service.restart_at = now + delay
                self.say(f"[red]{service.name} が停止しました ({describe_exit(code)})。"
                         f"{delay:g} 秒後に再起動します（連続 {service.crashes} 回目）[/red]")
            elif service.restart_at is not None and now >= service.restart_at:
                self._start(service)

    def stop_all(self, timeout: float = 10.0) -> dict[str, int | None]:
        """SIGTERM to every running child, then wait; kill after `timeout`. Returns each exit code."""
        running = [s for s in self.services if s.proc is not None and s.proc.poll() is None]
        for service in running:
            service.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        deadline = self.clock() + timeout
        codes: dict[str, Any] = {}
        for service in self.services:
            if service.proc is None:
                codes[service.name] = None  # was waiting for its restart
                continue
            try:
                codes[service.name] = service.proc.wait(timeout=max(0.1, deadline - self.clock()))
            except subprocess.TimeoutExpired:
                service.proc.kill()
                codes[service.name] = service.proc.wait()
                self.say(f"[red]{service.name} が {timeout:g} 秒以内に停止しないため強制終了しました[/red]")
            service.proc = None
        return codes
