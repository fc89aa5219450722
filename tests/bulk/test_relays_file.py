"""Relay bulk files over the API (POST /api/v1/relays:bulk): encodings, refusals of a whole file,
the per-row report, both commit modes, the result CSV and an idempotent retry.

Expected messages and numbers are written here from the brief and docs/bulk.md."""

from __future__ import annotations

import csv
import io

import pytest

from tests.bulk.helpers import RELAY_HEADER, count, csv_bytes, points_of, relay_row
from tests.hub.helpers import audit_rows

URL = "/api/v1/relays:bulk"
CSV = {"content-type": "text/csv"}


async def post(client, body: bytes, **params):
    return await client.post(URL, content=body, headers=CSV, params=params)


async def test_a_cp932_file_with_characters_only_cp932_has_is_read_and_stored(stack):
    spids = points_of(stack.world, "M0300", 3)
    rows = [relay_row(spids[0], kanji="髙橋 一郎", kana="タカハシ イチロウ", building="メゾン①"),
            relay_row(spids[1], kanji="﨑山 次郎", address="東京都港区芝公園４－２－８"),
            relay_row(spids[2])]
    body = csv_bytes(RELAY_HEADER, rows, "cp932")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    async with stack.client("A0001") as c:
        dry = await post(c, body)
        assert dry.status_code == 200, dry.text
        assert (dry.json()["encoding"], dry.json()["rows"], dry.json()["ng_rows"]) == ("cp932", 3, 0)
        assert [r["outcome"] for r in dry.json()["results"]] == ["ok", "ok", "ok"]
        assert await count(stack, "SELECT count(*) FROM relays") == 0  # dry run stores nothing
        done = await post(c, body, dry_run="false")
    assert done.json()["committed_rows"] == 3
    kanji = await count(stack, "SELECT string_agg(customer_name_kanji || '|' || building, ',' ORDER BY spid)"
                               " FROM relays")
    assert kanji == "髙橋 一郎|メゾン1,﨑山 次郎|,山田 太郎|"  # stored as one registration stores it (NFKC)


@pytest.mark.parametrize("encoding,bom,expected", [("utf-8", True, "utf-8-sig"), ("utf-8", False, "utf-8")])
async def test_utf8_with_and_without_bom(stack, encoding, bom, expected):
    spid, = points_of(stack.world, "M0300", 1, offset=5)
    body = (b"\xef\xbb\xbf" if bom else b"") + csv_bytes(RELAY_HEADER, [relay_row(spid, kanji="髙橋 ①")], encoding)
    async with stack.client("A0001") as c:
        r = await post(c, body, dry_run="false")
    assert r.status_code == 200 and r.json()["encoding"] == expected and r.json()["committed_rows"] == 1, r.text
    assert await count(stack, "SELECT count(*) FROM relays WHERE customer_name_kanji = '髙橋 1'") == 1


def _refusal(r, status: int = 422) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()["detail"]


async def test_malformed_files_are_refused_whole_with_a_message(stack):
    spids = points_of(stack.world, "M0300", 3, offset=10)
    good = [relay_row(s) for s in spids]
    async with stack.client("A0001") as c:
        bad_bytes = csv_bytes(RELAY_HEADER, good[:1]) + b"\xff\xfe,broken\r\n"
        assert _refusal(await post(c, bad_bytes)) == (
            "3 行目に、UTF-8 でも Shift_JIS（CP932）でも読めない文字があります。"
            "ファイルは Shift_JIS（CP932）または UTF-8 で保存してください")
        bom_then_cp932 = b"\xef\xbb\xbf" + csv_bytes(RELAY_HEADER, good[:1]) + "髙橋".encode("cp932") + b"\r\n"
        assert _refusal(await post(c, bom_then_cp932)).startswith("3 行目に、UTF-8（BOM付き）として読めない文字があります")
        short = csv_bytes(RELAY_HEADER, [good[0], good[1][:9], good[2]])
        assert _refusal(await post(c, short)) == "3 行目の列の数が 9 です（見出し行は 10 列）"
        unknown = csv_bytes([*RELAY_HEADER[:9], "電話"], good)
        assert _refusal(await post(c, unknown)).startswith("見出し行の 10 列目「電話」は廃止取次ファイルの列ではありません")
        missing = csv_bytes(RELAY_HEADER[1:], [r[1:] for r in good])
        assert _refusal(await post(c, missing)) == "見出し行に必須の列がありません: 供給地点特定番号"
        assert _refusal(await post(c, b"")) == "ファイルが空です"
        assert _refusal(await post(c, b"\r\n\r\n")) == "ファイルが空です"
        assert _refusal(await post(c, csv_bytes(RELAY_HEADER, []))) == "データ行がありません（見出し行だけのファイルです）"
        big = csv_bytes(RELAY_HEADER, good) + b"#" * (5_000_001 - len(csv_bytes(RELAY_HEADER, good)))
        assert _refusal(await post(c, big), 413) == "ファイルが大きすぎます（上限 5,000,000 バイト、このファイルは 5,000,001 バイト）"
        huge = b"x" * 6_000_000
        assert (await post(c, huge)).status_code == 413
        many = csv_bytes(RELAY_HEADER, [relay_row(f"03{i:020d}") for i in range(10_001)])
        assert _refusal(await post(c, many)) == "データ行が 10,000 行を超えています（上限 10,000 行）。ファイルを分けてください"
        json_body = await c.post(URL, json={"spid": spids[0]})
        assert json_body.status_code == 415 and json_body.json()["code"] == "unsupported_media_type"
    assert await count(stack, "SELECT count(*) FROM relays") == 0
    assert audit_rows(stack.hub_url, "api.relay.bulk") == []  # a refused file is no bulk action


