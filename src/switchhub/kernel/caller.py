"""Who is acting: the operator and user behind a request, as resolved from certificate + credential.

The hub resolves it (accounts); the area receives it from the hub in headers it accepts
only over the hub's certificate. Everything that decides access takes a `Caller`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Caller:
    operator_code: str
    kind: str  # occto | retailer | tso
    areas: frozenset[str] = field(default_factory=frozenset)
    user_login: str = ""
    role: str = "general"
    cert_fingerprint: str = ""

    @property
    def is_retailer(self) -> bool:
        return self.kind == "retailer"

    @property
    def is_tso(self) -> bool:
        return self.kind == "tso"

    @property
    def is_occto(self) -> bool:
        return self.kind == "occto"

    def headers(self) -> dict[str, str]:
        """The acting-operator headers the hub sends to an area system."""
        return {
            "X-Switchhub-Operator": self.operator_code,
            "X-Switchhub-Operator-Kind": self.kind,
            "X-Switchhub-Operator-Areas": ",".join(sorted(self.areas)),
            "X-Switchhub-User": self.user_login,
            "X-Switchhub-Role": self.role,
        }

    @classmethod
    def from_headers(cls, headers: "object") -> "Caller | None":
        get = headers.get  # type: ignore[attr-defined]
        code, kind = get("x-switchhub-operator"), get("x-switchhub-operator-kind")
        if not code or kind not in ("occto", "retailer", "tso"):
            return None
        areas = frozenset(a for a in (get("x-switchhub-operator-areas") or "").split(",") if a)
        return cls(code, kind, areas, get("x-switchhub-user") or "", get("x-switchhub-role") or "general")
