"""The checks, in the order they run: each provokes one behaviour of the contract and judges the
answer by the published document (schema, refusal codes, deadline) and the spec tables of
expected.py (visibility). A failed check never stops the run; checks that need an earlier one's
result (the filed application) fail with that reason instead."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import zstandard

from switchhub.conformance import expected, judge
from switchhub.conformance.judge import Failed
from switchhub.conformance.probe import Actor, AreaProbe, Exchange
from switchhub.conformance.report import CheckResult, Report

POINT = "/area/v1/supply-points/{spid}"
BATCH = "/area/v1/supply-points:batch-get"
SEARCH = "/area/v1/supply-points"
EXPORT = "/area/v1/supply-points:export"
SWITCH_START = "/area/v1/applications/switch-start"
APPLICATION = "/area/v1/applications/{application_no}"
WITHDRAW = "/area/v1/applications/{application_no}:withdraw"
FEED = "/area/v1/applications"
FEED_PAGE_CAP = 200


@dataclass
class Cast:
    """The operators the suite plays (codes from the options; the area decides by kind and areas)."""

    supplier: Actor
    other: Actor
    third: Actor
    tso: Actor
    tso_other: Actor
    occto: Actor


@dataclass
class State:
    spid: str = ""
    switch_spid: str = ""
    point: dict[str, Any] = field(default_factory=dict)
    application_no: str = ""
    filed: Exchange | None = None
    final_stage: str = ""
    feed_head: int | None = None


def switch_start_body(spid: str) -> dict[str, Any]:
    """A complete switch-start of a low-voltage ampere-breaker point (contract SwitchStartRequest)."""
    return {
        "spid": spid,
        "service_menu": "01",
        "capacity_method": "1",
        "contract_current": 30,
        "customer_name_kana": "テキゴウ タロウ",
        "customer_name_kanji": "適合 太郎",
        "customer_phone": "090-0000-0000",
        "consent": True,
    }


class Suite:
    def __init__(
        self,
        probe: AreaProbe,
        report: Report,
        cast: Cast,
        area: str,
        *,
        deadline_s: float,
        spid: str | None,
        switch_spid: str | None,
        unknown_spid: str | None,
    ) -> None:
        self.probe, self.report, self.cast, self.area, self.deadline_s = probe, report, cast, area, deadline_s
        self.state = State(spid=spid or "", switch_spid=switch_spid or "")
        self.missing_spid = unknown_spid or area + "9" * 20
        self.unknown_application = area + "9" * 16

    async def check(self, name: str, run: Callable[[], Awaitable[tuple[str, str]]]) -> bool:
        before = len(self.probe.exchanges)
        try:
            ja, en = await run()
            result = CheckResult(name, True, ja, en)
        except Failed as failure:
            result = CheckResult(name, False, failure.ja, failure.en)
        except Exception as exc:  # an answer the suite could not even read is a failure, not a crash
            result = CheckResult(
                name,
                False,
                f"予期しない応答: {type(exc).__name__}: {exc}",
                f"unexpected answer: {type(exc).__name__}: {exc}",
            )
        done = self.probe.exchanges[before:]
        result.operation = ", ".join(dict.fromkeys(e.operation for e in done))
        result.elapsed_ms = round(sum(e.elapsed_s for e in done) * 1000, 1)
        self.report.results.append(result)
        return result.ok

    # --- supply points ---------------------------------------------------------------------

    async def export(self) -> tuple[str, str]:
        ex = await self.probe.call(
            "GET", EXPORT, self.cast.supplier, params={"area": self.area, "format": "ndjson"}
        )
        judge.answer(ex, 200)
        rows = [
            json.loads(line) for line in gzip.decompress(ex.raw).decode("utf-8").splitlines() if line.strip()
        ]
        declared = [c for c in ex.headers.get("x-export-fields", "").split(",") if c]
        leaked = sorted(set(declared) - expected.EXPORT_FIELDS)
        if leaked:
            raise Failed(
                f"一括取得の列に供給者にも見せない項目があります: {', '.join(leaked)}",
                f"export columns the supplier may not see: {', '.join(leaked)}",
            )
        for row in rows:
            if sorted(row) != sorted(declared):
                raise Failed(
                    f"行の項目 {sorted(set(row) ^ set(declared))} が X-Export-Fields と違います",
                    f"row fields {sorted(set(row) ^ set(declared))} differ from X-Export-Fields",
                )
        count = ex.headers.get("x-row-count")
        if count is not None and int(count) != len(rows):
            raise Failed(
                f"X-Row-Count {count} と行数 {len(rows)} が違います",
                f"X-Row-Count {count} differs from the {len(rows)} rows",
            )
        if not self.state.spid or not self.state.switch_spid:
            await self._discover(
                [
                    r["spid"]
                    for r in rows
                    if r.get("channel") == "low"
                    and r.get("capacity_method") == "1"
                    and r.get("contract_status") == "1"
                ]
            )
        return (
            f"{len(rows)} 行、列は供給者の範囲（{len(declared)} 列）",
            f"{len(rows)} rows, supplier columns ({len(declared)})",
        )

    async def export_zstd(self) -> tuple[str, str]:
        """`compression=zstd`: a zstd file (application/zstd) of the same rows as the gzip export."""
        params = {"area": self.area, "format": "ndjson"}
        gz = await self.probe.call("GET", EXPORT, self.cast.supplier, params=params)
        zst = await self.probe.call("GET", EXPORT, self.cast.supplier, params={**params, "compression": "zstd"})
        judge.answer(gz, 200)
        judge.answer(zst, 200)
        media = zst.content_type.split(";")[0].strip()
        if media != "application/zstd":
            raise Failed(f"compression=zstd の応答の Content-Type が {media or '（なし）'} です（application/zstd）",
                         f"compression=zstd answered Content-Type {media or '(none)'}, not application/zstd")
        try:
            rows = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(zst.raw), read_across_frames=True).read()
        except zstandard.ZstdError as e:
            raise Failed(f"compression=zstd の応答を zstd として読めません: {e}",
                         f"the compression=zstd answer is not readable as zstd: {e}") from None
        lines, expected_lines = sorted(rows.splitlines()), sorted(gzip.decompress(gz.raw).splitlines())
        if lines != expected_lines:
            raise Failed(f"zstd の {len(lines)} 行が gzip の一括取得の {len(expected_lines)} 行と違います",
                         f"the {len(lines)} zstd rows differ from the gzip export's {len(expected_lines)}")
        return f"{len(lines)} 行、gzip と同じ", f"{len(lines)} rows, the same as gzip"

    async def _discover(self, candidates: list[str]) -> None:
        """Two points of the supplier without open applications (asked by lookup, at most 20)."""
        found = [s for s in (self.state.spid, self.state.switch_spid) if s]
        for spid in candidates[:20]:
            if len(found) >= 2:
                break
            if spid in found:
                continue
            ex = await self.probe.call(
                "GET", POINT, self.cast.supplier, path=f"/area/v1/supply-points/{spid}"
            )
            if ex.status == 200 and not (ex.body or {}).get("point", {}).get("pending_applications"):
                found.append(spid)
        if len(found) < 2:
            raise Failed(
                "試験用の供給地点が見つかりません（低圧・アンペアブレーカ・契約中・申込なしが2地点必要）",
                "no fixture points found (2 low-voltage ampere-breaker active points without "
                "applications are needed)",
            )
        self.state.spid = self.state.spid or found[0]
        self.state.switch_spid = self.state.switch_spid or next(s for s in found if s != self.state.spid)

    def _need_spid(self) -> str:
        if not self.state.spid:
            raise Failed(
                "試験用の供給地点がありません（--spid または一括取得）",
                "no fixture point (--spid or the export)",
            )
        return self.state.spid

    def lookup_as(
        self, actor: Actor, relationships: tuple[str, ...]
    ) -> Callable[[], Awaitable[tuple[str, str]]]:
        async def run() -> tuple[str, str]:
            spid = self._need_spid()
            ex = await self.probe.call("GET", POINT, actor, path=f"/area/v1/supply-points/{spid}")
            body = judge.answer(ex, 200)
            rel = body["relationship"]
            if rel not in relationships:
                raise Failed(
                    f"関係が {rel}（期待値 {' / '.join(relationships)}）",
                    f"relationship {rel}, expected {' / '.join(relationships)}",
                )
            if actor is self.cast.supplier:
                self.state.point = body["point"]
            judge.fields(body["point"], expected.LOOKUP_FIELDS[rel], rel)
            return (f"{rel}: {len(body['point'])} 項目", f"{rel}: {len(body['point'])} fields")

        return run

    async def batch_get(self) -> tuple[str, str]:
        spid = self._need_spid()
        ex = await self.probe.call(
            "POST", BATCH, self.cast.other, json_body={"spids": [spid, self.missing_spid, spid]}
        )
        body = judge.answer(ex, 200)
        if [i["point"].get("spid") for i in body["items"]] != [spid] or body["not_found"] != [
            self.missing_spid
        ]:
            raise Failed(
                f"items {[i['point'].get('spid') for i in body['items']]}, not_found {body['not_found']}"
                f"（期待値: 重複なしの {spid} と not_found {self.missing_spid}）",
                f"items {[i['point'].get('spid') for i in body['items']]}, not_found {body['not_found']}"
                f" (expected {spid} once and not_found {self.missing_spid})",
            )
        item = body["items"][0]
        judge.fields(
            item["point"], expected.LOOKUP_FIELDS.get(item["relationship"], frozenset()), item["relationship"]
        )
        return "1件と not_found 1件、公開項目のみ", "1 item and 1 not_found, public fields only"

    async def search_by_pole(self) -> tuple[str, str]:
        pole = self.state.point.get("pole_no")
        if not pole:
            raise Failed(
                "供給者の照会結果に引込柱番号がありません", "the supplier's lookup gave no pole number"
            )
        ex = await self.probe.call(
            "GET", SEARCH, self.cast.other, params={"area": self.area, "pole_no": pole}
        )
        body = judge.answer(ex, 200)
        if not body["items"]:
            raise Failed(f"引込柱番号 {pole} で見つかりません", f"nothing found by pole number {pole}")
        for item in body["items"]:
            judge.fields(item, expected.SEARCH_FIELDS, "search")
            clear = [
                m.get("meter_no")
                for m in item.get("meters") or []
                if not judge.masked(str(m.get("meter_no", "")))
            ]
            if clear:
                raise Failed(f"計器番号が伏せられていません: {clear}", f"meter numbers not masked: {clear}")
        return (
            f"{len(body['items'])} 件、公開項目のみ、計器番号は下3桁",
            f"{len(body['items'])} items, public fields, meter numbers masked",
        )

    async def search_by_meter(self) -> tuple[str, str]:
        meters = self.state.point.get("meters") or []
        if not meters:
            raise Failed("供給者の照会結果に計器情報がありません", "the supplier's lookup gave no meter")
        meter_no = meters[0]["meter_no"]
        ex = await self.probe.call(
            "GET", SEARCH, self.cast.other, params={"area": self.area, "meter_no": meter_no}
        )
        body = judge.answer(ex, 200)
        mine = [i for i in body["items"] if i.get("spid") == self.state.spid]
        if not mine:
            raise Failed(
                f"計器番号 {meter_no} で {self.state.spid} が見つかりません",
                f"{self.state.spid} not found by meter number {meter_no}",
            )
        judge.fields(mine[0], expected.SEARCH_FIELDS, "search")
        if meter_no not in [m.get("meter_no") for m in mine[0].get("meters") or []]:
            raise Failed(
                "計器番号で検索したのに計器番号が伏せられています", "meter number masked in a search by it"
            )
        return (
            "計器番号で検索: 公開項目、計器番号はそのまま",
            "by meter number: public fields, meter number shown",
        )

    # --- refusals on points --------------------------------------------------------------------

    async def unknown_spid(self) -> tuple[str, str]:
        ex = await self.probe.call(
            "GET", POINT, self.cast.other, path=f"/area/v1/supply-points/{self.missing_spid}"
        )
        return (s := judge.refusal(ex, "refusal.unknown_spid")), s

    async def malformed_spid(self) -> tuple[str, str]:
        ex = await self.probe.call("GET", POINT, self.cast.other, path="/area/v1/supply-points/12345")
        return (s := judge.refusal(ex, "refusal.malformed_spid", {"spid"})), s

    async def no_acting_operator(self) -> tuple[str, str]:
        ex = await self.probe.call("GET", POINT, None, path=f"/area/v1/supply-points/{self._need_spid()}")
        return (s := judge.refusal(ex, "refusal.no_acting_operator")), s

    async def export_by_tso(self) -> tuple[str, str]:
        ex = await self.probe.call("GET", EXPORT, self.cast.tso, params={"area": self.area})
        return (s := judge.refusal(ex, "refusal.export_by_tso")), s

    async def bad_search_area(self) -> tuple[str, str]:
        ex = await self.probe.call("GET", SEARCH, self.cast.other, params={"area": "99", "pole_no": "1"})
        return (s := judge.refusal(ex, "refusal.bad_search_area", {"area"})), s

    async def bad_batch_spid(self) -> tuple[str, str]:
        ex = await self.probe.call("POST", BATCH, self.cast.other, json_body={"spids": ["12345"]})
        return (s := judge.refusal(ex, "refusal.bad_batch_spid", {"spids"})), s

    # --- applications --------------------------------------------------------------------------

    def _need_application(self) -> str:
        if not self.state.application_no:
            raise Failed(
                "前提のスイッチング開始申込が受け付けられていません",
                "the switch-start this needs was not filed",
            )
        return self.state.application_no

    async def _file(self, actor: Actor, spid: str, key: str | None = None, body: Any = None) -> Exchange:
        extra = {"Idempotency-Key": key} if key else None
        return await self.probe.call(
            "POST", SWITCH_START, actor, json_body=body or switch_start_body(spid), extra_headers=extra
        )

    async def switch_start(self) -> tuple[str, str]:
        if not self.state.switch_spid:
            raise Failed(
                "スイッチング開始に使う供給地点がありません（--switch-spid または一括取得）",
                "no point for the switch-start (--switch-spid or the export)",
            )
        self.key = f"conformance-{self.state.switch_spid}-{id(self)}"
        ex = await self._file(self.cast.other, self.state.switch_spid, self.key)
        body = judge.answer(ex, 201)
        if body["type"] not in ("05", "16") or body["applicant_code"] != self.cast.other.code:
            raise Failed(
                f"種別 {body['type']}・申込者 {body['applicant_code']}（期待値 05・{self.cast.other.code}）",
                f"type {body['type']}, applicant {body['applicant_code']}"
                f" (expected 05, {self.cast.other.code})",
            )
        self.state.application_no, self.state.filed = body["application_no"], ex
        return (
            f"申込番号 {body['application_no']}（工程 {body['stage']}）",
            f"application {body['application_no']} (stage {body['stage']})",
        )

    async def idempotent_replay(self) -> tuple[str, str]:
        self._need_application()
        ex = await self._file(self.cast.other, self.state.switch_spid, self.key)
        body = judge.answer(ex, 201)
        first = self.state.filed.body if self.state.filed else {}
        if body.get("application_no") != first.get("application_no"):
            raise Failed(
                f"同じ Idempotency-Key の再送で別の申込 {body.get('application_no')} になりました",
                "a retry under the same Idempotency-Key made another application "
                f"{body.get('application_no')}",
            )
        return "同じキーの再送は最初の応答", "a retry under the same key answers the first answer"

    async def idempotency_key_reused(self) -> tuple[str, str]:
        self._need_application()
        other = {**switch_start_body(self.state.switch_spid), "customer_phone": "090-1111-1111"}
        ex = await self._file(self.cast.other, self.state.switch_spid, self.key, other)
        return (s := judge.refusal(ex, "refusal.idempotency_key_reused", {"Idempotency-Key"})), s

    async def second_same(self) -> tuple[str, str]:
        self._need_application()
        ex = await self._file(self.cast.other, self.state.switch_spid)
        return (s := judge.refusal(ex, "refusal.second_switch_start_same_retailer")), s

    async def second_other(self) -> tuple[str, str]:
        self._need_application()
        ex = await self._file(self.cast.third, self.state.switch_spid)
        return (s := judge.refusal(ex, "refusal.second_switch_start_other_retailer")), s

    async def by_supplier(self) -> tuple[str, str]:
        ex = await self._file(self.cast.supplier, self._need_spid())
        return (s := judge.refusal(ex, "refusal.switch_start_by_supplier")), s

    async def bad_body(self) -> tuple[str, str]:
        ex = await self._file(
            self.cast.other,
            "",
            body={"spid": self.state.switch_spid or self._need_spid(), "unknown_field": 1},
        )
        return (s := judge.refusal(ex, "refusal.switch_start_body", {"consent", "unknown_field"})), s

    async def bad_json(self) -> tuple[str, str]:
        ex = await self.probe.call("POST", SWITCH_START, self.cast.other, content=b'{"spid": ')
        return (s := judge.refusal(ex, "refusal.switch_start_json")), s

    async def status(self) -> tuple[str, str]:
        no = self._need_application()
        ex = await self.probe.call("GET", APPLICATION, self.cast.other, path=f"/area/v1/applications/{no}")
        body = judge.answer(ex, 200)
        if body["application_no"] != no:
            raise Failed(
                f"別の申込 {body['application_no']} が返りました",
                f"another application {body['application_no']}",
            )
        return f"工程 {body['stage']}", f"stage {body['stage']}"

    async def status_by_tso(self) -> tuple[str, str]:
        no = self._need_application()
        ex = await self.probe.call("GET", APPLICATION, self.cast.tso, path=f"/area/v1/applications/{no}")
        judge.answer(ex, 200)
        return "エリアの一般送配電事業者は参照できる", "the area's T&D sees it"

    async def status_by_other(self) -> tuple[str, str]:
        no = self._need_application()
        ex = await self.probe.call("GET", APPLICATION, self.cast.third, path=f"/area/v1/applications/{no}")
        return (s := judge.refusal(ex, "refusal.status_by_other_retailer")), s

    async def _withdraw(self, application_no: str, reason: str) -> Any:
        """The other retailer (the applicant of the conformance switch-start) withdraws."""
        return await self.probe.call("POST", WITHDRAW, self.cast.other, json_body={"reason": reason},
                                     path=f"/area/v1/applications/{application_no}:withdraw")

    async def withdraw_unknown(self) -> tuple[str, str]:
        ex = await self._withdraw(self.unknown_application, "適合性試験")
        return (s := judge.refusal(ex, "refusal.withdraw_unknown")), s

    async def withdraw_empty_reason(self) -> tuple[str, str]:
        no = self._need_application()
        ex = await self._withdraw(no, "")
        return (s := judge.refusal(ex, "refusal.withdraw_empty_reason", {"reason"})), s

    async def withdraw(self) -> tuple[str, str]:
        no = self._need_application()
        ex = await self._withdraw(no, "適合性試験の後始末")
        body = judge.answer(ex, 200)
        if not body["terminal"]:
            raise Failed(
                f"取消後も終了していません（工程 {body['stage']}）",
                f"not terminal after withdrawal ({body['stage']})",
            )
        self.state.final_stage = body["stage"]
        return f"工程 {body['stage']}（終了）", f"stage {body['stage']} (terminal)"

    async def withdraw_twice(self) -> tuple[str, str]:
        no = self._need_application()
        ex = await self._withdraw(no, "二度目")
        return (s := judge.refusal(ex, "refusal.withdraw_twice")), s

    # --- the feed (events, pull side) ----------------------------------------------------------

    async def _page(self, after: int, limit: int) -> dict[str, Any]:
        ex = await self.probe.call(
            "GET", FEED, self.cast.other, params={"area": self.area, "after": after, "limit": limit}
        )
        return judge.answer(ex, 200)

    async def feed_head(self) -> tuple[str, str]:
        """The position before the suite's own changes: the feed walked to its end."""
        after = 0
        for _ in range(FEED_PAGE_CAP):
            page = await self._page(after, 1000)
            if not page["items"]:
                self.state.feed_head = after
                return f"位置 {after}", f"position {after}"
            after = page["last_seq"]
        raise Failed(
            f"フィードが {FEED_PAGE_CAP} ページで終わりません",
            f"the feed did not end in {FEED_PAGE_CAP} pages",
        )

    def _need_head(self) -> int:
        if self.state.feed_head is None:
            raise Failed("フィードの開始位置が取れていません", "the feed position before the run is unknown")
        return self.state.feed_head

    async def feed_order(self) -> tuple[str, str]:
        head = self._need_head()
        page = await self._page(head, 1000)
        seqs = [i["seq"] for i in page["items"]]
        if len(set(seqs)) != len(seqs):
            dup = sorted({s for s in seqs if seqs.count(s) > 1})
            raise Failed(f"同じ番号の変更が重複しています: {dup}", f"duplicated changes: {dup}")
        if any(b <= a for a, b in zip([head, *seqs], seqs)):
            raise Failed(f"番号が単調増加ではありません: {seqs}", f"ids are not strictly increasing: {seqs}")
        if page["last_seq"] != (seqs[-1] if seqs else head):
            raise Failed(
                f"last_seq {page['last_seq']} が最後の番号と違います",
                f"last_seq {page['last_seq']} is not the last id",
            )
        return (
            f"{len(seqs)} 件、番号は単調増加・重複なし",
            f"{len(seqs)} changes, strictly increasing, no duplicates",
        )

    async def feed_replay(self) -> tuple[str, str]:
        head = self._need_head()
        one, two = await self._page(head, 1000), await self._page(head, 1000)
        if one["items"] != two["items"]:
            raise Failed("同じカーソルで違う変更が返りました", "the same cursor gave different changes")
        return "同じカーソルは同じ変更", "the same cursor gives the same changes"

    async def feed_paging(self) -> tuple[str, str]:
        head = self._need_head()
        # the changes as a set in order: a duplicate is feed.order's finding, not a paging one
        whole = list(dict.fromkeys(i["seq"] for i in (await self._page(head, 1000))["items"]))
        walked, after = [], head
        for _ in range(len(whole) + 2):
            page = await self._page(after, 1)
            if not page["items"]:
                break
            walked += [i["seq"] for i in page["items"]]
            after = page["last_seq"]
        if walked != whole:
            raise Failed(
                f"1件ずつ辿った結果 {walked} が一括 {whole} と違います",
                f"walking one by one gave {walked}, one page gave {whole}",
            )
        return f"1件ずつ {len(walked)} ページで同じ変更", f"{len(walked)} pages of one give the same changes"

    async def feed_events(self) -> tuple[str, str]:
        head, no = self._need_head(), self._need_application()
        changes = {i["seq"]: i for i in (await self._page(head, 1000))["items"]}  # duplicates: feed.order
        mine = [i for i in changes.values() if i["application_no"] == no]
        if not mine:
            raise Failed(f"申込 {no} の変更がフィードにありません", f"no change of {no} in the feed")
        chain = [i["to_stage"] for i in mine]
        broken = [i for a, i in zip(mine, mine[1:]) if i["from_stage"] != a["to_stage"]]
        if mine[0]["from_stage"] is not None or broken or chain[-1] != self.state.final_stage:
            raise Failed(
                f"工程の変更が連続していません: {[(i['from_stage'], i['to_stage']) for i in mine]}"
                f"（最終工程 {self.state.final_stage}）",
                f"stage changes do not chain: {[(i['from_stage'], i['to_stage']) for i in mine]}"
                f" (final stage {self.state.final_stage})",
            )
        return f"受付から取消まで {' → '.join(chain)}", f"from filing to withdrawal: {' → '.join(chain)}"

    # --- the hub's deadline ----------------------------------------------------------------------

    async def deadline(self) -> tuple[str, str]:
        slow = [e for e in self.probe.exchanges if e.status == 0 or e.elapsed_s > self.deadline_s]
        worst = max((e.elapsed_s for e in self.probe.exchanges), default=0.0)
        if slow:
            names = "; ".join(
                f"{e.method} {e.url} {e.elapsed_s:.2f}s{' ' + e.error if e.error else ''}" for e in slow[:5]
            )
            raise Failed(
                f"{len(slow)} 件の応答が期限 {self.deadline_s:g} 秒を超えました: {names}",
                f"{len(slow)} answers took longer than the {self.deadline_s:g} s deadline: {names}",
            )
        return (
            f"全 {len(self.probe.exchanges)} 件が期限 {self.deadline_s:g} 秒以内（最長 {worst:.2f} 秒）",
            f"all {len(self.probe.exchanges)} answers within {self.deadline_s:g} s (slowest {worst:.2f} s)",
        )
