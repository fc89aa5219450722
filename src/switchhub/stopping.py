"""SIGTERM stops a switchhub process exactly as SIGINT (Ctrl-C) does, whoever started it.

A process started from a script or a service manager often inherits SIGINT *ignored* (a shell
runs background jobs that way, and Python then keeps it ignored), and process managers stop
with SIGTERM, whose default action ends the process without running any cleanup: the embedded
PostgreSQL would keep running and the ports stay taken. So every long-running command installs
its own handlers for both signals, whatever it inherited:

* the demo (synchronous, supervising its services): `raise_keyboard_interrupt_on_stop_signals`;
* the servers: uvicorn handles both signals itself, but afterwards re-raises the one it caught
  with the handler it found; with `exit_on_stop_signals` that ends the process with exit code 0
  after its graceful shutdown, not by the default action (nor by "Aborted!", exit code 1);
* the worker (asyncio): `run_until_stopped` cancels the main task on either signal, so its
  `finally` blocks run (open transactions roll back, pools close) and the process exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Coroutine
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def raise_keyboard_interrupt_on_stop_signals() -> None:
    """SIGINT and SIGTERM raise KeyboardInterrupt in the main thread (an inherited SIG_IGN replaced)."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, _raise_keyboard_interrupt)


def ignore_stop_signals() -> None:
    """While stopping: a second Ctrl-C must not abandon children half-stopped (the stop is bounded)."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)


def _exit_quietly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def exit_on_stop_signals() -> None:
    """SIGINT and SIGTERM end the process with exit code 0 (SystemExit: atexit handlers run).

    Installed first thing by the service commands, so a service stopped while it is still
    starting (the supervisor restarted it a moment ago) exits 0 instead of dying by the default
    action; and it is the handler uvicorn restores and re-raises into after its graceful
    shutdown, so a stopped server ends with 0 too."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, _exit_quietly)


def run_until_stopped(main: Coroutine[Any, Any, Any]) -> None:
    """asyncio.run(main), cancelled cleanly by SIGINT or SIGTERM (exit code 0, finally blocks run)."""

    async def runner() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(main)

        def stop() -> None:  # once: a second signal must not cancel the cleanup the first one started
            if not stopping:
                stopping.append(True)
                task.cancel()

        stopping: list[bool] = []
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, stop)
        try:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        finally:
            for sig in STOP_SIGNALS:
                loop.remove_signal_handler(sig)

    asyncio.run(runner())
