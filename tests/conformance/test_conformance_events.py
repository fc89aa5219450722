"""The push side of the events (issue 10: "event delivery and deduplication"): with `--receiver`, the
suite runs an HTTPS stand-in for the hub's inbox that refuses the first delivery; an area pointed at
it (here the reference area's outbox, delivered as its worker does) must send every event in the
contract's schema, send the refused ones again with the same ids and content, and give each event
one id. An area that drops a refused delivery fails exactly the redelivery and chain checks."""

from __future__ import annotations

import pytest

from switchhub.conformance import Options, run_conformance
from tests.conformance.broken_area import Deliverer, hub_tls, served_area
from tests.live import free_port

EVENTS = ["events.delivered", "events.redelivery", "events.ids"]


def _options(world, port: int) -> Options:
    server = world.server_certs["hub-server"]  # any server certificate the area trusts
    return Options(**hub_tls(world), receiver=f"127.0.0.1:{port}", receiver_cert=str(server.cert_path),
                   receiver_key=str(server.key_path), events_wait_s=15)


@pytest.mark.parametrize("lossy", [False, True], ids=["reference", "drops-refused-delivery"])
def test_events_reach_the_receiver_at_least_once_with_stable_ids(world, lossy):
    port = free_port()
    with served_area(world, f"events_{int(lossy)}") as area, \
            Deliverer(world, area.db_name, f"https://127.0.0.1:{port}", lossy=lossy):
        report = run_conformance(area.base_url, _options(world, port))
    names = [r.check for r in report.results]
    assert names[-4:] == [*EVENTS, "deadline"]  # the event checks run when a receiver is named
    if not lossy:
        assert report.failed == [], report.to_json()
        assert "01 → 04 → 07" in report.result("events.ids").detail_ja
    else:
        # the refused (and dropped) first delivery may also have held the withdrawal the suite waits
        # for — then `events.delivered` fails as well; the redelivery and the chain fail always
        assert {"events.redelivery", "events.ids"} <= set(report.failed) <= set(EVENTS), report.to_json()
        assert "not sent again" in report.result("events.redelivery").detail_en
