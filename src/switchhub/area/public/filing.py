"""The one place the public page meets the area's usage service (area/usage/service.py).

A confirmed request is filed as a type 08 request whose applicant is the customer itself
(`PublicApplicant`: origin "public", no applicant code, the customer's e-mail address kept with
the request), through the same `usage.request` path as a retailer's (field checks, automatic
verification or the T&D review queue, the review deadline and its jobs). No operator is its
applicant, so no retailer sees it or picks up its password and the hub notifies no retailer of
its result; its password is taken from the pickup column only by the result mail job (tasks.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.usage import repository as usage_repo
from switchhub.area.usage import service as usage
from switchhub.contract.usage import UsagePasswordRequest
from switchhub.kernel.clock import JST
from switchhub.kernel.codes import ApplicationStage as S
from switchhub.kernel.codes import UsageRejectReason

ACTOR = "public-page"


async def file_for_customer(conn: AsyncConnection, request: dict[str, Any], served: frozenset[str],
                            now: datetime) -> str:
    """File the checked form; the customer consents by filing it, so the consent date is today."""
    body = UsagePasswordRequest(
        spids=list(request["spids"]), validity_days=int(request["validity_days"]),
        customer_name_kana=request["customer_name_kana"], customer_name_kanji=request["customer_name_kanji"],
        address=request["address"], phone=request["phone"], consent_date=now.astimezone(JST).date())
    answer = await usage.request(conn, usage.PublicApplicant(request["email"], ACTOR), body, served, now)
    return answer["application_no"]


@dataclass(frozen=True)
class Decision:
    """What the result mail needs of a decided request."""
    issued: bool
    expires_at: Any = None
    reason: str = ""


async def decision_of(conn: AsyncConnection, application_no: str) -> Decision | None:
    """None while the request is undecided (received or under review)."""
    record = await usage_repo.get(conn, application_no[:2], application_no)
    if record is None:
        return None
    if record["stage"] == S.COMPLETED.value:
        return Decision(True, record["expires_at"])
    if record["stage"] == S.REJECTED.value:
        try:
            reason = UsageRejectReason(record["reason_code"]).ja
        except ValueError:
            reason = record["reason_code"]
        return Decision(False, reason=f"{reason}{'（' + record['note'] + '）' if record['note'] else ''}")
    return None


async def take_password(conn: AsyncConnection, application_no: str, now: datetime) -> str | None:
    """The issued password from its pickup column, which is cleared (None: gone already)."""
    return await usage_repo.take_pickup(conn, application_no[:2], application_no, now)
