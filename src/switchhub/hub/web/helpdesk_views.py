"""OCCTO helpdesk pages (issue 9): search relays and applications across operators, withdraw a stale
relay with a reason. Both searches call the services of the operators' own lists; which rows and
fields the helpdesk sees ("masked as for a T&D") is decided by `kernel.visibility` (relay_scope /
relay_grant, application_scope), never here. The withdrawal is the existing service action."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from switchhub.hub.accounts.service import WebUser
from switchhub.hub.applications import list_service
from switchhub.hub.deps import tx
from switchhub.hub.relays import service as relays
from switchhub.hub.web.render import error_texts, lang_of, msg, render
from switchhub.hub.web.session import read_form, web_actor, web_admin
from switchhub.kernel.clock import get_clock
from switchhub.kernel.codes import ApplicationStage, ApplicationType, RelayStatus
from switchhub.kernel.errors import InputError
from switchhub.kernel.spid import parse_spid

router = APIRouter(include_in_schema=False)
PER_PAGE = 20
RELAY_FILTERS = ("relay_no", "spid", "operator", "status", "from", "to")
APP_FILTERS = ("application_no", "spid", "operator", "type", "stage", "from", "to")


def _q(request: Request, keys: tuple[str, ...]) -> dict[str, str]:
    return {k: str(request.query_params.get(k, "")).replace("\x00", "").strip()[:40] for k in keys}


def _dates(q: dict[str, str], lang: str, errors: dict[str, str]) -> dict[str, date | None]:
    out: dict[str, date | None] = {}
    for k in ("from", "to"):
        try:
            out[k] = date.fromisoformat(q[k]) if q[k] else None
        except ValueError:
            out[k] = None
            errors[k] = msg("date_format", lang)
    return out


def _page(request: Request) -> int:
    try:
        return max(1, min(10000, int(request.query_params.get("page", "1"))))
    except ValueError:
        return 1


async def _relays(request: Request, user: WebUser, q: dict[str, str], page: int, lang: str
                  ) -> tuple[dict, dict[str, str]]:
    errors: dict[str, str] = {}
    dates = _dates(q, lang, errors)
    empty = {"total": 0, "page": page, "per_page": PER_PAGE, "items": []}
    if q["status"] and q["status"] not in {s.value for s in RelayStatus}:
        errors["status"] = msg("unknown_status", lang)
    try:
        spid = parse_spid(q["spid"]) if q["spid"] else ""
    except InputError as exc:
        errors.update(error_texts(exc, lang)[0])
        spid = ""
    if errors:
        return empty, errors
    filters = {"relay_no": q["relay_no"].upper(), "spid": spid, "party_code": q["operator"].upper(),
               "status": q["status"], "registered_from": dates["from"], "registered_to": dates["to"]}
    try:
        async with tx(request) as conn:
            return await relays.listing(conn, web_actor(request, user), "new", filters, page, PER_PAGE), {}
    except InputError as exc:
        return empty, error_texts(exc, lang)[0]


async def _applications(request: Request, user: WebUser, q: dict[str, str], page: int, lang: str
                        ) -> tuple[dict, dict[str, str]]:
    errors: dict[str, str] = {}
    dates = _dates(q, lang, errors)
    empty = {"total": 0, "page": page, "per_page": PER_PAGE, "items": []}
    if errors:
        return empty, errors
    query = list_service.ApplicationQuery(type=q["type"], stage=q["stage"], spid=q["spid"], applicant=q["operator"],
                                          application_no=q["application_no"], received_from=dates["from"],
                                          received_to=dates["to"])
    try:
        async with tx(request) as conn:
            return await list_service.search(conn, web_actor(request, user), query, page, PER_PAGE), {}
    except InputError as exc:
        return empty, error_texts(exc, lang)[0]


@router.get("/helpdesk")
async def helpdesk(request: Request, user: WebUser = Depends(web_admin("hub:relays:helpdesk"))) -> Response:
    lang = lang_of(request)
    kind = "applications" if request.query_params.get("kind") == "applications" else "relays"
    page = _page(request)
    q = _q(request, APP_FILTERS if kind == "applications" else RELAY_FILTERS)
    searched = any(q.values()) or "kind" in request.query_params
    result, errors = {"total": 0, "page": page, "per_page": PER_PAGE, "items": []}, {}
    if searched:
        result, errors = await (_applications if kind == "applications" else _relays)(request, user, q, page, lang)
    pages = range(1, min(500, (result["total"] + PER_PAGE - 1) // PER_PAGE) + 1)
    query = urlencode({k: v for k, v in q.items() if v})
    withdrawn = request.query_params.get("withdrawn", "")[:20]
    return render(request, "helpdesk.html", {
        "user": user, "kind": kind, "q": q, "result": result, "errors": errors, "page": page, "pages": pages,
        "query": query, "searched": searched, "withdrawn": withdrawn, "relay_statuses": list(RelayStatus),
        "types": list(ApplicationType), "stages": list(ApplicationStage)}, status=422 if errors else 200)


@router.post("/helpdesk/relays/{relay_no}/withdraw")
async def withdraw(relay_no: str, request: Request, user: WebUser = Depends(web_admin("hub:relays:helpdesk"))
                   ) -> Response:
    """Withdraw a stale relay with a reason (the relay service's helpdesk rule, audited there)."""
    form = await read_form(request, user)
    lang = lang_of(request)
    relay_no = relay_no[:20]
    try:
        async with tx(request) as conn:
            await relays.withdraw(conn, web_actor(request, user), relay_no, form.get("reason"), get_clock().now())
    except InputError as exc:
        q = {k: "" for k in RELAY_FILTERS} | {"relay_no": relay_no}
        result, _ = await _relays(request, user, q, 1, lang)
        return render(request, "helpdesk.html", {
            "user": user, "kind": "relays", "q": q, "result": result, "errors": error_texts(exc, lang)[0],
            "page": 1, "pages": range(1, 2), "query": urlencode({"relay_no": relay_no}), "searched": True, "withdrawn": "",
            "relay_statuses": list(RelayStatus), "types": list(ApplicationType), "stages": list(ApplicationStage),
            "failed_relay": relay_no}, status=422)
    return RedirectResponse(f"/helpdesk?kind=relays&relay_no={relay_no}&withdrawn={relay_no}", status_code=303)
