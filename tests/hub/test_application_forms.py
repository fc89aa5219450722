"""The Web forms for filing every application type: fields from the API's request models, Japanese
labels, field errors, and the current values shown before a customer or ampere change (No.43/52)."""

from __future__ import annotations

import re

from switchhub.db.urls import plain_url
from tests.hub.helpers import area_template_url, csrf_of, point_of
from tests.hub.helpers import web_login as login
from tests.support import execute

# title and the labels each form must show (processes.md P4–P6 inputs), written from the spec
FORMS = {
    "switch-start": ("スイッチング開始申請", ("供給地点特定番号", "スイッチング予定日", "契約決定方法", "需要者名（漢字）",
                                          "託送供給等約款への需要者の同意", "廃止取次番号")),
    "switch-end": ("スイッチング廃止申請", ("供給地点特定番号", "スイッチング予定日", "廃止取次番号")),
    "termination": ("廃止申請", ("供給地点特定番号", "廃止日", "計器撤去", "立会い", "現地連絡先")),
    "reconnection": ("再点申請", ("供給地点特定番号", "再点日", "入居予定時刻", "需要者名（カナ）", "契約電流 (A)")),
    "customer-change": ("需要者情報変更申請", ("供給地点特定番号", "変更日", "需要者名（漢字）", "需要者電話番号")),
    "ampere-change": ("アンペア変更申請", ("供給地点特定番号", "変更日", "契約電流 (A)")),
}


async def _logged_in(stack, operator: str, login_id: str):
    client = stack.client(operator, "web", token=None)
    await client.__aenter__()
    r = await login(client, login_id, stack.world.logins[login_id])
    assert r.status_code == 303
    return client


async def test_every_kind_has_its_form_with_japanese_labels(stack):
    c = await _logged_in(stack, "M0300", "m0300-user1")
    try:
        for kind, (title, labels) in FORMS.items():
            page = await c.get("/applications/new", params={"kind": kind})
            assert page.status_code == 200
            assert f"<h1>{title}" in page.text, kind
            for label in labels:
                assert label in page.text, (kind, label)
        # choices are labelled from the code lists, not bare codes
        start = (await c.get("/applications/new", params={"kind": "switch-start"})).text
        assert "1 アンペアブレーカ" in start and "01 標準" in start
    finally:
        await c.__aexit__(None, None, None)


async def test_customer_change_form_shows_the_current_values_to_the_supplier_only(stack):
    spid = point_of(stack.world, "M0300")
    name, phone = execute(area_template_url(stack.world),
                          "SELECT name_kanji, phone FROM customer_periods WHERE spid = %s AND valid_to IS NULL",
                          (spid,))[0]
    own = await _logged_in(stack, "M0300", "m0300-user1")
    other = await _logged_in(stack, "A0001", "a0001-user1")
    try:
        page = (await own.get("/applications/new", params={"kind": "customer-change", "spid": spid})).text
        assert "現在の値（変更前）" in page
        assert re.search(r'id="current-customer_name_kanji">([^<]*)<', page).group(1) == name
        assert re.search(r'id="current-customer_phone">([^<]*)<', page).group(1) == phone
        foreign = (await other.get("/applications/new", params={"kind": "customer-change", "spid": spid})).text
        assert name not in foreign and 'id="current-customer_name_kanji"' not in foreign
    finally:
        await own.__aexit__(None, None, None)
        await other.__aexit__(None, None, None)


async def test_bad_form_input_gets_field_errors_and_files_nothing(stack):
    c = await _logged_in(stack, "M0300", "m0300-user1")
    try:
        form = await c.get("/applications/new", params={"kind": "ampere-change"})
        r = await c.post("/applications/new", data={"csrf_token": csrf_of(form.text), "kind": "ampere-change",
                                                    "spid": "123", "contract_current": "abc"})
        assert r.status_code == 200
        assert 'id="spid-error"' in r.text and 'id="contract_current-error"' in r.text
        assert "供給地点特定番号" in r.text
    finally:
        await c.__aexit__(None, None, None)
    assert execute(plain_url(stack.area_url), "SELECT count(*) FROM applications")[0][0] == 0
