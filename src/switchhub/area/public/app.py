"""The public page's ASGI app: no client certificate, no acting operator, only its own routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.exceptions import HTTPException as StarletteHTTPException

from switchhub.area.public.views import message, router
from switchhub.config import Settings
from switchhub.httpkit import BodyLimit, RejectNulBytes, http_error

SECURITY_HEADERS = {
    "cache-control": "no-store", "referrer-policy": "no-referrer", "x-frame-options": "DENY",
    "x-content-type-options": "nosniff", "strict-transport-security": "max-age=31536000",
    "content-security-policy": "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'",
}


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await app.state.engine.dispose()


def create_public_app(settings: Settings, engine: AsyncEngine) -> FastAPI:
    app = FastAPI(title="switchhub area public page", openapi_url=None, docs_url=None, redoc_url=None,
                  lifespan=_lifespan)
    app.state.settings, app.state.engine = settings, engine
    app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        err = http_error(exc)
        return message(request, "error_title", err.detail_en if request.headers.get(
            "accept-language", "").startswith("en") else err.detail_ja, err.status)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> HTMLResponse:
        import logging

        logging.getLogger("switchhub.area.public").exception("unexpected error")
        return message(request, "error_title", "ただいま申請を受け付けられません。しばらくしてから再度お試しください", 500)

    @app.middleware("http")
    async def _headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    app.add_middleware(BodyLimit, max_bytes=64_000)
    app.add_middleware(RejectNulBytes)
    return app