async def test_ten_thousand_rows_are_not_refused_for_their_number(stack):
    many = csv_bytes(RELAY_HEADER, [relay_row(f"03{i:020d}") for i in range(10_000)])
    async with stack.client("A0001") as c:
        r = await post(c, many)
    assert r.status_code == 200 and r.json()["rows"] == 10_000  # (the made-up points are NG: not found)


async def test_the_report_names_row_field_and_japanese_message_for_every_problem(stack):
    spids = points_of(stack.world, "M0300", 4, offset=20)
    own = points_of(stack.world, "A0001", 1)[0]
    rows = [relay_row(spids[0]),  # row 2: OK
            relay_row(spids[1], phone="03-1234-567X", date="2020-01-01"),  # row 3: two problems
            relay_row(spids[2], current="Z9999"),  # row 4
            relay_row("0300000000000000000000"),  # row 5: no such point
            relay_row(spids[0]),  # row 6: the same point as row 2
            relay_row(spids[3], current="A0001"),  # row 7: to myself
            relay_row(spids[3], date="2030/2/28"),  # row 8: Excel's date form is taken, OK
            relay_row(own, kana="", date="31-01-2030")]  # row 9
    async with stack.client("A0001") as c:
        r = await post(c, csv_bytes(RELAY_HEADER, rows))
    report = r.json()
    assert (report["rows"], report["ok_rows"], report["ng_rows"], report["committed"]) == (8, 2, 6, False)
    got = {(x["row"], e["field"], e["label"], e["message"]) for x in report["results"] for e in x["errors"]}
    assert got == {
        (3, "requested_switch_date", "スイッチング希望日", "スイッチング希望日 2020-01-01 は過去の日付です"),
        (3, "contact_phone", "担当者電話番号", "電話番号は0から始まる10〜11桁の数字（ハイフン可）で入力してください"),
        (4, "current_retailer_code", "現小売事業者コード", "事業者コード Z9999 の小売電気事業者は登録されていません"),
        (5, "spid", "供給地点特定番号", "供給地点特定番号 0300000000000000000000 の供給地点はありません"),
        (6, "spid", "供給地点特定番号", "同じ供給地点特定番号が 2 行目にもあります（1つの供給地点に廃止取次は1件）"),
        (7, "current_retailer_code", "現小売事業者コード", "自社を現小売事業者として指定することはできません"),
        (9, "customer_name_kana", "需要者名（カナ）", "customer_name_kana: 必須項目です"),
        (9, "requested_switch_date", "スイッチング希望日", "requested_switch_date: 日付は YYYY-MM-DD 形式で入力してください"),
    }
    assert [x["outcome"] for x in report["results"]] == ["ok", "ng", "ng", "ng", "ng", "ng", "ok", "ng"]


async def test_a_point_with_an_open_relay_or_a_pending_termination_is_ng_in_the_file(stack):
    spids = points_of(stack.world, "M0300", 2, offset=30)
    async with stack.client("A0001") as c, stack.client("A0002") as other:
        first = await post(c, csv_bytes(RELAY_HEADER, [relay_row(spids[0])]), dry_run="false")
        relay_no = first.json()["results"][0]["number"]
        mine = await post(c, csv_bytes(RELAY_HEADER, [relay_row(spids[0]), relay_row(spids[1])]))
        theirs = await post(other, csv_bytes(RELAY_HEADER, [relay_row(spids[0])]))
    assert mine.json()["results"][0]["errors"][0]["message"].startswith(
        f"この供給地点には受付中の廃止取次があります（取次番号 {relay_no}、登録日 ")
    assert mine.json()["results"][0]["errors"][0]["code"] == "relay_duplicate"
    assert mine.json()["results"][1]["outcome"] == "ok"
    assert theirs.json()["results"][0]["errors"][0]["message"].startswith("この供給地点には他の事業者の廃止取次が受付中です")


