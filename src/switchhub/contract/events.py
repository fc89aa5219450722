"""Area → hub events (`POST /internal/v1/area-events`): every kind with its typed payload.

The area writes them to its transactional outbox with `Event.payload_of`, so nothing leaves
the area that the contract does not name; the hub validates each payload by its kind and
dispatches it through a table (hub/inbox). Unknown kinds are refused by the hub.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from switchhub.contract.metering import FileType

AREA = r"^(0[1-9]|10)$"


class EventKind(str, Enum):
    APPLICATION_STAGE_CHANGED = "application.stage_changed"
    SWITCH_MATCHED = "switch.matched"
    SWITCH_MATCH_FAILED = "switch.match_failed"
    SWITCH_COMPLETED = "switch.completed"
    SWITCH_WITHDRAWN = "switch.withdrawn"
    USAGE_PASSWORD_ISSUED = "usage.password_issued"
    USAGE_PASSWORD_REJECTED = "usage.password_rejected"
    USAGE_REVIEW_DUE = "usage.review_due"
    USAGE_REVIEW_OVERDUE = "usage.review_overdue"
    METERING_FILE_PUBLISHED = "metering.file_published"

    __str__ = str.__str__


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StageChanged(_Payload):
    """One stage change of one application (the feed entry, pushed)."""
    application_no: str
    type: str
    spid: str
    applicant_code: str
    from_stage: str | None
    to_stage: str
    rule: str
    reason_code: str = ""
    relay_no: str | None = None
    requested_date: str = ""


class SwitchMatched(_Payload):
    spid: str
    switch_date: str
    relay_no: str | None = None
    start_no: str
    end_no: str
    new_retailer: str
    current_retailer: str


class SwitchMatchFailed(_Payload):
    spid: str
    relay_no: str | None = None
    application_no: str
    reason_code: str


class SwitchCompleted(_Payload):
    spid: str
    switch_date: str
    relay_no: str | None = None
    start_no: str
    end_no: str


class SwitchWithdrawn(_Payload):
    spid: str
    relay_no: str | None = None
    requested_by: str
    reason: str
    parties: list[str | None]


class UsagePasswordIssued(_Payload):
    """To the applicant: its usage password is issued (never the password itself: it is picked up
    once through the status answer)."""
    application_no: str
    applicant_code: str | None = None  # None: the customer's own request (public page), for no operator
    spids: list[str]
    verification: str
    issued_at: str
    expires_at: str


class UsagePasswordRejected(_Payload):
    """To the applicant: its request is rejected (applicant_code None: the customer's own request)."""
    application_no: str
    applicant_code: str | None = None
    spids: list[str]
    reason_code: str
    note: str = ""


class UsageReviewDue(_Payload):
    """To the area's T&D: a request under review reaches its deadline (the next business day)."""
    application_no: str
    area: str
    review_deadline: str


class UsageReviewOverdue(_Payload):
    """To the area's T&D: a request under review passed its deadline undecided."""
    application_no: str
    area: str
    review_deadline: str


class MeteringFilePublished(_Payload):
    """A metering file (or a new revision of one) is ready for its retailer (contract/metering.py)."""
    file_id: str
    area: str
    retailer_code: str
    type: FileType
    target_date: str | None = None
    target_month: str | None = None
    slot_time: str | None = None
    sequence: int = 1
    revision: int
    name: str
    position: int
    supersedes: str | None = None
    # what the hub's download list shows next to the name (optional: older senders leave them out)
    points: int | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    operation_mode: str | None = None
    created_at: str | None = None


PAYLOADS: dict[EventKind, type[_Payload]] = {
    EventKind.APPLICATION_STAGE_CHANGED: StageChanged,
    EventKind.SWITCH_MATCHED: SwitchMatched,
    EventKind.SWITCH_MATCH_FAILED: SwitchMatchFailed,
    EventKind.SWITCH_COMPLETED: SwitchCompleted,
    EventKind.SWITCH_WITHDRAWN: SwitchWithdrawn,
    EventKind.USAGE_PASSWORD_ISSUED: UsagePasswordIssued,
    EventKind.USAGE_PASSWORD_REJECTED: UsagePasswordRejected,
    EventKind.USAGE_REVIEW_DUE: UsageReviewDue,
    EventKind.USAGE_REVIEW_OVERDUE: UsageReviewOverdue,
    EventKind.METERING_FILE_PUBLISHED: MeteringFilePublished,
}


def kind_of(payload: _Payload) -> EventKind:
    for kind, model in PAYLOADS.items():
        if type(payload) is model:
            return kind
    raise TypeError(f"not a contract event payload: {type(payload).__name__}")


class AreaEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int
    area: str = Field(pattern=AREA)
    kind: EventKind
    payload: dict[str, Any]

    def typed(self) -> _Payload:
        return PAYLOADS[self.kind].model_validate(self.payload)


class AreaEventBatch(BaseModel):
    events: list[AreaEvent] = Field(max_length=1000)
