"""Usage password (type 08, 使用量情報照会申請) and usage inquiry in the contract (processes.md P2).

A retailer that is not (yet) the supplier needs the customer's usage password to read the point's
usage (domain.md). The hub forwards these models to the point's area and publishes the same ones:

* `UsagePasswordRequest` → `UsagePasswordAnswer` (stage 01 受付 → 06 処理完了 = issued, or → 02 審査中
  → 06 / 09 却下 after the T&D's review). The password appears in `UsagePasswordAnswer.password`
  exactly once: in the first status answer to the applicant after issue; null everywhere else.
* T&D review: `UsageReviewPage` (list), `UsageReviewDetail`, `UsageDecisionRequest`.
* Inquiry: `UsageInquiryRequest` (password in the body, never in a URL) → `UsageAnswer` — the latest
  13 months, monthly kWh always, 30-minute days only for smart meters, nothing before the current
  customer's period. kWh values are decimal strings exactly as stored (never floats); a day's 48
  values travel as one comma-separated text and its 48 statuses as one string of digits (`UsageDay`).
* Batch inquiry: `UsageBatchInquiryRequest` (1–20 points, one password) → `UsageBatchAnswer`, one item
  per point in the request's order: answered (its `UsageAnswer`) or refused (the per-point route's
  403 code). `answer_problems` checks an answer's shape on parsed JSON without matching each of the
  ~370 days of a point against its patterns (the hub's contract check on its hot path).
"""

from __future__ import annotations

import datetime as dt
from itertools import repeat
from operator import itemgetter
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from switchhub.kernel.codes import ApplicationStage, Area, Channel, UsageRejectReason
from switchhub.kernel.spid import SPID_DOC

STRICT = ConfigDict(strict=True, extra="forbid")
MAX_POINTS = 20
MAX_DOCUMENTS = 5
MAX_DOCUMENT_BYTES = 1_048_576  # 1 MB decoded
#: base64 of 1 MB is 1,398,104 characters; a little more is allowed so that the decoded size check
#: (with its Japanese message) answers, not the schema's length limit
MAX_DOCUMENT_BASE64 = 1_500_000
VALIDITY_DAYS = (1, 7, 31)
MONTHS = 13

SpidText = Annotated[str, Field(max_length=40, description="供給地点特定番号", json_schema_extra=SPID_DOC)]
Spid = Annotated[str, Field(description="供給地点特定番号", json_schema_extra=SPID_DOC)]
Verification = Literal["auto", "review"]
#: who filed a request: a retailer (its operator code in applicant_code) or the customer itself on the
#: T&D's public page (no applicant code: no operator sees it; its result is mailed to the customer)
ApplicantOrigin = Literal["retailer", "public"]
ORIGIN_DOC = "申込者の種別: retailer 小売電気事業者 / public 需要者本人（公開ページ）"
MismatchItem = Literal["name", "address"]
DocumentType = Literal["application/pdf", "image/jpeg", "image/png", "image/gif"]


class UsageDocument(BaseModel):
    """本人確認書類: PDF, JPEG, PNG or GIF, judged by its content (not its name), ≤ 1 MB decoded."""
    model_config = STRICT
    filename: str = Field(min_length=1, max_length=200, description="ファイル名（表示用。種類は内容で判定）")
    content_base64: str = Field(min_length=1, max_length=MAX_DOCUMENT_BASE64, description="内容 (base64)")


class UsagePasswordRequest(BaseModel):
    """使用量情報照会申請 (type 08): 1–20 points of one customer in one area, low or high voltage."""
    model_config = STRICT
    spids: list[SpidText] = Field(min_length=1, max_length=MAX_POINTS, description="供給地点特定番号（1〜20件、同一エリア）")
    validity_days: Literal[1, 7, 31] = Field(description="パスワードの有効期間（日）: 1, 7, 31")
    customer_name_kana: str = Field(min_length=1, max_length=80, description="需要者氏名（カナ）")
    customer_name_kanji: str = Field(min_length=1, max_length=80, description="需要者氏名（漢字）")
    address: str = Field(min_length=1, max_length=200, description="需要場所住所（都道府県から部屋番号まで）")
    phone: str = Field(min_length=10, max_length=13, description="需要者電話番号")
    consent_date: dt.date = Field(description="需要者の同意日 (YYYY-MM-DD、未来日不可)")
    documents: list[UsageDocument] = Field(default_factory=list, max_length=MAX_DOCUMENTS,
                                           description="本人確認書類（任意、最大5件、各1MB以下）")


