"""The T&D's public page, at the HTTP interface: the form, its field-level Japanese errors, the
confirmation mail over real SMTP, CSRF and the rate limits (expected values from the brief: 1–20
points, low voltage only, validity 1/7/31, 10 posts per address, 3 mails per e-mail address)."""

from __future__ import annotations

import hashlib
import re

from tests.support import execute
from tests.usage_web.conftest import client, high_point, low_points


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def form_for(points: list[tuple[str, str, str]], **changes: str) -> dict[str, str]:
    spid, kana, kanji = points[0]
    data = {"spids": "\n".join(p[0] for p in points), "validity_days": "7", "customer_name_kana": kana,
            "customer_name_kanji": kanji, "address": "東京都千代田区千代田1-1", "phone": "03-1234-5678",
            "email": "taro@example.jp", "consent": "yes"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


async def post(c, data: dict[str, str]):
    page = await c.get("/")
    return await c.post("/", data={**data, "csrf_token": csrf_of(page.text)})


def stored(area_url: str) -> int:
    return execute(area_url, "SELECT count(*) FROM public_usage_requests")[0][0]


async def test_form_is_japanese_and_english_on_request(public):
    async with client(public) as c:
        ja = await c.get("/")
        en = await c.get("/", headers={"Accept-Language": "en-US"})
        chosen = await c.get("/?lang=en")
    assert ja.status_code == 200 and "使用量情報照会パスワードの申請" in ja.text
    for name in ("spids", "validity_days", "customer_name_kana", "customer_name_kanji", "address", "phone",
                 "email", "consent", "csrf_token"):
        assert f'name="{name}"' in ja.text
    assert [v for v in re.findall(r'<option value="(\d+)"', ja.text)] == ["1", "7", "31"]
    assert "Usage password request" in en.text and "Usage password request" in chosen.text
    assert ja.headers["cache-control"] == "no-store" and "frame-ancestors 'none'" in ja.headers[
        "content-security-policy"]


async def test_valid_request_mails_a_one_time_link_and_stores_only_its_hash(public, mailbox):
    points = low_points(public.state.area_url, 2)
    async with client(public) as c:
        resp = await post(c, form_for(points))
    assert resp.status_code == 200, resp.text
    assert "確認メールを送信しました" in resp.text and "taro@example.jp" in resp.text
    assert len(mailbox.messages) == 1
    mail = mailbox.messages[0]
    assert mail["To"] == "taro@example.jp"
    body = mailbox.bodies()[0]
    token = re.search(r"https://public\.test/confirm\?token=([A-Za-z0-9_-]+)", body).group(1)
    assert len(token) >= 40 and points[0][0] in body and points[1][0] in body
    rows = execute(public.state.area_url, "SELECT token_hash, email, area, request->'spids', expires_at - created_at"
                   " FROM public_usage_requests")
    assert len(rows) == 1
    token_hash, email, area, spids, ttl = rows[0]
    assert token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in str(rows)
    assert (email, area, spids) == ("taro@example.jp", "03", [p[0] for p in points])
    assert ttl.total_seconds() == 24 * 3600


async def test_every_bad_field_is_reported_next_to_it_and_nothing_is_stored(public, mailbox):
    points = low_points(public.state.area_url, 1)
    bad = form_for(points, spids="0312345", validity_days="30", customer_name_kana="たろう", customer_name_kanji="",
                   address="", phone="12345", email="not-an-address", consent=None)
    async with client(public) as c:
        resp = await post(c, bad)
    assert resp.status_code == 422
    page = resp.text
    expected = {"spids": "22桁", "validity_days": "1日・7日・31日", "customer_name_kana": "全角カタカナ",
                "customer_name_kanji": "氏名（漢字）を入力してください", "address": "住所を入力してください",
                "phone": "電話番号は0から始まる", "email": "メールアドレスの形式", "consent": "同意"}
    for field, words in expected.items():
        shown = re.search(rf'id="error-{field}">([^<]+)<', page)
        assert shown and words in shown.group(1), (field, shown and shown.group(1))
    assert 'value="たろう"' in page  # the form comes back filled in
    assert stored(public.state.area_url) == 0 and mailbox.messages == []


async def test_points_rules_many_duplicates_areas_unknown_and_high_voltage(public, mailbox):
    url = public.state.area_url
    points = low_points(url, 21)
    other_area = low_points(url, 1, area="06")[0][0]
    cases = {
        "\n".join(p[0] for p in points): "20件まで",
        f"{points[0][0]}\n{points[0][0]}": "重複",
        f"{points[0][0]},{other_area}": "同じエリア",
        "0300000000000000000000": "供給地点はありません",
        high_point(url): "低圧の供給地点ではありません",
    }
    async with client(public) as c:
        for spids, words in cases.items():
            resp = await post(c, form_for(points[:1], spids=spids))
            assert resp.status_code == 422, spids
            assert words in re.search(r'id="error-spids">([^<]+)<', resp.text).group(1), spids
    assert stored(url) == 0 and mailbox.messages == []


async def test_full_width_input_is_accepted(public, mailbox):
    spid, kana, kanji = low_points(public.state.area_url, 1)[0]
    wide = spid.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    async with client(public) as c:
        resp = await post(c, form_for([(wide, kana, kanji)], phone="０３－１２３４－５６７８"))
    assert resp.status_code == 200, resp.text
    assert execute(public.state.area_url, "SELECT request->'spids'->>0, request->>'phone'"
                   " FROM public_usage_requests")[0] == (spid, "03-1234-5678")


async def test_post_without_the_form_token_is_refused(public, mailbox):
    points = low_points(public.state.area_url, 1)
    async with client(public) as c:
        await c.get("/")
        missing = await c.post("/", data=form_for(points))
        wrong = await c.post("/", data={**form_for(points), "csrf_token": "x" * 43})
    async with client(public) as fresh:  # a token from another browser (no cookie)
        other = await fresh.post("/", data={**form_for(points), "csrf_token": "x" * 43})
    for resp in (missing, wrong, other):
        assert resp.status_code == 403 and "画面の有効期限が切れました" in resp.text
    assert stored(public.state.area_url) == 0 and mailbox.messages == []


async def test_rate_limit_per_client_address(public, mailbox):
    points = low_points(public.state.area_url, 1)
    async with client(public, addr="203.0.113.5") as c:
        for n in range(10):  # bad posts count as well: 10 per address, then refused
            resp = await post(c, form_for(points, email=f"user{n}@example.jp", phone="1"))
            assert resp.status_code == 422
        refused = await post(c, form_for(points))
    assert refused.status_code == 429 and "しばらく時間をおいてから" in refused.text
    assert int(refused.headers["retry-after"]) > 0
    async with client(public, addr="203.0.113.6") as other:
        assert (await post(other, form_for(points))).status_code == 200
    assert stored(public.state.area_url) == 1 and len(mailbox.messages) == 1


async def test_rate_limit_per_email_address(public, mailbox):
    points = low_points(public.state.area_url, 1)
    for n in range(3):
        async with client(public, addr=f"192.0.2.{n + 1}") as c:
            assert (await post(c, form_for(points, email="Hanako@Example.JP"))).status_code == 200
    async with client(public, addr="192.0.2.99") as c:
        refused = await post(c, form_for(points, email="hanako@example.jp"))
    assert refused.status_code == 429 and "このメールアドレスへの確認メールの送信が多すぎます" in refused.text
    assert stored(public.state.area_url) == 3 and len(mailbox.messages) == 3


async def test_mail_server_refusing_leaves_nothing_stored(public, mailbox):
    mailbox.refuse = True
    points = low_points(public.state.area_url, 1)
    async with client(public) as c:
        resp = await post(c, form_for(points))
    assert resp.status_code == 503 and "確認メールを送信できませんでした" in resp.text
    assert stored(public.state.area_url) == 0
