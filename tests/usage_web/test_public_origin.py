"""A customer's own request (public page) is a request of origin "public": its T&D reviews it and sees
the origin from the data, no retailer sees it (not one with code 00000 either, the placeholder
the first public page used), and its result goes to the customer by mail, never to a retailer
through the hub's notifications. A hub and an area on fresh copies, the public page on the same
area database, a real SMTP server (aiosmtpd), the area worker's round delivering to the real hub.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import text

from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import SwitchhubError
from tests.flow.helpers import frozen
from tests.flow.test_outbox_and_notify import make_admin
from tests.usage.helpers import ADDRESS_LINE, CUSTOMER, body, make_customer, points, rows
from tests.usage_web.conftest import PUBLIC_BASE, client
from tests.usage_web.test_public_form import form_for, post
from tests.usage_web.test_usage_views import _web

NOW = datetime(2026, 11, 24, 10, 0)  # Tuesday
PUBLIC_ORIGIN = "需要者本人（公開ページ）"
REQUEST_URL = "/api/v1/applications/usage-password/{}"
REVIEW_URL = "/api/v1/usage-password-reviews/{}"


@pytest.fixture
async def public_on_stack(stack, mailbox):
    """The T&D's public page on the stack's area database (the area the hub calls)."""
    from switchhub.area.public.app import create_public_app
    from switchhub.config import Settings
    from switchhub.db.engine import make_engine

    world = stack.world
    settings = Settings(data_dir=world.certs_dir.parent, certs_dir=world.certs_dir, area_database_url=stack.area_url,
                        area_smtp_host="127.0.0.1", area_smtp_port=mailbox.port, public_area_url=PUBLIC_BASE)
    app = create_public_app(settings, make_engine(stack.area_url, pool_size=2))
    yield app
    await app.state.engine.dispose()


async def _file_publicly(public, mailbox, spid: str, **changes: str) -> str:
    """Post the form, open the link the mail carries; the application number the page names."""
    fields = {"address": ADDRESS_LINE, "email": "hanako@example.jp", **changes}
    async with client(public) as c:
        assert (await post(c, form_for([(spid, CUSTOMER["customer_name_kana"], CUSTOMER["customer_name_kanji"])],
                                       **fields))).status_code == 200
        link = re.search(r"https://public\.test(/confirm\?token=[A-Za-z0-9_-]+)", mailbox.bodies()[-1]).group(1)
        opened = await c.get(link)
    assert opened.status_code == 200, opened.text
    return re.search(r"申込番号 ([0-9A-Za-z-]+)", opened.text).group(1)


async def _worker_round(stack, public) -> None:
    """The area worker's round (jobs, sweeps, the outbox posted to the real hub with the area's certificate)."""
    from switchhub.area.public import tasks
    from switchhub.worker import area_round
    from tests.support import area_poster

    tasks.configure(public.state.settings)
    await area_round(stack.area_app.state.engine, area_poster(stack), schedule_metering=False)


async def _hub_rows(stack, sql: str, params: dict) -> list[tuple]:
    async with stack.hub_app.state.engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(text(sql), params)]


async def test_the_td_reviews_a_public_request_shown_as_the_customers_own(stack, public_on_stack, mailbox):
    spids = points(stack.world, 1, skip=50)
    make_customer(stack, spids)
    with frozen(NOW):
        no = await _file_publicly(public_on_stack, mailbox, spids[0], customer_name_kanji="別人 花子")
        assert rows(stack, "SELECT applicant_origin, applicant_code, applicant_email, stage FROM usage_requests"
                           " WHERE application_no = %s", (no,)) == [("public", None, "hanako@example.jp", "02")]
        async with stack.client("T0300") as tso, stack.client("OC000") as occto:
            detail = (await tso.get(REVIEW_URL.format(no))).json()
            queue = (await tso.get("/api/v1/usage-password-reviews")).json()
            occto_detail = (await occto.get(REVIEW_URL.format(no))).json()
        assert (detail["applicant_origin"], detail["applicant_code"], detail["applicant_email"]) == (
            "public", None, "hanako@example.jp")
        assert detail["customer_name_kanji"] == "別人 花子"
        [item] = [i for i in queue["items"] if i["application_no"] == no]
        assert (item["applicant_origin"], item["applicant_code"]) == ("public", None)
        # OCCTO reads it without the customer's details: the e-mail address is one of them
        assert (occto_detail["applicant_origin"], occto_detail["applicant_email"],
                occto_detail["customer_name_kanji"]) == ("public", None, None)

        web = await _web(stack, "T0300", "t0300-user1")
        try:
            page = await web.get(f"/usage/reviews/{no}")
            listing = await web.get("/usage/reviews")
        finally:
            await web.aclose()
        assert re.search(r'<dd id="request-applicant" data-origin="public">' + PUBLIC_ORIGIN + "</dd>", page.text)
        assert '<dd id="request-email">hanako@example.jp</dd>' in page.text
        assert re.search(r'<td class="applicant" data-origin="public">' + PUBLIC_ORIGIN + "</td>", listing.text)


async def test_no_retailer_sees_a_public_request_not_even_code_00000(stack, public_on_stack, mailbox):
    spids = points(stack.world, 1, skip=51)
    make_customer(stack, spids)
    with frozen(NOW):
        no = await _file_publicly(public_on_stack, mailbox, spids[0])
        assert rows(stack, "SELECT stage, pickup_password IS NOT NULL FROM usage_requests WHERE application_no = %s",
                    (no,)) == [("06", True)]  # issued at once; the password waits for the mail job
        for operator in ("A0001", "M0300"):
            async with stack.client(operator) as retailer:
                status = await retailer.get(REQUEST_URL.format(no))
                review = await retailer.get(REVIEW_URL.format(no))
            assert status.status_code == 404 and status.json()["detail"] == "指定された申込はありません", operator
            assert review.status_code in (403, 404), (operator, review.status_code)
        # the area itself, asked (as the hub asks it) for a retailer whose code is the old placeholder
        areas = stack.hub_app.state.areas
        placeholder = Caller("00000", "retailer", frozenset({"03"}), user_login="00000-user1")
        for call in (areas.usage_password(placeholder, no), areas.usage_review(placeholder, no)):
            with pytest.raises(SwitchhubError) as refused:
                await call
            assert refused.value.status == 404
        # nobody picked it up on the way: the pickup column still holds it for the customer's mail
        assert rows(stack, "SELECT pickup_password IS NOT NULL FROM usage_requests WHERE application_no = %s",
                    (no,)) == [(True,)]


async def test_issued_public_request_is_mailed_and_notifies_no_retailer(stack, public_on_stack, mailbox):
    spids = points(stack.world, 2, skip=52)
    make_customer(stack, spids)
    await make_admin(stack, "a0001-api", "m0300-api")
    with frozen(NOW):
        for operator in ("A0001", "M0300"):  # every retailer of the test that could be told
            async with stack.client(operator) as c:
                for kind in ("usage.password_issued", "usage.password_rejected"):
                    r = await c.post("/api/v1/subscriptions", json={"email": f"usage@{operator.lower()}.example",
                                                                    "event_kind": kind})
                    assert r.status_code == 201, r.text
        no = await _file_publicly(public_on_stack, mailbox, spids[0])
        async with stack.client("A0001") as a:  # a retailer's own request next to it: that one is notified
            own = (await a.post("/api/v1/applications/usage-password", json=body(spids[1:]))).json()
        assert own["stage"] == "06"
        await _worker_round(stack, public_on_stack)
        await _worker_round(stack, public_on_stack)

    assert len(mailbox.messages) == 2  # the confirmation link, then the password
    assert mailbox.messages[1]["To"] == "hanako@example.jp"
    password = re.search(r"パスワード: (\S+)", mailbox.bodies()[1]).group(1)
    assert no in mailbox.bodies()[1]
    events = await _hub_rows(stack, "SELECT payload->>'application_no', payload->>'applicant_code' FROM area_events"
                                    " WHERE kind = 'usage.password_issued' ORDER BY 1", {})
    assert sorted(events) == sorted([(no, None), (own["application_no"], "A0001")])  # both reached the hub
    deliveries = await _hub_rows(stack, "SELECT operator_code, payload->>'application_no' FROM deliveries"
                                        " WHERE event_kind LIKE 'usage.%'", {})
    assert deliveries == [("A0001", own["application_no"])]  # the public one: nobody
    assert password not in str(await _hub_rows(stack, "SELECT payload::text FROM area_events", {}))