class UsagePasswordAnswer(BaseModel):
    """The request as filed and its status (IF_10210/IF_10220 and their high-voltage twins)."""
    model_config = ConfigDict(extra="forbid")
    application_no: str = Field(description="申込番号")
    type: Literal["08"] = Field(description="申込種別 08 使用量情報照会申請")
    channel: Channel = Field(description="low 低圧 / high 高圧")
    stage: ApplicationStage = Field(description="受付工程: 01 受付 / 02 審査中 / 06 処理完了（発行済み）/ 09 却下")
    stage_name: str = Field(description="受付工程名")
    applicant_origin: ApplicantOrigin = Field(default="retailer", description=ORIGIN_DOC)
    applicant_code: str | None = Field(description="申込者（小売電気事業者コード。需要者本人の申込は null）")
    points: list[Spid] = Field(description="供給地点特定番号")
    validity_days: int = Field(description="パスワードの有効期間（日）")
    received_at: str = Field(description="受付日時 (JST)")
    review_deadline: dt.date = Field(description="審査期限（受付の翌営業日）")
    verification: Verification = Field(description="本人確認: auto 自動照合一致 / review 送配電事業者の審査")
    reason_code: str = Field(description="受付工程の理由コード（却下時は却下理由）")
    note: str = Field(default="", description="却下時の連絡事項")
    issued_at: str | None = Field(default=None, description="発行日時 (JST)")
    expires_at: str | None = Field(default=None, description="有効期限 (JST)")
    expired: bool = Field(default=False, description="有効期限切れ")
    password: str | None = Field(default=None, description="使用量照会パスワード（発行後の申込者への最初の状況回答でのみ1回表示）")


class ReviewPoint(BaseModel):
    """One point of a request under review: what the T&D holds and which items did not match."""
    model_config = ConfigDict(extra="forbid")
    spid: Spid
    current_name_kana: str | None = Field(default=None, description="現在の需要者氏名（カナ）")
    current_name_kanji: str | None = Field(default=None, description="現在の需要者氏名（漢字）")
    current_address: str = Field(description="需要場所住所（設備情報）")
    mismatches: list[MismatchItem] = Field(description="不一致の項目 (name / address)")


class ReviewDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n: int = Field(description="書類番号（1始まり）")
    filename: str
    content_type: DocumentType
    size: int = Field(description="バイト数")


class UsageReviewItem(BaseModel):
    """A row of the T&D's review list (no customer details)."""
    model_config = ConfigDict(extra="forbid")
    application_no: str
    area: Area = Field(description="エリアコード")
    applicant_origin: ApplicantOrigin = Field(default="retailer", description=ORIGIN_DOC)
    applicant_code: str | None = Field(description="申込者（小売電気事業者コード。需要者本人の申込は null）")
    stage: ApplicationStage
    stage_name: str
    point_count: int
    received_at: str
    review_deadline: dt.date
    overdue: bool = Field(description="審査期限を過ぎている（未決定）")
    documents: int = Field(description="本人確認書類の件数")


class UsageReviewPage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    total: int
    page: int
    per_page: int
    items: list[UsageReviewItem]


class UsageReviewDetail(BaseModel):
    """The review screen: the request's fields, each point as the T&D holds it, the documents.
    OCCTO (read-only) gets it without the customer's details (null) and without the points' names."""
    model_config = ConfigDict(extra="forbid")
    application_no: str
    area: Area = Field(description="エリアコード")
    applicant_origin: ApplicantOrigin = Field(default="retailer", description=ORIGIN_DOC)
    applicant_code: str | None = Field(description="申込者（小売電気事業者コード。需要者本人の申込は null）")
    applicant_email: str | None = Field(default=None, description="需要者本人の申込の結果通知先メールアドレス"
                                        "（小売電気事業者の申込と OCCTO には null）")
    channel: Channel
    stage: ApplicationStage
    stage_name: str
    reason_code: str
    note: str
    received_at: str
    review_deadline: dt.date
    validity_days: int
    customer_name_kana: str | None
    customer_name_kanji: str | None
    address: str | None
    phone: str | None
    consent_date: dt.date | None
    points: list[ReviewPoint]
    documents: list[ReviewDocument]
    decided_at: str | None = None
    decided_by: str | None = None


class UsageDecisionRequest(BaseModel):
    """The T&D's decision on a request under review: issue, or reject with a coded reason."""
    model_config = STRICT
    decision: Literal["issue", "reject"] = Field(description="issue 発行 / reject 却下")
    reason_code: UsageRejectReason | None = Field(default=None, description="却下理由（reject の場合は必須）")
    note: str = Field(default="", max_length=400, description="申込者への連絡事項")


class UsageInquiryRequest(BaseModel):
    """使用量照会: the password (in the body, never in a URL) and why the data is asked for (audited)."""
    model_config = STRICT
    password: str = Field(min_length=1, max_length=64, description="使用量照会パスワード")
    purpose: str = Field(min_length=1, max_length=200, description="照会の目的（監査記録に残る）")


