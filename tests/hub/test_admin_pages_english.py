"""Issue 9: every administration page is Japanese first with English available (`?lang=en`).

Each page is fetched in English by a user of the role that may see it; the fixed texts (headings,
labels, table headings, buttons, notes, flash messages) must be English, and no Japanese character may
remain in the page's <main> apart from data: table cells, definition values, code, form values and
the CSV column names (the file's own Japanese headers) are data and are left out."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

from tests.hub.helpers import issue_tokens, web_login_reauthenticated

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
DATA_TAGS = {"td", "dd", "code", "textarea", "article", "script", "style"}
KNOWN_DATA = ("株式会社さくらでんき",)  # A0001's name in the test world, shown beside some headings
VOID = {"input", "br", "img", "meta", "link", "hr", "wbr", "source"}


class MainText(HTMLParser):
    """The text of <main> outside data elements (and outside elements of the given classes)."""

    def __init__(self, skip_classes: frozenset[str]) -> None:
        super().__init__()
        self.skip_classes, self.stack, self.parts, self.values = skip_classes, [], [], []
        self.in_main = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "main":
            self.in_main = True
        if tag == "input" and a.get("value"):
            self.values.append(a["value"])
        if tag in VOID:
            return
        skip = tag in DATA_TAGS or bool(set((a.get("class") or "").split()) & self.skip_classes)
        self.stack.append((tag, skip or (self.stack[-1][1] if self.stack else False)))

    def handle_endtag(self, tag):
        if tag == "main":
            self.in_main = False
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self.in_main and not (self.stack and self.stack[-1][1]):
            self.parts.append(data)


def main_text(html: str, skip_classes: frozenset[str] = frozenset()) -> str:
    p = MainText(skip_classes)
    p.feed(html)
    text = " ".join(" ".join(p.parts).split())
    for value in [*p.values, *KNOWN_DATA]:  # what the form shows back is data (an operator's name, a user's name)
        text = text.replace(" ".join(value.split()), "")
    return text


def assert_english(r, *expected: str, skip_classes: frozenset[str] = frozenset(), status: int = 200) -> str:
    assert r.status_code == status, r.text[:400]
    text = main_text(r.text, skip_classes)
    for phrase in expected:
        assert phrase in text, (phrase, text[:2000])
    leftover = sorted({m.group() for m in JAPANESE.finditer(text)})
    assert not leftover, (leftover, text[:2000])
    return text


@asynccontextmanager
async def web_as(stack, login_id: str):
    async with stack.client(login_id[:5].upper(), "web", token=None) as client:
        await web_login_reauthenticated(stack, client, login_id)
        yield client


async def test_occto_admin_operator_and_certificate_pages_in_english(stack):
    async with web_as(stack, "oc000-admin") as c:
        assert_english(await c.get("/admin/operators?lang=en"), "Operators", "Register an operator",
                       "Operator code", "Operator name", "Contact", "Status", "in total")
        assert_english(await c.get("/admin/operators?kind=retailer&status=active"), "Active")  # cookie: English
        assert_english(await c.get("/admin/operators/new"), "Register an operator",
                       "Operator code (5 capital letters or digits)", "Operator name (kanji)", "Contact phone",
                       "Incumbent retail areas (retailers only)", "Register")
        assert_english(await c.get("/admin/operators/A0001?done=changed"), "Operator details changed",
                       "This operator's certificates", "Change the operator's details",
                       "Reason (optional, kept in the audit record)", "Suspend", "Register the first administrator",
                       "Register the administrator", "User ID", "Name", "E-mail")
        assert_english(await c.get("/admin/certificates?done=registered"), "Client certificates",
                       "Certificate registered", "Purpose", "Subject", "Fingerprint (SHA-256)", "Expires",
                       "soonest expiry first")
        assert_english(await c.get("/admin/certificates/new"), "Register a client certificate",
                       "Certificate file", "or paste the PEM", "Areas (area systems only)", "Check the contents",
                       "Web terminal", "Area system")


async def test_api_repository_pages_in_english(stack):
    async with web_as(stack, "oc000-admin") as c:
        assert_english(await c.get("/api-repository?lang=en"), "API repository",
                       "Download the OpenAPI document (JSON)", "Manage operating information", "Maintenance",
                       "Interface versions", "Change log", "Interface", "Version", "Remarks", "Date", "Details")
        assert_english(await c.get("/admin/api-repository?done=deleted"), "Deleted", "New entry", "Kind",
                       "Title or interface (maintenance, version)", "Starts (maintenance, Japan time)",
                       "Date (change log)", "Body", "Register")


async def test_user_administration_and_totp_pages_in_english(stack):
    async with web_as(stack, "a0001-admin") as c:
        assert_english(await c.get("/admin/users?lang=en"), "Users", "User ID", "Role", "Status",
                       "matches — page 1")
        assert_english(await c.get("/admin/users/new"), "New user",
                       "The initial password is generated and shown once after registering")
        assert_english(await c.get("/admin/users/csv"), "Bulk users (CSV)", "Columns:", "At most",
                       "Validate", skip_classes=frozenset({"note-columns"}))
        assert_english(await c.get("/admin/users/a0001-api?done=suspend"), "Suspended", "API credentials")
        assert_english(await c.get("/me/totp"), "One-time password (TOTP)",
                       "required for administrators and helpdesk")


async def test_helpdesk_access_log_and_break_glass_pages_in_english(stack):
    async with web_as(stack, "oc000-helpdesk") as c:
        assert_english(await c.get("/helpdesk?kind=relays&lang=en"), "Helpdesk", "Relay no.", "Supply point ID",
                       "Operator code (new or current retailer)", "Registered from", "New retailer",
                       "Decision deadline", "matches — page 1")
        assert_english(await c.get("/helpdesk?kind=applications"), "Application no.",
                       "Applicant (operator code)", "Application type", "Received from", "Planned date")
        assert_english(await c.get("/helpdesk?kind=relays&from=2026-13-01"), "Dates are YYYY-MM-DD", status=422)
        assert_english(await c.get("/helpdesk/users/reset"), "Helpdesk password reset",
                       "Only users of an operator without an active administrator")
        assert_english(await c.get("/access-log"), "Access log", "newest first")
    token = (await issue_tokens(stack, "oc000-admin"))["oc000-admin"]
    now = datetime.now(timezone.utc)
    async with stack.client("OC000", token=token) as api:
        r = await api.post("/api/v1/breakglass-grants", json={
            "operator_code": "A0001", "users": ["a0001-api"], "field_classes": ["supplier"], "areas": ["03"],
            "disaster_title": "Heavy snow", "reason": "Contact checks for restoring supply",
            "starts_at": (now - timedelta(hours=1)).isoformat(), "ends_at": (now + timedelta(days=2)).isoformat()})
    assert r.status_code == 201, r.text
    async with web_as(stack, "oc000-admin") as c:
        listed = await c.get("/breakglass?lang=en")
        assert_english(listed, "Break-glass access", "Awaiting approval", "Approved", "Revoked (ended early)")
        assert "<td>Awaiting approval</td>" in listed.text and ">requested<" not in listed.text  # the row's status
        detail = await c.get(f"/breakglass/{r.json()['grant_id']}")
        assert_english(detail, "History", "Rule", "Reason code")
        assert '<dd id="bg-status">Awaiting approval</dd>' in detail.text


async def test_the_same_pages_stay_japanese_by_default(stack):
    async with web_as(stack, "oc000-admin") as c:
        operators = await c.get("/admin/operators?lang=ja")
        certificates = await c.get("/admin/certificates")
        grants = await c.get("/breakglass")
    assert "<th>事業者コード</th>" in operators.text and "<label>種別<select" in operators.text
    assert "<th>フィンガープリント (SHA-256)</th>" in certificates.text
    assert ">承認待ち</option>" in grants.text
