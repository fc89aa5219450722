"""Where the hub may send a webhook: https only, and never to an internal address (SSRF).

A webhook URL is chosen by an operator, so without this check the hub could be made to POST
to its own loopback services, the private network behind it or a cloud metadata endpoint.
The check runs at registration and again at every delivery, because a name that resolved to
a public address at registration may resolve to 127.0.0.1 later (DNS rebinding). Every
resolved address must pass; the delivery then connects to the address that was checked
(`Target.pinned_url`), so no second resolution can swap it. Hosts on the configured
allow-list (the demo's and tests' local receivers) skip the address check, not https.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from switchhub.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
RESOLVE_TIMEOUT_S = 5.0

# Refused whatever Python's own tables say (they changed between releases).
BLOCKED_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "169.254.169.254/32", "fd00:ec2::254/128",  # cloud metadata; inside the ranges around them, named anyway
    "::/128", "::1/128", "::/96", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64",
    "2001:db8::/32", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
))
# IPv6 prefixes whose last 32 bits are an IPv4 address (IPv4-compatible, NAT64 well-known prefix)
V4_IN_LAST_32 = tuple(ipaddress.ip_network(n) for n in ("::/96", "64:ff9b::/96"))


class UrlRefused(Exception):
    """The URL may not be used; `code` is the short reason stored and answered (e.g. address_not_allowed)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Resolver(Protocol):
    """Name → addresses; injectable so that tests can answer differently at each call (rebinding)."""

    async def resolve(self, host: str, port: int) -> list[str]: ...


class SystemResolver:
    """The operating system's resolver, without blocking the event loop."""

    async def resolve(self, host: str, port: int) -> list[str]:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class WebhookPolicy:
    resolver: Resolver = field(default_factory=SystemResolver)
    allowed_hosts: frozenset[str] = frozenset()  # "host" or "host:port", lower case (Settings)

    @classmethod
    def from_settings(cls, settings: Settings, resolver: Resolver | None = None) -> "WebhookPolicy":
        """One construction for registration (hub app) and delivery (worker): the same allow-list."""
        return cls(resolver or SystemResolver(), settings.webhook_allowed_hosts)


@dataclass(frozen=True)
class Target:
    """A checked URL and the checked address to connect to."""

    url: httpx.URL
    address: str

    def pinned_url(self) -> httpx.URL:
        return self.url.copy_with(host=self.address)

    @property
    def hostname(self) -> str:  # ASCII (IDNA) form: what TLS must verify and SNI must name
        return self.url.raw_host.decode("ascii")

    @property
    def is_literal(self) -> bool:
        return _ip(self.hostname) is not None


def _ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _embedded_v4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses carried inside an IPv6 one (mapped, compatible, NAT64, 6to4, Teredo)."""
    found = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if any(ip in net for net in V4_IN_LAST_32):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [x for x in found if x is not None]


def address_allowed(ip: IPAddress) -> bool:
    """Only globally routable unicast addresses; an IPv6 address also by the IPv4 address inside it."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_site_local or any(not address_allowed(v4) for v4 in _embedded_v4(ip)):
            return False
    return not (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved
                or ip.is_unspecified or not ip.is_global
                or any(ip.version == net.version and ip in net for net in BLOCKED_NETWORKS))


def _on_allow_list(host: str, port: int, allowed: frozenset[str]) -> bool:
    shown = f"[{host}]" if ":" in host else host
    return host in allowed or f"{shown}:{port}" in allowed


async def check_url(raw: str, policy: WebhookPolicy) -> Target:
    """The target to connect to, or UrlRefused(https_required | url_format | unresolvable_host |
    address_not_allowed)."""
    try:
        url = httpx.URL(raw)
        host = url.raw_host.decode("ascii").rstrip(".").lower()
    except (httpx.InvalidURL, UnicodeError, ValueError):
        raise UrlRefused("url_format") from None
    if url.scheme != "https":
        raise UrlRefused("https_required")
    if not host or url.userinfo:
        raise UrlRefused("url_format")
    port = url.port or 443
    on_list = _on_allow_list(host, port, policy.allowed_hosts)
    if not on_list and (host == "localhost" or host.endswith(".localhost")):
        raise UrlRefused("address_not_allowed")  # RFC 6761: always loopback, whatever a resolver says
    literal = _ip(host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = await asyncio.wait_for(policy.resolver.resolve(host, port), RESOLVE_TIMEOUT_S)
        except (OSError, UnicodeError, asyncio.TimeoutError):
            raise UrlRefused("unresolvable_host") from None
    parsed = [_ip(a) for a in addresses]
    if not parsed or any(p is None for p in parsed):
        raise UrlRefused("unresolvable_host")
    if not on_list and not all(address_allowed(p) for p in parsed if p is not None):
        raise UrlRefused("address_not_allowed")
    return Target(url, str(parsed[0]))
