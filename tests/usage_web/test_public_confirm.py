"""The confirmation link and the result mails: opening the link files a type 08 request whose
applicant is the customer itself (automatic verification or the T&D review queue), once; the
password or the rejection goes to the customer's address once, over real SMTP (aiosmtpd)."""

from __future__ import annotations

import re
from email.header import decode_header, make_header

from sqlalchemy import text

from tests.support import execute
from tests.usage_web.conftest import client, low_points
from tests.usage_web.test_public_form import form_for, post


def address_of(area_url: str, spid: str) -> str:
    pref, city, town, block, building, room = execute(
        area_url, "SELECT prefecture, city, town, block, coalesce(building, ''), coalesce(room, '')"
        " FROM supply_points WHERE spid = %s", (spid,))[0]
    return f"{pref}{city}{town}{block} {building} {room}".strip()


async def request_link(public, mailbox, points, **changes) -> str:
    async with client(public) as c:
        resp = await post(c, form_for(points, **changes))
    assert resp.status_code == 200, resp.text
    return re.search(r"https://public\.test(/confirm\?token=[A-Za-z0-9_-]+)", mailbox.bodies()[-1]).group(1)


async def worker_round(public) -> list:
    """One round of the area worker (`switchhub worker`): its jobs, sweeps and outbox delivery (to a
    stand-in hub that accepts every batch); returns the events it delivered. As in the worker, the
    metering builds run in their own loop, not in this round (a month's per-reading-day files are
    hundreds of jobs that would otherwise come first)."""
    from switchhub.area.public import tasks
    from switchhub.worker import area_round

    delivered: list = []

    async def hub(events: list) -> bool:
        delivered.extend(events)
        return True

    tasks.configure(public.state.settings)
    await area_round(public.state.engine, hub, run_metering=False)
    return delivered


def subject_of(mail) -> str:
    return str(make_header(decode_header(mail["Subject"])))


def request_rows(area_url: str) -> list[tuple]:
    """(application_no, (origin, applicant code, e-mail), stage, verification, password picked up)"""
    return execute(area_url, "SELECT application_no, ROW(applicant_origin, applicant_code, applicant_email)::text,"
                   " stage, verification, pickup_password IS NULL FROM usage_requests ORDER BY application_no")


async def test_matching_request_is_issued_and_the_password_mailed_once(public, mailbox):
    url = public.state.area_url
    points = low_points(url, 2)
    spid = points[0][0]
    link = await request_link(public, mailbox, points[:1], address=address_of(url, spid))
    async with client(public) as c:
        opened = await c.get(link)
        again = await c.get(link)
    assert opened.status_code == 200 and "申請を受け付けました" in opened.text
    application_no = re.search(r"申込番号 ([0-9A-Za-z-]+)", opened.text).group(1)
    assert again.status_code == 200 and "この申請は受付済みです" in again.text and application_no in again.text
    rows = request_rows(url)
    # one filing, issued at once, by the customer itself: no applicant code, its address kept
    assert [r[:4] for r in rows] == [(application_no, "(public,,taro@example.jp)", "06", "auto")]
    assert rows[0][4] is False  # the password waits for the mail job
    events = await worker_round(public) + await worker_round(public)
    assert len(mailbox.messages) == 2  # the confirmation, then the password: once
    issued = [e for e in events if e["kind"] == "usage.password_issued"]
    assert len(issued) == 1 and issued[0]["payload"]["application_no"] == application_no
    mail = mailbox.messages[1]
    assert mail["To"] == "taro@example.jp" and "パスワードを発行しました" in subject_of(mail)
    body = mailbox.bodies()[1]
    password = re.search(r"パスワード: (\S+)", body).group(1)
    assert application_no in body and spid in body
    assert password not in str(events)  # no password in any event
    assert request_rows(url)[0][4] is True  # the pickup column is cleared by the mail
    salt, digest = execute(url, "SELECT password_salt, password_hash FROM usage_requests")[0]
    from switchhub.area.usage.passwords import matches

    assert matches(password, bytes(salt), bytes(digest)) and not matches(password + "x", bytes(salt), bytes(digest))
    assert execute(url, "SELECT result_mailed_at IS NOT NULL FROM public_usage_requests")[0][0] is True


