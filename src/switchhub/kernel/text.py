"""Japanese text and address normalisation (width, kana, 丁目/番/号 and hyphen forms).

Search keys are stored normalised and queries are normalised the same way, so 「２－８－１」,
「二丁目8番1号」 and 「2-8-1」 find the same point. Every function is idempotent.
"""

from __future__ import annotations

import re
import unicodedata

import jaconv

from switchhub.kernel.errors import InputError

_SPACES = re.compile(r"[\s\u3000]+")
_DASHES = "‐-‑‒–—―−－ｰ─━"
_DASH_RE = re.compile(rf"(?<=[0-9])[{re.escape(_DASHES)}ー](?=[0-9])")
_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_NUM_RE = re.compile(r"[〇零一二三四五六七八九十百千]+(?=丁目|番|号|の|$|[-ー])")
_GA_RE = re.compile(r"(?<=[\u4e00-\u9fff])[ヶケヵが](?=[\u4e00-\u9fff])")


def normalize_text(s: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", s)).strip()


def normalize_kana(s: str) -> str:
    """Katakana, full width, no spaces: for kana names and their search."""
    s = unicodedata.normalize("NFKC", jaconv.h2z(s, kana=True, ascii=False, digit=False))
    return _SPACES.sub("", jaconv.hira2kata(s))


def normalize_hyphens(s: str) -> str:
    return _DASH_RE.sub("-", s)


def _kanji_to_int(k: str) -> int:
    total, current = 0, 0
    for ch in k:
        if ch in _KANJI_DIGITS:
            current = current * 10 + _KANJI_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "千":
            total += (current or 1) * 1000
            current = 0
    return total + current


def kanji_numerals_to_arabic(s: str) -> str:
    """Kanji numerals before 丁目/番/号/の or at the end → digits (二十三 → 23)."""
    return _KANJI_NUM_RE.sub(lambda m: str(_kanji_to_int(m.group(0))), s)


def _base(s: str) -> str:
    return normalize_hyphens(_SPACES.sub("", unicodedata.normalize("NFKC", s)))


def _fixpoint(f):
    """Apply a normaliser until nothing changes: one rewrite can enable another (一 → 1 next to ー)."""
    def run(s: str) -> str:
        for _ in range(5):
            out = f(s)
            if out == s:
                return out
            s = out
        return s

    run.__name__, run.__doc__ = f.__name__, f.__doc__
    return run


@_fixpoint
def normalize_town(s: str) -> str:
    s = kanji_numerals_to_arabic(_base(s))
    return _GA_RE.sub("ケ", s)


_BLOCK_TOKENS = re.compile(r"丁目|番地の|番地|番の|番|号|の")


@_fixpoint
def normalize_block(s: str) -> str:
    """Block (丁目・番地・号) in canonical N-N-N form."""
    s = kanji_numerals_to_arabic(_base(s))
    s = _BLOCK_TOKENS.sub("-", s)
    s = re.sub(r"-+", "-", s).strip("-")
    return s


_TOWN_CHOME = re.compile(r"^(.*?)([0-9〇一二三四五六七八九十]+)丁目$")


def split_town_block(town: str, block: str = "") -> tuple[str, str]:
    """Move a trailing chome of the town into the block: (西新宿二丁目, 8-1) → (西新宿, 2-8-1)."""
    t = _base(town)
    m = _TOWN_CHOME.match(t)
    if m:
        chome = kanji_numerals_to_arabic(m.group(2))
        rest = normalize_block(block) if block else ""
        return normalize_town(m.group(1)), f"{chome}-{rest}" if rest else chome
    return normalize_town(t), normalize_block(block) if block else ""


def normalize_building(s: str) -> str:
    return _base(s).upper()


def normalize_room(s: str) -> str:
    return _base(s).upper().removesuffix("号室")


def normalize_code_like(s: str) -> str:
    """Pole and meter numbers: width-normalised, upper case, without spaces and hyphens."""
    s = _base(s).upper()
    while True:  # removing a dash can put a long-vowel mark between digits, which is a dash too
        stripped = normalize_hyphens(re.sub(rf"[{re.escape(_DASHES)}]", "", s))
        if stripped == s:
            return s
        s = stripped


def normalize_postcode(s: str, field: str = "postcode") -> str:
    digits = re.sub(r"[〒\-\s]", "", normalize_hyphens(unicodedata.normalize("NFKC", s)))
    if not re.fullmatch(r"[0-9]{7}", digits):
        raise InputError.single(field, "postcode_format", "郵便番号は7桁の数字で入力してください",
                                "The postcode must be 7 digits")
    return digits


def validate_phone(s: str, field: str = "phone") -> str:
    value = normalize_hyphens(unicodedata.normalize("NFKC", s)).strip()
    digits = value.replace("-", "")
    if not re.fullmatch(r"[0-9-]+", value) or not 10 <= len(digits) <= 11 or not digits.startswith("0"):
        raise InputError.single(field, "phone_format", "電話番号は0から始まる10〜11桁の数字（ハイフン可）で入力してください",
                                "The phone number must be 10-11 digits starting with 0")
    return value
