"""Webhook URL policy (hub/notify/urlpolicy.py): https only, never an internal address, at
registration over the API and again at every delivery, to the address that was checked, with
the certificate verified against the host name."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from switchhub.config import Settings
from switchhub.hub.notify.delivery import SmtpConfig, deliver_due
from switchhub.hub.notify.service import URL_MESSAGES
from switchhub.hub.notify.urlpolicy import (
    SystemResolver,
    UrlRefused,
    WebhookPolicy,
    address_allowed,
    check_url,
)
from tests.flow.helpers import frozen, smart_point_of
from tests.flow.test_outbox_and_notify import (
    HOOK_HOST,
    NOW,
    HttpsReceiver,
    ScriptedResolver,
    by_channel,
    hooks_stack,
    make_admin,
    policy_of,
    trusting,
    webhook_certs,
)
from tests.flow.test_switch_api import relay_body

__all__ = ["hooks_stack"]  # the fixture, shared with the flow test
PUBLIC = "93.184.215.14"
SMTP = SmtpConfig("127.0.0.1", 1, "x@test")  # no subscriptions here: never contacted

REFUSED = {
    "http://hooks.example.com/hook": "https_required",
    "http://127.0.0.1:8080/hook": "https_required",
    "ftp://hooks.example.com/": "https_required",
    "https://user:pw@hooks.example.com/": "url_format",
    "https://127.0.0.1/": "address_not_allowed",
    "https://10.0.0.1/": "address_not_allowed",
    "https://172.16.5.4/": "address_not_allowed",
    "https://192.168.1.1/": "address_not_allowed",
    "https://169.254.169.254/latest/meta-data": "address_not_allowed",
    "https://100.64.0.1/": "address_not_allowed",
    "https://0.0.0.0/": "address_not_allowed",
    "https://224.0.0.1/": "address_not_allowed",
    "https://[::1]/": "address_not_allowed",
    "https://[::ffff:127.0.0.1]/": "address_not_allowed",
    "https://[::ffff:10.0.0.1]/": "address_not_allowed",
    "https://[fe80::1]/": "address_not_allowed",
    "https://[fc00::1]/": "address_not_allowed",
    "https://[fd00:ec2::254]/": "address_not_allowed",
    "https://[2002:7f00:1::]/": "address_not_allowed",  # 6to4 around 127.0.0.1
    "https://localhost/": "address_not_allowed",
    "https://LOCALHOST./": "address_not_allowed",
    "https://admin.localhost/": "address_not_allowed",
    "https://intranet.example.com/": "address_not_allowed",  # resolves to 10.1.2.3
    "https://mixed.example.com/": "address_not_allowed",  # one public, one loopback address
    "https://nowhere.invalid/": "unresolvable_host",
}
RESOLVER_SCRIPT = {"hooks.example.com": [[PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:1e3e"]],
                   "intranet.example.com": [["10.1.2.3"]], "mixed.example.com": [[PUBLIC, "127.0.0.1"]],
                   "localhost": [[PUBLIC]], "admin.localhost": [[PUBLIC]]}  # by name, whatever DNS says


async def test_registration_refuses_each_internal_or_plain_url(stack):
    stack.hub_app.state.webhook_resolver = ScriptedResolver(RESOLVER_SCRIPT)
    await make_admin(stack, "m0300-api")
    answers = {}
    async with stack.client("M0300") as cur:
        for url, code in REFUSED.items():
            r = await cur.post("/api/v1/webhooks", json={"url": url})
            answers[url] = (r.status_code, r.json().get("errors"))
        english = await cur.post("/api/v1/webhooks", json={"url": "https://10.0.0.1/"},
                                 headers={"Accept-Language": "en"})
        listed = (await cur.get("/api/v1/webhooks")).json()
    assert answers == {url: (422, [{"field": "url", "code": code, "message": URL_MESSAGES[code][0]}])
                       for url, code in REFUSED.items()}
    assert english.json()["errors"] == [{"field": "url", "code": "address_not_allowed",
                                         "message": URL_MESSAGES["address_not_allowed"][1]}]
    assert listed == {"total": 0, "items": []}


async def test_registration_accepts_public_name_and_allow_listed_host(stack, hooks_stack):
    stack.hub_app.state.webhook_resolver = ScriptedResolver({**RESOLVER_SCRIPT, HOOK_HOST: [["127.0.0.1"]]})
    await make_admin(stack, "m0300-api")
    await make_admin(hooks_stack, "m0300-api")
    async with stack.client("M0300") as cur:
        public = await cur.post("/api/v1/webhooks", json={"url": "https://hooks.example.com/switchhub"})
        local = await cur.post("/api/v1/webhooks", json={"url": f"https://{HOOK_HOST}:8443/hook"})
    async with hooks_stack.client("M0300") as cur:
        allowed = await cur.post("/api/v1/webhooks", json={"url": f"https://{HOOK_HOST}:8443/hook"})
        plain = await cur.post("/api/v1/webhooks", json={"url": f"http://{HOOK_HOST}:8443/hook"})
        other_local = await cur.post("/api/v1/webhooks", json={"url": "https://127.0.0.1:8443/hook"})
    assert (public.status_code, public.json()["url"]) == (201, "https://hooks.example.com/switchhub")
    assert (local.status_code, local.json()["errors"][0]["code"]) == (422, "address_not_allowed")  # not listed
    assert (allowed.status_code, allowed.json()["url"]) == (201, f"https://{HOOK_HOST}:8443/hook")
    # the allow-list exempts its hosts from the address check only, never from https
    assert [(r.status_code, r.json()["errors"][0]["code"]) for r in (plain, other_local)] == [
        (422, "https_required"), (422, "address_not_allowed")]
    assert hooks_stack.hub_app.state.webhook_resolver.calls == [HOOK_HOST]


async def _register_and_raise_event(stack, url: str, skip: int) -> None:
    await make_admin(stack, "m0300-api")
    async with stack.client("M0300") as cur, stack.client("A0001") as new:
        hook = await cur.post("/api/v1/webhooks", json={"url": url, "event_kinds": ["relay.registered"]})
        assert hook.status_code == 201, hook.text
        spid = smart_point_of(stack.world, "M0300", skip=skip)
        assert (await new.post("/api/v1/relays", json=relay_body(spid))).status_code == 201


async def _log(stack) -> dict:
    async with stack.client("M0300") as cur:
        return (await cur.get("/api/v1/notifications/deliveries")).json()


async def test_rebinding_to_loopback_after_registration_is_refused_at_delivery(stack, tmp_path):
    ca_cert, cert, _ = webhook_certs(tmp_path)
    resolver = ScriptedResolver({"rebind.example.com": [[PUBLIC], ["127.0.0.1"]]})
    stack.hub_app.state.webhook_resolver = resolver
    async with HttpsReceiver(cert) as receiver, trusting(ca_cert) as http:
        url = f"https://rebind.example.com:{receiver.port}/hook"
        with frozen(NOW) as clock:
            await _register_and_raise_event(stack, url, skip=9)
            assert await deliver_due(stack.hub_app.state.engine, smtp=SMTP, now=clock.now(), http_client=http,
                                     policy=policy_of(stack)) == 0
            log = await _log(stack)
        assert by_channel(log) == {"webhook": {"target": url, "event_kind": "relay.registered",
                                               "status": "pending", "attempts": 1,
                                               "last_error": "address_not_allowed"}}
        assert resolver.calls == ["rebind.example.com", "rebind.example.com"]  # registration, delivery
        assert (receiver.connections, receiver.requests) == (0, [])


async def test_delivery_connects_to_the_checked_address_and_verifies_the_name(hooks_stack, tmp_path):
    """hooks.test is known only to the injected resolver: the delivery succeeds only by connecting to
    the address checked, and the certificate names only hooks.test (no IP address), so it also
    proves that TLS verified the name, not the address."""
    stack = hooks_stack
    ca_cert, cert, _ = webhook_certs(tmp_path)
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo(HOOK_HOST, 443)
    async with HttpsReceiver(cert) as receiver, trusting(ca_cert) as http:
        url = f"https://{HOOK_HOST}:{receiver.port}/hook"
        with frozen(NOW) as clock:
            await _register_and_raise_event(stack, url, skip=10)
            stack.hub_app.state.webhook_resolver.calls.clear()
            assert await deliver_due(stack.hub_app.state.engine, smtp=SMTP, now=clock.now(), http_client=http,
                                     policy=policy_of(stack)) == 1
            log = await _log(stack)
        assert by_channel(log)["webhook"]["status"] == "delivered"
        assert stack.hub_app.state.webhook_resolver.calls == [HOOK_HOST]  # one resolution per delivery
        [(line, headers, _)] = receiver.requests
        assert (line, headers["host"], headers["connection"]) == ("POST /hook HTTP/1.1",
                                                                  f"{HOOK_HOST}:{receiver.port}", "close")
        assert (receiver.connections, receiver.sni) == (1, [HOOK_HOST])


async def test_certificate_for_another_name_is_a_tls_error(hooks_stack, tmp_path):
    """The receiver's certificate is valid for 127.0.0.1 (the pinned address) and other.test, not
    for hooks.test: refused, because the name in the URL is what must match."""
    stack = hooks_stack
    ca_cert, _, wrong = webhook_certs(tmp_path)
    async with HttpsReceiver(wrong) as receiver, trusting(ca_cert) as http:
        url = f"https://{HOOK_HOST}:{receiver.port}/hook"
        with frozen(NOW) as clock:
            await _register_and_raise_event(stack, url, skip=11)
            assert await deliver_due(stack.hub_app.state.engine, smtp=SMTP, now=clock.now(), http_client=http,
                                     policy=policy_of(stack)) == 0
            log = await _log(stack)
        assert by_channel(log)["webhook"] == {"target": url, "event_kind": "relay.registered",
                                              "status": "pending", "attempts": 1, "last_error": "tls_error"}
        assert (receiver.connections, receiver.tls_failures, receiver.requests) == (1, 1, [])


@pytest.mark.parametrize("address, allowed", [
    ("8.8.8.8", True), (PUBLIC, True), ("2606:4700::1111", True), ("2002:808:808::1", True),
    ("127.0.0.1", False), ("127.255.0.1", False), ("10.255.255.255", False), ("172.31.0.1", False),
    ("192.168.0.1", False), ("169.254.169.254", False), ("169.254.0.1", False), ("100.64.0.1", False),
    ("100.127.255.254", False), ("0.0.0.0", False), ("0.1.2.3", False), ("224.0.0.1", False),
    ("239.255.255.250", False), ("240.0.0.1", False), ("255.255.255.255", False), ("192.0.2.1", False),
    ("198.18.0.1", False), ("::", False), ("::1", False), ("::ffff:127.0.0.1", False),
    ("::ffff:169.254.169.254", False), ("::ffff:8.8.8.8", False), ("::127.0.0.1", False),
    ("::10.0.0.1", False), ("64:ff9b::7f00:1", False), ("2002:a00:1::", False), ("fe80::1", False),
    ("fe80::1%eth0", False), ("fc00::1", False), ("fd00:ec2::254", False), ("fec0::1", False),
    ("ff02::1", False), ("2001:db8::1", False),
])
def test_address_table(address, allowed):
    assert address_allowed(ipaddress.ip_address(address)) is allowed


async def test_allow_list_entry_with_a_port_allows_that_port_only():
    policy = WebhookPolicy(ScriptedResolver({HOOK_HOST: [["127.0.0.1"]]}), frozenset({f"{HOOK_HOST}:8443", "::1"}))
    target = await check_url(f"https://{HOOK_HOST}:8443/h", policy)
    assert (str(target.pinned_url()), target.hostname) == ("https://127.0.0.1:8443/h", HOOK_HOST)
    assert str((await check_url("https://[::1]:9000/h", policy)).pinned_url()) == "https://[::1]:9000/h"
    for url in (f"https://{HOOK_HOST}:9443/h", f"https://{HOOK_HOST}/h"):
        with pytest.raises(UrlRefused) as refused:
            await check_url(url, policy)
        assert refused.value.code == "address_not_allowed"


async def test_system_resolver_and_numeric_host_forms():
    """The real resolver: odd numeric forms are names to the URL parser but resolve to 127.0.0.1."""
    assert {ipaddress.ip_address(a).is_loopback for a in await SystemResolver().resolve("localhost", 443)} == {True}
    for url, code in (("https://2130706433/", "address_not_allowed"), ("https://0x7f.1/", "address_not_allowed"),
                      ("https://nowhere.invalid/", "unresolvable_host")):
        with pytest.raises(UrlRefused) as refused:
            await check_url(url, WebhookPolicy())
        assert refused.value.code == code


def test_allow_list_setting_from_the_environment(monkeypatch):
    monkeypatch.setenv("SWITCHHUB_WEBHOOK_ALLOW_HOSTS", " Hooks.Test:8443 , receiver.local,[::1],, ")
    assert Settings.from_env().webhook_allowed_hosts == frozenset({"hooks.test:8443", "receiver.local", "::1"})
    monkeypatch.delenv("SWITCHHUB_WEBHOOK_ALLOW_HOSTS")
    assert Settings.from_env().webhook_allowed_hosts == frozenset()


async def test_default_delivery_client_ignores_proxies_and_redirects():
    """A proxy from the environment would resolve the name itself and undo the pinning."""
    from switchhub.hub.notify.delivery import delivery_client

    async with delivery_client() as client:
        assert (client.trust_env, client.follow_redirects) == (False, False)
