"""Web pages of the usage password (type 08) and the usage inquiry (P2).

T&D staff: the review queue (oldest deadline first, overdue marked), the detail (the request next to
what the T&D holds for each point, mismatches marked, identity documents viewable) and the decision
(issue, or reject with a coded reason and a note). Retailers: the request form, its status (the
password shown once, with a warning) and the inquiry (13 months and the 30-minute days).

Every page calls the same hub service function as its API twin (hub/usage/service.py), which checks
the permission again, asks the area through the gateway and writes the audit record; the view only
turns the form into the API model and the answer or the field errors into a page. CSRF token on
every form (session.read_form).
"""

from __future__ import annotations

import base64
import re
import unicodedata
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from switchhub.contract.usage import (
    MAX_DOCUMENT_BYTES,
    UsageDecisionRequest,
    UsageInquiryRequest,
    UsagePasswordRequest,
    day_kwh,
)
from switchhub.hub.accounts import permissions
from switchhub.hub.accounts.service import WebUser
from switchhub.hub.deps import tx
from switchhub.hub.usage import service as usage
from switchhub.hub.web.render import error_texts, lang_of, render
from switchhub.hub.web.session import WebForm, parse_form, read_form, web_actor, web_user
from switchhub.kernel.codes import UsageReason, UsageRejectReason
from switchhub.kernel.errors import InputError, SwitchhubError
from switchhub.kernel.spid import parse_spid

router = APIRouter(include_in_schema=False)
PER_PAGE = 20
REQUEST_FIELDS = ("customer_name_kana", "customer_name_kanji", "address", "phone", "consent_date")


def reason_label(code: str, lang: str = "ja") -> str:
    for enum in (UsageRejectReason, UsageReason):
        try:
            return enum(code).label(lang)
        except ValueError:
            continue
    return code


def _errors(exc: SwitchhubError, lang: str) -> tuple[dict[str, str], str | None]:
    """Field errors of list items (spids[3], documents[0].content_base64) go next to their list."""
    errors, error = error_texts(exc, lang)
    merged: dict[str, str] = {}
    for field, text in errors.items():
        key = re.sub(r"\[\d+\]$", "", field)
        merged[key] = f"{merged[key]} / {text}" if key in merged else text
    return merged, error


def _page(request: Request) -> int:
    try:
        return max(1, min(usage.MAX_PAGE, int(request.query_params.get("page", "1"))))
    except ValueError:
        return 1


# -- T&D review ---------------------------------------------------------------------------------

