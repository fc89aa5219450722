"""OCCTO's operator administration over HTTP (issue 9 C, processes.md P9): register with field-level
Japanese errors, list and filter 20 a page, change, suspend and restore from the Web (effective on the
operator's next request), and the operator's first admin user (initial password and TOTP shown once,
the password changed at the first login)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pyotp

from tests.hub.admin_helpers import identity, make_cert, occto_admin_api, occto_admin_token, occto_admin_web
from tests.hub.helpers import audit_rows, csrf_of, web_login

NEW = {"code": "A0999", "kind": "retailer", "name": "テスト電力株式会社", "name_kana": "テストデンリョク",
       "areas": ["03", "06"], "incumbent_areas": [], "contact_name": "山田太郎", "contact_phone": "03-1234-5678",
       "email": "info@test-denryoku.example"}


async def test_register_change_and_list_through_the_api(stack):
    token = await occto_admin_token(stack)
    async with occto_admin_api(stack, token) as c:
        created = await c.post("/api/v1/admin/operators", json=NEW)
        duplicate = await c.post("/api/v1/admin/operators", json=NEW)
        changed = await c.patch("/api/v1/admin/operators/A0999", json={"name": "テスト電力（改）",
                                                                       "contact_phone": "0312345679"})
        retailers = await c.get("/api/v1/admin/operators?kind=retailer&area=06")
        tsos = await c.get("/api/v1/admin/operators?kind=tso")
        public = await c.get("/api/v1/operators?kind=retailer")
    assert created.status_code == 201, created.text
    assert {k: created.json()[k] for k in NEW} == NEW
    assert created.json()["status"] == "active"
    assert duplicate.status_code == 422
    assert [(e["field"], e["code"]) for e in duplicate.json()["errors"]] == [("code", "duplicate")]
    assert changed.status_code == 200 and changed.json()["name"] == "テスト電力（改）"
    assert changed.json()["contact_phone"] == "0312345679"
    assert "A0999" in [o["code"] for o in retailers.json()["items"]]
    assert {o["kind"] for o in tsos.json()["items"]} == {"tso"} and tsos.json()["per_page"] == 20
    assert "A0999" in [o["code"] for o in public.json()["items"]]
    assert [r["detail"]["fields"] for r in audit_rows(stack.hub_url, "api.operator.change")] == [
        ["contact_phone", "name"]]
    assert [r["resource_ids"] for r in audit_rows(stack.hub_url, "api.operator.register")] == [["A0999"]]


async def test_each_bad_field_gets_its_own_japanese_message_and_nothing_is_stored(stack):
    token = await occto_admin_token(stack)
    bad = {**NEW, "code": "a-1", "kind": "tso", "name": " ", "name_kana": "てすと", "areas": [],
           "incumbent_areas": ["03"], "contact_name": "", "contact_phone": "12-34", "email": "not-an-address"}
    async with occto_admin_api(stack, token) as c:
        r = await c.post("/api/v1/admin/operators", json=bad)
        listed = await c.get("/api/v1/admin/operators?kind=tso")
    assert r.status_code == 422
    errors = {e["field"]: e for e in r.json()["errors"]}
    assert {f: e["code"] for f, e in errors.items()} == {
        "code": "code_format", "name": "required", "name_kana": "kana_format", "contact_name": "required",
        "contact_phone": "phone_format", "email": "email_format", "areas": "required",
        "incumbent_areas": "not_allowed"}
    assert errors["name_kana"]["message"].startswith("事業者名（カナ）は全角カタカナ")
    assert "A-1" not in [o["code"] for o in listed.json()["items"]]


async def test_web_register_shows_field_errors_next_to_the_fields(stack):
    async with occto_admin_web(stack) as (c, csrf):
        form = {**{k: v for k, v in NEW.items() if not k.endswith("areas")}, "csrf_token": csrf,
                "name_kana": "ﾃｽﾄ電力", "email": "x"}
        bad = await c.post("/admin/operators/new", data={**form, "areas": ["03"]})
        ok = await c.post("/admin/operators/new", data={**form, "name_kana": "ﾃｽﾄﾃﾞﾝﾘｮｸ",
                                                        "email": NEW["email"], "areas": ["03", "06"]})
        page = await c.get(ok.headers["location"])
    assert bad.status_code == 422
    assert re.search(r'id="name_kana-error">事業者名（カナ）は全角カタカナ', bad.text)
    assert re.search(r'id="email-error">メールアドレスの形式が正しくありません', bad.text)
    assert 'value="テスト電力株式会社"' in bad.text  # what was typed stays
    assert ok.status_code == 303 and ok.headers["location"] == "/admin/operators/A0999?done=registered"
    assert page.status_code == 200 and "事業者を登録しました" in page.text
    assert "テストデンリョク" in page.text  # half-width kana stored as full-width
    row, = audit_rows(stack.hub_url, "web.operator.register")
    assert row["user_login"] == "oc000-admin"


async def test_suspending_an_operator_from_the_web_refuses_its_next_request(stack):
    async with occto_admin_web(stack) as (admin, csrf), stack.client("A0001") as retailer, \
            stack.client("A0001", "web", token=None) as retailer_web:
        assert (await retailer.get("/api/v1/me")).status_code == 200
        r = await admin.post("/admin/operators/A0001/status", data={"csrf_token": csrf, "status": "suspended"})
        assert r.status_code == 303
        page = await admin.get(r.headers["location"])
        assert 'id="operator-status">利用停止' in page.text
        refused = await retailer.get("/api/v1/me")
        web_refused = await retailer_web.get("/login")
        own = await admin.post("/admin/operators/OC000/status", data={"csrf_token": csrf, "status": "suspended"})
        r = await admin.post("/admin/operators/A0001/status", data={"csrf_token": csrf, "status": "active"})
        assert r.status_code == 303
        restored = await retailer.get("/api/v1/me")
    assert (refused.status_code, refused.json()["code"]) == (403, "operator_suspended")
    assert web_refused.status_code == 403 and "お使いの端末では当システムを利用できません" in web_refused.text
    assert own.status_code == 422 and "自分の事業者は利用停止にできません" in own.text
    assert restored.status_code == 200
    assert [(x["action"], x["detail"]) for x in audit_rows(stack.hub_url) if x["action"].startswith("web.operator.")
            ] == [("web.operator.suspend", {"from": "active", "to": "suspended"}),
                  ("web.operator.restore", {"from": "suspended", "to": "active"})]


async def test_first_admin_shown_once_then_logs_in_with_totp_and_must_change_the_password(stack):
    token = await occto_admin_token(stack)
    async with occto_admin_api(stack, token) as c:
        assert (await c.post("/api/v1/admin/operators", json=NEW)).status_code == 201
        pem, fingerprint, _ = make_cert(stack.world, "a0999-web", operator="A0999")
        assert (await c.post("/api/v1/admin/certificates", json={"pem": pem, "operator_code": "A0999",
                                                                  "purpose": "web"})).status_code == 201
    async with occto_admin_web(stack) as (admin, csrf):
        bad = await admin.post("/admin/operators/A0999/admin-user", data={
            "csrf_token": csrf, "login_id": "A!", "display_name": "", "email": "x"})
        shown = await admin.post("/admin/operators/A0999/admin-user", data={
            "csrf_token": csrf, "login_id": "a0999-admin", "display_name": "テスト管理者",
            "email": "admin@test-denryoku.example"})
        second = await admin.post("/admin/operators/A0999/admin-user", data={
            "csrf_token": csrf, "login_id": "a0999-admin2", "display_name": "二人目",
            "email": "admin2@test-denryoku.example"})
        later = await admin.get("/admin/operators/A0999")
    assert bad.status_code == 422
    assert {m for m in ("login_id-error", "display_name-error", "email-error") if f'id="{m}"' in bad.text} == {
        "login_id-error", "display_name-error", "email-error"}
    assert shown.status_code == 200, shown.text[:400]
    assert shown.headers["cache-control"] == "no-store"
    password = re.search(r'id="created-password">([^<]+)<', shown.text).group(1)
    uri = re.search(r'id="created-totp">([^<]+)<', shown.text).group(1).replace("&amp;", "&")
    assert len(password) >= 12 and uri.startswith("otpauth://totp/switchhub:a0999-admin?")
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    assert second.status_code == 422 and re.search(r'id="admin-error">この事業者には既に管理者ユーザがいます', second.text)
    assert password not in later.text and 'id="admin-created"' not in later.text  # shown once
    async with occto_admin_api(stack, token) as c:  # the API answers the same refusal as a conflict
        again = await c.post("/api/v1/admin/operators/A0999/admin-user", json={
            "login_id": "a0999-admin3", "display_name": "三人目", "email": "admin3@test-denryoku.example"})
    assert (again.status_code, again.json()["code"]) == (409, "admin_exists")
    row, = audit_rows(stack.hub_url, "web.operator.first_admin")
    assert password not in str(row) and secret not in str(row)

    async with stack.client("A0999", "web", token=None, cert=identity(pem, fingerprint, "A0999", "web")) as c:
        r = await web_login(c, "a0999-admin", password, pyotp.TOTP(secret).now())
        assert r.status_code == 303, r.text[:400]
        portal = await c.get("/")
        assert portal.status_code == 303 and portal.headers["location"].startswith("/password")
        page = await c.get("/password")
        assert "管理者が発行したワンタイムパスワードでログインしました" in page.text  # a one-time password (users service)
        changed = await c.post("/password", data={"csrf_token": csrf_of(page.text), "current_password": password,
                                                  "new_password": "a-new-long-password-1",
                                                  "new_password_again": "a-new-long-password-1"})
        assert changed.status_code == 200 and "パスワードを変更しました" in changed.text
        assert (await c.get("/")).status_code == 200


async def test_the_cli_status_command_goes_through_the_same_service(stack):
    """`switchhub status operator A0001 suspended` (accounts/admin.set_status) is the Web's action too."""
    from switchhub.hub.accounts.admin import set_status

    async with stack.hub_app.state.engine.begin() as conn:
        await set_status(conn, "operator", "A0001", "suspended")
    async with stack.client("A0001") as c:
        refused = await c.get("/api/v1/me")
    async with stack.hub_app.state.engine.begin() as conn:
        await set_status(conn, "operator", "A0001", "active")
    assert (refused.status_code, refused.json()["code"]) == (403, "operator_suspended")
    assert [(r["action"], r["user_login"], r["resource_ids"]) for r in audit_rows(stack.hub_url)
            if r["action"].startswith("cli.operator.")] == [("cli.operator.suspend", "cli", ["A0001"]),
                                                            ("cli.operator.restore", "cli", ["A0001"])]


async def test_admin_pages_carry_the_security_headers_and_need_re_authentication(stack):
    async with occto_admin_web(stack) as (c, _):
        page = await c.get("/admin/operators")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "strict-transport-security" in page.headers
    assert "<script>" not in page.text and " onclick=" not in page.text
    async with stack.client("OC000", "web", token=None) as c:  # logged in, not re-authenticated
        import pyotp

        world = stack.world
        await web_login(c, "oc000-admin", world.logins["oc000-admin"], pyotp.TOTP(world.totp["oc000-admin"]).now())
        r = await c.get("/admin/operators")
    assert r.status_code == 303 and r.headers["location"] == "/reauth?next=/admin/operators"
