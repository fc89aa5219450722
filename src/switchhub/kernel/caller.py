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