class UsageMonth(BaseModel):
    model_config = ConfigDict(extra="forbid")
    billing_month: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}$", description="検針月 (YYYY-MM)")
    kwh: str = Field(description="使用量 kWh（保存値どおりの10進文字列）")
    max_demand_kw: str | None = Field(description="最大需要電力 kW")
    power_factor: int | None = Field(description="力率 (%)")
    next_reading_date: dt.date | None = Field(description="次回検針予定日")


#: one day's 48 half-hour kWh values as one text: 48 fields separated by commas, each the stored
#: decimal(10,4) value exactly as stored (4 decimals, never a float) or empty when the slot was not
#: received — e.g. "0.1230,0.1230,…,0.1230," (47 values, the last slot missing)
DAY_KWH_PATTERN = r"^(?:[0-9]{1,6}\.[0-9]{4})?(?:,(?:[0-9]{1,6}\.[0-9]{4})?){47}$"
DAY_STATUS_PATTERN = r"^[0-9]{48}$"
SLOTS = 48


class UsageDay(BaseModel):
    """One day of 30-minute values, compact: one text for the 48 kWh values and one for the 48
    statuses (a model of 96 JSON values per day made the 13-month answer of 20 points 700,000 values
    to build, parse and check; docs/benchmarks.md P10). `day_kwh` splits them back."""
    model_config = ConfigDict(extra="forbid")
    date: dt.date
    kwh: str = Field(pattern=DAY_KWH_PATTERN, description=(
        "30分ごとの kWh（48コマ、カンマ区切り。各値は保存値どおりの10進文字列（小数4桁）、未受信のコマは空）"))
    status: str = Field(pattern=DAY_STATUS_PATTERN, description="コマごとの状態（48コマ、1コマ1桁の数字 0〜9、0 = 有効）")


def day_kwh(day: dict) -> list[str | None]:
    """A day's 48 kWh values as decimal strings (None: not received), from the compact `kwh` text."""
    return [v or None for v in day["kwh"].split(",")]


def day_status(day: dict) -> list[int]:
    """A day's 48 statuses as integers, from the compact `status` text."""
    return [int(c) for c in day["status"]]


class UsageAnswer(BaseModel):
    """The usage of one point for the holder of a valid password (IF_10310/IF_K10310)."""
    model_config = ConfigDict(extra="forbid")
    spid: Spid
    interval_data: bool = Field(description="30分値あり（スマートメーター）")
    period_start: dt.date = Field(description="現在の需要者の期間の開始日")
    window_start: dt.date = Field(description="照会期間の開始日（直近13か月）")
    withheld_before: dt.date | None = Field(description="この日より前は現在の需要者の期間外のため回答しない")
    months: list[UsageMonth]
    days: list[UsageDay] = Field(description="30分値（スマートメーターのみ。それ以外は空）")


class UsageBatchInquiryRequest(BaseModel):
    """使用量照会（複数地点）: one password for up to 20 points (the points of one password request)."""
    model_config = STRICT
    spids: list[SpidText] = Field(min_length=1, max_length=MAX_POINTS, description="供給地点特定番号（1〜20件）")
    password: str = Field(min_length=1, max_length=64, description="使用量照会パスワード")
    purpose: str = Field(min_length=1, max_length=200, description="照会の目的（監査記録に残る）")


class UsageBatchItem(BaseModel):
    """One point of a batch inquiry: its usage, or the same refusal as the per-point route's 403."""
    model_config = ConfigDict(extra="forbid")
    spid: Spid
    outcome: Literal["answered", "refused"] = Field(description="answered 回答 / refused 拒否（パスワード不一致等）")
    code: Literal["usage_password_invalid"] | None = Field(
        default=None, description="拒否の理由コード（1地点ごとの照会の403と同じ）")
    usage: UsageAnswer | None = Field(default=None, description="使用量（answered の場合）")


class UsageBatchAnswer(BaseModel):
    """One item per requested point, in the request's order."""
    model_config = ConfigDict(extra="forbid")
    items: list[UsageBatchItem]


_DAY_KEYS = frozenset(UsageDay.model_fields)
_ANSWER_KEYS = frozenset(UsageAnswer.model_fields)
_KWH_BYTES = b"0123456789.,"
_STATUS_BYTES = b"0123456789"


def answer_problems(answer: object) -> int:
    """How many contract problems a parsed `UsageAnswer` has (0: it conforms). Everything but the days
    goes through the model; the days of a conforming answer are checked all at once, each property by
    one C-level pass over all days (`_days_conform`), and only an answer that fails one is walked day
    by day to count its problems: a regular expression per day costs ≈ 7× the per-day frame check, and
    the per-day frame check itself was ≈ 23 ms of the hub's CPU for 20 points × 400 days
    (docs/benchmarks.md P10)."""
    if not isinstance(answer, dict) or answer.keys() != _ANSWER_KEYS or not isinstance(answer["days"], list):
        return 1
    try:
        UsageAnswer.model_validate({**answer, "days": []})
    except ValidationError as exc:
        return len(exc.errors())
    days = answer["days"]
    if _days_conform(days):
        return 0
    return sum(1 for d in days if not (_day_frame(d) and _day_values(d)))


