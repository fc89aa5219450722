"""Automatic identity verification of a usage password request: the request's customer name and
address against each point's current customer (customer_periods) and address (supply_points),
compared after the kernel's normalisers (kernel/text.py).

A name matches when the kana (normalize_kana) and the kanji (normalize_text, spaces dropped) are
equal. An address matches when both sides give the same key: NFKC, no spaces, kanji numerals before
丁目/番/号 as digits, 丁目/番地/番/号/の as hyphens, 号室 dropped, ヶ/ケ alike, upper case, and a
hyphen kept only between two digits (so 「2丁目8番1号 ABCビル 101号室」 and 「2-8-1ABCビル101」 agree).
Anything else goes to the T&D's review: a false "no" costs a day, a false "yes" would hand out
someone's usage.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from switchhub.kernel.text import kanji_numerals_to_arabic, normalize_hyphens, normalize_kana, normalize_text

_TOKENS = re.compile(r"丁目|番地の|番地|番の|番|号|の")
_LONE_DASH = re.compile(r"(?<![0-9])-|-(?![0-9])")
_GA = re.compile(r"[ヶケヵが](?=[\u4e00-\u9fff])")


def name_key(kana: str, kanji: str) -> tuple[str, str]:
    return normalize_kana(kana or ""), normalize_text(kanji or "").replace(" ", "")


def address_key(s: str) -> str:
    s = unicodedata.normalize("NFKC", s or "")
    s = re.sub(r"[\s\u3000]+", "", s).upper().replace("号室", "")
    s = normalize_hyphens(kanji_numerals_to_arabic(s))
    s = _TOKENS.sub("-", s)
    s = _GA.sub("ケ", s)
    s = re.sub(r"-+", "-", s)
    return _LONE_DASH.sub("", s)


def point_address(point: dict[str, Any]) -> str:
    """The point's address as one line (prefecture … room), as the T&D holds it."""
    parts = [point.get(k) or "" for k in ("prefecture", "city", "town", "block")]
    line = "".join(parts)
    extra = " ".join(p for p in (point.get("building") or "", point.get("room") or "") if p)
    return f"{line} {extra}".strip()


def mismatches(kana: str, kanji: str, address: str, point: dict[str, Any]) -> list[str]:
    """The items of the request that differ from what the T&D holds for the point ("name", "address").
    A point without a current customer never matches by name."""
    out = []
    if point.get("period_id") is None or name_key(kana, kanji) != name_key(point["name_kana"], point["name_kanji"]):
        out.append("name")
    if address_key(address) != address_key(point_address(point)):
        out.append("address")
    return out
