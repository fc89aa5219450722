"""Typed errors of the client: one class per problem status of api.md, carrying the problem+json fields.

The hub answers every failure as RFC 9457 problem+json (`type`, `title`, `detail`, `status`, `code`,
`errors[]` of field issues, `request_id`); a caller catches the class it can act on (`NotFound`,
`Conflict`, `InputError` …) and reads `code` / `errors` for the details, instead of parsing bodies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldIssue:
    """One field-level input problem (`errors[]`): the field path, a stable code, the message."""
    field: str
    code: str
    message: str


class SwitchhubClientError(Exception):
    """Anything the client raises on purpose."""


class TransportError(SwitchhubClientError):
    """The hub could not be reached (or kept failing) after the allowed retries."""


class ApiError(SwitchhubClientError):
    """A problem+json answer. Subclasses per status; `code` is the hub's stable machine code."""

    status: int = 0

    def __init__(self, status: int, problem: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.problem = problem
        self.type: str = str(problem.get("type", "about:blank"))
        self.title: str = str(problem.get("title", ""))
        self.detail: str = str(problem.get("detail", ""))
        self.code: str = str(problem.get("code", ""))
        self.request_id: str | None = problem.get("request_id")
        self.errors: list[FieldIssue] = [
            FieldIssue(str(e.get("field", "")), str(e.get("code", "")), str(e.get("message", "")))
            for e in problem.get("errors") or [] if isinstance(e, dict)]
        self.headers = dict(headers or {})
        super().__init__(f"{status} {self.code}: {self.detail or self.title}")

    def issue(self, field: str) -> FieldIssue | None:
        """The issue naming `field`, if any."""
        return next((e for e in self.errors if e.field == field), None)


class BadRequest(ApiError):
    status = 400


class Unauthenticated(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    """Absent or not yours: the hub answers both the same."""
    status = 404


class Conflict(ApiError):
    """A business conflict (state checks, api.md 409)."""
    status = 409


class PayloadTooLarge(ApiError):
    status = 413


class InputError(ApiError):
    """Bad input (422) with `errors[]` naming the fields."""
    status = 422


class RateLimited(ApiError):
    """429 that outlasted the client's retries; `retry_after` is the hub's last Retry-After."""
    status = 429

    @property
    def retry_after(self) -> float | None:
        return parse_retry_after(self.headers.get("retry-after"))


class AreaUnavailable(ApiError):
    status = 503


class AreaTimeout(ApiError):
    status = 504


class ServerError(ApiError):
    """Any other status (5xx): a bug or an outage on the hub's side."""


BY_STATUS: dict[int, type[ApiError]] = {
    cls.status: cls for cls in (BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, PayloadTooLarge,
                                InputError, RateLimited, AreaUnavailable, AreaTimeout)}


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (the hub sends delta-seconds; an HTTP date is not used by it)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def error_for(status: int, body: Any, headers: dict[str, str] | None = None) -> ApiError:
    """The typed error of an answer; a body that is no problem object still gives status and text."""
    problem = body if isinstance(body, dict) else {"detail": str(body or "")[:500]}
    return BY_STATUS.get(status, ServerError)(status, problem, headers)
