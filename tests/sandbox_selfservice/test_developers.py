"""Sandbox self-service (issue 10 § Sandbox): an operator's admin creates its developers' API user,
credential and client certificate from the Web without OCCTO, the developer uses them over real
mutual TLS, a revocation refuses the next request; another operator's admin neither sees nor revokes
them; outside a sandbox deployment the page and the API do not exist (404).

Expectations are written from the brief and security.md: the certificate is signed by the sandbox's
CA (the development CA in certs_dir/ca), purpose api, registered for the admin's operator; secrets
are shown once and never written to the audit records.
"""

from __future__ import annotations

import base64
import re
import ssl
from html import unescape

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from tests.hub.helpers import audit_rows, csrf_of, issue_tokens, web_login_reauthenticated
from tests.hub.test_admin_pages_english import assert_english
from tests.live import ca_file, start_live, stop_live
from tests.support import build_stack, close_stack, execute

TITLE_JA, TITLE_EN = "サンドボックス開発者", "Sandbox developers"


@pytest.fixture
async def sandbox(world):
    s = build_stack(world, settings_changes={"sandbox": True})
    yield s
    await close_stack(s)


@pytest.fixture
def live_sandbox(world):
    live = start_live(world, tag="sandboxdev", settings_changes={"sandbox": True})
    yield live
    stop_live(live)


def _by_id(page: str, element_id: str) -> str:
    m = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', page)
    assert m, f"no #{element_id}"
    return unescape(m.group(1))


def _href(page: str, element_id: str) -> str:
    m = re.search(rf'id="{element_id}"[^>]*href="([^"]+)"', page)
    assert m, f"no #{element_id}"
    return unescape(m.group(1))


def _data(href: str) -> bytes:
    assert href.startswith("data:") and ";base64," in href
    return base64.b64decode(href.split(";base64,", 1)[1])


async def _create_on_the_web(client, csrf: str, login_id: str, name: str = "開発 太郎"):
    return await client.post("/sandbox/developers", data={"csrf_token": csrf, "login_id": login_id,
                                                          "display_name": name, "email": ""})


def _developer_row(hub_url: str, login_id: str) -> tuple | None:
    rows = execute(hub_url, "SELECT d.status, d.status_reason, d.operator_code, c.status, c.purpose,"
                            " c.operator_code FROM sandbox_developers d JOIN users u ON u.id = d.user_id"
                            " JOIN client_certificates c ON c.id = d.certificate_id WHERE u.login_id = %s",
                   (login_id,))
    return rows[0] if rows else None


