"""The supervisor's back-off and its lines, with real child processes and a clock the test moves."""

from __future__ import annotations

import re
import sys
import time

from switchhub.supervisor import Service, Supervisor


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def wait_exit(service: Service) -> None:
    assert service.proc is not None
    service.proc.wait(timeout=20)


def test_a_crashing_service_is_restarted_after_a_doubling_back_off_reset_by_a_stable_run():
    lines: list[str] = []
    clock = Clock()
    crash = Service("worker", [sys.executable, "-c", "raise SystemExit(3)"], {})
    steady = Service("hub", [sys.executable, "-c", "import time; time.sleep(60)"], {})
    supervisor = Supervisor([crash, steady], lines.append, clock=clock, stable_after=60)
    try:
        supervisor.start_all()
        delays = []
        for _ in range(4):
            wait_exit(crash)
            supervisor.poll()
            delays.append(crash.restart_at - clock.now)
            clock.now += delays[-1] - 0.01
            supervisor.poll()
            assert crash.proc is None  # not before its back-off is over
            clock.now += 0.01
            supervisor.poll()
            assert crash.proc is not None
        assert delays == [1, 2, 4, 8]
        wait_exit(crash)
        clock.now += 61  # it "ran" for over a minute: the next crash starts from 1 s again
        crash.started_at = clock.now - 61
        supervisor.poll()
        assert crash.restart_at - clock.now == 1
        assert steady.proc is not None and steady.proc.poll() is None  # never touched
    finally:
        codes = supervisor.stop_all(timeout=10)
    assert codes == {"worker": None, "hub": -15}  # waiting for its restart / stopped by SIGTERM
    assert re.fullmatch(r"worker を起動しました \(pid \d+\)", lines[0])
    assert re.fullmatch(r"hub を起動しました \(pid \d+\)", lines[1])
    assert "[red]worker が停止しました (終了コード 3)。1 秒後に再起動します（連続 1 回目）[/red]" in lines
    assert "[red]worker が停止しました (終了コード 3)。8 秒後に再起動します（連続 4 回目）[/red]" in lines
    assert sum(line.startswith("worker を再起動しました (pid ") for line in lines) == 4


def test_a_child_that_ignores_sigterm_is_killed_after_the_timeout():
    lines: list[str] = []
    stubborn = Service("area", [sys.executable, "-c",
                                "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
                                " print('ready', flush=True); time.sleep(60)"], {})
    supervisor = Supervisor([stubborn], lines.append)
    supervisor.start_all()
    time.sleep(1.0)  # its handler is in place
    started = time.monotonic()
    assert supervisor.stop_all(timeout=1) == {"area": -9}
    assert time.monotonic() - started < 5
    assert lines[-1] == "[red]area が 1 秒以内に停止しないため強制終了しました[/red]"
