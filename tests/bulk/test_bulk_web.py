"""The bulk upload pages with their confirmation step (httpx): upload → validation report table →
登録する with the mode → result page with the numbers and the CSV download links."""

from __future__ import annotations

import base64
import csv
import io
import re

from tests.bulk.helpers import RELAY_HEADER, count, csv_bytes, points_of, relay_row
from tests.bulk.test_applications_file import HEADER as APP_HEADER
from tests.bulk.test_applications_file import area_count, start
from tests.flow.helpers import smart_point_of
from tests.hub.helpers import audit_rows, csrf_of, web_login


def _download(page: str, link_id: str, encoding: str) -> list[list[str]]:
    href = re.search(rf'id="{link_id}" download="[^"]+" href="data:text/csv;base64,([^"]+)"', page).group(1)
    return list(csv.reader(io.StringIO(base64.b64decode(href).decode(encoding))))


def _cells(page: str) -> list[list[str]]:
    table = page.split('id="bulk-issues"', 1)[1].split("</table>", 1)[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S) for tr in re.findall(r"<tr class=\"(?:ok|ng)\">(.*?)</tr>",
                                                                            table, re.S)]


async def test_relay_file_upload_report_confirm_and_result(stack):
    spids = points_of(stack.world, "M0300", 3, offset=70)
    body = csv_bytes(RELAY_HEADER, [relay_row(spids[0], kanji="髙橋 ①"), relay_row(spids[1], phone="03-1234-567X"),
                                    relay_row(spids[2])], "cp932")
    async with stack.client("A0001", "web", token=None) as web:
        await web_login(web, "a0001-user1", stack.world.logins["a0001-user1"])
        portal = (await web.get("/")).text
        assert 'href="/relays/bulk"' in portal and 'href="/applications/bulk"' in portal
        form = await web.get("/relays/bulk")
        assert form.status_code == 200 and "供給地点特定番号" in form.text and 'type="file"' in form.text
        csrf = csrf_of(form.text)
        refused = await web.post("/relays/bulk", data={"csrf_token": "wrong"},
                                 files={"file": ("r.csv", body, "text/csv")})
        assert refused.status_code == 403
        page = await web.post("/relays/bulk", data={"csrf_token": csrf}, files={"file": ("r.csv", body, "text/csv")})
        assert page.status_code == 200, page.text[:400]
        assert "3 行を検証しました（OK 2 行、NG 1 行）。登録はしていません" in page.text
        assert _cells(page.text) == [["2", "OK", "", "", ""],
                                     ["3", "NG", "", "担当者電話番号",
                                      "電話番号は0から始まる10〜11桁の数字（ハイフン可）で入力してください"],
                                     ["4", "OK", "", "", ""]]
        assert _download(page.text, "download-sjis", "cp932")[2][:2] == ["3", "NG"]
        assert await count(stack, "SELECT count(*) FROM relays") == 0
        assert 'id="commit-form"' in page.text and "登録する" in page.text
        content = re.search(r'name="content" value="([^"]+)"', page.text).group(1)
        assert base64.b64decode(content) == body  # the file travels back unchanged
        done = await web.post("/relays/bulk/commit", data={"csrf_token": csrf, "content": content,
                                                           "mode": "valid_rows"}, files={"x": ("", b"", "text/plain")})
        assert done.status_code == 200, done.text[:400]
    assert "2 行を登録しました（NG 1 行は登録していません）" in done.text
    numbers = dict(await _relay_numbers(stack))
    cells = _cells(done.text)
    assert [(c[0], c[1], c[2]) for c in cells if c[1] == "登録済"] == [
        ("2", "登録済", numbers[spids[0]]), ("4", "登録済", numbers[spids[2]])]
    result = _download(done.text, "download-utf8", "utf-8-sig")
    assert [ln[2] for ln in result[1:] if ln[1] == "登録済"] == [numbers[spids[0]], numbers[spids[2]]]
    assert 'id="commit-form"' not in done.text
    web_bulk = audit_rows(stack.hub_url, "web.relay.bulk")
    assert [(b["user_login"], b["item_count"], b["detail"]["dry_run"]) for b in web_bulk] == [
        ("a0001-user1", 0, True), ("a0001-user1", 2, False)]


async def _relay_numbers(stack):
    from sqlalchemy import text

    async with stack.hub_app.state.engine.connect() as conn:
        return [(r[0], r[1]) for r in await conn.execute(text("SELECT spid, relay_no FROM relays"))]


async def test_a_refused_file_and_a_missing_mode_are_shown_on_the_page(stack):
    async with stack.client("A0001", "web", token=None) as web:
        await web_login(web, "a0001-user1", stack.world.logins["a0001-user1"])
        csrf = csrf_of((await web.get("/relays/bulk")).text)
        bad = await web.post("/relays/bulk", data={"csrf_token": csrf},
                             files={"file": ("r.csv", "見出し,だけ\r\n".encode("cp932"), "text/csv")})
        assert bad.status_code == 422 and "見出し行の 1 列目「見出し」は廃止取次ファイルの列ではありません" in bad.text
        content = base64.b64encode(csv_bytes(RELAY_HEADER, [relay_row("03" + "0" * 20)])).decode()
        no_mode = await web.post("/relays/bulk/commit", data={"csrf_token": csrf, "content": content},
                                 files={"x": ("", b"", "text/plain")})
        assert no_mode.status_code == 422 and "登録方法を選択してください" in no_mode.text


async def test_application_file_through_the_pages(stack):
    spid = smart_point_of(stack.world, "M0300", "03", skip=99)
    body = csv_bytes(APP_HEADER, [start(spid)], "utf-8")
    async with stack.client("A0001", "web", token=None) as web:
        await web_login(web, "a0001-user1", stack.world.logins["a0001-user1"])
        csrf = csrf_of((await web.get("/applications/bulk")).text)
        page = await web.post("/applications/bulk", data={"csrf_token": csrf},
                              files={"file": ("a.csv", body, "text/csv")})
        assert "1 行を検証しました（OK 1 行、NG 0 行）" in page.text and area_count(stack) == 0
        content = re.search(r'name="content" value="([^"]+)"', page.text).group(1)
        done = await web.post("/applications/bulk/commit", data={"csrf_token": csrf, "content": content,
                                                                 "mode": "all_or_nothing"},
                              files={"x": ("", b"", "text/plain")})
    assert "1 行を登録しました" in done.text and area_count(stack) == 1
    number = execute_number(stack)
    assert [c[2] for c in _cells(done.text)] == [number]


def execute_number(stack) -> str:
    from tests.support import execute

    return execute(stack.area_url, "SELECT application_no FROM applications")[0][0]
