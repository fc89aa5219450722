"""A transaction PostgreSQL ends to resolve a deadlock (40P01) or a serialization conflict (40001) is
answered 503 `transaction_collided` with Retry-After, in Japanese, not 500 (httpkit's handler, in both
apps): nothing was committed and the same request again normally passes. The errors come from the
real driver through SQLAlchemy, raised by PostgreSQL itself with that SQLSTATE."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from switchhub.db.engine import make_engine
from switchhub.httpkit import install_error_handlers


@pytest.mark.parametrize("state", ["40P01", "40001"])
async def test_a_collided_transaction_is_a_503_to_retry_and_another_database_error_a_500(stack, state):
    engine = make_engine(stack.hub_url, pool_size=1)
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/raise/{code}")
    async def raise_state(code: str) -> dict:
        async with engine.begin() as conn:
            await conn.execute(text(f"DO $$ BEGIN RAISE EXCEPTION 'collided' USING ERRCODE = '{code}'; END $$"))
        return {}

    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                     base_url="http://t") as client:
            collided = await client.get(f"/raise/{state}")
            other = await client.get("/raise/23505")  # a unique violation nobody handled: still an internal error
    finally:
        await engine.dispose()
    assert collided.status_code == 503 and collided.headers["retry-after"] == "1"
    body = collided.json()
    assert body["code"] == "transaction_collided" and "もう一度お試しください" in body["detail"]
    assert other.status_code == 500 and other.json()["code"] == "internal_error"
