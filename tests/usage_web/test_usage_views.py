"""The usage Web pages at the HTTP interface: the permission checks of the views (another T&D
cannot open a detail, a retailer cannot open the queue, OCCTO reads without personal data and
cannot decide, CSRF), the retailer's request form with field errors and nothing stored, the status
page that shows the password once, and the inquiry page's tables (decimal strings as stored)."""

from __future__ import annotations

import re
from datetime import date, datetime

import pyotp

from tests.flow.helpers import frozen
from tests.hub.helpers import csrf_of, web_login
from tests.usage.helpers import CUSTOMER, PNG, b64, body, make_customer, points, put_day, put_month, rows

NOW = datetime(2026, 11, 24, 10, 0)  # Tuesday: the review deadline is Wednesday 25th
REFUSED = "この操作を行う権限がありません"


async def _web(stack, operator: str, login: str):
    client = stack.client(operator, "web", token=None)
    totp = stack.world.totp.get(login)
    r = await web_login(client, login, stack.world.logins[login], pyotp.TOTP(totp).now() if totp else None)
    assert r.status_code == 303, r.text[:300]
    return client


async def _mismatched_request(stack, spids: list[str]) -> str:
    async with stack.client("A0001") as api:
        r = await api.post("/api/v1/applications/usage-password", json=body(
            spids, customer_name_kanji="別人 花子", documents=[{"filename": "id.png", "content_base64": b64(PNG)}]))
    assert r.status_code == 201 and r.json()["stage"] == "02", r.text
    return r.json()["application_no"]


async def test_who_may_open_the_review_pages(stack):
    spids = points(stack.world, 1, skip=3)
    make_customer(stack, spids)
    with frozen(NOW):
        no = await _mismatched_request(stack, spids)
        tso = await _web(stack, "T0300", "t0300-user1")
        other_tso = await _web(stack, "T0600", "t0600-user1")
        retailer = await _web(stack, "A0001", "a0001-user1")
        helpdesk = await _web(stack, "OC000", "oc000-helpdesk")
        try:
            queue = await tso.get("/usage/reviews")
            assert queue.status_code == 200 and no in queue.text
            detail = await tso.get(f"/usage/reviews/{no}")
            assert detail.status_code == 200 and "別人 花子" in detail.text and 'id="decision-form"' in detail.text
            assert re.search(r'<td class="mismatch">用量 太郎', detail.text)  # the held name, marked
            doc = await tso.get(f"/usage/reviews/{no}/documents/1")
            assert doc.status_code == 200 and doc.content == PNG and doc.headers["content-type"] == "image/png"
            assert "sandbox" in doc.headers["content-security-policy"] and doc.headers[
                "content-disposition"].startswith("inline")
            saved = await tso.get(f"/usage/reviews/{no}/documents/1?download=1")
            assert saved.content == PNG and saved.headers["content-disposition"].startswith("attachment")

            assert no not in (await other_tso.get("/usage/reviews")).text
            for url in (f"/usage/reviews/{no}", f"/usage/reviews/{no}/documents/1"):
                r = await other_tso.get(url)
                assert r.status_code == 404 and "別人 花子" not in r.text, url
            page = await other_tso.get("/")
            r = await other_tso.post(f"/usage/reviews/{no}/decision",
                                     data={"decision": "issue", "csrf_token": csrf_of(page.text)})
            assert r.status_code == 404

            for url in ("/usage/reviews", f"/usage/reviews/{no}", f"/usage/reviews/{no}/documents/1"):
                r = await retailer.get(url)
                assert r.status_code == 403 and REFUSED in r.text, url

            read_only = await helpdesk.get(f"/usage/reviews/{no}")
            assert read_only.status_code == 200 and "別人 花子" not in read_only.text and "用量 太郎" not in read_only.text
            assert 'id="decision-form"' not in read_only.text
            assert (await helpdesk.get(f"/usage/reviews/{no}/documents/1")).status_code == 403

            r = await tso.post(f"/usage/reviews/{no}/decision", data={"decision": "issue", "csrf_token": "x" * 20})
            assert r.status_code == 403
            assert rows(stack, "SELECT stage FROM usage_requests WHERE application_no = %s", (no,)) == [("02",)]
        finally:
            for c in (tso, other_tso, retailer, helpdesk):
                await c.aclose()


