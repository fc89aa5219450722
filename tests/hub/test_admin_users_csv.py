"""Bulk create/change of an operator's users by CSV (issue 9 D): Shift_JIS/CP932 or UTF-8 with or
without BOM, a validate-only pass with a per-row Japanese report, then apply, all or nothing; the
created users' one-time passwords are in the answer (and its one CSV download) only."""

from __future__ import annotations

import base64

from tests.hub.helpers import audit_rows, issue_tokens, web_login_reauthenticated
from tests.support import execute

HEADER = "操作,ユーザID,氏名,メール,権限\r\n"
GOOD = HEADER + ("create,a0001-csv1,髙橋 一郎,takahashi@a0001.example,general\r\n"
                 "登録,a0001-csv2,①番 窓口,,管理者\r\n"
                 "change,a0001-user1,山田 太郎（変更）,yamada@a0001.example,general\r\n")
BAD = HEADER + ("create,a0001-csv1,髙橋 一郎,,general\r\n"
                "create,a0001-user2,重複,,general\r\n"
                "create,a0001-csv3,,bad-mail,superuser\r\n"
                "change,a0002-user1,他社,,general\r\n"
                "move,a0001-csv4,何か,,general\r\n")


def _users(stack, prefix: str = "a0001-csv") -> list[tuple]:
    return execute(stack.hub_url, "SELECT login_id, role, display_name, must_change_password, totp_secret IS NOT NULL"
                                  " FROM users WHERE login_id LIKE %s ORDER BY login_id", (prefix + "%",))


async def _post(c, body: bytes, mode: str):
    return await c.post(f"/api/v1/users:bulk?mode={mode}", content=body, headers={"content-type": "text/csv"})


async def test_validate_reports_every_bad_row_in_japanese_and_changes_nothing(stack):
    token = (await issue_tokens(stack, "a0001-admin"))["a0001-admin"]
    async with stack.client("A0001", token=token) as c:
        r = await _post(c, BAD.encode("cp932"), "validate")
        assert r.status_code == 200, r.text
        report = r.json()
        assert report["ok"] is False and report["rows"] == 5
        got = [(i["row"], i["column"], i["message"]) for i in report["issues"]]
        assert got == [
            (3, "ユーザID", "このユーザIDは使用済みです（削除されたユーザのIDも再利用できません）"),
            (4, "氏名", "氏名を入力してください"),
            (4, "メール", "メールアドレスの形式が正しくありません"),
            (4, "権限", "権限は admin / general / api のいずれかです"),
            (5, "ユーザID", "このユーザIDは自社の利用中のユーザにありません"),
            (6, "操作", "操作は create（登録）または change（変更）です"),
        ]
        r = await _post(c, BAD.encode("cp932"), "apply")  # all or nothing: row 2 is fine but nothing is stored
        assert r.status_code == 422 and r.json()["code"] == "bulk_rows_invalid"
    assert _users(stack) == []
    assert execute(stack.hub_url, "SELECT display_name FROM users WHERE login_id = 'a0002-user1'")[0][0] != "他社"


async def test_apply_creates_and_changes_all_rows_and_answers_the_passwords_once(stack):
    token = (await issue_tokens(stack, "a0001-admin"))["a0001-admin"]
    async with stack.client("A0001", token=token) as c:
        for raw in (GOOD.encode("cp932"), b"\xef\xbb\xbf" + GOOD.encode()):  # Shift_JIS, UTF-8 with BOM
            r = await _post(c, raw, "validate")
            assert r.json()["ok"] is True and r.json()["issues"] == [] and r.json()["created"] == []
        assert _users(stack) == []
        r = await _post(c, GOOD.encode(), "apply")  # UTF-8 without BOM
        assert r.status_code == 200, r.text
        result = r.json()
    assert [(x["row"], x["login_id"], x["role"]) for x in result["created"]] == [
        (2, "a0001-csv1", "general"), (3, "a0001-csv2", "admin")]
    assert all(len(x["initial_password"]) >= 12 for x in result["created"])
    assert result["created"][0]["totp_secret"] is None and result["created"][1]["totp_secret"]
    assert [x["login_id"] for x in result["changed"]] == ["a0001-user1"]
    assert _users(stack) == [("a0001-csv1", "general", "髙橋 一郎", True, False),
                             ("a0001-csv2", "admin", "①番 窓口", True, True)]
    assert _users(stack, "a0001-user1")[0][2] == "山田 太郎（変更）"
    [bulk] = audit_rows(stack.hub_url, "api.user.bulk")
    assert bulk["item_count"] == 3 and bulk["detail"] == {"created": 2, "changed": 1}
    assert [r["detail"]["via"] for r in audit_rows(stack.hub_url, "api.user.create")] == ["csv", "csv"]
    assert not any(x["initial_password"] in str(rec) for rec in audit_rows(stack.hub_url) for x in result["created"])


async def test_file_limits_refuse_the_whole_file(stack):
    token = (await issue_tokens(stack, "a0001-admin"))["a0001-admin"]
    rows = "".join(f"create,a0001-many{i:04d},名前,,general\r\n" for i in range(501))
    async with stack.client("A0001", token=token) as c:
        r = await _post(c, (HEADER + rows).encode(), "validate")
        assert r.status_code == 422 and "500 行を超えています" in r.json()["detail"]
        r = await _post(c, "ユーザID,氏名\r\na0001-x,名前\r\n".encode(), "validate")
        assert r.status_code == 422 and "必須の列がありません" in r.json()["detail"]
        r = await _post(c, HEADER.encode("cp932") + b"create,a0001-x,\x81\x20,,general\r\n", "validate")
        assert r.status_code == 422 and "Shift_JIS" in r.json()["detail"]


async def test_web_validate_then_apply_and_the_passwords_download_once(stack):
    async with stack.client("A0001", "web", token=None) as w:
        csrf = await web_login_reauthenticated(stack, w, "a0001-admin")
        files = {"file": ("users.csv", BAD.encode("cp932"), "text/csv")}
        r = await w.post("/admin/users/csv", data={"csrf_token": csrf, "mode": "validate"}, files=files)
        assert r.status_code == 200 and 'id="csv-invalid"' in r.text and 'id="csv-apply"' not in r.text
        assert "権限は admin / general / api のいずれかです" in r.text
        files = {"file": ("users.csv", GOOD.encode("cp932"), "text/csv")}
        r = await w.post("/admin/users/csv", data={"csrf_token": csrf, "mode": "validate"}, files=files)
        assert 'id="csv-valid"' in r.text and _users(stack) == []
        content = r.text.split('name="content" value="')[1].split('"')[0]
        r = await w.post("/admin/users/csv", data={"csrf_token": csrf, "mode": "apply", "content": content},
                         files={"file": ("", b"", "application/octet-stream")})
        assert r.status_code == 200 and 'id="csv-done"' in r.text, r.text[-800:]
        link = r.text.split('id="download-sjis"')[0].split('href="')[-1].split('"')[0]
        downloaded = base64.b64decode(link.split(",", 1)[1]).decode("cp932")
    assert downloaded.splitlines()[0] == "ユーザID,権限,初期パスワード,TOTPシークレット"
    assert [line.split(",")[0] for line in downloaded.splitlines()[1:]] == ["a0001-csv1", "a0001-csv2"]
    assert len(_users(stack)) == 2
