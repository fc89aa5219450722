"""The API repository page (issue 9 C): OCCTO admins keep the operating information (maintenance
windows in JST, interface versions, change log) through the API and the Web; every logged-in user
reads it and downloads the current OpenAPI document (the app's own, as an attachment)."""

from __future__ import annotations

import re

from tests.hub.admin_helpers import occto_admin_api, occto_admin_token, occto_admin_web
from tests.hub.helpers import audit_rows, csrf_of, web_login

MAINTENANCE = {"kind": "maintenance", "title": "定期メンテナンス", "body": "APIを停止します",
               "starts_at": "2026-12-20T01:00:00", "ends_at": "2026-12-20T05:00:00"}


async def test_admin_keeps_the_information_and_everyone_reads_it(stack):
    token = await occto_admin_token(stack)
    async with occto_admin_api(stack, token) as admin, stack.client("A0001") as retailer:
        m = await admin.post("/api/v1/api-info/entries", json=MAINTENANCE)
        v = await admin.post("/api/v1/api-info/entries", json={"kind": "version", "title": "スイッチング支援API",
                                                               "version": "1.4.0", "body": "OpenAPI 3.1"})
        ch = await admin.post("/api/v1/api-info/entries", json={"kind": "change", "entry_date": "2026-11-30",
                                                                "version": "1.4.0", "body": "使用量照会を追加"})
        patched = await admin.patch(f"/api/v1/api-info/entries/{v.json()['id']}", json={"version": "1.4.1"})
        read = await retailer.get("/api/v1/api-info")
        refused = await retailer.post("/api/v1/api-info/entries", json=MAINTENANCE)
        deleted = await admin.delete(f"/api/v1/api-info/entries/{ch.json()['id']}")
        after = await retailer.get("/api/v1/api-info")
    assert (m.status_code, v.status_code, ch.status_code) == (201, 201, 201), (m.text, v.text, ch.text)
    assert m.json()["starts_at"] == "2026-12-20T01:00:00+09:00"  # no offset given: JST
    assert m.json()["version"] == "" and ch.json()["title"] == ""  # fields of other kinds are emptied
    assert patched.status_code == 200 and patched.json()["version"] == "1.4.1"
    info = read.json()
    assert [e["title"] for e in info["maintenance"]] == ["定期メンテナンス"]
    assert [(e["title"], e["version"]) for e in info["versions"]] == [("スイッチング支援API", "1.4.1")]
    assert [(e["entry_date"], e["body"]) for e in info["changes"]] == [("2026-11-30", "使用量照会を追加")]
    assert info["openapi_url"] == "/api-repository/openapi.json"
    assert refused.status_code == 403
    assert deleted.status_code == 204 and after.json()["changes"] == []
    assert [r["action"] for r in audit_rows(stack.hub_url) if r["action"].startswith("api.api_info.")] == [
        "api.api_info.create", "api.api_info.create", "api.api_info.create", "api.api_info.change",
        "api.api_info.delete"]


async def test_field_errors_by_kind(stack):
    token = await occto_admin_token(stack)
    async with occto_admin_api(stack, token) as c:
        backwards = await c.post("/api/v1/api-info/entries", json={**MAINTENANCE, "ends_at": "2026-12-20T00:00:00"})
        empty_change = await c.post("/api/v1/api-info/entries", json={"kind": "change"})
        empty_version = await c.post("/api/v1/api-info/entries", json={"kind": "version", "title": "X"})
        unknown_kind = await c.post("/api/v1/api-info/entries", json={"kind": "rumour"})
    assert [(e["field"], e["code"]) for e in backwards.json()["errors"]] == [("ends_at", "before_start")]
    assert sorted(e["field"] for e in empty_change.json()["errors"]) == ["body", "entry_date", "version"]
    assert [e["field"] for e in empty_version.json()["errors"]] == ["version"]
    assert unknown_kind.status_code == 422


async def test_web_page_for_everyone_and_the_openapi_download(stack):
    token = await occto_admin_token(stack)
    async with occto_admin_api(stack, token) as admin:
        assert (await admin.post("/api/v1/api-info/entries", json=MAINTENANCE)).status_code == 201
    async with stack.client("A0001", "web", token=None) as c:
        r = await web_login(c, "a0001-user1", stack.world.logins["a0001-user1"])
        assert r.status_code == 303
        page = await c.get("/api-repository")
        download = await c.get("/api-repository/openapi.json")
    async with stack.client("A0001") as api:
        published = (await api.get("/api/v1/openapi.json")).json()
    assert page.status_code == 200 and "定期メンテナンス" in page.text and "2026-12-20 01:00" in page.text
    assert 'id="nav-api-repository"' in page.text and 'id="api-info-admin"' not in page.text
    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="switchhub-openapi.json"'
    assert download.json() == published
    assert "/api/v1/api-info" in download.json()["paths"]


async def test_web_admin_form_shows_errors_next_to_fields_then_creates(stack):
    async with occto_admin_web(stack) as (c, csrf):
        bad = await c.post("/admin/api-repository/entries", data={
            "csrf_token": csrf, "kind": "maintenance", "title": "", "starts_at": "2026-12-20T05:00",
            "ends_at": "2026-12-20T01:00"})
        ok = await c.post("/admin/api-repository/entries", data={
            "csrf_token": csrf, "kind": "maintenance", "title": "臨時メンテナンス", "body": "停止",
            "starts_at": "2026-12-21T01:00", "ends_at": "2026-12-21T02:00"})
        page = await c.get("/admin/api-repository")
        entry_id = re.search(r'id="entry-(\d+)"', page.text).group(1)
        changed = await c.post(f"/admin/api-repository/entries/{entry_id}", data={
            "csrf_token": csrf_of(page.text), "title": "臨時メンテナンス（延長）", "starts_at": "2026-12-21T01:00",
            "ends_at": "2026-12-21T03:00", "body": "停止"})
        deleted = await c.post(f"/admin/api-repository/entries/{entry_id}/delete", data={"csrf_token": csrf})
        final = await c.get("/api-repository")
    assert bad.status_code == 422
    assert 'id="title-error">件名を入力してください' in bad.text
    assert 'id="ends_at-error">終了日時は開始日時より後にしてください' in bad.text
    assert ok.status_code == 303 and "臨時メンテナンス" in page.text
    assert changed.status_code == 303 and deleted.status_code == 303
    assert "臨時メンテナンス" not in final.text
    assert [r["action"] for r in audit_rows(stack.hub_url) if r["action"].startswith("web.api_info.")] == [
        "web.api_info.create", "web.api_info.change", "web.api_info.delete"]
