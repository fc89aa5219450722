"""Notices on the Web (インフォメーション, issue 9): every user's list and notice page (opening a
notice marks it read for that user) and the nav badge of unread ones; OCCTO admins' pages to
write, change and withdraw notices (`web_admin`, re-authenticated). Each calls the API's service.

Periods are entered in JST (`datetime-local` fields) and the body is Markdown, rendered by
hub/notices/markdown.py, which escapes everything (no raw HTML, links only to http(s)).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from switchhub.hub.accounts.service import WebUser
from switchhub.hub.deps import tx
from switchhub.hub.notices import service
from switchhub.hub.notices.endpoints import NoticeId
from switchhub.hub.web.render import error_texts, lang_of, render
from switchhub.hub.web.session import WebForm, read_form, web_actor, web_admin, web_user
from switchhub.kernel.clock import JST, get_clock
from switchhub.kernel.errors import InputError, IssueCollector

router = APIRouter(include_in_schema=False)
AUDIENCES = {"all": ("全事業者", "All operators"), "retailer": ("小売電気事業者", "Retailers"),
             "tso": ("一般送配電事業者", "T&Ds"), "operator": ("特定の事業者", "One operator")}


def jst(iso: str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return datetime.fromisoformat(iso).astimezone(JST).strftime(fmt) if iso else ""


def _page_no(request: Request) -> int:
    try:
        return max(1, min(10000, int(request.query_params.get("page", "1"))))
    except ValueError:
        return 1


def _ctx(user: WebUser, **kw: object) -> dict:
    return {"user": user, "jst": jst, "audiences": AUDIENCES, **kw}


@router.get("/notices")
async def notice_list(request: Request, user: WebUser = Depends(web_user(service.READ))) -> Response:
    page = _page_no(request)
    async with tx(request) as conn:
        result = await service.list_mine(conn, user.caller, page, get_clock().now())
    pages = range(1, (result["total"] + service.PER_PAGE - 1) // service.PER_PAGE + 1)
    return render(request, "notices.html", _ctx(user, result=result, page=page, pages=pages))


@router.get("/notices/{notice_id}")
async def notice_page(notice_id: NoticeId, request: Request, user: WebUser = Depends(web_user(service.READ))
                      ) -> Response:
    """One notice; opening it is reading it (the same read mark as POST /api/v1/notices/{id}:read)."""
    async with tx(request) as conn:
        notice = await service.mark_read(conn, web_actor(request, user), notice_id, get_clock().now())
    return render(request, "notice.html", _ctx(user, notice=notice))


@router.get("/badge/notices-unread")
async def unread_badge(request: Request, user: WebUser = Depends(web_user(service.READ))) -> Response:
    """The nav badge (an htmx fragment): unread notices; empty when there are none."""
    async with tx(request) as conn:
        count = await service.unread_count(conn, user.caller, get_clock().now())
    if not count:
        return HTMLResponse('<span id="notice-badge"></span>')
    title = "Unread notices" if lang_of(request) == "en" else "未読のインフォメーション"
    return HTMLResponse(f'<a id="notice-badge" class="badge" href="/notices" title="{title}">{int(count)}</a>')


# -- OCCTO admins ------------------------------------------------------------------------------

def _when(value: str, field: str, issues: IssueCollector, required: bool) -> datetime | None:
    if not value:
        if required:
            issues.add(field, "required", "日時を入力してください", "Enter a date and time")
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        issues.add(field, "datetime_format", "日時は YYYY-MM-DD HH:MM 形式で入力してください",
                   "Use YYYY-MM-DD HH:MM")
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=JST)


def _data(form: WebForm) -> service.NoticeData:
    """The form as the service's input; period fields are JST. Field errors before the service's own."""
    issues = IssueCollector()
    starts, ends = _when(form.get("starts_at"), "starts_at", issues, True), _when(form.get("ends_at"), "ends_at",
                                                                                  issues, False)
    body = form.get("body")
    if len(form.get("title")) > 200:
        issues.add("title", "too_long", "件名は200文字以内で入力してください", "At most 200 characters")
    issues.raise_if_any()
    return service.NoticeData(form.get("title"), body, form.get("audience"), form.get("operator_code") or None,
                              starts, ends)  # type: ignore[arg-type]


async def _body_of(request: Request, user: WebUser) -> WebForm:
    """The form with the body kept whole (read_form cuts fields at 400 characters)."""
    form = await read_form(request, user)
    raw = await request.form()
    return WebForm({**form.values, "body": str(raw.get("body", "")).replace("\x00", "")[:20000]}, form.lists)


def _form_of(notice: dict | None) -> dict:
    if notice is None:
        return {"audience": "all", "starts_at": get_clock().now().strftime("%Y-%m-%dT%H:%M")}
    return {**notice, "operator_code": notice["operator_code"] or "", "starts_at": jst(notice["starts_at"], "%Y-%m-%dT%H:%M"),
            "ends_at": jst(notice["ends_at"], "%Y-%m-%dT%H:%M")}


async def _admin_page(request: Request, user: WebUser, *, form: dict, errors: dict | None = None,
                      notice: dict | None = None, status: int = 200) -> Response:
    page = _page_no(request)
    async with tx(request) as conn:
        result = await service.list_all(conn, user.caller, page)
        operators = await service.operator_choices(conn, user.caller)
    pages = range(1, (result["total"] + service.PER_PAGE - 1) // service.PER_PAGE + 1)
    return render(request, "notices_admin.html", _ctx(user, result=result, page=page, pages=pages, form=form,
                                                      errors=errors or {}, notice=notice, operators=operators),
                  status=status)


@router.get("/admin/notices")
async def admin_notices(request: Request, user: WebUser = Depends(web_admin(service.MANAGE))) -> Response:
    return await _admin_page(request, user, form=_form_of(None))


@router.post("/admin/notices")
async def admin_create(request: Request, user: WebUser = Depends(web_admin(service.MANAGE))) -> Response:
    form = await _body_of(request, user)
    try:
        async with tx(request) as conn:
            created = await service.create(conn, web_actor(request, user, "administration"), _data(form),
                                           get_clock().now())
    except InputError as exc:
        return await _admin_page(request, user, form=form.values, errors=error_texts(exc, lang_of(request))[0],
                                 status=422)
    return RedirectResponse(f"/admin/notices/{created['id']}?done=created", status_code=303)


@router.get("/admin/notices/{notice_id}")
async def admin_notice(notice_id: NoticeId, request: Request, user: WebUser = Depends(web_admin(service.MANAGE))
                       ) -> Response:
    async with tx(request) as conn:
        notice = await service.get_any(conn, user.caller, notice_id)
    return await _admin_page(request, user, form=_form_of(notice), notice=notice)


@router.post("/admin/notices/{notice_id}")
async def admin_change(notice_id: NoticeId, request: Request, user: WebUser = Depends(web_admin(service.MANAGE))
                       ) -> Response:
    form = await _body_of(request, user)
    async with tx(request) as conn:
        notice = await service.get_any(conn, user.caller, notice_id)
    try:
        async with tx(request) as conn:
            await service.change(conn, web_actor(request, user, "administration"), notice_id, _data(form),
                                 get_clock().now())
    except InputError as exc:
        return await _admin_page(request, user, form=form.values, notice=notice,
                                 errors=error_texts(exc, lang_of(request))[0], status=422)
    return RedirectResponse(f"/admin/notices/{notice_id}?done=changed", status_code=303)


@router.post("/admin/notices/{notice_id}/withdraw")
async def admin_withdraw(notice_id: NoticeId, request: Request, user: WebUser = Depends(web_admin(service.MANAGE))
                         ) -> Response:
    form = await read_form(request, user)
    async with tx(request) as conn:
        await service.withdraw(conn, web_actor(request, user, "administration"), notice_id, get_clock().now(),
                               form.get("reason")[:200])
    return RedirectResponse(f"/admin/notices/{notice_id}?done=withdrawn", status_code=303)
