"""The sandbox developers page (`/sandbox/developers`, issue 10 self-service), Japanese first.

An operator's admin (re-authenticated: `web_admin`) lists its developers with their certificates,
creates one (API user + credential + certificate, through hub/developers/service.py like the API
twin) and revokes one. The answer to the creating POST is the only place the token, the private
key and the PKCS#12 password ever appear: they are embedded in that page (downloads as data: links,
nothing kept on the server) and the page is never cached. Outside a sandbox deployment the service
answers 404, so the page does not exist there.
"""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from switchhub.hub.accounts.service import WebUser
from switchhub.hub.deps import tx
from switchhub.hub.developers import service
from switchhub.hub.web.render import UI, error_texts, lang_of, msg, render
from switchhub.hub.web.session import read_form, web_actor, web_admin
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import Forbidden, NotFound, SwitchhubError

router = APIRouter(include_in_schema=False)
PERMISSION = service.PERMISSION

#: this page's texts (Japanese, English); other keys come from the shared catalogue (render.UI)
TEXTS = {
    "dev_title": UI["sandbox_developers"],
    "dev_intro": ("自社の開発者に、サンドボックス用のAPIユーザ・APIクレデンシャル・"
                  "クライアント証明書（API用）を発行します。広域機関への申請は不要です。",
                  "Issue your developers an API user, an API credential and an API client certificate"
                  " for the sandbox, without applying to OCCTO."),
    "dev_new": ("開発者の作成", "Create a developer"), "dev_create": ("作成して発行", "Create and issue"),
    "dev_none": ("開発者はまだいません", "No developers yet"),
    "dev_fingerprint": ("フィンガープリント（SHA-256）", "Fingerprint (SHA-256)"),
    "dev_validity": ("有効期間", "Validity"), "dev_status": ("状態", "Status"),
    "dev_status_active": ("有効", "Active"), "dev_status_revoked": ("失効", "Revoked"),
    "dev_revoke": ("失効させる", "Revoke"), "dev_created": ("作成日時", "Created"),
    "dev_revoked_done": ("開発者を失効させました（次のリクエストから証明書とクレデンシャルは使えません）",
                         "Developer revoked: the certificate and the credential are refused from the next"
                         " request"),
    "dev_issued": ("開発者を作成しました", "Developer created"),
    "dev_shown_once": ("以下はこの画面でだけ表示されます。サーバには保存されていないため、再表示できません。",
                       "What follows is shown on this page only; it is not stored on the server and cannot"
                       " be shown again."),
    "dev_token": ("APIクレデンシャル", "API credential"),
    "dev_p12": ("クライアント証明書（PKCS#12）をダウンロード", "Download the client certificate (PKCS#12)"),
    "dev_p12_password": ("PKCS#12 のワンタイムパスワード", "One-time password of the PKCS#12 file"),
    "dev_pem": ("または PEM 形式（証明書と秘密鍵）", "Or as PEM (certificate and private key)"),
    "dev_cert_pem": ("証明書（PEM）", "Certificate (PEM)"),
    "dev_key_pem": ("秘密鍵（PEM）", "Private key (PEM)"),
    "dev_back": ("開発者の一覧へ", "Back to the developers"),
}


def _t(lang: str):  # noqa: ANN202 - the template's t()
    def t(key: str) -> str:
        return TEXTS[key][1 if lang == "en" else 0] if key in TEXTS else msg(key, lang)

    return t


def _page(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> Response:
    return render(request, name, {**ctx, "t": _t(lang_of(request))}, status=status)


def _pem_link(pem: str) -> str:
    return "data:application/x-pem-file;base64," + base64.b64encode(pem.encode()).decode()


def _actor(request: Request, user: WebUser):  # noqa: ANN202 - an Actor
    return web_actor(request, user, "administration")


async def _list(request: Request, user: WebUser, **ctx: Any) -> Response:
    try:
        page = max(1, min(10000, int(request.query_params.get("page", "1"))))
    except ValueError:
        page = 1
    async with tx(request) as conn:
        result = await service.list_developers(conn, _actor(request, user), request.app.state.settings,
                                               page=page)
    done = _t(lang_of(request))("dev_revoked_done") if request.query_params.get("done") == "revoked" else None
    base = {"user": user, "result": result, "values": {}, "errors": {}, "error": None, "done": done}
    return _page(request, "sandbox_developers.html", {**base, **ctx},
                 status=422 if ctx.get("errors") or ctx.get("error") else 200)


@router.get("/sandbox/developers")
async def developers_page(request: Request, user: WebUser = Depends(web_admin(PERMISSION))) -> Response:
    return await _list(request, user)


@router.post("/sandbox/developers")
async def create_developer(request: Request, user: WebUser = Depends(web_admin(PERMISSION))) -> Response:
    form = await read_form(request, user)
    values = {k: form.get(k) for k in ("login_id", "display_name", "email")}
    try:
        async with tx(request) as conn:
            issued = await service.create_developer(conn, _actor(request, user), request.app.state.settings,
                                                    now=get_clock().now(), **values)
    except SwitchhubError as exc:
        if isinstance(exc, (Forbidden, NotFound)):
            raise
        errors, error = error_texts(exc, lang_of(request))
        return await _list(request, user, values=values, errors=errors, error=error)
    login = issued["developer"]["login_id"]
    downloads = {"p12": f"data:application/x-pkcs12;base64,{issued['p12_base64']}",
                 "cert": _pem_link(issued["cert_pem"]), "key": _pem_link(issued["key_pem"])}
    resp = _page(request, "sandbox_developer_issued.html", {"user": user, "issued": issued, "login": login,
                                                             "downloads": downloads})
    resp.headers["Cache-Control"] = "no-store"  # the back button or a shared cache must not show it again
    return resp


@router.post("/sandbox/developers/{login_id}/revoke")
async def revoke_developer(login_id: str, request: Request, user: WebUser = Depends(web_admin(PERMISSION))
                           ) -> Response:
    await read_form(request, user)
    async with tx(request) as conn:
        await service.revoke_developer(conn, _actor(request, user), request.app.state.settings, login_id,
                                       get_clock().now())
    return RedirectResponse("/sandbox/developers?done=revoked", status_code=303)