@router.get("/usage/reviews")
async def review_list(request: Request, user: WebUser = Depends(web_user(usage.REVIEW_READ))) -> Response:
    state = "decided" if request.query_params.get("state") == "decided" else "open"
    page, error = _page(request), None
    result: dict[str, Any] = {"total": 0, "page": page, "per_page": PER_PAGE, "items": []}
    try:
        result = await usage.reviews(request.app.state.areas, web_actor(request, user), state, page, PER_PAGE)
    except SwitchhubError as exc:
        if exc.status == 403:
            raise
        error = _errors(exc, lang_of(request))[1]
    pages = range(1, (result["total"] + PER_PAGE - 1) // PER_PAGE + 1)
    area = "・".join(sorted(user.caller.areas)) if user.caller.is_tso else "全エリア"
    return render(request, "usage_reviews.html", {"user": user, "state": state, "result": result, "pages": pages,
                                                  "area": area, "error": error})


async def _review_page(request: Request, user: WebUser, application_no: str, *, errors: dict[str, str] | None = None,
                       error: str | None = None, form: WebForm | None = None, status: int = 200) -> Response:
    async with tx(request) as conn:
        detail = await usage.review(conn, request.app.state.areas, web_actor(request, user), application_no)
    notice = {"issued": "発行しました。申込者に通知されます", "rejected": "却下しました。申込者に通知されます"}.get(
        request.query_params.get("done", ""))
    lang = lang_of(request)
    return render(request, "usage_review.html", {
        "user": user, "d": detail, "errors": errors or {}, "error": error, "notice": notice,
        "v": form.values if form else {}, "reasons": list(UsageRejectReason),
        "can_decide": permissions.allowed(user.caller, usage.REVIEW),
        "reason_label": lambda code: reason_label(code, lang)}, status=status)


@router.get("/usage/reviews/{application_no}")
async def review_detail(application_no: str, request: Request,
                        user: WebUser = Depends(web_user(usage.REVIEW_READ))) -> Response:
    return await _review_page(request, user, application_no[:40])


@router.get("/usage/reviews/{application_no}/documents/{n}")
async def review_document(application_no: str, n: int, request: Request,
                          user: WebUser = Depends(web_user(usage.REVIEW))) -> Response:
    """The attachment, shown in the browser (its type was judged by its content at the area) or, with
    ?download=1, saved; a sandbox CSP so that a document can never run anything in the hub's origin."""
    if not 1 <= n <= 5:
        raise usage._not_found()
    async with tx(request) as conn:
        content, media = await usage.document(conn, request.app.state.areas, web_actor(request, user),
                                              application_no[:40], n)
    disposition = "attachment" if request.query_params.get("download") == "1" else "inline"
    return Response(content, media_type=media, headers={
        "Content-Disposition": f'{disposition}; filename="document-{n}"', "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; object-src 'self'",
        "Cache-Control": "no-store"})


@router.post("/usage/reviews/{application_no}/decision")
async def review_decide(application_no: str, request: Request,
                        user: WebUser = Depends(web_user(usage.REVIEW))) -> Response:
    form = await read_form(request, user)
    application_no = application_no[:40]
    lang = lang_of(request)
    decision = form.get("decision")
    try:
        if decision not in ("issue", "reject"):
            raise InputError.single("decision", "required", "発行または却下を選択してください",
                                    "Choose issue or reject")
        data: dict[str, Any] = {"decision": decision, "note": form.get("note")}
        if form.get("reason_code"):
            data["reason_code"] = form.get("reason_code")
        body = parse_form(UsageDecisionRequest, data)
        async with tx(request) as conn:
            await usage.decide(conn, request.app.state.areas, web_actor(request, user), application_no, body)
    except SwitchhubError as exc:
        if exc.status in (403, 404):
            raise
        errors, error = _errors(exc, lang)
        return await _review_page(request, user, application_no, errors=errors, error=error, form=form,
                                  status=exc.status)
    done = "issued" if decision == "issue" else "rejected"
    return RedirectResponse(f"/usage/reviews/{application_no}?done={done}", status_code=303)


# -- retailers: request, status, inquiry ----------------------------------------------------------

@router.get("/usage/password-requests/new")
async def request_form(request: Request, user: WebUser = Depends(web_user(usage.REQUEST))) -> Response:
    return render(request, "usage_request_new.html", {"user": user, "v": {}, "errors": {}, "error": None})


def _spids(raw: str) -> list[str]:
    return [s for s in re.split(r"[\s,、，]+", unicodedata.normalize("NFKC", raw or "")) if s]


#: a part may be a little over 1 MB so that the area's field message names a file that is too large
PART_LIMIT = MAX_DOCUMENT_BYTES + 64 * 1024


async def _documents(form: Any) -> list[dict[str, str]]:
    """Chosen files as the API's documents (base64); an empty file input sends one nameless part."""
    out = []
    for part in form.getlist("documents"):
        filename = getattr(part, "filename", None)
        if not filename:
            continue
        content = await part.read(PART_LIMIT)
        out.append({"filename": filename[:200], "content_base64": base64.b64encode(content).decode()})
    return out


def _request_model(data: dict[str, Any]) -> UsagePasswordRequest:
    """The form as the API's model, with each spid's own check reported together with the model's
    field errors (the schema takes any text up to 40 characters as a spid)."""
    issues = []
    for i, raw in enumerate(data["spids"]):
        try:
            parse_spid(raw, f"spids[{i}]")
        except InputError as exc:
            issues += exc.errors
    try:
        body = parse_form(UsagePasswordRequest, data)
    except InputError as exc:
        issues += exc.errors
    if issues:
        raise InputError(issues[0].message_ja, issues[0].message_en, errors=issues)
    return body


@router.post("/usage/password-requests/new")
async def request_submit(request: Request, user: WebUser = Depends(web_user(usage.REQUEST))) -> Response:
    multipart = await request.form(max_files=6, max_fields=20, max_part_size=PART_LIMIT)
    try:
        return await _request_submit(request, user, multipart)
    finally:
        await multipart.close()


async def _request_submit(request: Request, user: WebUser, multipart: Any) -> Response:
    form = await read_form(request, user)  # CSRF first
    try:
        validity = form.get("validity_days")
        data: dict[str, Any] = {"spids": _spids(form.get("spids")),
                                "validity_days": int(validity) if validity.isdigit() else validity,
                                **{k: form.get(k) for k in REQUEST_FIELDS}, "documents": await _documents(multipart)}
        body = _request_model(data)
        async with tx(request) as conn:
            answer = await usage.request(conn, request.app.state.areas, web_actor(request, user),
                                         body)
    except SwitchhubError as exc:
        if exc.status == 403:
            raise
        errors, error = _errors(exc, lang_of(request))
        return render(request, "usage_request_new.html", {"user": user, "v": form.values, "errors": errors,
                                                          "error": error}, status=exc.status)
    return RedirectResponse(f"/usage/password-requests/{answer['application_no']}", status_code=303)


@router.get("/usage/password-requests")
async def request_lookup(request: Request, user: WebUser = Depends(web_user(usage.READ))) -> Response:
    """The lookup form of the request page: to the status page of an application number."""
    no = unicodedata.normalize("NFKC", request.query_params.get("application_no", "")).strip()[:40]
    if not re.fullmatch(r"[0-9A-Za-z-]{3,40}", no):
        return render(request, "error.html", {"user": user, "message": "申込番号を入力してください"}, status=422)
    return RedirectResponse(f"/usage/password-requests/{no}", status_code=303)


@router.get("/usage/password-requests/{application_no}")
async def request_status(application_no: str, request: Request,
                         user: WebUser = Depends(web_user(usage.READ))) -> Response:
    async with tx(request) as conn:
        answer = await usage.status(conn, request.app.state.areas, web_actor(request, user),
                                    application_no[:40])
    lang = lang_of(request)
    resp = render(request, "usage_request.html", {"user": user, "a": answer,
                                                  "reason_label": lambda code: reason_label(code, lang)})
    resp.headers["Cache-Control"] = "no-store"  # a page with the password is never cached
    return resp


def day_total(day: dict[str, Any]) -> str:
    values = [Decimal(v) for v in day_kwh(day) if v is not None]
    return str(sum(values, Decimal(0))) if values else "—"


@router.get("/usage/query")
async def query_form(request: Request, user: WebUser = Depends(web_user(usage.QUERY))) -> Response:
    return render(request, "usage_query.html", {"user": user, "v": {}, "errors": {}, "error": None, "u": None})


@router.post("/usage/query")
async def query_submit(request: Request, user: WebUser = Depends(web_user(usage.QUERY))) -> Response:
    form = await read_form(request, user)
    lang = lang_of(request)
    actor = web_actor(request, user)
    ctx: dict[str, Any] = {"user": user, "v": {"spid": form.get("spid"), "purpose": form.get("purpose")},
                           "errors": {}, "error": None, "u": None, "day_total": day_total, "day_kwh": day_kwh}
    body = None
    try:
        spid = parse_spid(form.get("spid"))
        body = parse_form(UsageInquiryRequest, {"password": form.get("password"), "purpose": form.get("purpose")})
        async with tx(request) as conn:
            ctx["u"] = await usage.query(conn, request.app.state.areas, actor, spid, body)
    except SwitchhubError as exc:
        if exc.status == 403 and exc.code == "permission_denied":
            raise
        if body is not None and not isinstance(exc, InputError):
            async with tx(request) as conn:  # a refused inquiry is audited as the API's is
                await usage.query_refused(conn, actor, form.get("spid"), body, exc)
        ctx["errors"], ctx["error"] = _errors(exc, lang)
        return render(request, "usage_query.html", ctx, status=exc.status)
    resp = render(request, "usage_query.html", ctx)
    resp.headers["Cache-Control"] = "no-store"
    return resp
