"""Notification settings on the Web (issue 9, P8): the operator admin's e-mail subscriptions per
user and event kind, webhooks (URL checked by the address policy, secret shown once, stop, test
delivery) and the delivery log. Admin pages: `web_admin` (re-authenticated within 10 minutes).

Who: holders of `hub:notify:manage` — on the Web the operator's admin (its API user does the same
through the API). A general user does not manage subscriptions, not even its own: the admin
decides who of the operator is told what (decision recorded in docs/security.md's permission table).
Every action is the API's service function, which checks the permission and writes the audit record.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from switchhub.hub.accounts.service import WebUser
from switchhub.hub.deps import tx
from switchhub.hub.notify import service
from switchhub.hub.notify.endpoints import RowId, webhook_policy
from switchhub.hub.web.render import error_texts, lang_of, render
from switchhub.hub.web.session import read_form, web_actor, web_admin
from switchhub.kernel.clock import JST, get_clock
from switchhub.kernel.errors import InputError

router = APIRouter(include_in_schema=False)
MANAGE = service.MANAGE
PER_PAGE = 20


def jst(iso: str | None) -> str:
    """An ISO timestamp of the API's answer as JST for the page (— for none)."""
    return datetime.fromisoformat(iso).astimezone(JST).strftime("%Y-%m-%d %H:%M:%S") if iso else "—"


async def _settings_page(request: Request, user: WebUser, *, errors: dict[str, str] | None = None,
                         form: dict | None = None, created: dict | None = None, message: str = "",
                         status: int = 200) -> Response:
    async with tx(request) as conn:
        subs = await service.list_subscriptions(conn, user.caller)
        hooks = await service.list_webhooks(conn, user.caller)
        people = await service.operator_users(conn, user.caller)
    return render(request, "notify.html", {
        "user": user, "subscriptions": subs, "webhooks": hooks, "people": people, "kinds": service.EVENT_KINDS,
        "errors": errors or {}, "form": form or {}, "created": created, "message": message}, status=status)


@router.get("/notify")
async def notify_settings(request: Request, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    return await _settings_page(request, user)


@router.post("/notify/subscriptions")
async def subscribe(request: Request, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    form = await read_form(request, user)
    kinds = form.getlist("event_kinds")
    try:
        async with tx(request) as conn:
            await service.subscribe_user(conn, web_actor(request, user, "administration"), form.get("login_id"),
                                         kinds)
    except InputError as exc:
        errors = error_texts(exc, lang_of(request))[0]
        return await _settings_page(request, user, errors=errors, status=422,
                                    form={"login_id": form.get("login_id"), "sub_kinds": kinds})
    return RedirectResponse("/notify?done=subscribed#subscriptions", status_code=303)


@router.post("/notify/subscriptions/{subscription_id}/delete")
async def unsubscribe(subscription_id: RowId, request: Request,
                      user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    await read_form(request, user)
    async with tx(request) as conn:
        await service.delete_owned(conn, web_actor(request, user, "administration"), "subscriptions", subscription_id)
    return RedirectResponse("/notify?done=unsubscribed#subscriptions", status_code=303)


@router.post("/notify/webhooks")
async def add_webhook(request: Request, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    """Register a webhook; the page answering this POST is the only one showing its signing secret."""
    form = await read_form(request, user)
    kinds = form.getlist("event_kinds")
    try:
        hook = await service.check_webhook(form.get("url"), kinds, webhook_policy(request))
        async with tx(request) as conn:
            created = await service.create_webhook(conn, web_actor(request, user, "administration"), hook)
    except InputError as exc:
        errors = error_texts(exc, lang_of(request))[0]
        return await _settings_page(request, user, errors={f"hook_{k}": v for k, v in errors.items()}, status=422,
                                    form={"url": form.get("url"), "hook_kinds": kinds})
    return await _settings_page(request, user, created=created)


@router.post("/notify/webhooks/{webhook_id}/disable")
async def disable_webhook(webhook_id: RowId, request: Request,
                          user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    await read_form(request, user)
    async with tx(request) as conn:
        await service.delete_owned(conn, web_actor(request, user, "administration"), "webhooks", webhook_id)
    return RedirectResponse("/notify?done=disabled#webhooks", status_code=303)


@router.post("/notify/webhooks/{webhook_id}/test")
async def test_webhook(webhook_id: RowId, request: Request,
                       user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    """The "test delivery" button: a signed `webhook.test` queued for the worker; on to the log."""
    await read_form(request, user)
    async with tx(request) as conn:
        queued = await service.send_test_delivery(conn, web_actor(request, user, "administration"), webhook_id,
                                                  get_clock().now())
    return RedirectResponse(f"/notify/deliveries?event_kind={service.TEST_KIND}&queued={queued['delivery_id']}",
                            status_code=303)


@router.get("/notify/deliveries")
async def delivery_log(request: Request, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    q = {k: str(request.query_params.get(k, "")).replace("\x00", "").strip()[:60] for k in ("status", "event_kind")}
    try:
        page = max(1, min(10000, int(request.query_params.get("page", "1"))))
    except ValueError:
        page = 1
    errors: dict[str, str] = {}
    result = {"total": 0, "page": page, "per_page": PER_PAGE, "items": []}
    try:
        async with tx(request) as conn:
            result = await service.delivery_log(conn, user.caller, page, PER_PAGE, q["status"], q["event_kind"])
    except InputError as exc:
        errors = error_texts(exc, lang_of(request))[0]
    pages = range(1, (result["total"] + PER_PAGE - 1) // PER_PAGE + 1)
    queued = request.query_params.get("queued", "")
    return render(request, "notify_deliveries.html", {
        "user": user, "q": q, "result": result, "page": page, "pages": pages, "errors": errors,
        "kinds": service.DELIVERY_KINDS, "statuses": service.DELIVERY_STATUSES,
        "jst": jst, "queued": queued if queued.isdigit() else "", "query": lambda n: urlencode({**{k: v for k, v in q.items() if v},
                                                                                    "page": n})})
