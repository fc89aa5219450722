"""Application bulk files (POST /api/v1/applications:bulk): one file mixing kinds and areas, split by
area, each area's rows filed in one area transaction with the checks of a single filing; dry run
everywhere first, then the commit modes."""

from __future__ import annotations

import csv
import io

from tests.bulk.helpers import count, csv_bytes
from tests.flow.helpers import smart_point_of
from tests.hub.helpers import audit_rows
from tests.support import execute

URL = "/api/v1/applications:bulk"
HEADER = ["申込種別", "供給地点特定番号", "スイッチング予定日", "需要者希望日", "廃止取次番号", "接続送電サービスメニュー",
          "契約決定方法", "契約電流", "需要者氏名（カナ）", "需要者氏名（漢字）", "需要者電話番号", "需要者同意"]


def start(spid: str, **over: str) -> list[str]:
    v = {"kind": "スイッチング開始", "spid": spid, "date": "", "customer_request": "", "relay": "", "menu": "01",
         "method": "1", "current": "30", "kana": "ヤマダ タロウ", "kanji": "髙橋 太郎", "phone": "090-1234-5678",
         "consent": "はい", **over}
    return list(v.values())


def end(spid: str, kind: str = "03") -> list[str]:
    return [kind, spid, "", "", "", "", "", "", "", "", "", ""]


def area_count(stack, sql: str = "SELECT count(*) FROM applications") -> int:
    return execute(stack.area_url, sql)[0][0]


async def test_a_mixed_file_over_two_areas_with_a_per_row_report_and_both_modes(stack):
    tokyo, tokyo2 = (smart_point_of(stack.world, "M0300", "03", skip=s) for s in (90, 91))
    kansai = smart_point_of(stack.world, "M0600", "06", skip=5)
    own = smart_point_of(stack.world, "A0001", "03", skip=0)
    rows = [start(tokyo),  # row 2: OK, area 03
            start(kansai, kind="switch-start"),  # row 3: OK, area 06 (the API's kind name)
            end(own),  # row 4: OK, type code 03 = switch-end at the caller's own point
            start(tokyo2, consent="いいえ", current="35"),  # row 5: refused by the area's checks
            ["名義変更", tokyo2, *[""] * 10],  # row 6: no such kind
            end(tokyo2),  # row 7: switch-end at a point A0001 does not supply
            start("0300000000000000000000"),  # row 8: no such point
            start(tokyo, kanji="山田 花子")]  # row 9: a second switch-start at row 2's point
    body = csv_bytes(HEADER, rows, "cp932")
    async with stack.client("A0001") as c:
        dry = await c.post(URL, content=body, headers={"content-type": "text/csv"})
        assert dry.status_code == 200, dry.text
        assert area_count(stack) == 0  # the areas' dry runs were rolled back
        report = dry.json()
        assert (report["rows"], report["ok_rows"], report["ng_rows"]) == (8, 3, 5)
        assert [(a["area"], a["rows"], a["committed"]) for a in report["areas"]] == [
            ("03", 6, False), ("06", 1, False)]
        got = {(r["row"], e["field"], e["message"]) for r in report["results"] for e in r["errors"]}
        assert (5, "consent", "託送供給等約款への需要者の同意が必要です") in got
        assert (5, "contract_current", "契約電流は 10, 15, 20, 30, 40, 50, 60 A のいずれかです") in got
        assert any(row == 6 and field == "kind" and msg.startswith("申込種別「名義変更」は指定できません")
                   for row, field, msg in got)
        assert (7, "spid", "申込者はこの供給地点の現在の小売電気事業者ではありません") in got
        assert (8, "spid", "指定された供給地点特定番号の供給地点はありません") in got
        # row 9 meets row 2's filing of the same batch (rows are filed in file order in one transaction)
        assert any(row == 9 and msg.startswith("同じ供給地点に同じ種類の受付中の申込があります（異動並びチェックエラー: 申込番号 03")
                   for row, _, msg in got)
        assert [r["kind"] for r in report["results"]][:4] == ["switch-start", "switch-start", "switch-end",
                                                              "switch-start"]

        none = await c.post(URL, content=body, headers={"content-type": "text/csv"},
                            params={"dry_run": "false", "mode": "all_or_nothing"})
        assert none.json()["committed_rows"] == 0 and area_count(stack) == 0
        some = await c.post(URL, content=body, params={"dry_run": "false", "mode": "valid_rows"},
                            headers={"content-type": "text/csv", "accept": "text/csv"})
    assert some.status_code == 200
    lines = list(csv.reader(io.StringIO(some.content.decode("utf-8-sig"))))
    done = {ln[0]: ln[2] for ln in lines[1:] if ln[1] == "登録済"}
    assert set(done) == {"2", "3", "4"}
    stored = {r[0]: (r[1], r[2]) for r in execute(stack.area_url,
                                                          "SELECT application_no, type, spid FROM applications")}
    assert stored == {done["2"]: ("05", tokyo), done["3"]: ("05", kansai), done["4"]: ("03", own)}
    assert done["3"].startswith("06") and done["2"].startswith("03")
    assert len(audit_rows(stack.hub_url, "api.application.switch-start")) == 2
    assert len(audit_rows(stack.hub_url, "api.application.switch-end")) == 1
    bulk = audit_rows(stack.hub_url, "api.application.bulk")
    assert [b["item_count"] for b in bulk] == [0, 0, 3]
    assert bulk[2]["detail"]["areas"] == {"03": True, "06": True}