_KWH, _STATUS, _DATE = itemgetter("kwh"), itemgetter("status"), itemgetter("date")
_DATE_BYTES, _HYPHENS = b"0123456789-", itemgetter(4, 7)


def _days_conform(days: list) -> bool:
    """Every day a dict of exactly date / kwh / status; 48 kWh fields and 48 statuses of the allowed
    characters; a real YYYY-MM-DD date. The same rules as `_day_frame` + `_day_values`, each as one
    pass of built-ins (map, set, join, translate) over all days instead of Python code per day."""
    if not days:
        return True
    try:
        if set(map(type, days)) != {dict} or set(map(len, days)) != {len(_DAY_KEYS)}:
            return False
        kwh, status, dates = list(map(_KWH, days)), list(map(_STATUS, days)), list(map(_DATE, days))
    except KeyError:  # three keys, and each of the three present: exactly the three
        return False
    if set(map(type, kwh)) | set(map(type, status)) | set(map(type, dates)) != {str}:
        return False
    if set(map(str.count, kwh, repeat(","))) != {SLOTS - 1} or set(map(len, status)) != {SLOTS}:
        return False
    # YYYY-MM-DD: ten characters, hyphens at 5 and 8 and nowhere else, digits between (fromisoformat
    # alone also reads 2026-W47-1 and 20261124--); then fromisoformat refuses what is no date (02-31)
    joined = "".join(dates)
    if (set(map(len, dates)) != {10} or set(map(_HYPHENS, dates)) != {("-", "-")}
            or joined.count("-") != 2 * len(dates) or joined.encode("ascii", "replace").translate(None, _DATE_BYTES)):
        return False
    try:
        list(map(dt.date.fromisoformat, dates))
    except ValueError:
        return False
    return (not ",".join(kwh).encode("ascii", "replace").translate(None, _KWH_BYTES)
            and not "".join(status).encode("ascii", "replace").translate(None, _STATUS_BYTES))


def _day_frame(d: object) -> bool:
    """A day's keys, its date, 48 kWh fields and 48 statuses (their characters are checked apart)."""
    return (type(d) is dict and d.keys() == _DAY_KEYS and type(d["kwh"]) is str and d["kwh"].count(",") == SLOTS - 1
            and type(d["status"]) is str and len(d["status"]) == SLOTS and _is_date(d["date"]))


def _day_values(d: dict) -> bool:
    return (not d["kwh"].encode("ascii", "replace").translate(None, _KWH_BYTES)
            and not d["status"].encode("ascii", "replace").translate(None, _STATUS_BYTES))


def _is_date(value: object) -> bool:
    try:
        # YYYY-MM-DD only (fromisoformat also takes week dates such as 2026-W47-1)
        return (type(value) is str and len(value) == 10 and value.isascii() and value[4] == value[7] == "-"
                and (value[:4] + value[5:7] + value[8:]).isdigit() and dt.date.fromisoformat(value) is not None)
    except ValueError:
        return False


__all__ = [
    "UsageBatchInquiryRequest", "UsageBatchItem", "UsageBatchAnswer", "answer_problems",
    "UsagePasswordRequest", "UsagePasswordAnswer", "UsageDocument", "UsageReviewPage", "UsageReviewItem",
    "UsageReviewDetail", "ReviewPoint", "ReviewDocument", "UsageDecisionRequest", "UsageInquiryRequest",
    "UsageAnswer", "UsageMonth", "UsageDay", "day_kwh", "day_status", "DAY_KWH_PATTERN",
    "DAY_STATUS_PATTERN", "SLOTS", "MAX_POINTS", "MAX_DOCUMENTS", "MAX_DOCUMENT_BYTES", "VALIDITY_DAYS",
    "MONTHS",
]


class UsageIndexItem(BaseModel):
    """One retailer's usage password request as the hub's applications index holds it (no customer data):
    the first point as filed, the current stage, the applicant and when it was received."""
    model_config = ConfigDict(extra="forbid")
    application_no: str
    spid: str = Field(description="申請の最初の供給地点特定番号")
    stage: str
    applicant_code: str
    received_at: str


class UsageIndexPage(BaseModel):
    """A page of an area's retailer usage requests in application-number order (`after` = the last one seen)."""
    model_config = ConfigDict(extra="forbid")
    items: list[UsageIndexItem]
    next_after: str | None = Field(description="次のページの after（最後のページでは null）")
