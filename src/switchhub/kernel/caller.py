"""Who is acting: the operator and user behind a request, as resolved from certificate + credential.

The hub resolves it (accounts); the area receives it from the hub in headers it accepts
only over the hub's certificate. Everything that decides access takes a `Caller`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class BreakGlass:
    """An approved break-glass grant valid now for this caller (seed 004 type B), as the hub resolved
    it: which field classes (`kernel.visibility.FieldClass` values) it opens in which areas. The hub
    attaches it to the caller of one request and sends it to the area with the acting-operator
    headers; `kernel.visibility` takes it as an input of the lookup decision."""

    grant_id: str
    classes: frozenset[str]
    areas: frozenset[str]


@dataclass(frozen=True)
class Caller:
    operator_code: str
    kind: str  # occto | retailer | tso
    areas: frozenset[str] = field(default_factory=frozenset)
    user_login: str = ""
    role: str = "general"
    cert_fingerprint: str = ""
    #: active break-glass grants naming this user (resolved by the hub per request; empty otherwise)
    breakglass: tuple[BreakGlass, ...] = ()
    #: the hub read `breakglass` together with the identity of this request (one statement, the
    #: hot path): nothing to look up again; False where it was not read (sessions, the area's view)
    breakglass_checked: bool = False

    @property
    def is_retailer(self) -> bool:
        return self.kind == "retailer"

    @property
    def is_tso(self) -> bool:
        return self.kind == "tso"

    @property
    def is_occto(self) -> bool:
        return self.kind == "occto"
