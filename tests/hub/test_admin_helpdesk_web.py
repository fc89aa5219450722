"""Issue 9 G on the Web (HTTP level, real PostgreSQL): break-glass request → approval → a named user's
facility page shows the granted fields; the helpdesk searches relays across operators and withdraws
a stale one with a reason; the access log page and its CSV (own operator only; OCCTO all)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from switchhub.kernel.clock import JST, get_clock
from tests.flow.helpers import smart_point_of
from tests.flow.test_switch_api import relay_body
from tests.hub.helpers import audit_rows, point_of, web_login_reauthenticated


def local(dt) -> str:
    return dt.astimezone(JST).strftime("%Y-%m-%dT%H:%M")


async def test_breakglass_request_self_approval_refused_and_approval_opens_the_facility_page(stack):
    spid = point_of(stack.world, "M0300", "03")
    now = get_clock().now()
    form = {"operator_code": "A0001", "users": "a0001-user1", "field_classes": "supplier", "areas": "03",
            "disaster_title": "令和8年 関東地方大雨", "reason": "需要者への連絡のため",
            "starts_at": local(now - timedelta(hours=1)), "ends_at": local(now + timedelta(days=1))}
    async with stack.client("A0001", "web", token=None) as user1:
        await web_login_reauthenticated(stack, user1, "a0001-user1")
        before = await user1.get(f"/facility/{spid}")
        assert before.status_code == 200 and spid in before.text and "需要者名（漢字）" not in before.text
    async with stack.client("A0001", "web", token=None) as admin:
        csrf = await web_login_reauthenticated(stack, admin, "a0001-admin")
        bad = await admin.post("/breakglass/new", data={**form, "ends_at": local(now + timedelta(days=9)),
                                                        "csrf_token": csrf})
        assert bad.status_code == 422 and 'id="ends_at-error"' in bad.text and "最長7日" in bad.text
        r = await admin.post("/breakglass/new", data={**form, "csrf_token": csrf})
        assert r.status_code == 303, r.text
        detail_url = r.headers["location"]
        gid = detail_url.rsplit("/", 1)[-1]
        page = await admin.get(detail_url)
        assert page.status_code == 200 and "承認待ち" in page.text and 'id="bg-approve"' not in page.text
    async with stack.client("OC000", "web", token=None) as occto:
        csrf = await web_login_reauthenticated(stack, occto, "oc000-admin")
        listing = await occto.get("/breakglass?status=requested")
        assert gid in listing.text
        r = await occto.post(f"/breakglass/{gid}/approve", data={"note": "確認", "csrf_token": csrf})
        assert r.status_code == 303
        assert "承認済み" in (await occto.get(detail_url)).text
    async with stack.client("A0001", "web", token=None) as user1:
        await web_login_reauthenticated(stack, user1, "a0001-user1")
        during = await user1.get(f"/facility/{spid}")
    assert during.status_code == 200 and "需要者名（漢字）" in during.text and "現小売事業者" in during.text
    before_read, reads = audit_rows(stack.hub_url, "web.supply_point.lookup")[0], [
        r for r in audit_rows(stack.hub_url, "web.supply_point.lookup") if r["fields"]]
    assert before_read["fields"] == [] and before_read["detail"] == {}  # the admin's public-only look before
    assert len(reads) == 1 and reads[0]["user_login"] == "a0001-user1"
    assert reads[0]["detail"] == {"breakglass_grants": [gid]} and "customer_name_kanji" in reads[0]["fields"]
    assert [a["action"] for a in audit_rows(stack.hub_url) if "breakglass" in a["action"]] == [
        "web.breakglass.request", "web.breakglass.approve"]


async def test_self_approval_is_refused_on_the_web(stack):
    now = get_clock().now()
    form = {"operator_code": "A0001", "users": "a0001-user1", "field_classes": "supplier", "areas": "03",
            "disaster_title": "訓練", "reason": "訓練", "starts_at": local(now), "ends_at": local(now + timedelta(hours=5))}
    async with stack.client("OC000", "web", token=None) as occto:
        csrf = await web_login_reauthenticated(stack, occto, "oc000-admin")
        r = await occto.post("/breakglass/new", data={**form, "csrf_token": csrf})
        assert r.status_code == 303, r.text
        gid = r.headers["location"].rsplit("/", 1)[-1]
        r = await occto.post(f"/breakglass/{gid}/approve", data={"note": "", "csrf_token": csrf})
    assert r.status_code == 403 and "申請者本人は承認できません" in r.text and "承認待ち" in r.text


async def test_helpdesk_searches_across_operators_and_withdraws_a_stale_relay(stack):
    spid = smart_point_of(stack.world, "M0300", skip=40)
    async with stack.client("A0001") as api:
        r = await api.post("/api/v1/relays", json=relay_body(spid, requested_switch_date="2030-01-31"))
        assert r.status_code == 201, r.text
        relay_no = r.json()["relay_no"]
    async with stack.client("OC000", "web", token=None) as hd:
        csrf = await web_login_reauthenticated(stack, hd, "oc000-helpdesk")
        page = await hd.get("/helpdesk?kind=relays&operator=M0300")
        assert page.status_code == 200 and relay_no in page.text
        assert "山田" not in page.text  # the customer's name: parties only (masked as for a T&D)
        assert relay_no not in (await hd.get("/helpdesk?kind=relays&operator=A0002")).text
        bad = await hd.get("/helpdesk?kind=relays&from=2026-13-01")
        assert bad.status_code == 422 and 'id="from-error"' in bad.text
        r = await hd.post(f"/helpdesk/relays/{relay_no}/withdraw", data={"reason": "", "csrf_token": csrf})
        assert r.status_code == 422 and 'id="reason-error"' in r.text
        r = await hd.post(f"/helpdesk/relays/{relay_no}/withdraw",
                          data={"reason": "新小売の依頼により取消（長期間放置）", "csrf_token": csrf})
        assert r.status_code == 303
        after = await hd.get(r.headers["location"])
        assert "取り消しました" in after.text and "取消" in after.text
        apps = await hd.get("/helpdesk?kind=applications&operator=A0001")
        assert apps.status_code == 200 and 'id="helpdesk-applications"' in apps.text
    async with stack.client("A0001") as api:
        assert (await api.get(f"/api/v1/relays/{relay_no}")).json()["status"] == "06"
    row, = audit_rows(stack.hub_url, "web.relay.withdraw")
    assert row["user_login"] == "oc000-helpdesk" and row["detail"]["reason"].startswith("新小売の依頼")


async def test_access_log_own_operator_only_with_filters_and_csv(stack):
    m_spid, a_spid = point_of(stack.world, "M0300"), point_of(stack.world, "A0001")
    async with stack.client("M0300") as m, stack.client("A0001") as a:
        assert (await m.get(f"/api/v1/supply-points/{m_spid}")).status_code == 200
        assert (await a.get(f"/api/v1/supply-points/{a_spid}")).status_code == 200
    async with stack.client("A0001", "web", token=None) as admin:
        await web_login_reauthenticated(stack, admin, "a0001-admin")
        page = await admin.get("/access-log?action=api.supply_point.lookup")
        assert page.status_code == 200 and a_spid in page.text and m_spid not in page.text
        assert (await admin.get("/access-log?operator_code=M0300&action=api.supply_point.lookup")).text.count(
            m_spid) == 0  # an operator filter of a non-OCCTO admin is its own operator
        assert a_spid not in (await admin.get("/access-log?user_login=a0001-user1&action=api.supply_point.lookup")).text
        bad = await admin.get("/access-log?date_from=2026-12-05&date_to=2026-12-01")
        assert bad.status_code == 422 and 'id="date_to-error"' in bad.text
        r = await admin.get("/access-log.csv?action=api.supply_point.lookup")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [(x["operator_code"], x["resource_ids"]) for x in rows] == [("A0001", a_spid)]
    export, = audit_rows(stack.hub_url, "web.audit.export")
    assert export["operator_code"] == "A0001" and export["detail"]["operator_code"] == "A0001"
    async with stack.client("OC000", "web", token=None) as hd:
        await web_login_reauthenticated(stack, hd, "oc000-helpdesk")
        page = await hd.get("/access-log?operator_code=M0300&action=api.supply_point.lookup")
    assert m_spid in page.text and a_spid not in page.text