async def test_all_or_nothing_commits_every_area_when_every_row_is_valid(stack):
    a, b = smart_point_of(stack.world, "M0300", "03", skip=95), smart_point_of(stack.world, "M0600", "06", skip=6)
    body = csv_bytes(HEADER, [start(a), start(b, kind="05")], "utf-8")
    async with stack.client("A0001") as c:
        r = await c.post(URL, files={"file": ("a.csv", body, "text/csv")},
                         params={"dry_run": "false", "mode": "all_or_nothing"})
    assert r.json()["committed_rows"] == 2, r.text
    assert [(x["area"], x["committed"]) for x in r.json()["areas"]] == [("03", True), ("06", True)]
    assert area_count(stack) == 2
    numbers = [x["number"] for x in r.json()["results"]]
    assert [n[:2] for n in numbers] == ["03", "06"]
    async with stack.client("A0001") as c:
        status = await c.get(f"/api/v1/applications/{numbers[0]}")
    assert status.json()["type"] == "05" and status.json()["details"]["customer_name_kanji"] == "髙橋 太郎"


async def test_a_switch_start_row_naming_a_relay_links_it_like_a_single_filing(stack):
    from tests.flow.test_switch_api import relay_body

    spid = smart_point_of(stack.world, "M0300", "03", skip=97)
    async with stack.client("A0001") as new, stack.client("M0300") as cur:
        relay_no = (await new.post("/api/v1/relays", json=relay_body(spid, requested_switch_date="2030-01-31"))
                    ).json()["relay_no"]
        wrong = await new.post(URL, content=csv_bytes(HEADER, [start(spid, relay=relay_no)]),
                               headers={"content-type": "text/csv"})
        assert wrong.json()["results"][0]["errors"][0]["message"] == "廃止取次が「判断待ち」のためスイッチング開始を申し込めません"
        await cur.post(f"/api/v1/relays/{relay_no}/decision", json={"decision": "01", "staff_name": "現 太郎"})
        r = await new.post(URL, content=csv_bytes(HEADER, [start(spid, relay=relay_no)]),
                           headers={"content-type": "text/csv"}, params={"dry_run": "false"})
        application_no = r.json()["results"][0]["number"]
        relay = (await new.get(f"/api/v1/relays/{relay_no}")).json()
    assert relay["switch_start_no"] == application_no
    assert await count(stack, "SELECT count(*) FROM relays WHERE switch_start_no = :n", n=application_no) == 1


async def test_every_kind_by_file_through_the_same_checks(stack):
    """A current supplier's file of termination, removal, ampere and customer changes: each row filed
    as its single route would file it (type codes from the kind and the removal flag), a bad current
    refused with the single filing's message."""
    p1, p2, p3, p4, p5 = (smart_point_of(stack.world, "M0300", "03", skip=s) for s in range(120, 125))
    header = ["申込種別", "供給地点特定番号", "廃止日", "計器撤去", "現地連絡先氏名", "現地連絡先電話番号", "契約電流",
              "需要者電話番号"]
    rows = [["廃止", p1, "", "", "", "", "", ""],
            ["廃止・撤去", p2, "", "", "現地 太郎", "03-1234-5678", "", ""],
            ["アンペア変更", p3, "", "", "", "", "60", ""],
            ["需要者情報変更", p4, "", "", "", "", "", "03-9876-5432"],
            ["アンペア変更", p5, "", "", "", "", "35", ""]]
    async with stack.client("M0300") as c:
        r = await c.post(URL, content=csv_bytes(header, rows, "utf-8"), headers={"content-type": "text/csv"},
                         params={"dry_run": "false", "mode": "valid_rows"})
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["ok_rows"], report["ng_rows"], report["committed_rows"]) == (4, 1, 4)
    bad = [(res["row"], e["field"], e["message"]) for res in report["results"] for e in res["errors"]]
    assert bad == [(6, "contract_current", "契約電流は 10, 15, 20, 30, 40, 50, 60 A のいずれかです")]
    stored = dict(execute(stack.area_url, "SELECT spid, type FROM applications WHERE applicant_code = 'M0300'"))
    assert stored == {p1: "01", p2: "02", p3: "06", p4: "07"}
