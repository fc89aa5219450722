"""Japanese text and address normalisation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchhub.kernel import text as t
from switchhub.kernel.errors import InputError


@pytest.mark.parametrize("raw", ["2丁目8番1号", "２－８－１", "二丁目8-1", "2丁目8番地1", "2-8-1", "２丁目８番１", "2ー8ー1"])
def test_block_forms_are_one(raw):
    assert t.normalize_block(raw) == "2-8-1"


def test_town_kana_variants_and_chome_split():
    assert t.normalize_town("霞が関") == t.normalize_town("霞ヶ関") == t.normalize_town("霞ケ関")
    assert t.split_town_block("西新宿二丁目", "8-1") == ("西新宿", "2-8-1")
    assert t.kanji_numerals_to_arabic("二十三丁目") == "23丁目"
    assert t.normalize_kana("やまだ　ﾀﾛｳ") == "ヤマダタロウ"
    assert t.normalize_code_like("ａｂ－１２ ３") == "AB123"
    assert t.normalize_postcode("〒160-0023") == "1600023"
    assert t.validate_phone("０３－１２３４－５６７８") == "03-1234-5678"
    for bad in ("12-34", "abc", "1234567890123"):
        with pytest.raises(InputError):
            t.validate_phone(bad, "contact_phone")


text_strategy = st.text(alphabet=st.sampled_from(list("0123456789０１２３-－ー丁目番地号の一二三十西新宿霞ヶが関 　ABｱｲ")),
                        max_size=20)


@given(text_strategy)
def test_normalisers_are_idempotent(s):
    for f in (t.normalize_text, t.normalize_kana, t.normalize_building, t.normalize_room, t.normalize_code_like,
              t.normalize_town, t.normalize_block):
        once = f(s)
        assert f(once) == once, (f.__name__, s, once)
