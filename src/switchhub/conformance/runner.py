"""`run_conformance(base_url, options) -> Report`: the checks in their order against one area system.

The run files one switch-start (by the "other retailer" on a point of the supplier) and withdraws it
at the end, so it leaves no open application behind; run it against a test instance of the area."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from switchhub.conformance import contract
from switchhub.conformance.checks import Cast, Suite
from switchhub.conformance.events import EventChecks
from switchhub.conformance.probe import Actor, AreaProbe
from switchhub.conformance.report import Report


@dataclass
class Options:
    """Who the suite acts as and on which points. Operator codes are the test instance's own: the area
    decides visibility from the acting operator's kind and areas and from its supply periods."""

    cert: str | None = None  # the hub's client certificate (PEM) and key
    key: str | None = None
    ca: str | None = None  # the CA that signed the area's server certificate
    area: str = "03"
    supplier: str = "M0300"  # a retailer that supplies the fixture points
    other_retailer: str = "A0001"  # a retailer that does not (files the switch-start)
    third_retailer: str = "A0002"  # another retailer that does not
    tso: str = ""  # the area's T&D (default T<area>00)
    tso_other: str = ""  # a T&D of another area (default T<other area>00)
    occto: str = "OC000"
    spid: str | None = None  # a point of the supplier (default: found through the supplier's export)
    switch_spid: str | None = None  # another one, free of applications, for the switch-start
    unknown_spid: str | None = None  # a well-formed spid the area does not hold (default <area> + 20 nines)
    deadline_s: float | None = None  # default: the contract's x-deadline-seconds
    timeout_s: float = 30.0  # the suite stops waiting for one answer after this
    transport: httpx.AsyncBaseTransport | None = None  # tests: an in-process transport instead of TLS
    # the push side: a receiver for the area's events, when the area can be pointed at it (receiver.py)
    receiver: str | None = None  # host:port to listen on
    receiver_cert: str | None = None  # its server certificate and key (trusted by the area)
    receiver_key: str | None = None
    receiver_ca: str | None = None  # the CA of the area's client certificate (default: ca)
    events_wait_s: float = 15.0  # how long to wait for the run's events

    def cast(self) -> Cast:
        other_area = "01" if self.area != "01" else "02"
        return Cast(
            supplier=Actor(self.supplier, "retailer"),
            other=Actor(self.other_retailer, "retailer"),
            third=Actor(self.third_retailer, "retailer"),
            tso=Actor(self.tso or f"T{self.area}00", "tso", self.area),
            tso_other=Actor(self.tso_other or f"T{other_area}00", "tso", other_area),
            occto=Actor(self.occto, "occto"),
        )


async def arun_conformance(base_url: str, options: Options) -> Report:
    report = Report(base_url, options.area)
    deadline = options.deadline_s if options.deadline_s is not None else contract.deadline_seconds()
    probe = AreaProbe(
        base_url,
        cert=options.cert,
        key=options.key,
        ca=options.ca,
        timeout_s=max(options.timeout_s, deadline),
        transport=options.transport,
    )
    s = Suite(
        probe,
        report,
        options.cast(),
        options.area,
        deadline_s=deadline,
        spid=options.spid,
        switch_spid=options.switch_spid,
        unknown_spid=options.unknown_spid,
    )
    c = s.cast
    receiver = _receiver(options)
    try:
        if receiver is not None:
            receiver.start()
        await s.check("export.current_supplier", s.export)
        await s.check("export.zstd", s.export_zstd)
        await s.check("lookup.current_supplier", s.lookup_as(c.supplier, ("current_supplier",)))
        await s.check("lookup.other_retailer", s.lookup_as(c.other, ("other_retailer", "former_supplier")))
        await s.check("lookup.tso_own_area", s.lookup_as(c.tso, ("tso_own_area",)))
        await s.check("lookup.tso_other_area", s.lookup_as(c.tso_other, ("tso_other_area",)))
        await s.check("lookup.occto", s.lookup_as(c.occto, ("occto",)))
        await s.check("batch_get.other_retailer", s.batch_get)
        await s.check("search.by_pole_no", s.search_by_pole)
        await s.check("search.by_meter_no", s.search_by_meter)
        for name, run in (
            ("refusal.unknown_spid", s.unknown_spid),
            ("refusal.malformed_spid", s.malformed_spid),
            ("refusal.no_acting_operator", s.no_acting_operator),
            ("refusal.export_by_tso", s.export_by_tso),
            ("refusal.bad_search_area", s.bad_search_area),
            ("refusal.bad_batch_spid", s.bad_batch_spid),
        ):
            await s.check(name, run)
        await s.check("feed.head", s.feed_head)
        for name, run in (
            ("application.switch_start", s.switch_start),
            ("application.idempotent_replay", s.idempotent_replay),
            ("refusal.idempotency_key_reused", s.idempotency_key_reused),
            ("refusal.second_switch_start_same_retailer", s.second_same),
            ("refusal.second_switch_start_other_retailer", s.second_other),
            ("refusal.switch_start_by_supplier", s.by_supplier),
            ("refusal.switch_start_body", s.bad_body),
            ("refusal.switch_start_json", s.bad_json),
            ("application.status", s.status),
            ("application.status_by_tso", s.status_by_tso),
            ("refusal.status_by_other_retailer", s.status_by_other),
            ("refusal.withdraw_unknown", s.withdraw_unknown),
            ("refusal.withdraw_empty_reason", s.withdraw_empty_reason),
            ("application.withdraw", s.withdraw),
            ("refusal.withdraw_twice", s.withdraw_twice),
            ("feed.order", s.feed_order),
            ("feed.replay", s.feed_replay),
            ("feed.paging", s.feed_paging),
            ("feed.events", s.feed_events),
        ):
            await s.check(name, run)
        if receiver is not None:
            events = EventChecks(s, receiver, options.events_wait_s)
            for name, run in (
                ("events.delivered", events.delivered),
                ("events.redelivery", events.redelivery),
                ("events.ids", events.ids),
            ):
                await s.check(name, run)
        await s.check("deadline", s.deadline)
    finally:
        await probe.aclose()
        if receiver is not None:
            receiver.stop()
    return report


def _receiver(options: Options):  # type: ignore[no-untyped-def]
    if not options.receiver:
        return None
    from switchhub.conformance.receiver import EventReceiver

    host, _, port = options.receiver.rpartition(":")
    if not (host and port.isdigit() and options.receiver_cert and options.receiver_key):
        raise ValueError("receiver needs host:port, a server certificate and its key")
    return EventReceiver(
        host, int(port), options.receiver_cert, options.receiver_key, options.receiver_ca or options.ca
    )


def run_conformance(base_url: str, options: Options) -> Report:
    """The suite from synchronous code (the CLI, tests without a loop)."""
    return asyncio.run(arun_conformance(base_url, options))