async def test_mismatched_name_goes_to_review_and_a_rejection_is_mailed(public, mailbox):
    from switchhub.area.usage import service as usage
    from switchhub.contract.usage import UsageDecisionRequest
    from switchhub.kernel.caller import Caller
    from switchhub.kernel.clock import get_clock

    url = public.state.area_url
    points = low_points(url, 1)
    link = await request_link(public, mailbox, points, customer_name_kanji="別人 花子",
                              address=address_of(url, points[0][0]))
    async with client(public) as c:
        assert (await c.get(link)).status_code == 200
    (application_no, applicant, stage, verification, _), = request_rows(url)
    assert (applicant, stage, verification) == ("(public,,taro@example.jp)", "02", "review")
    await worker_round(public)
    assert len(mailbox.messages) == 1  # undecided: no result mail yet
    tso = Caller("T0300", "tso", frozenset({"03"}), user_login="t0300-user1")
    async with public.state.engine.begin() as conn:
        await usage.decide(conn, tso, application_no, UsageDecisionRequest.model_validate_json(
            '{"decision": "reject", "reason_code": "identity_mismatch", "note": "ご契約者名が異なります"}'),
            frozenset({"03"}), get_clock().now())
    await worker_round(public)
    await worker_round(public)
    assert len(mailbox.messages) == 2
    body = mailbox.bodies()[1]
    assert "お受けできませんでした" in body and "需要者情報不一致" in body and "ご契約者名が異なります" in body
    assert "パスワード:" not in body


async def test_unknown_and_expired_links_file_nothing(public, mailbox):
    url = public.state.area_url
    points = low_points(url, 1)
    link = await request_link(public, mailbox, points)
    execute(url, "UPDATE public_usage_requests SET created_at = created_at - interval '25 hours',"
            " expires_at = expires_at - interval '25 hours'")
    async with client(public) as c:
        expired = await c.get(link)
        unknown = await c.get("/confirm?token=" + "A" * 43)
        empty = await c.get("/confirm")
    assert expired.status_code == 409 and "有効期限（24時間）が切れています" in expired.text
    for resp in (unknown, empty):
        assert resp.status_code == 404 and "このリンクは無効です" in resp.text
    assert request_rows(url) == []


async def test_a_point_that_became_high_voltage_is_refused_at_the_link(public, mailbox):
    """The area service checks again when the link is opened; its refusal is a page, not a 500."""
    url = public.state.area_url
    points = low_points(url, 1)
    link = await request_link(public, mailbox, points)
    async with public.state.engine.begin() as conn:
        await conn.execute(text("UPDATE supply_points SET channel = 'low_fit' WHERE spid = :s"), {"s": points[0][0]})
    async with client(public) as c:
        resp = await c.get(link)
    assert resp.status_code == 422 and "対象外" in resp.text
    assert request_rows(url) == []
    assert execute(url, "SELECT confirmed_at FROM public_usage_requests")[0][0] is None


async def test_unconfirmed_requests_are_dropped_a_week_after_expiry(public, mailbox):
    url = public.state.area_url
    points = low_points(url, 1)
    await request_link(public, mailbox, points, email="old@example.jp")
    await request_link(public, mailbox, points, email="new@example.jp")
    execute(url, "UPDATE public_usage_requests SET created_at = created_at - interval '8 days 1 hour',"
            " expires_at = expires_at - interval '8 days 1 hour' WHERE email = 'old@example.jp'")
    await worker_round(public)
    assert execute(url, "SELECT email FROM public_usage_requests") == [("new@example.jp",)]
