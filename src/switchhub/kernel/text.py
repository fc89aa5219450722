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


def _fixpoint(f):
    """Apply a normaliser until nothing changes, so that every normaliser is idempotent.

    One rewrite can enable another: 一 → 1 next to ー makes a dash; removing a space joins a
    letter and a combining mark that NFKC then composes; NFKC of ¨ yields a space.
    """
    def run(s: str) -> str:
        for _ in range(10):
            out = f(s)
            if out == s:
                return out
            s = out
        return s

    run.__name__, run.__doc__ = f.__name__, f.__doc__
    return run


@_fixpoint
def normalize_text(s: str) -> str:
    """Free text (names, memos): NFKC, trimmed, any run of whitespace (incl. U+3000) → one space."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", s)).strip()


@_fixpoint
def normalize_kana(s: str) -> str:
    """Katakana, full width, no spaces: for kana names and their search."""
    s = unicodedata.normalize("NFKC", jaconv.h2z(s, kana=True, ascii=False, digit=False))
    return _SPACES.sub("", jaconv.hira2kata(s))


def normalize_hyphens(s: str) -> str:
    """Dash variants, and ー/ｰ typed as a dash, → "-" — only between digits (decision).

    Between letters or kana the same characters are part of names (ビール, ｼｰﾄ), so they stay.
    """
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


@_fixpoint
def normalize_building(s: str) -> str:
    """Buildings have names (第一ビル), so kanji numerals are kept; only width, spaces, case, dashes."""
    return _base(s).upper()


@_fixpoint
def normalize_room(s: str) -> str:
    """Room number without a trailing 号室 (「101号室」 and 「101」 are the same room)."""
    return re.sub(r"(号室)+$", "", _base(s).upper())


@_fixpoint
def normalize_code_like(s: str) -> str:
    """Pole and meter numbers: width-normalised, upper case, without spaces and hyphens.

    Removing a dash can put a long-vowel mark between digits, which is a dash too: the
    fixpoint takes care of it.
    """
    return re.sub(rf"[{re.escape(_DASHES)}]", "", _base(s).upper())


def normalize_postcode(s: str, field: str = "postcode") -> str:
    """Seven ASCII digits from 「〒160-0023」, 「１６０－００２３」 or 「1600023」."""
    raw = unicodedata.normalize("NFKC", s) if isinstance(s, str) else ""
    digits = re.sub(rf"[〒{re.escape(_DASHES)}ー\s]", "", raw)
    if not digits.isascii() or not re.fullmatch(r"[0-9]{7}", digits):
        raise InputError.single(field, "postcode_format", "郵便番号は7桁の数字で入力してください",
                                "The postcode must be 7 digits")
    return digits


_PHONE_RE = re.compile(r"0[0-9]*(-[0-9]+)*")


def validate_phone(s: str, field: str = "phone") -> str:
    """ASCII phone number as written (hyphens kept): 0 first, 10–11 digits, single inner hyphens.

    Japanese numbers all start with 0 (domestic form); hyphen placement varies by area code,
    so only its shape is checked.
    """
    value = normalize_hyphens(unicodedata.normalize("NFKC", s)).strip() if isinstance(s, str) else ""
    digits = value.replace("-", "")
    if not value.isascii() or not _PHONE_RE.fullmatch(value) or not 10 <= len(digits) <= 11:
        raise InputError.single(field, "phone_format", "電話番号は0から始まる10〜11桁の数字（ハイフン可）で入力してください",
                                "The phone number must be 10-11 digits starting with 0")
    return value
