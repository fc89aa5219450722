"""The background worker: keyed jobs, outbox delivery, notifications and housekeeping.

`switchhub worker` runs the hub side and the area side (the demo runs one of each
database); `--role hub|area` runs one side only. Every unit of work is its own
transaction and is safe to repeat after a crash or restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from switchhub.config import Settings
from switchhub.db.embedded import resolve_urls
from switchhub.db.engine import make_engine
from switchhub.db.jobs import run_due
from switchhub.kernel.clock import get_clock

log = logging.getLogger("switchhub.worker")


async def housekeeping(hub_engine) -> None:
    """Drop idempotency keys older than 7 days (api.md), end expired web sessions and mark ended
    break-glass grants expired (for the lists; they stopped opening fields at their end time)."""
    from switchhub.hub.accounts.repository import end_expired_sessions
    from switchhub.hub.breakglass.tasks import mark_expired
    from switchhub.hub.idempotency.repository import purge_expired

    now = get_clock().now()
    async with hub_engine.begin() as conn:
        await purge_expired(conn, now)
        await end_expired_sessions(conn, now)
    await mark_expired(hub_engine, now)


async def hub_round(hub_engine, smtp, policy=None, areas=None, area_codes=()) -> None:
    from switchhub.hub.anomaly import tasks as anomaly_tasks
    from switchhub.hub.applications import tasks as applications_tasks
    from switchhub.hub.certificates import tasks as certificate_tasks
    from switchhub.hub.files import tasks as files_tasks
    from switchhub.hub.notices.tasks import HANDLERS as NOTICE_HANDLERS
    from switchhub.hub.notify.delivery import deliver_due
    from switchhub.hub.relays.tasks import HANDLERS
    from switchhub.hub.statistics import tasks as statistics_tasks

    now = get_clock().now()
    handlers = (dict(HANDLERS) | certificate_tasks.HANDLERS | NOTICE_HANDLERS | statistics_tasks.HANDLERS
                | anomaly_tasks.HANDLERS)
    async with hub_engine.begin() as conn:  # daily certificate expiry warning, hourly statistics, daily analysis (keyed)
        await certificate_tasks.schedule(conn, now)
        await statistics_tasks.schedule(conn, now)
        await anomaly_tasks.schedule(conn, now)
    if areas is not None:  # the metering index's hourly catch-up per area needs the area client
        async with hub_engine.begin() as conn:
            await files_tasks.schedule(conn, now, list(area_codes))
            await applications_tasks.schedule(conn, now, list(area_codes))  # once per area, ever
        handlers |= files_tasks.handlers(areas) | applications_tasks.handlers(areas)
    await run_due(hub_engine, handlers, now)
    await deliver_due(hub_engine, smtp=smtp, now=now, policy=policy)


async def area_round(area_engine, poster, areas: tuple[str, ...] | None = None, *,
                     schedule_metering: bool = True, run_metering: bool = True) -> None:
    """One round of the area's jobs, sweeps and outbox. `run_metering=False` leaves the metering
    builds to `metering_loop` (run_worker): a file set of 100,000s of points takes minutes and must
    not hold up applications, usage requests and the outbox behind it."""
    from switchhub.area.applications import service
    from switchhub.area.applications.tasks import HANDLERS
    from switchhub.area.metering import tasks as metering
    from switchhub.area.outbox.dispatcher import deliver
    from switchhub.area.public import tasks as public_tasks
    from switchhub.area.usage.tasks import HANDLERS as USAGE_HANDLERS
    from switchhub.kernel.spid import AREA_CODES

    now = get_clock().now()
    if schedule_metering:  # the metering files' keyed jobs that are due soon (once per key)
        async with area_engine.begin() as conn:
            await metering.schedule(conn, now, areas or AREA_CODES)
    await run_due(area_engine, {**HANDLERS, **USAGE_HANDLERS, **(metering.HANDLERS if run_metering else {}),
                             **public_tasks.HANDLERS}, now)
    async with area_engine.begin() as conn:
        await service.sweep(conn, now)
        await public_tasks.sweep(conn, now)
    await deliver(area_engine, poster)


async def metering_round(area_engine) -> int:
    """Run at most one due metering job (a whole file set: one transaction)."""
    from switchhub.area.metering import tasks as metering

    return await run_due(area_engine, metering.HANDLERS, get_clock().now(), limit=1)


async def metering_loop(area_engine, interval: float = 1.0) -> None:
    """The area's metering builds in their own task, next to the area rounds (see area_round): the
    XML/JSON packaging runs in threads (service._Pipeline), so while a build reads rows and packages
    them the event loop keeps running the other jobs; the builds themselves run one at a time."""
    while True:
        try:
            if await metering_round(area_engine):
                continue  # more may be due: no pause between builds
        except Exception:
            log.exception("metering round failed; retrying")
        await asyncio.sleep(interval)


async def readings_fill_loop(area_engine, settings: Settings, interval: float = 1.0) -> str:
    """The demo's background fill of 30-minute readings (generate/readings_fill.py), next to the
    metering builds: one area × month job at a time while any is pending, the size cap and the free
    disk floor checked before each. Returns why it stopped ("complete", "cap", "disk"); pending jobs
    stay queued, so a restarted worker (with a larger cap) continues where it stopped."""
    import shutil

    from switchhub.generate import readings_fill

    cap, floor = settings.demo_readings_max_gb * 2**30, settings.demo_readings_min_free_gb * 2**30
    while True:
        try:
            async with area_engine.connect() as conn:
                state = await readings_fill.progress(conn)
            if not state.pending:
                if state.done:
                    readings_fill.log.info("%s", state.line())
                return "complete"
            if state.readings_bytes >= cap:
                readings_fill.log.warning("%s: 上限 %.1f GB に達したため停止します (SWITCHHUB_DEMO_READINGS_MAX_GB)",
                            state.line(), settings.demo_readings_max_gb)
                return "cap"
            free = shutil.disk_usage(settings.data_dir).free
            if free < floor:
                readings_fill.log.warning("%s: 空きディスク %.1f GB が下限 %.1f GB を下回ったため停止します"
                            " (SWITCHHUB_DEMO_READINGS_MIN_FREE_GB)", state.line(), free / 2**30,
                            settings.demo_readings_min_free_gb)
                return "disk"
            readings_fill.log.info("%s", state.line())
            if await run_due(area_engine, readings_fill.HANDLERS, get_clock().now(), limit=1):
                continue
        except Exception:
            readings_fill.log.exception("readings fill round failed; retrying")
        await asyncio.sleep(interval)


class QueueGauges:
    """The worker's gauges, set once per round from cheap queries (partial indexes on the due jobs and
    the undelivered events): queue depth per database and kind, outbox lag per area, last round."""

    def __init__(self) -> None:
        self.jobs_seen: set[tuple[str, ...]] = set()
        self.outbox_count_seen: set[tuple[str, ...]] = set()
        self.outbox_age_seen: set[tuple[str, ...]] = set()

    async def observe(self, hub_engine, area_engine) -> None:
        import time

        from switchhub.area.outbox.repository import lag_by_area
        from switchhub.db.jobs import due_counts
        from switchhub.metrics import (
            JOBS_DUE,
            OUTBOX_OLDEST_AGE,
            OUTBOX_UNDELIVERED,
            WORKER_ROUND,
            set_gauge_family,
        )

        now = get_clock().now()
        due: dict[tuple[str, ...], float] = {}
        for db, engine in (("hub", hub_engine), ("area", area_engine)):
            if engine is not None:
                async with engine.connect() as conn:
                    due |= {(db, kind): n for kind, n in (await due_counts(conn, now)).items()}
                    if db == "area":
                        lag = await lag_by_area(conn)
                        counts = {(a,): n for a, (n, _) in lag.items()}
                        set_gauge_family(OUTBOX_UNDELIVERED, counts, self.outbox_count_seen)
                        set_gauge_family(OUTBOX_OLDEST_AGE, {(a,): age for a, (_, age) in lag.items()},
                                         self.outbox_age_seen)
                WORKER_ROUND.labels(db).set(time.time())
        set_gauge_family(JOBS_DUE, due, self.jobs_seen)


async def run_worker(settings: Settings, *, role: str = "all", interval: float = 1.0) -> None:
    from switchhub.area.outbox.dispatcher import https_poster
    from switchhub.hub.notify.delivery import SmtpConfig
    from switchhub.hub.notify.urlpolicy import WebhookPolicy
    from switchhub.runtime import cert_paths
    from switchhub.sandbox import wiring as sandbox

    sandbox.configure_process(settings)  # sandbox mode: the tenant's clock, metering files as test data
    hub_url, area_url = resolve_urls(settings)
    hub_engine = make_engine(hub_url, pool_size=2) if role in ("all", "hub") else None
    area_engine = make_engine(area_url, pool_size=2) if role in ("all", "area") else None
    paths = cert_paths(settings.certs_dir)
    poster = https_poster(settings.public_hub_url, (str(paths["area_client"]), str(paths["area_client_key"])),
                          str(paths["ca"])) if area_engine else None
    smtp = SmtpConfig(settings.smtp_host, settings.smtp_port, settings.mail_from)
    if area_engine is not None:
        from switchhub.area.public.tasks import configure as configure_public_mail

        configure_public_mail(settings)
    webhooks = WebhookPolicy.from_settings(settings)  # the allow-list registration uses too
    areas = None
    if hub_engine is not None:
        from switchhub.hub.gateway.client import HttpsAreaClient

        areas = HttpsAreaClient(settings.area_urls, cert=(str(paths["hub_client"]), str(paths["hub_client_key"])),
                                ca=str(paths["ca"]), timeout=settings.area_timeout_s)
    rounds, gauges = 0, QueueGauges()
    metering_task = asyncio.create_task(metering_loop(area_engine, interval)) if area_engine is not None else None
    fill_task = asyncio.create_task(readings_fill_loop(area_engine, settings, interval)) if area_engine else None
    try:
        while True:
            try:
                if area_engine is not None:
                    await sandbox.refresh_clock(area_engine, settings)
                    await area_round(area_engine, poster, settings.served_areas, schedule_metering=rounds % 30 == 0,
                                     run_metering=False)
                if hub_engine is not None:
                    await sandbox.refresh_clock(hub_engine, settings)
                    await hub_round(hub_engine, smtp, webhooks, areas, sorted(settings.area_urls))
                    if rounds % 60 == 0:
                        await housekeeping(hub_engine)
                await gauges.observe(hub_engine, area_engine)
            except Exception:
                log.exception("worker round failed; retrying")
            rounds += 1
            await asyncio.sleep(interval)
    finally:
        if fill_task is not None:  # a fill transaction under way rolls back; its job stays pending
            fill_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await fill_task
        if metering_task is not None:
            metering_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await metering_task
            from switchhub.area.metering import packers

            packers.shutdown()
        if poster is not None:
            await poster.aclose()
        if areas is not None:
            await areas.aclose()
        for engine in (hub_engine, area_engine):
            if engine is not None:
                await engine.dispose()
