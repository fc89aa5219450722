"""The acting party of one action, and the one builder of its audit entries.

Every door (API route, Web view, CLI command, job) makes an `Actor` and hands it to the
service function; the service checks the permission and writes `actor.entry(...)` in the
transaction of the change. The same action through the API and the Web therefore writes the
same record, differing only in the channel prefix of the action (`api.relay.register`,
`web.relay.register`) and the certificate that was used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from switchhub.hub.audit.repository import AuditEntry
from switchhub.kernel.caller import Caller

CHANNELS = ("api", "web", "cli", "system")


@dataclass(frozen=True)
class Actor:
    caller: Caller
    channel: str = "api"
    request_id: str = ""
    remote_addr: str = ""
    purpose: str = "switching"

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}")

    def entry(self, subject_action: str, **kw: Any) -> AuditEntry:
        """An audit entry for `<subject>.<action>` done by this actor through its channel."""
        return self._entry(f"{self.channel}.{subject_action}", **kw)

    def alert(self, what: str, **kw: Any) -> AuditEntry:
        """An alert record (`alert.<what>`) raised while serving this actor (OCCTO's analysis reads them)."""
        return self._entry(f"alert.{what}", **kw)

    def _entry(self, action: str, **kw: Any) -> AuditEntry:
        c = self.caller
        kw.setdefault("purpose", self.purpose)
        return build(action, operator_code=c.operator_code or None, user_login=c.user_login or None,
                     cert_fingerprint=c.cert_fingerprint or None, request_id=self.request_id,
                     remote_addr=self.remote_addr, **kw)

    def with_purpose(self, purpose: str) -> "Actor":
        return Actor(self.caller, self.channel, self.request_id, self.remote_addr, purpose)


def build(action: str, **kw: Any) -> AuditEntry:
    """The one constructor of audit entries. Actors use it through `entry`/`alert`; the doors that act
    before anyone is authenticated (certificate refusals, login attempts) and the operator's CLI use
    `unauthenticated` and `cli_entry`, so that every record has the same shape."""
    return AuditEntry(action=action, **kw)


def unauthenticated(action: str, *, request_id: str = "", remote_addr: str = "", cert_fingerprint: str | None = None,
                    operator_code: str | None = None, user_login: str | None = None, **kw: Any) -> AuditEntry:
    """A record of an attempt before authentication: what was presented, from where."""
    return build(action, request_id=request_id, remote_addr=remote_addr, cert_fingerprint=cert_fingerprint,
                 operator_code=operator_code, user_login=user_login, **kw)


def cli_entry(subject_action: str, actor_login: str, **kw: Any) -> AuditEntry:
    """A record of an operator's command-line administration (`admin.<subject>.<action>`)."""
    return build(f"admin.{subject_action}", user_login=actor_login, **kw)
