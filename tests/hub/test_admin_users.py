"""Operators' own user administration (issue 9 D; security.md § Authentication): an admin creates,
changes, suspends, restores, deletes and resets its own operator's users through the API and the
Web; another operator's users are answered as unknown (404) and never touched; the helpdesk resets
only where the operator has no active admin; API credentials of the operator's API users."""

from __future__ import annotations

import pyotp

from tests.hub.helpers import audit_rows, csrf_of, issue_tokens, web_login, web_login_reauthenticated
from tests.support import execute


def _user(stack, login_id: str) -> tuple | None:
    rows = execute(stack.hub_url, "SELECT status, role, display_name, email, must_change_password, deleted_at IS NOT NULL,"
                                  " totp_secret IS NOT NULL FROM users WHERE login_id = %s", (login_id,))
    return rows[0] if rows else None


async def _admin_api(stack, login: str = "a0001-admin", operator: str = "A0001"):
    token = (await issue_tokens(stack, login))[login]
    return stack.client(operator, "api", token=token)


async def test_admin_creates_a_user_who_must_change_the_one_time_password(stack):
    async with await _admin_api(stack) as c:
        r = await c.post("/api/v1/users", json={"login_id": "a0001-tanaka", "display_name": "田中 花子",
                                                "email": "tanaka@a0001.example", "role": "general"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["user"]["login_id"] == "a0001-tanaka" and body["user"]["status"] == "active"
    assert body["user"]["must_change_password"] is True and body["totp_secret"] is None
    password = body["initial_password"]
    assert len(password) >= 12
    assert _user(stack, "a0001-tanaka") == ("active", "general", "田中 花子", "tanaka@a0001.example", True, False, False)
    [rec] = audit_rows(stack.hub_url, "api.user.create")
    assert rec["operator_code"] == "A0001" and rec["user_login"] == "a0001-admin"
    assert rec["resource_ids"] == ["a0001-tanaka"] and password not in str(rec["detail"])
    async with stack.client("A0001", "web", token=None) as w:
        assert (await web_login(w, "a0001-tanaka", password)).status_code == 303
        r = await w.get("/")
        assert r.status_code == 303 and r.headers["location"] == "/password"
        page = await w.get("/password")
        assert 'id="password-one-time"' in page.text and 'id="password-expired"' not in page.text
        r = await w.post("/password", data={"csrf_token": csrf_of(page.text), "current_password": password,
                                            "new_password": "Tanaka-Hanako-2026!", "new_password_again": "Tanaka-Hanako-2026!"})
        assert "パスワードを変更しました" in r.text
        assert (await w.get("/")).status_code == 200
    assert _user(stack, "a0001-tanaka")[4] is False


async def test_an_admin_user_gets_a_totp_secret_at_creation_and_needs_it_to_log_in(stack):
    async with await _admin_api(stack) as c:
        body = (await c.post("/api/v1/users", json={"login_id": "a0001-boss", "display_name": "部長",
                                                    "role": "admin"})).json()
    secret = body["totp_secret"]
    assert secret and body["totp_uri"].startswith("otpauth://totp/") and "a0001-boss" in body["totp_uri"]
    async with stack.client("A0001", "web", token=None) as w:
        r = await web_login(w, "a0001-boss", body["initial_password"])
        assert "ワンタイムパスワード" in r.text and r.status_code == 200
        r = await web_login(w, "a0001-boss", body["initial_password"], pyotp.TOTP(secret).now())
        assert r.status_code == 303


async def test_bad_input_is_field_level_and_nothing_is_stored(stack):
    async with await _admin_api(stack) as c:
        r = await c.post("/api/v1/users", json={"login_id": "a0001-user1", "display_name": "重複",
                                                "role": "general"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "login_id"
        assert "使用済み" in r.json()["errors"][0]["message"]
        r = await c.post("/api/v1/users", json={"login_id": "a0001-x1", "display_name": "ヘルプ", "role": "helpdesk",
                                                "email": "not-an-address"})
        fields = {e["field"] for e in r.json()["errors"]}
        assert r.status_code == 422 and fields == {"role", "email"}
    assert _user(stack, "a0001-x1") is None


async def test_another_operators_user_is_answered_as_unknown_and_never_changed(stack):
    before = _user(stack, "a0002-user1")
    async with await _admin_api(stack) as c:
        unknown = await c.get("/api/v1/users/nosuch-user")
        foreign = await c.get("/api/v1/users/a0002-user1")
        assert unknown.status_code == foreign.status_code == 404
        assert unknown.json()["code"] == foreign.json()["code"] == "user_not_found"
        assert unknown.json()["detail"] == foreign.json()["detail"]
        for path in ("suspend", "delete", "reset", "restore"):
            assert (await c.post(f"/api/v1/users/a0002-user1:{path}")).status_code == 404
        r = await c.patch("/api/v1/users/a0002-user1", json={"display_name": "乗っ取り", "role": "admin"})
        assert r.status_code == 404
        listed = (await c.get("/api/v1/users?page=1")).json()
    assert {u["login_id"] for u in listed["items"]} == {"a0001-admin", "a0001-user1", "a0001-user2", "a0001-api"}
    assert _user(stack, "a0002-user1") == before
    async with stack.client("A0001", "web", token=None) as w:
        await web_login_reauthenticated(stack, w, "a0001-admin")
        assert (await w.get("/admin/users/a0002-user1")).status_code == 404
        assert (await w.get("/admin/users/nosuch-user")).status_code == 404


async def test_change_name_email_and_role_and_the_new_admin_gets_a_totp(stack):
    async with await _admin_api(stack) as c:
        r = await c.patch("/api/v1/users/a0001-user2", json={"display_name": "鈴木 次郎", "email": "suzuki@a0001.example",
                                                             "role": "admin"})
        assert r.status_code == 200, r.text
        assert r.json()["totp_secret"] and r.json()["user"]["role"] == "admin"
        r = await c.patch("/api/v1/users/a0001-api", json={"display_name": "API", "role": "general"})
        assert r.status_code == 422 and r.json()["errors"][0]["code"] == "api_role_fixed"
        r = await c.patch("/api/v1/users/a0001-admin", json={"display_name": "管理者", "role": "general"})
        assert r.status_code == 409 and r.json()["code"] == "own_user"
    assert _user(stack, "a0001-user2")[:4] == ("active", "admin", "鈴木 次郎", "suzuki@a0001.example")
    assert _user(stack, "a0001-admin")[1] == "admin"
    [rec] = audit_rows(stack.hub_url, "api.user.change")
    assert rec["detail"]["changed"] == ["display_name", "email", "role"]


async def test_suspend_ends_the_session_at_once_restore_lets_the_user_in_again(stack):
    password = stack.world.logins["a0001-user1"]
    async with stack.client("A0001", "web", token=None) as w:
        assert (await web_login(w, "a0001-user1", password)).status_code == 303
        assert (await w.get("/")).status_code == 200
        async with await _admin_api(stack) as c:
            r = await c.post("/api/v1/users/a0001-user1:suspend")
            assert r.status_code == 200 and r.json()["status"] == "suspended"
            assert (await w.get("/")).status_code == 303  # the session ended with the suspension
            assert "お使いのユーザIDは利用できません" in (await web_login(w, "a0001-user1", password)).text
            r = await c.post("/api/v1/users/a0001-user1:suspend")
            assert r.status_code == 409 and r.json()["code"] == "cannot_suspend"
            assert (await c.post("/api/v1/users/a0001-user1:restore")).json()["status"] == "active"
        assert (await web_login(w, "a0001-user1", password)).status_code == 303
    [rec] = audit_rows(stack.hub_url, "api.user.suspend")
    assert rec["detail"]["sessions_ended"] == 1 and rec["detail"]["to"] == "suspended"


async def test_delete_ends_sessions_and_credentials_and_the_id_is_never_reused(stack):
    async with await _admin_api(stack) as c:
        r = await c.post("/api/v1/users/a0001-api:delete")
        assert r.status_code == 200 and r.json()["status"] == "deleted" and r.json()["deleted_at"]
        assert all(cred["revoked"] for cred in r.json()["credentials"])
        r = await c.post("/api/v1/users", json={"login_id": "a0001-api", "display_name": "再登録", "role": "api"})
        assert r.status_code == 422 and r.json()["errors"][0]["code"] == "login_id_taken"
        assert (await c.post("/api/v1/users/a0001-api:restore")).status_code == 409
        assert (await c.post("/api/v1/users/a0001-admin:delete")).json()["code"] == "own_user"
    async with stack.client("A0001") as api:  # the deleted API user's credential no longer works
        r = await api.get("/api/v1/me")
        assert r.status_code == 403 and r.json()["code"] == "credential_revoked"
    assert _user(stack, "a0001-api")[0] == "deleted" and _user(stack, "a0001-api")[5] is True


async def _freeze(stack, login_id: str, operator: str) -> None:
    async with stack.client(operator, "web", token=None) as w:
        for _ in range(5):
            await web_login(w, login_id, "wrong-password-123", "000000")
    assert _user(stack, login_id)[0] == "frozen"


async def test_reset_a_frozen_user_gives_a_one_time_password_changed_at_next_login(stack):
    await _freeze(stack, "a0001-user1", "A0001")
    async with await _admin_api(stack) as c:
        r = await c.post("/api/v1/users/a0001-user1:reset")
        assert r.status_code == 200 and r.json()["must_change_password"] is True
        password = r.json()["initial_password"]
        assert (await c.post("/api/v1/users/a0001-api:reset")).json()["code"] == "api_user_no_password"
    assert _user(stack, "a0001-user1")[0] == "active"
    async with stack.client("A0001", "web", token=None) as w:
        assert (await web_login(w, "a0001-user1", stack.world.logins["a0001-user1"])).status_code == 200
        assert (await web_login(w, "a0001-user1", password)).status_code == 303
        assert (await w.get("/")).headers["location"] == "/password"


async def test_helpdesk_resets_only_where_the_operator_has_no_active_admin(stack):
    token = (await issue_tokens(stack, "oc000-helpdesk"))["oc000-helpdesk"]
    async with stack.client("OC000", "api", token=token) as c:
        r = await c.post("/api/v1/helpdesk/users/a0002-user1:reset")
        assert r.status_code == 409 and r.json()["code"] == "operator_has_admin"
        assert _user(stack, "a0002-user1")[4] is False
        await _freeze(stack, "a0002-admin", "A0002")  # the operator's only admin is frozen
        r = await c.post("/api/v1/helpdesk/users/a0002-admin:reset")
        assert r.status_code == 200 and r.json()["login_id"] == "a0002-admin"
        assert (await c.post("/api/v1/helpdesk/users/nosuch-user:reset")).status_code == 404
    assert _user(stack, "a0002-admin")[0] == "active" and _user(stack, "a0002-admin")[4] is True
    [rec] = audit_rows(stack.hub_url, "api.user.helpdesk_reset")
    assert rec["operator_code"] == "OC000" and rec["detail"]["user_operator"] == "A0002"
    assert [r["outcome"] for r in audit_rows(stack.hub_url, "api.user.helpdesk_reset")] == ["ok"]


async def test_the_list_has_20_rows_a_page_and_filters_by_status_and_role(stack):
    values = ", ".join(f"('a0001-bulk{i:02d}', 'A0001', 'general', '一括 {i}', '{'suspended' if i % 5 == 0 else 'active'}')"
                       for i in range(30))
    execute(stack.hub_url, f"INSERT INTO users (login_id, operator_code, role, display_name, status) VALUES {values}")
    async with await _admin_api(stack) as c:
        first = (await c.get("/api/v1/users")).json()
        second = (await c.get("/api/v1/users?page=2")).json()
        suspended = (await c.get("/api/v1/users?status=suspended")).json()
        admins = (await c.get("/api/v1/users?role=admin")).json()
    assert first["total"] == 34 and len(first["items"]) == 20 and len(second["items"]) == 14
    assert suspended["total"] == 6 and {u["status"] for u in suspended["items"]} == {"suspended"}
    assert [u["login_id"] for u in admins["items"]] == ["a0001-admin"]


async def test_api_credentials_for_the_operators_api_users_shown_once_and_revocable(stack):
    async with await _admin_api(stack) as c:
        r = await c.post("/api/v1/users/a0001-api/credentials", json={"label": "基幹システム"})
        assert r.status_code == 201, r.text
        token, key_id = r.json()["token"], r.json()["key_id"]
        assert token.startswith(f"shk_{key_id}.")
        listed = (await c.get("/api/v1/users/a0001-api/credentials")).json()["items"]
        assert [(i["key_id"], i["label"], i["revoked"]) for i in listed if i["key_id"] == key_id] == [
            (key_id, "基幹システム", False)]
        assert all("token" not in i and "secret_hash" not in i for i in listed)
        r = await c.post("/api/v1/users/a0001-user1/credentials", json={})
        assert r.status_code == 409 and r.json()["code"] == "not_api_user"
        assert (await c.post("/api/v1/users/a0002-api/credentials", json={})).status_code == 404
        async with stack.client("A0001", token=token) as api:
            assert (await api.get("/api/v1/me")).json()["user"]["login_id"] == "a0001-api"
        listed = (await c.get("/api/v1/users/a0001-api/credentials")).json()["items"]
        assert [i["last_used_at"] is not None for i in listed if i["key_id"] == key_id] == [True]
        async with stack.client("A0002", token=token) as other:  # only with its own operator's certificate
            assert (await other.get("/api/v1/me")).json()["code"] == "certificate_operator_mismatch"
        r = await c.post(f"/api/v1/users/a0001-api/credentials/{key_id}:revoke")
        assert r.status_code == 200 and r.json() == {"key_id": key_id, "revoked": True}
        async with stack.client("A0001", token=token) as api:
            assert (await api.get("/api/v1/me")).json()["code"] == "credential_revoked"
    [rec] = audit_rows(stack.hub_url, "api.credential.issue")
    assert rec["resource_ids"] == [key_id] and token not in str(rec)


async def test_web_admin_creates_a_user_and_sees_the_password_once(stack):
    async with stack.client("A0001", "web", token=None) as w:
        csrf = await web_login_reauthenticated(stack, w, "a0001-admin")
        assert "nav-users" in (await w.get("/")).text
        r = await w.post("/admin/users/new", data={"csrf_token": csrf, "login_id": "A B", "display_name": "",
                                                   "email": "", "role": "general"})
        assert r.status_code == 422 and 'id="login_id-error"' in r.text and 'id="display_name-error"' in r.text
        r = await w.post("/admin/users/new", data={"csrf_token": csrf, "login_id": "a0001-sato", "display_name": "佐藤",
                                                   "email": "", "role": "general"})
        assert r.status_code == 200 and 'id="initial-password"' in r.text
        assert r.headers["cache-control"] == "no-store"
        page = await w.get("/admin/users/a0001-sato")
        assert page.status_code == 200 and 'id="initial-password"' not in page.text
        r = await w.post("/admin/users/a0001-sato/status", data={"csrf_token": csrf, "action": "suspend"})
        assert r.status_code == 303 and _user(stack, "a0001-sato")[0] == "suspended"
        listed = await w.get("/admin/users?status=suspended")
        assert 'data-login="a0001-sato"' in listed.text and 'data-login="a0001-user1"' not in listed.text
    assert [r["action"] for r in audit_rows(stack.hub_url) if r["action"].startswith("web.user.")] == [
        "web.user.create", "web.user.suspend"]


async def test_an_admin_post_without_reauthentication_changes_nothing(stack):
    secret = stack.world.totp["a0001-admin"]
    async with stack.client("A0001", "web", token=None) as w:
        r = await web_login(w, "a0001-admin", stack.world.logins["a0001-admin"], pyotp.TOTP(secret).now())
        assert r.status_code == 303
        csrf = csrf_of((await w.get("/")).text)
        assert (await w.get("/admin/users")).headers["location"] == "/reauth?next=/admin/users"
        for path, data in (("/admin/users/new", {"login_id": "a0001-ghost", "display_name": "幽霊", "role": "general"}),
                           ("/admin/users/a0001-user1/status", {"action": "suspend"}),
                           ("/admin/users/a0001-user1/reset", {}),
                           ("/admin/users/a0001-user1", {"display_name": "X", "email": "", "role": "admin"})):
            r = await w.post(path, data={"csrf_token": csrf, **data})
            assert r.status_code == 303 and r.headers["location"].startswith("/reauth?next=")
    assert _user(stack, "a0001-ghost") is None
    assert _user(stack, "a0001-user1")[:3] == ("active", "general", _user(stack, "a0001-user1")[2])
    assert _user(stack, "a0001-user1")[4] is False and _user(stack, "a0001-user1")[2] != "X"
    assert [r for r in audit_rows(stack.hub_url) if r["action"].startswith("web.user.")] == []


async def test_web_credentials_are_shown_once_and_revoked_from_the_users_page(stack):
    async with stack.client("A0001", "web", token=None) as w:
        csrf = await web_login_reauthenticated(stack, w, "a0001-admin")
        r = await w.post("/admin/users/a0001-api/credentials", data={"csrf_token": csrf, "label": "受発注"})
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
        token = r.text.split('id="credential-token">')[1].split("<")[0]
        key_id = token[4:].split(".")[0]
        page = await w.get("/admin/users/a0001-api")
        assert key_id in page.text and token not in page.text and "受発注" in page.text
        r = await w.post(f"/admin/users/a0001-api/credentials/{key_id}/revoke", data={"csrf_token": csrf})
        assert r.status_code == 303 and r.headers["location"] == "/admin/users/a0001-api?done=revoked"
        english = await w.get("/admin/users?lang=en")
        assert "<h1>Users" in english.text and "Active" in english.text
    async with stack.client("A0001", token=token) as api:
        assert (await api.get("/api/v1/me")).json()["code"] == "credential_revoked"
    assert [r["action"] for r in audit_rows(stack.hub_url) if "credential." in r["action"]][-2:] == [
        "web.credential.issue", "web.credential.revoke"]


async def test_web_helpdesk_reset_names_the_reason_next_to_the_field(stack):
    async with stack.client("OC000", "web", token=None) as w:
        csrf = await web_login_reauthenticated(stack, w, "oc000-helpdesk")
        assert 'id="nav-helpdesk-reset"' in (await w.get("/")).text
        r = await w.post("/helpdesk/users/reset", data={"csrf_token": csrf, "login_id": "a0002-user1"})
        assert r.status_code == 422 and 'id="login_id-error"' in r.text and "利用中の管理者がいます" in r.text
        await _freeze(stack, "a0002-admin", "A0002")
        r = await w.post("/helpdesk/users/reset", data={"csrf_token": csrf, "login_id": "a0002-admin"})
        assert r.status_code == 200 and 'id="initial-password"' in r.text
    assert _user(stack, "a0002-admin")[0] == "active"
