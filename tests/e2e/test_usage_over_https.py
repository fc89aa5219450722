"""A usage password for 3 points over HTTPS against real servers (mutual TLS on both hops): the
applicant requests it, it is issued at once (name and address match), the applicant picks it up once,
and another retailer's credential inquires with the same password, per point and as one batch."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

from switchhub.kernel.clock import get_clock
from tests.hub.helpers import audit_rows
from tests.usage.helpers import body, make_customer, points, put_day, put_month


async def test_password_for_three_points_auto_issued_and_used_by_another_retailer(live):
    spids = points(live.world, 3, skip=70)
    area = SimpleNamespace(area_url=live.area_db)
    make_customer(area, spids)
    today = get_clock().today()
    this_month = today.replace(day=1)
    put_month(area, spids[1], this_month, "123.4560", "3.2000", 98, this_month + timedelta(days=40))
    put_day(area, spids[1], today - timedelta(days=1), ["0.2500"] * 48)
    async with live.client("A0001") as applicant, live.client("A0002") as other:
        r = await applicant.post("/api/v1/applications/usage-password", headers={"Idempotency-Key": "usage-e2e-1"},
                                 json=body(spids, consent_date=str(today)))
        assert r.status_code == 201, r.text
        filed = r.json()
        assert (filed["stage"], filed["verification"], filed["points"]) == ("06", "auto", spids)
        again = await applicant.post("/api/v1/applications/usage-password", headers={"Idempotency-Key": "usage-e2e-1"},
                                     json=body(spids, consent_date=str(today)))
        assert again.json()["application_no"] == filed["application_no"]  # the same request, not a second
        url = f"/api/v1/applications/usage-password/{filed['application_no']}"
        password = (await applicant.get(url)).json()["password"]
        assert password and (await applicant.get(url)).json()["password"] is None
        answer = await other.post(f"/api/v1/supply-points/{spids[1]}/usage:query",
                                  json={"password": password, "purpose": "切替提案のための料金試算"})
        assert answer.status_code == 200, answer.text
        usage = answer.json()
        assert usage["months"] == [{"billing_month": f"{this_month:%Y-%m}", "kwh": "123.4560",
                                    "max_demand_kw": "3.2000", "power_factor": 98,
                                    "next_reading_date": str(this_month + timedelta(days=40))}]
        assert usage["days"] == [{"date": str(today - timedelta(days=1)), "kwh": ",".join(["0.2500"] * 48),
                                  "status": "0" * 48}]
        assert date.fromisoformat(usage["window_start"]) <= this_month
        refused = await other.post(f"/api/v1/supply-points/{points(live.world, 1, skip=80)[0]}/usage:query",
                                   json={"password": password, "purpose": "試算"})
        assert refused.status_code == 403
        outside = points(live.world, 1, skip=80)[0]
        batch = await other.post("/api/v1/usage:query", json={"spids": [spids[1], outside, spids[0]],
                                                              "password": password, "purpose": "試算"})
        assert batch.status_code == 200, batch.text
        assert [(i["spid"], i["outcome"], i["code"]) for i in batch.json()["items"]] == [
            (spids[1], "answered", None), (outside, "refused", "usage_password_invalid"), (spids[0], "answered", None)]
        assert batch.json()["items"][0]["usage"] == usage  # the same answer as the per-point route's
    inquiries = [a for a in audit_rows(live.hub_db, "api.usage.query") if a["resource_ids"] == [spids[1]]]
    assert [(a["operator_code"], a["purpose"], a["detail"]["purpose_text"]) for a in inquiries] == [
        ("A0002", "usage_inquiry", "切替提案のための料金試算"), ("A0002", "usage_inquiry", "試算")]