async def test_request_form_errors_then_filing_and_the_password_once(stack):
    spids = points(stack.world, 2, skip=6)
    make_customer(stack, spids)
    with frozen(NOW):
        retailer = await _web(stack, "A0001", "a0001-user1")
        tso = await _web(stack, "T0300", "t0300-user1")
        try:
            assert (await tso.get("/usage/password-requests/new")).status_code == 403
            form = await retailer.get("/usage/password-requests/new")
            csrf = csrf_of(form.text)
            bad = await retailer.post("/usage/password-requests/new", data={
                "csrf_token": csrf, "spids": f"{spids[0]}\n123", "validity_days": "30", **CUSTOMER,
                "address": "東京都新宿区西新宿2-8-1", "phone": "090-1234-5678", "consent_date": "2026-11-30"})
            assert bad.status_code == 422
            assert "22桁" in re.search(r'id="spids-error">([^<]+)<', bad.text).group(1)
            assert re.search(r'id="validity_days-error">', bad.text)
            assert rows(stack, "SELECT count(*) FROM usage_requests") == [(0,)]
            future = await retailer.post("/usage/password-requests/new", data={
                "csrf_token": csrf, "spids": ", ".join(spids), "validity_days": "7", **CUSTOMER,
                "address": "東京都新宿区西新宿2-8-1", "phone": "090-1234-5678", "consent_date": "2026-11-30"})
            assert future.status_code == 422 and "未来" in re.search(
                r'id="consent_date-error">([^<]+)<', future.text).group(1)
            assert rows(stack, "SELECT count(*) FROM usage_requests") == [(0,)]

            filed = await retailer.post("/usage/password-requests/new", files=[
                ("documents", ("id.png", PNG, "image/png"))], data={
                "csrf_token": csrf, "spids": ", ".join(spids), "validity_days": "31", **CUSTOMER,
                "address": "東京都新宿区西新宿二丁目8番1号", "phone": "090-1234-5678", "consent_date": "2026-11-20"})
            assert filed.status_code == 303, filed.text[:500]
            no = filed.headers["location"].rsplit("/", 1)[1]
            first = await retailer.get(filed.headers["location"])
            assert first.headers["cache-control"] == "no-store"
            password = re.search(r'id="usage-password">([^<]+)<', first.text).group(1)
            assert "1回だけ" in first.text
            again = await retailer.get(filed.headers["location"])
            assert password not in again.text and 'id="password-shown"' in again.text
            assert rows(stack, "SELECT stage, verification, validity_days FROM usage_requests"
                        " WHERE application_no = %s", (no,)) == [("06", "auto", 31)]
            looked_up = await retailer.get(f"/usage/password-requests?application_no={no}")
            assert looked_up.status_code == 303 and looked_up.headers["location"] == f"/usage/password-requests/{no}"
            assert (await retailer.get("/usage/password-requests?application_no=")).status_code == 422
            other = await _web(stack, "M0300", "m0300-user1")
            try:
                assert (await other.get(f"/usage/password-requests/{no}")).status_code == 404
            finally:
                await other.aclose()
        finally:
            await retailer.aclose()
            await tso.aclose()


async def test_inquiry_page_shows_months_and_days_as_stored(stack):
    spids = points(stack.world, 1, skip=9)
    make_customer(stack, spids)
    put_month(stack, spids[0], date(2026, 11, 1), "288.1230", "2.5000", 95, date(2026, 12, 4))
    put_day(stack, spids[0], date(2026, 11, 20), ["0.1230"] * 47 + [None])
    with frozen(NOW):
        async with stack.client("A0001") as api:
            r = await api.post("/api/v1/applications/usage-password", json=body(spids))
            no = r.json()["application_no"]
            password = (await api.get(f"/api/v1/applications/usage-password/{no}")).json()["password"]
        retailer = await _web(stack, "M0300", "m0300-user1")  # any retailer the customer gives it to
        try:
            csrf = csrf_of((await retailer.get("/usage/query")).text)
            wrong = await retailer.post("/usage/query", data={"csrf_token": csrf, "spid": spids[0],
                                                              "password": "WRONG-WRONG-WRONG", "purpose": "切替提案"})
            assert wrong.status_code == 403 and "パスワードが正しくないか" in wrong.text
            assert 'id="usage-months"' not in wrong.text
            ok = await retailer.post("/usage/query", data={"csrf_token": csrf, "spid": spids[0], "password": password,
                                                           "purpose": "切替提案"})
            assert ok.status_code == 200, ok.text[:300]
            months = re.search(r'<table id="usage-months">(.*?)</table>', ok.text, re.S).group(1)
            assert "2026-11" in months and "288.1230" in months and "2.5000" in months and "2026-12-04" in months
            days = re.search(r'<table id="usage-days"[^>]*>(.*?)</table>', ok.text, re.S).group(1)
            assert "2026-11-20" in days and days.count("0.1230") == 47
            assert "5.7810" in days  # the day's total: 47 × 0.1230, in decimals
            assert password not in ok.text
        finally:
            await retailer.aclose()


async def test_queue_is_oldest_deadline_first_and_marks_overdue(stack):
    spids = points(stack.world, 2, skip=12)
    make_customer(stack, spids)
    with frozen(NOW) as clock:
        older = await _mismatched_request(stack, spids[:1])  # deadline Wed 25th
        clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=clock.now().tzinfo))
        newer = await _mismatched_request(stack, spids[1:])  # deadline Thu 26th
        tso = await _web(stack, "T0300", "t0300-user1")
        try:
            on_time = (await tso.get("/usage/reviews")).text
            assert on_time.index(older) < on_time.index(newer) and "期限超過" not in on_time
            clock.set(datetime(2026, 11, 26, 9, 0, tzinfo=clock.now().tzinfo))
            await tso.aclose()
            tso = await _web(stack, "T0300", "t0300-user1")  # a day later: the session has ended
            late = (await tso.get("/usage/reviews")).text
            row = re.search(rf'<tr class="([^"]*)"><td><a href="/usage/reviews/{older}">', late)
            assert row and row.group(1) == "overdue"
            assert re.search(rf'<tr class=""><td><a href="/usage/reviews/{newer}">', late)
            assert late.count("期限超過") == 1
        finally:
            await tso.aclose()
