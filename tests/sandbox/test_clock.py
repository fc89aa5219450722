"""The sandbox clock and reset through the hub's API (docs/sandbox.md): reading and moving the clock,
the field errors, the area following the hub, a date fix and an execution firing when the clock
passes them, sessions and the access log on the moved clock, reset, and a production hub's 404.

Expected values are written from the documentation: the sandbox starts at the test's fixed time
(Tue 24 Nov 2026 10:00 JST); the next reading day is Tokyo's code 01 (the first reading day of the
month: Tue 1 Dec 2026); a termination filed on the 24th takes the next business day (Wed 25th),
is date-fixed at the end of the 24th and completed (stage 06) on the 25th.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text

from switchhub.kernel.clock import JST
from tests.flow.helpers import settle
from tests.hub.helpers import web_login
from tests.sandbox.conftest import NOW, TENANT
from tests.sandbox.test_scenarios import spid_for
from tests.support import execute

CLOCK = "/api/v1/sandbox/clock"


def iso(dt: datetime) -> str:
    return dt.astimezone(JST).isoformat()


def area_offset(stack) -> int:
    return execute(stack.area_url, "SELECT offset_seconds FROM sandbox_clock WHERE id = 1")[0][0]


async def test_get_answers_the_tenants_time_and_post_moves_hub_and_area(sandbox):
    stack, _ = sandbox
    async with stack.client("A0001") as c:
        first = await c.get(CLOCK)
        assert first.status_code == 200, first.text
        assert first.json() == {"now": iso(NOW), "offset_seconds": 0, "tenant": TENANT}
        moved = await c.post(CLOCK, json={"advance": "P3D"})
        assert moved.status_code == 200, moved.text
        assert moved.json() == {
            "now": iso(NOW + timedelta(days=3)),
            "offset_seconds": 3 * 86400,
            "tenant": TENANT,
        }
        more = await c.post(CLOCK, json={"advance": "PT2H30M"})
        assert more.json()["offset_seconds"] == 3 * 86400 + 9000
        to = await c.post(CLOCK, json={"to": "2027-01-05T09:00:00+09:00"})
        assert to.json()["now"] == "2027-01-05T09:00:00+09:00"
        again = await c.get(CLOCK)
        assert again.json() == to.json()
    assert area_offset(stack) == to.json()["offset_seconds"]
    async with stack.hub_app.state.engine.connect() as conn:
        audited = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM audit_records WHERE action = 'api.sandbox.clock'"
                    " AND operator_code = 'A0001'"
                )
            )
        ).scalar_one()
    assert audited == 3


async def test_to_next_reading_day_goes_to_tokyos_code_01_reading_day(sandbox):
    stack, _ = sandbox
    async with stack.client("T0300") as c:
        r = await c.post(CLOCK, json={"to_next_reading_day": True})
    assert r.status_code == 200, r.text
    assert r.json()["now"] == "2026-12-01T00:00:00+09:00"


async def test_bad_bodies_are_field_errors_in_japanese(sandbox):
    stack, _ = sandbox
    cases = [  # body → (fields named, a phrase of the Japanese message)
        ({"advance": "P1D", "to": "2027-01-05T09:00:00+09:00"}, {"advance", "to"}, "いずれか1つだけ"),
        ({}, {"advance", "to", "to_next_reading_day"}, "いずれか1つだけ"),
        ({"advance": "-P1D"}, {"advance"}, "ISO 8601"),
        ({"advance": "PT0S"}, {"advance"}, "正の値"),
        ({"advance": "three days"}, {"advance"}, "ISO 8601"),
        ({"to": "2026-11-23T09:00:00+09:00"}, {"to"}, "前には戻せません"),
        ({"to": "tomorrow"}, {"to"}, "日時の形式"),
        ({"to_next_reading_day": False}, {"to_next_reading_day"}, "true"),
    ]
    wrong = []
    async with stack.client("M0300") as c:
        for body, fields, phrase in cases:
            r = await c.post(CLOCK, json=body)
            errors = r.json().get("errors", [])
            if (
                r.status_code != 422
                or {e["field"] for e in errors} != fields
                or not all(phrase in e["message"] for e in errors)
            ):
                wrong.append((body, r.status_code, r.text[:200]))
        still = await c.get(CLOCK)
    assert wrong == []
    assert still.json()["offset_seconds"] == 0


async def test_a_date_fix_and_an_execution_fire_when_the_clock_passes_them(sandbox):
    stack, _ = sandbox
    spid = spid_for(stack, "9905")
    async with stack.client("M0300") as c:
        filed = await c.post("/api/v1/applications/termination", json={"spid": spid, "reason_note": "転居"})
        assert filed.status_code == 201, filed.text
        number = filed.json()["application_no"]
        assert (filed.json()["stage"], filed.json()["requested_date"]) == ("01", "2026-11-25")
        await settle(stack)
        assert (await c.get(f"/api/v1/applications/{number}")).json()["stage"] == "01"
        await c.post(CLOCK, json={"to": "2026-11-25T00:05:00+09:00"})
        await settle(stack)  # the workers' next round, on the moved clock
        done = (await c.get(f"/api/v1/applications/{number}")).json()
    assert [h["to_stage"] for h in done["history"]] == ["01", "05", "06"]
    assert done["effective_date"] == "2026-11-25"
    # the history the user sees is on the sandbox's clock too
    assert [h["at"] for h in done["history"]] == [iso(NOW)] + [iso(datetime(2026, 11, 25, 0, 5, tzinfo=JST))] * 2


async def test_sessions_and_the_access_log_follow_the_clock(sandbox):
    stack, _ = sandbox
    async with stack.client("A0001") as api:
        await api.post(CLOCK, json={"advance": "P2D"})
    async with stack.client("A0001", "web", token=None) as web:
        r = await web_login(web, "a0001-user1", stack.world.logins["a0001-user1"])
        assert r.status_code in (200, 303), r.text[:200]
        assert (await web.get("/")).status_code == 200
        async with stack.hub_app.state.engine.connect() as conn:
            created = (
                await conn.execute(
                    text(
                        "SELECT s.created_at FROM web_sessions s JOIN users u ON u.id = s.user_id"
                        " WHERE u.login_id = 'a0001-user1' ORDER BY s.created_at DESC LIMIT 1"
                    )
                )
            ).scalar_one()
            logged = (
                await conn.execute(text("SELECT max(at) FROM audit_records WHERE user_login = 'a0001-user1'"))
            ).scalar_one()
        assert created == NOW + timedelta(days=2)
        assert logged == NOW + timedelta(days=2)
        async with stack.client("A0001") as api:
            await api.post(CLOCK, json={"advance": "PT31M"})  # idle longer than 30 minutes
        after = await web.get("/", follow_redirects=False)
    assert after.status_code == 303 and after.headers["location"] == "/login"


async def test_reset_restores_data_and_clock_in_hub_and_area(sandbox):
    stack, _ = sandbox
    spid = spid_for(stack, "9905")
    async with stack.client("M0300") as c:
        filed = await c.post("/api/v1/applications/termination", json={"spid": spid})
        number = filed.json()["application_no"]
        await c.post(CLOCK, json={"advance": "P10D"})
        r = await c.post("/api/v1/sandbox/reset")
        assert r.status_code == 200, r.text
        assert r.json() == {"reset": True, "tenant": TENANT, "now": iso(NOW), "offset_seconds": 0}
        gone = await c.get(f"/api/v1/applications/{number}")
        clock = (await c.get(CLOCK)).json()
        left = execute(stack.area_url, "SELECT count(*) FROM applications WHERE spid = %s", (spid,))
        again = await c.post("/api/v1/applications/termination", json={"spid": spid})
    assert gone.status_code == 404
    assert clock["offset_seconds"] == 0 and clock["now"] == iso(NOW)
    assert area_offset(stack) == 0
    assert left == [(0,)]
    assert again.status_code == 201  # the point is free again, and the numbering starts again too
    assert again.json()["application_no"] == number
    audit = execute(
        stack.hub_url, "SELECT action FROM audit_records WHERE action LIKE 'api.sandbox.%%' ORDER BY id"
    )
    assert [a for (a,) in audit] == ["api.sandbox.reset"]  # the clock move before it was undone with the data


async def test_every_answer_carries_the_sandbox_marker(sandbox):
    stack, _ = sandbox
    async with stack.client("M0300") as c:
        answers = [
            await c.get(CLOCK),
            await c.get("/api/v1/supply-points/0300000000000000000000"),
            await c.get("/api/v1/nosuch"),
        ]
    async with stack.client("M0300", "web", token=None) as web:
        answers.append(await web.get("/login"))
    assert [a.headers.get("x-switchhub-sandbox") for a in answers] == ["1"] * 4


async def test_metering_files_written_in_sandbox_mode_are_test_data(sandbox):
    from switchhub.area.metering import tasks as metering_tasks
    from switchhub.kernel.clock import get_clock
    from tests.metering.helpers import run_metering_jobs

    stack, _ = sandbox
    async with stack.client("M0300") as c:
        await c.post(CLOCK, json={"to": "2026-11-25T04:05:00+09:00"})  # the 24th's past-day files are due
    now = get_clock().now()
    async with stack.area_app.state.engine.begin() as conn:
        await metering_tasks.schedule(conn, now, ["03"])
    await run_metering_jobs(stack, now)
    modes = execute(
        stack.area_url, "SELECT DISTINCT operation_mode FROM metering_files WHERE target = '2026-11-24'"
    )
    assert modes == [("1",)]


async def test_a_production_hub_has_no_sandbox_api_and_no_marker(stack):
    async with stack.client("A0001") as c:
        answers = [
            await c.get(CLOCK),
            await c.post(CLOCK, json={"advance": "P1D"}),
            await c.post("/api/v1/sandbox/reset"),
        ]
    # exactly what any unknown path answers: a production hub does not even reveal that the API exists
    assert [(a.status_code, a.json()["code"]) for a in answers] == [(404, "no_such_route")] * 3
    assert all("x-switchhub-sandbox" not in a.headers for a in answers)


async def test_a_relay_shows_its_registration_and_its_last_change_on_the_sandbox_clock(sandbox):
    """registered_at and updated_at of a relay are what the user sees: both on the moved clock."""
    from tests.flow.helpers import smart_point_of
    from tests.flow.test_switch_api import relay_body

    stack, _ = sandbox
    spid = smart_point_of(stack.world, "M0300", skip=7)
    async with stack.client("A0001") as new, stack.client("M0300") as cur:
        relay = (await new.post("/api/v1/relays", json=relay_body(spid))).json()
        await new.post(CLOCK, json={"advance": "P2D"})
        decided = await cur.post(f"/api/v1/relays/{relay['relay_no']}/decision",
                                 json={"decision": "01", "staff_name": "現 太郎"})
        assert decided.status_code == 200, decided.text
        shown = (await new.get(f"/api/v1/relays/{relay['relay_no']}")).json()
    assert shown["registered_at"] == iso(NOW)
    assert shown["updated_at"] == iso(NOW + timedelta(days=2))
