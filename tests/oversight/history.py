"""A generated audit history for the anomaly analysis and the statistics: many normal users of several
operators over five weeks, plus exactly one planted case of each finding kind (`PLANTED`).

Normal behaviour (what the thresholds of docs/security.md must tolerate): a retailer's user looks up
5–9 points a business day between 09:00 and 17:00 JST and files an application for most of them
within a few days; usage inquiries in business hours, and at most two in the evening in a week;
users work from one to three of their operator's terminals (certificates). T&D staff look up
more points (their own norm) and never apply. One T&D user has an `alert.visibility` record (a T&D,
not the retail side: no finding).
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import text

from switchhub.kernel.calendar import is_business_day
from switchhub.kernel.clock import JST

DAY = date(2026, 11, 24)  # the analysed day: the window is 11-17 … 11-23 (11-23 勤労感謝の日 is a holiday)
FIRST = date(2026, 10, 19)
RETAILERS = ("A0001", "A0002", "A0003")
TSO = "T0300"
PLANTED = {
    ("lookup_volume", "A0001", "a0001-heavy"),
    ("lookup_without_application", "A0002", "a0002-browse"),
    ("usage_off_hours", "A0002", "a0002-night"),
    ("many_certificates", "A0001", "a0001-shared"),
    ("retail_tso_access", "A0002", "a0002-peek"),
}


def fp(tag: str) -> str:
    return (tag.encode().hex() * 64)[:64]


class History:
    def __init__(self, seed: int = 9) -> None:
        self.rnd = random.Random(seed)
        self.audit: list[dict] = []
        self.apps: list[dict] = []
        self.spid_no = 0

    def spid(self, area: str = "03") -> str:
        self.spid_no += 1
        return f"{area}{self.spid_no:020d}"

    def at(self, d: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(d, time(hour, minute), JST)

    def record(self, when: datetime, op: str, user: str, action: str, spids: list[str], cert: str, **kw) -> None:
        self.audit.append({"at": when, "operator_code": op, "user_login": user, "cert_fingerprint": cert,
                           "action": action, "resource_type": kw.pop("resource_type", "supply_point"),
                           "resource_ids": spids, "item_count": len(spids), "outcome": kw.pop("outcome", "ok"),
                           "purpose": kw.pop("purpose", "switching"), "detail": json.dumps(kw.pop("detail", {}))})

    def application(self, when: datetime, op: str, spid: str, type_: str = "05") -> None:
        no = f"{spid[:2]}X{len(self.apps):08d}"
        self.apps.append({"application_no": no, "area": spid[:2], "spid": spid, "type": type_, "stage": "01",
                          "applicant_code": op, "received_at": when, "updated_at": when})

    def business_days(self, until: date = DAY):
        d = FIRST
        while d < until:
            if is_business_day(d):
                yield d
            d += timedelta(days=1)


def generate() -> History:
    h = History()
    r = h.rnd
    for op in RETAILERS:
        certs = [fp(f"{op}-web-{i}") for i in range(3)]
        for n in range(1, 9):
            user = f"{op.lower()}-n{n:02d}"
            mine = certs[: 1 + n % 3]
            for d in h.business_days():
                for _ in range(r.randint(5, 9)):
                    s = h.spid(r.choice(("03", "04", "06")))
                    h.record(h.at(d, r.randint(9, 16), r.randint(0, 59)), op, user, "web.supply_point.lookup", [s],
                             r.choice(mine))
                    if r.random() < 0.7:
                        h.application(h.at(d, 16, 30) + timedelta(days=r.randint(0, 5)), op, s,
                                      r.choice(("05", "05", "05", "04", "03")))
                for _ in range(r.randint(0, 2)):
                    h.record(h.at(d, r.randint(9, 16), r.randint(0, 59)), op, user, "web.usage.query", [h.spid()],
                             r.choice(mine), purpose="usage_inquiry")
            for d in (date(2026, 11, 18), date(2026, 11, 19)):  # a late evening or two is normal
                h.record(h.at(d, 18, 30), op, user, "web.usage.query", [h.spid()], mine[0], purpose="usage_inquiry")
    tso_certs = [fp("T0300-web-0"), fp("T0300-web-1")]
    for n in range(1, 6):
        user = f"t0300-n{n:02d}"
        for d in h.business_days():
            for _ in range(r.randint(20, 40)):
                h.record(h.at(d, r.randint(9, 16)), TSO, user, "web.supply_point.lookup", [h.spid()],
                         tso_certs[n % 2])
    h.record(h.at(date(2026, 11, 19), 11), TSO, "t0300-n01", "alert.visibility.restricted_field", [h.spid()],
             tso_certs[1], outcome="stripped")
    _plant(h)
    return h


def _plant(h: History) -> None:
    r = h.rnd
    # (a) 1,500 points in the window through batch lookups (operator A0001's median is about 35)
    for d in (date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 19)):
        for k in range(5):
            h.record(h.at(d, 10 + k), "A0001", "a0001-heavy", "api.supply_point.batch_get",
                     [h.spid() for _ in range(100)], fp("A0001-api-0"))
    # (b) 120 points looked up in the follow window (11-03 … 11-09), not one applied for
    for d in (date(2026, 11, 4), date(2026, 11, 5), date(2026, 11, 6)):
        for _ in range(40):
            h.record(h.at(d, r.randint(9, 16)), "A0002", "a0002-browse", "web.supply_point.lookup", [h.spid()],
                     fp("A0002-web-0"))
    # (c) usage inquiries on the holiday (in office hours) and at night: 10 > 5
    for k in range(6):
        h.record(h.at(date(2026, 11, 23), 11, k), "A0002", "a0002-night", "web.usage.query", [h.spid()],
                 fp("A0002-web-1"), purpose="usage_inquiry")
    for k in range(4):
        h.record(h.at(date(2026, 11, 18), 22, k), "A0002", "a0002-night", "web.usage.query", [h.spid()],
                 fp("A0002-web-1"), purpose="usage_inquiry")
    # (d) one user ID from five certificates
    for k in range(5):
        h.record(h.at(date(2026, 11, 18), 10 + k), "A0001", "a0001-shared", "web.supply_point.lookup", [h.spid()],
                 fp(f"A0001-stray-{k}"))
    # (e) a retailer's user refused the T&D's usage review list
    h.record(h.at(date(2026, 11, 20), 14), "A0002", "a0002-peek", "auth.refused", [], fp("A0002-web-0"),
             resource_type="", outcome="permission_denied",
             detail={"path": "/usage/reviews", "permission": "hub:usage:review:read"})


AUDIT_INSERT = text(
    "INSERT INTO audit_records (at, operator_code, user_login, cert_fingerprint, action, resource_type, resource_ids,"
    " item_count, outcome, purpose, detail) VALUES (:at, :operator_code, :user_login, :cert_fingerprint, :action,"
    " :resource_type, :resource_ids, :item_count, :outcome, :purpose, CAST(:detail AS jsonb))")
APP_INSERT = text(
    "INSERT INTO applications_index (application_no, area, spid, type, stage, applicant_code, received_at,"
    " updated_at) VALUES (:application_no, :area, :spid, :type, :stage, :applicant_code, :received_at, :updated_at)")


async def load(engine, h: History) -> None:
    async with engine.begin() as conn:
        await conn.execute(AUDIT_INSERT, h.audit)
        if h.apps:
            await conn.execute(APP_INSERT, h.apps)
