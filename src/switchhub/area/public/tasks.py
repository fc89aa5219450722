"""Jobs of the public page, run by the area worker: the result mail of a customer's own request.

`public.sweep` (each worker round) finds filed public requests whose result mail has not gone
out and whose application is decided, and schedules `public.mail_result` once per application.
That job mails the password (taking it from the pickup column, which it clears: the customer's
mail is the one pickup) or the rejection, and marks the request mailed — all in the job's
transaction, so a failed send is retried with back-off and a sent mail is not sent again (a
crash between the SMTP answer and the commit is the one case that can send twice).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.public import filing, mail
from switchhub.area.public import repository as repo
from switchhub.config import Settings
from switchhub.db import jobs

MAIL_JOB = "public.mail_result"
KEEP_UNCONFIRMED = timedelta(days=7)
_SMTP: dict[str, mail.AreaSmtp] = {}


def configure(settings: Settings) -> None:
    """The worker's area SMTP settings (the jobs get only a connection, a payload and the time)."""
    _SMTP["smtp"] = mail.AreaSmtp.from_settings(settings)


async def sweep(conn: AsyncConnection, now: datetime) -> int:
    """Schedule the result mails; drop requests never confirmed a week after their link expired
    (their personal data is not kept) and rate buckets idle long enough to be full again."""
    await repo.purge_unconfirmed(conn, now - KEEP_UNCONFIRMED)
    await repo.purge_idle_buckets(conn, now - timedelta(days=2))
    scheduled = 0
    for application_no in await repo.unmailed_applications(conn):
        if await filing.decision_of(conn, application_no) is not None:
            await jobs.enqueue(conn, MAIL_JOB, application_no, now)
            scheduled += 1
    return scheduled


async def mail_result(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    application_no = payload["_key"]
    request = await repo.by_application(conn, application_no)
    decision = await filing.decision_of(conn, application_no)
    if request is None or request["result_mailed_at"] is not None or decision is None:
        return
    smtp = _SMTP.get("smtp") or mail.AreaSmtp.from_settings(Settings.from_env())
    spids = request["request"]["spids"]
    if decision.issued:
        password = await filing.take_password(conn, application_no, now)
        if password is None:  # picked up already (never by anyone but this job for a public request)
            await repo.mark_result_mailed(conn, request["id"], now)
            return
        msg = mail.password_issued(smtp, request["email"], application_no, password, decision.expires_at, spids)
    else:
        msg = mail.rejected(smtp, request["email"], application_no, decision.reason)
    await mail.send(smtp, msg)
    await repo.mark_result_mailed(conn, request["id"], now)


HANDLERS = {MAIL_JOB: mail_result}
