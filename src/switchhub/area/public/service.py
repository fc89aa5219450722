"""A customer's own usage password request (P2, "on a public page of the T&D"): the use cases.

Form → checks (field-level, Japanese first; nothing is stored on bad input) → a pending request
and a one-time confirmation link by e-mail (a random token; only its SHA-256 is stored; 24 hours)
→ opening the link files a type 08 request whose applicant is the customer itself, through the
area's usage service (automatic verification or the T&D review queue) → the password (or the
rejection) is e-mailed once (tasks.py).

Rate limits (token buckets in PostgreSQL, so they hold across processes and restarts):
ADDRESS_LIMIT form posts per client address (burst 10, 10 per hour), EMAIL_LIMIT confirmation
mails per e-mail address (burst 3, 3 per day). Services never commit; the views own transactions.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.applications import repository as points
from switchhub.area.public import repository as repo
from switchhub.kernel.errors import Conflict, FieldIssue, InputError, IssueCollector, NotFound, RateLimited
from switchhub.kernel.spid import parse_spid
from switchhub.kernel.text import validate_phone

TOKEN_TTL = timedelta(hours=24)
MAX_POINTS = 20
VALIDITY_DAYS = (1, 7, 31)


@dataclass(frozen=True)
class Limit:
    burst: int
    per_second: float


ADDRESS_LIMIT = Limit(10, 10 / 3600)
EMAIL_LIMIT = Limit(3, 3 / 86400)

_KANA = re.compile(r"[ァ-ヶー・\u3000 ]+")
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+")


@dataclass(frozen=True)
class PublicRequest:
    """A checked form: what the confirmation link files."""
    spids: list[str]
    validity_days: int
    customer_name_kana: str
    customer_name_kanji: str
    address: str
    phone: str
    email: str

    @property
    def area(self) -> str:
        return self.spids[0][:2]

    def as_dict(self) -> dict[str, Any]:
        return {"spids": self.spids, "validity_days": self.validity_days,
                "customer_name_kana": self.customer_name_kana, "customer_name_kanji": self.customer_name_kanji,
                "address": self.address, "phone": self.phone, "email": self.email}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def split_spids(raw: str) -> list[str]:
    """Spids as typed: one a line, or separated by commas, spaces (full-width too)."""
    return [s for s in re.split(r"[\s,、，]+", unicodedata.normalize("NFKC", raw or "")) if s]


def _text(issues: IssueCollector, form: dict[str, str], name: str, label_ja: str, label_en: str,
          max_length: int) -> str:
    value = unicodedata.normalize("NFKC", form.get(name, "")).strip()
    if not value:
        issues.add(name, "required", f"{label_ja}を入力してください", f"Enter the {label_en}")
    elif len(value) > max_length:
        issues.add(name, "too_long", f"{label_ja}は{max_length}文字以内で入力してください",
                   f"The {label_en} must be at most {max_length} characters")
    return value


def _check_spids(issues: IssueCollector, raw: str) -> list[str]:
    given = split_spids(raw)
    if not given:
        issues.add("spids", "spid_required", "供給地点特定番号を入力してください", "Enter the supply point ID")
        return []
    if len(given) > MAX_POINTS:
        issues.add("spids", "too_many", f"供給地点特定番号は{MAX_POINTS}件までです（{len(given)}件）",
                   f"At most {MAX_POINTS} supply point IDs ({len(given)} given)")
        return []
    spids: list[str] = []
    for n, raw_spid in enumerate(given, start=1):
        try:
            spid = parse_spid(raw_spid, "spids")
        except InputError as exc:
            issues.extend([FieldIssue("spids", e.code, f"{n}件目: {e.message_ja}", f"#{n}: {e.message_en}")
                           for e in exc.errors])
            continue
        if spid in spids:
            issues.add("spids", "duplicate", f"{n}件目: 同じ供給地点特定番号が重複しています（{spid}）",
                       f"#{n}: duplicate supply point ID ({spid})")
        spids.append(spid)
    if len({s[:2] for s in spids}) > 1:
        issues.add("spids", "one_area", "一度に申請できるのは同じエリアの供給地点のみです",
                   "All supply points must be in one area")
    return spids


def check_form(form: dict[str, str]) -> PublicRequest:
    """Every field checked, every problem reported next to its field (InputError)."""
    issues = IssueCollector()
    spids = _check_spids(issues, form.get("spids", ""))
    validity = form.get("validity_days", "").strip()
    if validity not in {str(v) for v in VALIDITY_DAYS}:
        issues.add("validity_days", "invalid_code", "有効期間は 1日・7日・31日 から選択してください",
                   "Choose a validity of 1, 7 or 31 days")
    kana = _text(issues, form, "customer_name_kana", "氏名（カナ）", "name in kana", 80)
    if kana and not _KANA.fullmatch(kana):
        issues.add("customer_name_kana", "kana_only", "氏名（カナ）は全角カタカナで入力してください",
                   "Write the kana name in katakana")
    kanji = _text(issues, form, "customer_name_kanji", "氏名（漢字）", "name", 80)
    address = _text(issues, form, "address", "住所", "address", 200)
    phone = ""
    try:
        phone = validate_phone(form.get("phone", ""), "phone")
    except InputError as exc:
        issues.extend(exc.errors)
    email = unicodedata.normalize("NFKC", form.get("email", "")).strip()
    if not email:
        issues.add("email", "required", "メールアドレスを入力してください", "Enter your e-mail address")
    elif len(email) > 254 or not email.isascii() or not _EMAIL.fullmatch(email):
        issues.add("email", "email_format", "メールアドレスの形式が正しくありません", "The e-mail address is not valid")
    if form.get("consent") != "yes":
        issues.add("consent", "consent_required", "使用量情報の照会に同意いただける場合はチェックを入れてください",
                   "Tick the box to consent to the usage inquiry")
    issues.raise_if_any()
    local, _, domain = email.rpartition("@")
    return PublicRequest(spids, int(validity), kana, kanji, address, phone, f"{local}@{domain.lower()}")


async def check_points(conn: AsyncConnection, req: PublicRequest, today: date) -> None:
    """Each point exists and is low voltage (the public page is for low-voltage customers only)."""
    issues = IssueCollector()
    for n, spid in enumerate(req.spids, start=1):
        point = await points.point_state(conn, spid[:2], spid, today)
        if point is None:
            issues.add("spids", "point_not_found", f"{n}件目: 供給地点特定番号 {spid} の供給地点はありません",
                       f"#{n}: no supply point {spid}")
        elif point["channel"] != "low":
            issues.add("spids", "low_voltage_only",
                       f"{n}件目: {spid} は低圧の供給地点ではありません。高圧の需要者は小売電気事業者を通じて申請してください",
                       f"#{n}: {spid} is not a low-voltage point; high-voltage customers apply through their retailer")
    issues.raise_if_any()


async def take_address_token(conn: AsyncConnection, client_addr: str, now: datetime) -> None:
    if not await repo.take_token(conn, f"addr:{client_addr}", ADDRESS_LIMIT.burst, ADDRESS_LIMIT.per_second, now):
        raise RateLimited("申請の送信が多すぎます。しばらく時間をおいてから再度お試しください",
                          "Too many requests from your address; please try again later",
                          headers={"Retry-After": str(int(1 / ADDRESS_LIMIT.per_second))})


async def submit(conn: AsyncConnection, req: PublicRequest, client_addr: str, now: datetime) -> tuple[str, datetime]:
    """Store the pending request; returns the confirmation token (to mail, never stored) and its expiry."""
    if not await repo.take_token(conn, f"mail:{req.email.lower()}", EMAIL_LIMIT.burst, EMAIL_LIMIT.per_second, now):
        raise RateLimited("このメールアドレスへの確認メールの送信が多すぎます。明日以降に再度お試しください",
                          "Too many confirmation mails to this address; please try again tomorrow",
                          headers={"Retry-After": str(int(1 / EMAIL_LIMIT.per_second))})
    token = secrets.token_urlsafe(32)
    expires = now + TOKEN_TTL
    await repo.insert_pending(conn, area=req.area, email=req.email, token_hash=token_hash(token),
                              request=req.as_dict(), client_addr=client_addr[:45], created_at=now, expires_at=expires)
    return token, expires


def _link_refused() -> NotFound:
    return NotFound("このリンクは無効です。お手数ですが、もう一度申請してください",
                    "This link is not valid; please apply again", code="link_invalid")


async def pending_of(conn: AsyncConnection, token: str, now: datetime) -> dict[str, Any]:
    """The pending request of a link (locked), refusing unknown and expired links."""
    if not token or len(token) > 100:
        raise _link_refused()
    row = await repo.by_token_hash(conn, token_hash(token))
    if row is None:
        raise _link_refused()
    if row["confirmed_at"] is None and row["expires_at"] <= now:
        raise Conflict("このリンクの有効期限（24時間）が切れています。お手数ですが、もう一度申請してください",
                       "This link has expired (24 hours); please apply again", code="link_expired")
    return row


@dataclass(frozen=True)
class Confirmed:
    application_no: str
    filed_now: bool  # False: the link had been opened before (it files once)


async def confirm(conn: AsyncConnection, token: str, served: frozenset[str], now: datetime) -> Confirmed:
    """Open a confirmation link: the first time files the request (type 08, the customer as the
    applicant); a second opening files nothing and names the application filed the first time."""
    from switchhub.area.public import filing

    row = await pending_of(conn, token, now)
    if row["application_no"]:
        return Confirmed(row["application_no"], False)
    application_no = await filing.file_for_customer(conn, row["request"], served, now)
    await repo.mark_filed(conn, row["id"], application_no, now)
    return Confirmed(application_no, True)
