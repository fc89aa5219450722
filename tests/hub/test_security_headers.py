"""CSP without inline scripts, HSTS, frame-ancestors 'none' and nosniff on EVERY answer (issue 9).

The routes are walked from the apps' routers (as the permission matrix does), so a page added later
is checked without being listed here: every Web page of the hub as a re-authenticated OCCTO admin
and without a session, every API operation as a retailer's API user, the framework's own answers
(unknown route, no certificate), and every route of the T&D's public page. Expected header values
are written here from security.md, not read from the code.
"""

from __future__ import annotations

import re

import httpx
from fastapi.routing import APIRoute
from starlette.routing import Mount

from tests.hub.helpers import point_of, web_login_reauthenticated

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def problems(resp: httpx.Response, *, html_checks: bool = False) -> list[str]:
    h = resp.headers
    out = []
    csp = {d.strip().split(" ", 1)[0]: d.strip() for d in h.get("content-security-policy", "").split(";") if d.strip()}
    script = csp.get("script-src") or csp.get("default-src")
    if script is None or "'unsafe-inline'" in script or "'unsafe-eval'" in script:
        out.append(f"script-src {script!r}")
    if csp.get("frame-ancestors") != "frame-ancestors 'none'":
        out.append(f"frame-ancestors {csp.get('frame-ancestors')!r}")
    hsts = re.fullmatch(r"max-age=(\d+).*", h.get("strict-transport-security", ""))
    if not hsts or int(hsts.group(1)) < 15552000:  # at least 180 days
        out.append(f"hsts {h.get('strict-transport-security')!r}")
    if h.get("x-content-type-options") != "nosniff":
        out.append("nosniff")
    if html_checks and h.get("content-type", "").startswith("text/html"):
        if INLINE_SCRIPT.search(resp.text):
            out.append("inline <script>")
        if INLINE_HANDLER.search(resp.text):
            out.append("inline event handler")
    return out


def routes(app) -> list[tuple[str, str]]:
    """(method, path) of every route, including those of included routers (FastAPI keeps them as
    included-router entries whose own routes are the router's)."""
    out = []
    stack = list(app.routes)
    while stack:
        r = stack.pop(0)
        if hasattr(r, "original_router"):
            prefix = getattr(getattr(r, "include_context", None), "prefix", "") or ""
            assert prefix == "", "routers are included without a prefix"
            stack.extend(r.original_router.routes)
        elif isinstance(r, APIRoute):
            out += [(m, r.path) for m in sorted(r.methods) if m != "HEAD"]
        elif isinstance(r, Mount):
            out.append(("GET", r.path + "/app.css"))
    return sorted(set(out))


def concrete(path: str, spid: str) -> str:
    path = path.replace("{spid}", spid).replace("{area}", "03").replace("{name}", "app.css")
    return re.sub(r"\{[^}]+\}", "X0000000001", path)


async def test_every_hub_web_page_and_api_operation_carries_the_security_headers(stack):
    spid = point_of(stack.world, "M0300")
    all_routes = routes(stack.hub_app)
    api = [(m, p) for m, p in all_routes if p.startswith("/api/") or p.startswith("/internal/")]
    web = [(m, p) for m, p in all_routes if (m, p) not in api]
    assert ("GET", "/breakglass") in web and ("GET", "/helpdesk") in web and ("GET", "/access-log") in web
    assert len(api) > 50 and len(web) > 50
    wrong = []
    async with stack.client("OC000", "web", token=None) as c:
        csrf = await web_login_reauthenticated(stack, c, "oc000-admin")
        for method, path in sorted(web, key=lambda mp: mp[1] == "/logout"):  # log out last
            url = concrete(path, spid)
            r = await (c.get(url) if method == "GET" else c.request(method, url, data={"csrf_token": csrf}))
            wrong += [(method, path, r.status_code, p) for p in problems(r, html_checks=True)]
    async with stack.client("OC000", "web", token=None) as anonymous:
        for method, path in web:
            r = await anonymous.request(method, concrete(path, spid))
            wrong += [("anonymous", method, path, r.status_code, p) for p in problems(r)]
    async with stack.client("A0001") as c:
        for method, path in api:
            url = concrete(path, spid)
            r = await c.request(method, url, json={} if method in ("POST", "PATCH", "PUT") else None)
            wrong += [(method, path, r.status_code, p) for p in problems(r)]
        for url in ("/no/such/page", "/api/v1/no-such-operation"):
            wrong += [(url, p) for p in problems(await c.get(url))]
    async with stack.client(None, cert=None) as no_cert:
        r = await no_cert.get("/")
        assert r.status_code == 403
        wrong += [("no certificate", p) for p in problems(r)]
    assert wrong == []


async def test_the_area_public_page_carries_the_security_headers(world, tmp_path):
    import uuid

    from switchhub.area.public.app import create_public_app
    from switchhub.config import Settings
    from switchhub.db.engine import make_engine
    from tests.support import create_database, drop_database

    name = f"t_public_h_{uuid.uuid4().hex[:8]}"
    url = create_database(world.admin, name, world.area_template)
    settings = Settings(data_dir=world.certs_dir.parent, certs_dir=world.certs_dir, area_database_url=url,
                        public_area_url="https://public.test")
    app = create_public_app(settings, make_engine(url, pool_size=2))
    try:
        wrong = []
        transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="https://public.test") as c:
            public_routes = routes(app)
            assert ("POST", "/") in public_routes and ("GET", "/confirm") in public_routes
            for method, path in [*public_routes, ("GET", "/no/such/page")]:
                r = await c.request(method, concrete(path, "0300000000000000000000"))
                wrong += [(method, path, r.status_code, p) for p in problems(r, html_checks=True)]
        assert wrong == []
    finally:
        await app.state.engine.dispose()
        drop_database(world.admin, name)
