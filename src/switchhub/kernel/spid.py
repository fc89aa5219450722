"""Supply point IDs (供給地点特定番号): 22 digits, the first two naming the area.

No check digit is known (domain.md); validation is exactly 22 ASCII digits with a known
area code, after full-width digits are normalised.
"""

from __future__ import annotations

import unicodedata

from switchhub.kernel.errors import InputError

AREA_CODES: tuple[str, ...] = tuple(f"{i:02d}" for i in range(1, 11))


#: The canonical form, as documented in the OpenAPI document (full-width digits are accepted too,
#: and normalised; validation itself is `parse_spid`, which gives the field-level message).
SPID_PATTERN = r"^(0[1-9]|10)[0-9]{20}$"
SPID_DOC = {"pattern": SPID_PATTERN, "examples": ["0312345678901234567890"]}


def normalize_spid(raw: str) -> str:
    """Full-width digits (IME input) → ASCII and outer whitespace off; nothing else is "fixed",
    so a hyphenated or short ID is still rejected rather than guessed at."""
    return unicodedata.normalize("NFKC", raw).strip()


def parse_spid(raw: object, field: str = "spid") -> str:
    """The normalised spid, or a field-level InputError."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise InputError.single(field, "spid_required", "供給地点特定番号を入力してください",
                                "Enter the supply point ID")
    if not isinstance(raw, str):
        raise InputError.single(field, "spid_format", "供給地点特定番号は22桁の数字で入力してください",
                                "The supply point ID must be 22 digits")
    value = normalize_spid(raw)
    shown = value[:40]
    if len(value) != 22 or not value.isascii() or not value.isdigit():
        raise InputError.single(field, "spid_format",
                                f"供給地点特定番号は22桁の数字で入力してください（入力値: {shown}）",
                                f"The supply point ID must be 22 digits (got: {shown})")
    if value[:2] not in AREA_CODES:
        raise InputError.single(field, "spid_area",
                                f"供給地点特定番号の先頭2桁（エリアコード）が不正です: {value[:2]}",
                                f"Unknown area code in the supply point ID: {value[:2]}")
    return value


def area_of(spid: str) -> str:
    """The area code (first two digits) of an already parsed spid."""
    return spid[:2]
