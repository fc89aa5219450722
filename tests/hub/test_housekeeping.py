"""The worker's housekeeping (api.md: an `Idempotency-Key` is kept 7 days; security.md: a web
session ends after 30 minutes idle or 12 hours in all)."""

from __future__ import annotations

from datetime import timedelta as td

from sqlalchemy import text

from switchhub.worker import housekeeping


async def test_old_keys_go_and_expired_sessions_end(stack):
    engine = stack.hub_app.state.engine
    async with engine.begin() as conn:
        op, uid = (await conn.execute(text("SELECT operator_code, id FROM users ORDER BY id LIMIT 1"))).one()
        for key, age in (("old", td(days=7, minutes=1)), ("young", td(days=6, hours=23))):
            await conn.execute(text(
                "INSERT INTO idempotency_keys (operator_code, key, request_hash, status_code, response_body,"
                " content_type, created_at) VALUES (:op, :k, repeat('0', 64), 200, '', 'application/json',"
                " now() - CAST(:age AS interval))"), {"op": op, "k": key, "age": age})
        sessions = {  # token: (age, idle)
            "idle": (td(hours=1), td(minutes=31)), "long": (td(hours=12, minutes=1), td(minutes=1)),
            "fresh": (td(hours=11, minutes=59), td(minutes=29)),
        }
        for token, (age, idle) in sessions.items():
            await conn.execute(text(
                "INSERT INTO web_sessions (token_hash, user_id, cert_fingerprint, csrf_token, created_at, last_seen_at)"
                " VALUES (:t, :u, repeat('0', 64), 'c', now() - CAST(:age AS interval),"
                " now() - CAST(:idle AS interval))"), {"t": token, "u": uid, "age": age, "idle": idle})

    await housekeeping(engine)

    async with engine.connect() as conn:
        keys = (await conn.execute(text("SELECT key FROM idempotency_keys WHERE key IN ('old', 'young')"))).scalars()
        ended = dict((await conn.execute(text(
            "SELECT token_hash, ended_at IS NOT NULL FROM web_sessions WHERE token_hash IN ('idle', 'long', 'fresh')"
        ))).all())
    assert sorted(keys) == ["young"]
    assert ended == {"idle": True, "long": True, "fresh": False}