async def test_admin_issues_a_developer_on_the_web_who_calls_the_api_over_tls_until_revoked(live_sandbox,
                                                                                            tmp_path):
    live = live_sandbox
    async with live.client("A0001", "web", token=None) as web:
        csrf = await web_login_reauthenticated(live, web, "a0001-admin")
        page = await web.get("/sandbox/developers")
        assert page.status_code == 200 and TITLE_JA in page.text
        assert 'id="nav-sandbox-developers"' in page.text
        r = await _create_on_the_web(web, csrf, "a0001-dev1")
        assert r.status_code == 200, r.text[:500]
        assert r.headers["cache-control"] == "no-store"
        token, password = _by_id(r.text, "developer-token"), _by_id(r.text, "p12-password")
        fingerprint = _by_id(r.text, "developer-fingerprint")
        p12 = _data(_href(r.text, "p12-download"))
        cert_pem, key_pem = _data(_href(r.text, "cert-download")), _data(_href(r.text, "key-download"))

        # the certificate: signed by the sandbox's CA, for A0001, client authentication, its fingerprint shown
        cert = x509.load_pem_x509_certificate(cert_pem)
        ca = x509.load_pem_x509_certificate(ca_file(live.world).read_bytes())
        cert.verify_directly_issued_by(ca)
        assert cert.fingerprint(hashes.SHA256()).hex() == fingerprint
        assert cert.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)[0].value == "A0001"
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert list(eku) == [x509.ExtendedKeyUsageOID.CLIENT_AUTH]
        # the PKCS#12 file opens with the one-time password only, and holds the same certificate and key
        key, p12_cert, _ = pkcs12.load_key_and_certificates(p12, password.encode())
        assert p12_cert == cert
        pem_key = serialization.load_pem_private_key(key_pem, None)
        assert key.public_key() == pem_key.public_key() == cert.public_key()
        with pytest.raises(ValueError):
            pkcs12.load_key_and_certificates(p12, b"switchhub")
        assert _developer_row(live.hub_db, "a0001-dev1") == ("active", "created_by_admin", "A0001", "active",
                                                             "api", "A0001")

        listing = await web.get("/sandbox/developers")
        row = re.search(r'<tr data-login="a0001-dev1">(.*?)</tr>', listing.text, re.S).group(1)
        assert fingerprint in row and cert.not_valid_after_utc.strftime("%Y-%m-%d") in row and "有効" in row

        # the developer, with only what the page handed over, over real mutual TLS
        (tmp_path / "dev.pem").write_bytes(cert_pem)
        (tmp_path / "dev.key").write_bytes(key_pem)
        ctx = ssl.create_default_context(cafile=str(ca_file(live.world)))
        ctx.load_cert_chain(str(tmp_path / "dev.pem"), str(tmp_path / "dev.key"))
        import httpx

        async with httpx.AsyncClient(base_url=live.hub_base, verify=ctx, timeout=30,
                                     headers={"Authorization": f"Bearer {token}"}) as dev:
            me = await dev.get("/api/v1/me")
            assert me.status_code == 200, me.text
            body = me.json()
            assert body["user"]["login_id"] == "a0001-dev1" and body["operator"]["code"] == "A0001"
            assert body["certificate"]["fingerprint_sha256"] == fingerprint
            assert body["certificate"]["purpose"] == "api"

            listing = await web.get("/sandbox/developers")
            r = await web.post("/sandbox/developers/a0001-dev1/revoke",
                               data={"csrf_token": csrf_of(listing.text)})
            assert r.status_code == 303 and r.headers["location"] == "/sandbox/developers?done=revoked"
            refused = await dev.get("/api/v1/me")
            assert refused.status_code == 403, refused.text
            assert refused.json()["code"] == "certificate_suspended"
        # the token is dead too, even with the operator's own registered API certificate
        async with live.client("A0001", token=token) as other_cert:
            refused = await other_cert.get("/api/v1/me")
            assert refused.status_code == 403 and refused.json()["code"] == "credential_revoked", refused.text
        after = await web.get("/sandbox/developers")
        row = re.search(r'<tr data-login="a0001-dev1">(.*?)</tr>', after.text, re.S).group(1)
        assert "失効" in row and "/revoke" not in row
    assert _developer_row(live.hub_db, "a0001-dev1") == ("revoked", "revoked_by_admin", "A0001", "suspended",
                                                         "api", "A0001")
    for action in ("web.sandbox_developer.create", "web.user.create", "web.credential.issue",
                   "web.certificate.register", "web.sandbox_developer.revoke", "web.user.delete",
                   "web.certificate.suspend"):
        [rec] = audit_rows(live.hub_db, action)
        assert rec["operator_code"] == "A0001" and rec["user_login"] == "a0001-admin", action
        assert token.split(".")[1] not in str(rec["detail"]) and password not in str(rec["detail"])


async def test_the_api_twin_issues_the_same_and_another_operators_admin_cannot_see_or_revoke(sandbox):
    tokens = await issue_tokens(sandbox, "a0001-admin", "a0002-admin", "t0300-admin")
    async with sandbox.client("A0001", token=tokens["a0001-admin"]) as a1:
        r = await a1.post("/api/v1/sandbox/developers",
                          json={"login_id": "a0001-dev2", "display_name": "開発 花子"})
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["token"].startswith("shk_") and body["p12_password"]
        assert body["developer"]["status"] == "active"
        cert = x509.load_pem_x509_certificate(body["cert_pem"].encode())
        assert cert.fingerprint(hashes.SHA256()).hex() == body["developer"]["certificate"]["fingerprint"]
        pkcs12.load_key_and_certificates(base64.b64decode(body["p12_base64"]), body["p12_password"].encode())
        listed = (await a1.get("/api/v1/sandbox/developers")).json()
        assert [d["login_id"] for d in listed["items"]] == ["a0001-dev2"]
    created = audit_rows(sandbox.hub_url, "api.sandbox_developer.create")
    assert [r["resource_ids"] for r in created] == [["a0001-dev2"]]
    for operator, login in (("A0002", "a0002-admin"), ("T0300", "t0300-admin")):
        async with sandbox.client(operator, token=tokens[login]) as other:
            assert (await other.get("/api/v1/sandbox/developers")).json()["items"] == []
            r = await other.post("/api/v1/sandbox/developers/a0001-dev2:revoke")
            assert r.status_code == 404 and r.json()["code"] == "developer_not_found"
        async with sandbox.client(operator, "web", token=None) as web:
            csrf = await web_login_reauthenticated(sandbox, web, login)
            page = await web.get("/sandbox/developers")
            assert page.status_code == 200 and "a0001-dev2" not in page.text
            r = await web.post("/sandbox/developers/a0001-dev2/revoke", data={"csrf_token": csrf})
            assert r.status_code == 404
    assert _developer_row(sandbox.hub_url, "a0001-dev2")[0] == "active"
    async with sandbox.client("A0001", token=tokens["a0001-admin"]) as a1:
        assert (await a1.post("/api/v1/sandbox/developers/a0001-dev2:revoke")).json()["status"] == "revoked"
        again = await a1.post("/api/v1/sandbox/developers/a0001-dev2:revoke")
        assert again.status_code == 409 and again.json()["code"] == "cannot_revoke"


