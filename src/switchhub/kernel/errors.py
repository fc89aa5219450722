"""Typed errors with stable codes, rendered as RFC 9457 problem+json by the apps.

Every error carries a Japanese and an English text; input errors carry one
`FieldIssue` per offending field so that API, Web forms, CSV reports and the CLI
can all name the field (Standards: "field-level Japanese error").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldIssue:
    """One problem with one input field."""

    field: str
    code: str
    message_ja: str
    message_en: str

    def as_dict(self, lang: str = "ja") -> dict[str, str]:
        return {
            "field": self.field,
            "code": self.code,
            "message": self.message_en if lang == "en" else self.message_ja,
        }


RESERVED_MEMBERS = frozenset({"type", "status", "title", "detail", "code", "errors", "request_id"})


class SwitchhubError(Exception):
    """Base class: HTTP status, stable machine code and bilingual title/detail."""

    status: int = 500
    code: str = "internal_error"
    title_ja: str = "内部エラーが発生しました"
    title_en: str = "Internal error"

    def __init__(
        self,
        detail_ja: str | None = None,
        detail_en: str | None = None,
        *,
        code: str | None = None,
        errors: list[FieldIssue] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.detail_ja = detail_ja or self.title_ja
        self.detail_en = detail_en or self.title_en
        if code:
            self.code = code
        self.errors: list[FieldIssue] = list(errors or [])
        self.extra: dict[str, Any] = dict(extra or {})
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(f"{self.code}: {self.detail_en}")

    def problem(self, lang: str = "ja", request_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://switchhub.example/problems/{self.code}",
            "status": self.status,
            "title": self.title_en if lang == "en" else self.title_ja,
            "detail": self.detail_en if lang == "en" else self.detail_ja,
            "code": self.code,
        }
        if self.errors:
            body["errors"] = [e.as_dict(lang) for e in self.errors]
        if request_id:
            body["request_id"] = request_id
        # extra members never replace the RFC 9457 ones: `status` is always the HTTP status
        body.update({k: v for k, v in self.extra.items() if k not in RESERVED_MEMBERS})
        return body


class InputError(SwitchhubError):
    status = 422
    code = "invalid_input"
    title_ja = "入力内容に誤りがあります"
    title_en = "The input is invalid"

    @classmethod
    def single(cls, field_name: str, code: str, message_ja: str, message_en: str) -> "InputError":
        issue = FieldIssue(field_name, code, message_ja, message_en)
        return cls(message_ja, message_en, errors=[issue])


class BadRequest(InputError):
    status = 400
    code = "bad_request"


class Unauthenticated(SwitchhubError):
    status = 401
    code = "unauthenticated"
    title_ja = "認証が必要です"
    title_en = "Authentication required"


class Forbidden(SwitchhubError):
    status = 403
    code = "forbidden"
    title_ja = "この操作は許可されていません"
    title_en = "This operation is not permitted"


class NotFound(SwitchhubError):
    """Used for both "absent" and "not yours" so the two cannot be told apart."""

    status = 404
    code = "not_found"
    title_ja = "該当するデータがありません"
    title_en = "Not found"


class MethodNotAllowed(SwitchhubError):
    status = 405
    code = "method_not_allowed"
    title_ja = "このメソッドは使用できません"
    title_en = "Method not allowed"


class PayloadTooLarge(SwitchhubError):
    status = 413
    code = "payload_too_large"
    title_ja = "リクエストが大きすぎます"
    title_en = "The request is too large"


class Conflict(SwitchhubError):
    status = 409
    code = "conflict"
    title_ja = "現在の状態ではこの操作はできません"
    title_en = "The operation conflicts with the current state"


class RateLimited(SwitchhubError):
    status = 429
    code = "rate_limited"
    title_ja = "リクエストが多すぎます。しばらくしてから再度お試しください"
    title_en = "Too many requests"


class AreaUnavailable(SwitchhubError):
    status = 503
    code = "area_unavailable"
    title_ja = "一般送配電事業者のシステムに接続できません"
    title_en = "The area system is unavailable"


class Collided(SwitchhubError):
    """PostgreSQL ended the request's transaction to resolve a deadlock or a serialization conflict
    with another one: nothing was committed, and the same request again will normally pass."""
    status = 503
    code = "transaction_collided"
    title_ja = "同時に処理された別の要求と競合したため、処理を取り消しました。もう一度お試しください"
    title_en = "The request collided with another one being processed and was rolled back; send it again"


class AreaTimeout(SwitchhubError):
    status = 504
    code = "area_timeout"
    title_ja = "一般送配電事業者のシステムから応答がありません"
    title_en = "The area system did not answer in time"


@dataclass
class IssueCollector:
    """Collects field issues during validation and raises them together."""

    issues: list[FieldIssue] = field(default_factory=list)

    def add(self, field_name: str, code: str, message_ja: str, message_en: str) -> None:
        self.issues.append(FieldIssue(field_name, code, message_ja, message_en))

    def extend(self, issues: list[FieldIssue]) -> None:
        self.issues.extend(issues)

    def raise_if_any(self) -> None:
        if self.issues:
            first = self.issues[0]
            raise InputError(first.message_ja, first.message_en, errors=list(self.issues))
