"""Web pages for the cancellation relay and for filing switch-start / switch-end (P3, P4).

Each form calls the same service function as its API twin (which checks the permission and
writes the audit record); the view only turns the form into the API model and the answer or
the field errors into a page. CSRF token on every form.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from switchhub.contract.applications import WithdrawRequest
from switchhub.hub.accounts.service import WebUser
from switchhub.hub.applications import service as applications
from switchhub.hub.deps import tx
from switchhub.hub.relays import service as relays
from switchhub.hub.relays.schemas import RelayDecisionInput, RelayRegistration
from switchhub.hub.web.render import error_texts, lang_of, render
from switchhub.hub.web.session import WebForm, parse_form, read_form, web_actor, web_user
from switchhub.kernel.clock import get_clock
from switchhub.kernel.codes import Area, NgReason, RelayDecision, RelayStatus
from switchhub.kernel.errors import FieldIssue, InputError, SwitchhubError

router = APIRouter(include_in_schema=False)
RELAY_FIELDS = ("spid", "current_retailer_code", "contract_no", "customer_name_kana", "customer_name_kanji",
                "address", "building", "requested_switch_date", "contact_name", "contact_phone")


@router.get("/relays")
async def relay_list(request: Request, user: WebUser = Depends(web_user("hub:relays:read"))) -> Response:
    lang = lang_of(request)
    q = {k: str(request.query_params.get(k, "")).strip()[:60] for k in
         ("role", "relay_no", "spid", "counterpart_code", "counterpart_name", "customer_name", "status", "area")}
    q["role"] = q["role"] if q["role"] in ("new", "current") else "new"
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    filters = {**q, "spid": q["spid"] if len(q["spid"]) == 22 and q["spid"].isdigit() else "",
               "status": q["status"] if q["status"] in {s.value for s in RelayStatus} else "",
               "area": q["area"] if q["area"] in {a.value for a in Area} else "",
               "registered_from": None, "registered_to": None}
    errors: dict[str, str] = {}
    try:
        async with tx(request) as conn:
            result = await relays.listing(conn, web_actor(request, user), q["role"], filters, page, 20)
    except InputError as exc:
        errors = error_texts(exc, lang)[0]
        result = {"total": 0, "page": page, "per_page": 20, "items": []}
    pages = range(1, (result["total"] + 19) // 20 + 1)
    return render(request, "relays.html", {"user": user, "q": q, "result": result, "page": page, "pages": pages,
                                           "statuses": list(RelayStatus), "areas": list(Area), "errors": errors})


@router.get("/relays/new")
async def relay_form(request: Request, user: WebUser = Depends(web_user("hub:relays:write"))) -> Response:
    return render(request, "relay_new.html", {"user": user, "v": {}, "errors": {}, "error": None})


@router.post("/relays/new")
async def relay_register(request: Request, user: WebUser = Depends(web_user("hub:relays:write"))) -> Response:
    form = await read_form(request, user)
    try:
        body = parse_form(RelayRegistration, {k: form.get(k) for k in RELAY_FIELDS})
        async with tx(request) as conn:
            relay = await relays.register(conn, request.app.state.areas, web_actor(request, user), body,
                                          get_clock().now())
    except SwitchhubError as exc:
        if exc.status == 403:
            raise
        errors, error = error_texts(exc, lang_of(request))
        return render(request, "relay_new.html", {"user": user, "v": form.values, "errors": errors, "error": error})
    return RedirectResponse(f"/relays/{relay['relay_no']}", status_code=303)


async def _relay_page(request: Request, user: WebUser, relay_no: str, errors: dict, error: str | None,
                      status: int = 200, form: WebForm | None = None) -> Response:
    """The relay with its forms; after a refused decision the choices made are shown again."""
    async with tx(request) as conn:
        relay = await relays.detail(conn, web_actor(request, user), relay_no)
    return render(request, "relay_detail.html", {"user": user, "r": relay, "reasons": list(NgReason),
                                                 "decisions": list(RelayDecision), "errors": errors, "error": error,
                                                 "v": form.values if form else {},
                                                 "v_reasons": form.getlist("ng_reasons") if form else []},
                  status=status)


@router.get("/relays/{relay_no}")
async def relay_detail(relay_no: str, request: Request, user: WebUser = Depends(web_user("hub:relays:read"))
                       ) -> Response:
    return await _relay_page(request, user, relay_no, {}, None)


def _parse_decision(form: WebForm) -> RelayDecisionInput:
    """The form has no default choice: without one, the field says so (with the form's other errors)."""
    data = {"decision": form.get("decision"), "staff_name": form.get("staff_name"),
            "ng_reasons": form.getlist("ng_reasons"), "memo": form.get("memo")}
    if data["decision"] in {d.value for d in RelayDecision}:
        return parse_form(RelayDecisionInput, data)
    issues = [FieldIssue("decision", "required", "判断を選択してください", "Choose OK or NG")]
    try:
        parse_form(RelayDecisionInput, {**data, "decision": RelayDecision.OK.value})
    except InputError as exc:
        issues += [i for i in exc.errors if i.field != "decision"]
    raise InputError(issues[0].message_ja, issues[0].message_en, errors=issues)


@router.post("/relays/{relay_no}/decision")
async def relay_decide(relay_no: str, request: Request, user: WebUser = Depends(web_user("hub:relays:write"))
                       ) -> Response:
    form = await read_form(request, user)
    try:
        body = _parse_decision(form)
        async with tx(request) as conn:
            await relays.decide(conn, web_actor(request, user), relay_no, body, get_clock().now())
    except SwitchhubError as exc:
        if exc.status in (403, 404):
            raise
        return await _relay_page(request, user, relay_no, *error_texts(exc, lang_of(request)), form=form)
    return RedirectResponse(f"/relays/{relay_no}", status_code=303)


@router.post("/relays/{relay_no}/withdraw")
async def relay_withdraw(relay_no: str, request: Request, user: WebUser = Depends(web_user("hub:relays:read"))
                         ) -> Response:
    """Declared as read (retailers and the helpdesk hold it); the service requires write or helpdesk."""
    form = await read_form(request, user)
    try:
        async with tx(request) as conn:
            await relays.withdraw(conn, web_actor(request, user), relay_no, form.get("reason"), get_clock().now())
    except SwitchhubError as exc:
        if exc.status in (403, 404):
            raise
        return await _relay_page(request, user, relay_no, *error_texts(exc, lang_of(request)))
    return RedirectResponse(f"/relays/{relay_no}", status_code=303)


async def _application_page(request: Request, user: WebUser, application_no: str, error: str | None) -> Response:
    async with tx(request) as conn:
        app = await applications.status(conn, request.app.state.areas, web_actor(request, user), application_no)
    return render(request, "application.html", {"user": user, "a": app, "error": error})


@router.get("/applications/{application_no}")
async def application_status(application_no: str, request: Request,
                             user: WebUser = Depends(web_user("hub:applications:read"))) -> Response:
    return await _application_page(request, user, application_no, None)


@router.post("/applications/{application_no}/withdraw")
async def application_withdraw(application_no: str, request: Request,
                               user: WebUser = Depends(web_user("hub:applications:write"))) -> Response:
    form = await read_form(request, user)
    try:
        body = parse_form(WithdrawRequest, {"reason": form.get("reason")})
        async with tx(request) as conn:
            await applications.withdraw(conn, request.app.state.areas, web_actor(request, user), application_no,
                                        body.reason)
    except SwitchhubError as exc:
        if exc.status in (403, 404):
            raise
        errors, error = error_texts(exc, lang_of(request))
        return await _application_page(request, user, application_no, error or next(iter(errors.values()), None))
    return RedirectResponse(f"/applications/{application_no}", status_code=303)
