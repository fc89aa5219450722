"""The hub's cache of API identities, each use confirmed by the database before its answer leaves.

Why: the identity statement (certificate, credential, user, operators, break-glass grants) was one
round trip of the hub and one statement of PostgreSQL on every facility lookup, ≈ 10 % of the full
path's CPU (docs/benchmarks.md P1). Why not a cache invalidated by NOTIFY: a notification reaches
each hub process some time after the suspending commit, and a request in between would pass; the
security rule is that a suspended certificate, user or operator is refused on the very next request.

So a cached identity is only a claim. An entry holds the identity and its stamp (a digest of every
value its decisions read, `accounts.repository._STAMP`); a request that finds one carries the claim
(`IdentityClaim`) in its state, and the claim is confirmed against the database before anything
the identity allowed leaves or is changed:
* the facility lookups (routes marked `confirmed_by_audit`) send the claim with their audit records:
  the statement that writes them checks the stamp again and writes only the records whose claim holds
  (`hub/audit/group_commit.py`). A claim that no longer holds fails its request with `StaleIdentity`;
  the route then reads the identity again and serves the request once more under it (refused, if
  the change was a suspension);
* every other route confirms the claim before it runs (`deps.api_caller`): the same one statement as
  without a cache;
* a response that starts while its claim is unconfirmed (an error answered before the audit write:
  not found, rate limited) is held until the gate has confirmed it (`identity.CertificateGate`).
Read committed: each check sees every change committed before it started, which is after the request
arrived, in whichever hub process the change was made.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from switchhub.hub.accounts.repository import CHECK_IDENTITY_CLAIMS
from switchhub.hub.accounts.service import (
    CertIdentity,
    PrefetchedCredential,
    RefusedError,
    identify_api_request,
)

#: request state: the IdentityClaim of an identity read from the cache and not yet confirmed (absent or
#: None: read from the database for this request, or confirmed since)
IDENTITY_CLAIM = "identity_claim"
#: request state: the credential read with the certificate (service.PrefetchedCredential)
PREFETCHED = "prefetched_credential"
#: endpoint attribute: the route's audit write confirms the claim (the facility lookups)
CONFIRMED_BY_AUDIT = "identity_confirmed_by_audit"


class StaleIdentity(Exception):
    """The identity a request was served under no longer holds: nothing of its answer was written."""


@dataclass(frozen=True)
class IdentityClaim:
    """An identity the request was served under, to be confirmed by the audit write's statement."""

    fingerprint: str
    key_id: str
    stamp: str

    #: a SELECT of (n, holds) from the claims as `:claims` (JSON of n, fp, key_id, stamp) and `:now`
    check_sql: ClassVar[str] = CHECK_IDENTITY_CLAIMS
    stale: ClassVar[type[Exception]] = StaleIdentity

    @staticmethod
    def params(claims: list["IdentityClaim"], now: Any) -> dict[str, Any]:
        return {"claims": json.dumps([{"n": n, "fp": c.fingerprint, "key_id": c.key_id, "stamp": c.stamp}
                                      for n, c in enumerate(claims)]), "now": now}


@dataclass
class RequestClaim:
    """One request's claim on its way to the audit write (`confirmed`: a write held it)."""

    claim: IdentityClaim
    confirmed: bool = False


@dataclass(frozen=True)
class CachedIdentity:
    cert: CertIdentity
    credential: PrefetchedCredential
    claim: IdentityClaim
    expires: float  # IdentityCache.clock()


def confirmed_by_audit(endpoint: Any) -> Any:
    """Route decorator: the route sends the request's identity claim with its audit records
    (points.service) and serves the request again under the database's identity on StaleIdentity."""
    setattr(endpoint, CONFIRMED_BY_AUDIT, True)
    return endpoint


class IdentityCache:
    """Identities of one hub process by (certificate fingerprint, credential key id). Only complete,
    admitted identities are stored (a refused certificate or an unknown credential is read every
    time); the secret is still checked against the stored hash on every request (service)."""

    def __init__(self, max_entries: int = 10_000, ttl_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries, self.ttl_s, self.clock = max_entries, ttl_s, clock
        self._entries: OrderedDict[tuple[str, str], CachedIdentity] = OrderedDict()

    def get(self, fingerprint: str, key_id: str) -> CachedIdentity | None:
        entry = self._entries.get((fingerprint, key_id))
        if entry is None:
            return None
        if entry.expires < self.clock():
            del self._entries[(fingerprint, key_id)]
            return None
        return entry

    def put(self, cert: CertIdentity, credential: PrefetchedCredential, stamp: str) -> None:
        if credential.row is None:
            return
        key = (cert.fingerprint, credential.key_id)
        self._entries.pop(key, None)
        self._entries[key] = CachedIdentity(cert, credential, IdentityClaim(cert.fingerprint, credential.key_id, stamp),
                                            self.clock() + self.ttl_s)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)  # the oldest stored

    def forget(self, fingerprint: str, key_id: str) -> None:
        self._entries.pop((fingerprint, key_id), None)

    def __len__(self) -> int:
        return len(self._entries)


class Identities:
    """API identities read through the cache: `read` from the database (and stored), `cached` from the
    cache, `confirm` a request's claim (its state then holds the database's identity)."""

    def __init__(self, reader: Any, cache: IdentityCache | None = None) -> None:
        self.reader = reader
        self.cache = cache if cache is not None else IdentityCache()

    def cached(self, fingerprint: str, key_id: str) -> CachedIdentity | None:
        return self.cache.get(fingerprint, key_id)

    async def read(self, fingerprint: str, key_id: str) -> tuple[CertIdentity, PrefetchedCredential, str]:
        """The identity as the database has it now (RefusedError: the certificate's refusal)."""
        try:
            async with self.reader.connect() as conn:
                cert, credential, stamp = await identify_api_request(conn, fingerprint, key_id)
        except RefusedError:
            self.cache.forget(fingerprint, key_id)
            raise
        self.cache.put(cert, credential, stamp)
        return cert, credential, stamp

    async def confirm(self, state: dict[str, Any]) -> bool:
        """Replace the request's claimed identity by the database's; whether it is unchanged."""
        claim: IdentityClaim | None = state.get(IDENTITY_CLAIM)
        if claim is None:
            return True
        state[IDENTITY_CLAIM] = None
        state["cert"], state[PREFETCHED], stamp = await self.read(claim.fingerprint, claim.key_id)
        return stamp == claim.stamp