async def test_all_or_nothing_stores_nothing_when_a_row_is_ng_and_valid_rows_stores_the_valid_ones(stack):
    spids = points_of(stack.world, "M0300", 4, offset=40)
    rows = [relay_row(spids[0]), relay_row(spids[1], phone="0X-1234-5678"), relay_row(spids[2]), relay_row(spids[3])]
    body = csv_bytes(RELAY_HEADER, rows)
    async with stack.client("A0001") as c:
        none = await post(c, body, dry_run="false", mode="all_or_nothing")
        assert none.json()["committed_rows"] == 0 and not none.json()["committed"]
        assert [x["outcome"] for x in none.json()["results"]] == ["not_registered", "ng", "not_registered",
                                                                   "not_registered"]
        assert none.json()["message"] == "NG の行が 1 行あるため、どの行も登録していません（全件一括）"
        assert await count(stack, "SELECT count(*) FROM relays") == 0
        some = await c.post(URL, content=body, params={"dry_run": "false", "mode": "valid_rows"},
                            headers={**CSV, "accept": "text/csv"})
    assert some.status_code == 200 and some.headers["content-type"] == "text/csv; charset=utf-8"
    assert some.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(some.content.decode("utf-8-sig"))))
    assert lines[0] == ["行番号", "結果", "番号", "申込種別", "項目", "項目名", "コード", "メッセージ"]
    stored = dict((await _relays_by_spid(stack)))
    assert set(stored) == {spids[0], spids[2], spids[3]}
    assert [(ln[0], ln[1], ln[2]) for ln in lines[1:] if ln[1] == "登録済"] == [
        ("2", "登録済", stored[spids[0]]), ("4", "登録済", stored[spids[2]]), ("5", "登録済", stored[spids[3]])]
    assert [ln for ln in lines[1:] if ln[0] == "3"] == [
        ["3", "NG", "", "", "contact_phone", "担当者電話番号", "phone_format",
         "電話番号は0から始まる10〜11桁の数字（ハイフン可）で入力してください"]]
    statuses = await count(stack, "SELECT string_agg(DISTINCT status, ',') FROM relays")
    assert statuses == "01"
    assert await count(stack, "SELECT count(*) FROM relay_history WHERE rule = 'register'") == 3
    assert await count(stack, "SELECT count(*) FROM jobs WHERE kind = 'relays.expire_undecided'") == 3
    bulk, = audit_rows(stack.hub_url, "api.relay.bulk")[1:]
    assert (bulk["item_count"], sorted(bulk["resource_ids"])) == (3, sorted(stored.values()))
    assert bulk["detail"] == {"dry_run": False, "mode": "valid_rows", "rows": 4, "ng_rows": 1, "encoding": "utf-8"}
    assert sorted(r["resource_ids"][0] for r in audit_rows(stack.hub_url, "api.relay.register")) == sorted(
        stored.values())


async def _relays_by_spid(stack) -> list[tuple[str, str]]:
    async with stack.hub_app.state.engine.connect() as conn:
        from sqlalchemy import text

        return [(r[0], r[1]) for r in await conn.execute(text("SELECT spid, relay_no FROM relays"))]


async def test_the_report_as_cp932_csv(stack):
    spid, = points_of(stack.world, "M0300", 1, offset=50)
    async with stack.client("A0001") as c:
        r = await c.post(URL, content=csv_bytes(RELAY_HEADER, [relay_row(spid, phone="1")]),
                         params={"report_encoding": "cp932"}, headers={**CSV, "accept": "text/csv"})
    assert r.headers["content-type"] == "text/csv; charset=shift_jis"
    lines = list(csv.reader(io.StringIO(r.content.decode("cp932"))))
    assert lines[1][:2] == ["2", "NG"] and lines[1][5] == "担当者電話番号"


async def test_a_retry_with_the_same_idempotency_key_returns_the_first_answer_and_stores_once(stack):
    spids = points_of(stack.world, "M0300", 2, offset=60)
    body = csv_bytes(RELAY_HEADER, [relay_row(s) for s in spids], "cp932")
    headers = {"Idempotency-Key": "bulk-retry-1"}
    async with stack.client("A0001") as c:
        first = await c.post(URL, files={"file": ("relays.csv", body, "text/csv")}, params={"dry_run": "false"},
                             headers=headers)
        again = await c.post(URL, files={"file": ("relays.csv", body, "text/csv")}, params={"dry_run": "false"},
                             headers=headers)  # another multipart boundary, the same file
        other = await c.post(URL, files={"file": ("relays.csv", body, "text/csv")}, params={"dry_run": "true"},
                             headers=headers)
    assert first.status_code == again.status_code == 200, first.text
    assert again.headers.get("idempotent-replayed") == "true" and again.json() == first.json()
    assert first.json()["committed_rows"] == 2
    assert other.status_code == 422 and other.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert await count(stack, "SELECT count(*) FROM relays") == 2