async def test_bad_input_is_a_field_error_in_japanese_and_english_and_nothing_is_issued(sandbox):
    tokens = await issue_tokens(sandbox, "a0001-admin")
    async with sandbox.client("A0001", "web", token=None) as web:
        csrf = await web_login_reauthenticated(sandbox, web, "a0001-admin")
        r = await _create_on_the_web(web, csrf, "A", name="")
        assert r.status_code == 422
        assert "ユーザIDは英小文字・数字・記号" in _by_id(r.text, "login_id-error")
        assert "氏名を入力してください" in _by_id(r.text, "display_name-error")
        r = await _create_on_the_web(web, csrf, "a0001-admin")  # taken
        assert r.status_code == 422 and "使用済み" in _by_id(r.text, "login_id-error")
        assert_english(await web.get("/sandbox/developers?lang=en"), TITLE_EN, "Create a developer",
                       "Fingerprint", "Validity", "Create and issue")
        r = await web.post("/sandbox/developers?lang=en",
                           data={"csrf_token": csrf, "login_id": "B", "display_name": "x"})
        assert "3–64 lower-case letters" in assert_english(r, status=422)
        issued = await web.post("/sandbox/developers",
                                data={"csrf_token": csrf, "login_id": "a0001-dev4", "display_name": "Dev"})
        assert_english(issued, "Developer created", "shown on this page only", "API credential",
                       "Download the client certificate (PKCS#12)", "Private key (PEM)")
    async with sandbox.client("A0001", token=tokens["a0001-admin"]) as a1:
        r = await a1.post("/api/v1/sandbox/developers", json={"login_id": "a0001-api", "display_name": "x"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "login_id"
    # only the one good request issued anything
    assert execute(sandbox.hub_url, "SELECT count(*) FROM sandbox_developers")[0][0] == 1
    assert [r["resource_ids"] for r in audit_rows(sandbox.hub_url, "web.sandbox_developer.create")] == [
        ["a0001-dev4"]]


async def test_outside_a_sandbox_the_page_and_the_api_do_not_exist(stack):
    tokens = await issue_tokens(stack, "a0001-admin", "a0001-user1")
    async with stack.client("A0001", token=tokens["a0001-admin"]) as a1:
        assert (await a1.get("/api/v1/sandbox/developers")).status_code == 404
        r = await a1.post("/api/v1/sandbox/developers",
                          json={"login_id": "a0001-dev3", "display_name": "開発"})
        assert r.status_code == 404
    async with stack.client("A0001", token=tokens["a0001-user1"]) as general:  # the permission comes first
        assert (await general.get("/api/v1/sandbox/developers")).status_code == 403
    async with stack.client("A0001", "web", token=None) as web:
        csrf = await web_login_reauthenticated(stack, web, "a0001-admin")
        assert (await web.get("/sandbox/developers")).status_code == 404
        assert 'id="nav-sandbox-developers"' not in (await web.get("/")).text
        r = await _create_on_the_web(web, csrf, "a0001-dev3")
        assert r.status_code == 404
    assert execute(stack.hub_url, "SELECT count(*) FROM users WHERE login_id = 'a0001-dev3'")[0][0] == 0


async def test_without_the_sandbox_ca_nothing_is_issued(world, tmp_path):
    stack = build_stack(world, settings_changes={"sandbox": True, "certs_dir": tmp_path / "no-certs"})
    try:
        tokens = await issue_tokens(stack, "a0001-admin")
        async with stack.client("A0001", token=tokens["a0001-admin"]) as a1:
            r = await a1.post("/api/v1/sandbox/developers",
                              json={"login_id": "a0001-dev5", "display_name": "Dev"})
        assert r.status_code == 409 and r.json()["code"] == "sandbox_ca_missing"
        assert "switchhub certs init" in r.json()["detail"]
        assert execute(stack.hub_url, "SELECT count(*) FROM users WHERE login_id = 'a0001-dev5'")[0][0] == 0
    finally:
        await close_stack(stack)
