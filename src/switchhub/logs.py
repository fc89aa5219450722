"""Process logging of the services: structlog over the standard library, console or JSON lines.

`SWITCHHUB_LOG_FORMAT=json` makes every line one JSON object (for a log shipper); the default is
a readable console line. The access log (`switchhub.access`, written by telemetry.py) and every
standard-library logger (uvicorn, switchhub.*) go through the same formatter, so one process
never mixes formats. The root level stays WARNING: httpx logs each request it sends at INFO with
the full URL, and the hub's URLs to the areas carry spids.
"""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import os
import queue
import sys
from datetime import datetime, timezone
from typing import IO, Any

import structlog

ACCESS_LOGGER = "switchhub.access"
FORMATS = ("console", "json")


def log_format(value: str | None = None) -> str:
    """The configured format: the argument, else SWITCHHUB_LOG_FORMAT, else console."""
    chosen = (value or os.environ.get("SWITCHHUB_LOG_FORMAT") or "console").strip().lower()
    return chosen if chosen in FORMATS else "console"


def stdlib_bound(name: str) -> Any:
    """A structlog logger writing through the standard library logger `name`, whether or not
    configure_logging ran: unconfigured (tests, embedding) it is silent below the logger's level,
    and never falls back to structlog's default of printing to stdout."""
    return structlog.wrap_logger(logging.getLogger(name), wrapper_class=structlog.stdlib.BoundLogger,
                                 processors=[structlog.stdlib.filter_by_level, *_shared(),
                                             structlog.stdlib.ProcessorFormatter.wrap_for_formatter])


def emit_info(logger: logging.Logger, event: str, fields: dict[str, Any]) -> None:
    """One INFO event with `fields`, as a structlog-bound logger of `logger` would send it (the same
    keys: event, level, logger, timestamp; the same formatter renders it), without the processor chain
    and the standard library's caller lookup. Why: the access log writes a line per request; without
    the chain a lookup cost the hub 0.98 ms of CPU instead of 1.12 (docs/benchmarks.md P1)."""
    if not logger.isEnabledFor(logging.INFO):
        return
    stamp = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    record = logging.LogRecord(logger.name, logging.INFO, "", 0,
                               {"event": event, **fields, "level": "info", "logger": logger.name,
                                "timestamp": stamp}, None, None)
    record._logger, record._name = logger, "info"  # as structlog's wrap_for_formatter marks its records
    logger.handle(record)


def _shared() -> list[Any]:
    return [structlog.contextvars.merge_contextvars, structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name, structlog.processors.TimeStamper(fmt="iso", utc=True)]


def configure_logging(fmt: str | None = None, stream: IO[str] | None = None,
                      level: int = logging.WARNING) -> logging.Handler:
    """Send all logging of this process to `stream` (stderr) in the chosen format, written by a
    background thread (BackgroundHandler); returns the handler (tests flush, remove and close it).
    The access logger is at INFO whatever the root level."""
    shared = _shared()
    renderer: Any = (structlog.processors.JSONRenderer(ensure_ascii=False) if log_format(fmt) == "json"
                     else structlog.dev.ConsoleRenderer(colors=False))
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    output = logging.StreamHandler(stream or sys.stderr)
    output.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, renderer]))
    handler = BackgroundHandler(output)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger(ACCESS_LOGGER).setLevel(logging.INFO)
    return handler


class BackgroundHandler(logging.handlers.QueueHandler):
    """Records are queued; one thread renders and writes them. Why: the services log a line per
    request from the event loop, and a blocking write to a slow pipe, a full terminal or a busy disk
    stalled every request of the process (docs/benchmarks.md P1: up to 15 % of the area's time in
    `StreamHandler.emit`). `flush()` waits until every queued record is written; `close()` (and
    the process's exit) writes the rest and stops the thread."""

    def __init__(self, output: logging.Handler) -> None:
        super().__init__(queue.Queue())
        self.output = output
        self.listener = logging.handlers.QueueListener(self.queue, output, respect_handler_level=True)
        self.listener.start()
        atexit.register(self.close)

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        # the record as it is: structlog's event dict is rendered by the output's formatter in the
        # thread (the default prepare would format it here, on the event loop, with the wrong formatter)
        return record

    def flush(self) -> None:
        self.queue.join()  # type: ignore[attr-defined]
        self.output.flush()

    def close(self) -> None:
        atexit.unregister(self.close)
        if self.listener._thread is not None:  # stop() is not idempotent
            self.listener.stop()
        try:
            self.output.flush()
        except ValueError:  # its stream was closed by its owner (a test runner's captured stderr)
            pass
        super().close()
