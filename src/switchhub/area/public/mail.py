"""The public page's mails (Japanese, plain text), sent over SMTP with the area's own settings.

The confirmation mail is sent inside the transaction that stores the pending request, so a mail
server that refuses it leaves nothing stored and the customer sees an error page at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import aiosmtplib

from switchhub.config import Settings
from switchhub.kernel.clock import JST

SIGNATURE = ["", "--", "一般送配電事業者 使用量情報照会窓口（switchhub）",
             "このメールに心当たりがない場合は、破棄してください。"]


@dataclass(frozen=True)
class AreaSmtp:
    host: str
    port: int
    sender: str

    @classmethod
    def from_settings(cls, settings: Settings) -> "AreaSmtp":
        return cls(settings.area_smtp_host, settings.area_smtp_port, settings.area_mail_from)


def _jst(when: datetime) -> str:
    return when.astimezone(JST).strftime("%Y年%m月%d日 %H:%M")


def _message(smtp: AreaSmtp, to: str, subject: str, lines: list[str]) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = smtp.sender, to, subject
    msg.set_content("\n".join(lines + SIGNATURE), charset="utf-8")
    return msg


def confirmation(smtp: AreaSmtp, to: str, link: str, expires: datetime, spids: list[str]) -> EmailMessage:
    return _message(smtp, to, "【使用量情報照会】メールアドレスの確認のお願い", [
        "使用量情報照会パスワードの申請を受け付けるため、メールアドレスの確認をお願いします。",
        "次のリンクを開くと申請が確定します（1回のみ有効）。", "", link, "",
        f"リンクの有効期限: {_jst(expires)}", f"供給地点特定番号: {', '.join(spids)}"])


def password_issued(smtp: AreaSmtp, to: str, application_no: str, password: str, expires_at: Any,
                    spids: list[str]) -> EmailMessage:
    until = _jst(expires_at) if isinstance(expires_at, datetime) else str(expires_at or "")
    return _message(smtp, to, "【使用量情報照会】パスワードを発行しました", [
        "ご本人確認ができましたので、使用量情報照会パスワードを発行しました。", "",
        f"パスワード: {password}", f"有効期限: {until}", f"申込番号: {application_no}",
        f"供給地点特定番号: {', '.join(spids)}", "",
        "このパスワードを小売電気事業者にお伝えいただくと、有効期限まで使用量情報を照会できます。",
        "パスワードはこのメールでのみお知らせします（再送はできません）。"])


def rejected(smtp: AreaSmtp, to: str, application_no: str, reason: str) -> EmailMessage:
    return _message(smtp, to, "【使用量情報照会】申請をお受けできませんでした", [
        "ご本人確認ができなかったため、使用量情報照会パスワードの申請をお受けできませんでした。", "",
        f"申込番号: {application_no}", f"理由: {reason}", "",
        "お手数ですが、ご契約の内容（氏名・住所）をご確認のうえ、あらためて申請してください。"])


async def send(smtp: AreaSmtp, msg: EmailMessage) -> None:
    await aiosmtplib.send(msg, hostname=smtp.host, port=smtp.port, timeout=10)
