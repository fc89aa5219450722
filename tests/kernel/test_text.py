"""Japanese text and address normalisation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
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


ALL_NORMALISERS = (t.normalize_text, t.normalize_kana, t.normalize_building, t.normalize_room, t.normalize_code_like,
                   t.normalize_town, t.normalize_block, t.normalize_hyphens, t.kanji_numerals_to_arabic)


@settings(max_examples=150)
@given(st.text(max_size=12))
def test_normalisers_are_idempotent_on_any_unicode(s):
    # combining marks joined by space removal, NFKC producing spaces (¨), ... all converge
    for f in ALL_NORMALISERS:
        once = f(s)
        assert f(once) == once, (f.__name__, s, once)


def test_idempotence_corner_cases_found_by_hypothesis():
    assert t.normalize_room("1号室号室") == "1"
    assert t.normalize_code_like("U \u0304") == t.normalize_code_like("Ū") == "Ū"
    assert t.normalize_kana("ｳ ﾞ") == t.normalize_kana("ヴ") == "ヴ"


def test_text_and_kana():
    assert t.normalize_text("　山田\u3000 太郎\t ") == "山田 太郎"
    assert t.normalize_text("ＡＢＣ１２３") == "ABC123"
    assert t.normalize_kana("ﾔﾏﾀﾞ ﾀﾛｳ") == t.normalize_kana("やまだ たろう") == "ヤマダタロウ"
    assert t.normalize_kana("ｶﾌﾞｼｷｶﾞｲｼｬ　ｴｰ") == "カブシキガイシャエー"


@pytest.mark.parametrize("dash", list("‐-–—―−－ｰー"))
def test_dashes_between_digits_become_hyphens(dash):
    assert t.normalize_hyphens(f"2{dash}8{dash}1") == "2-8-1"


def test_dashes_elsewhere_are_kept():
    assert t.normalize_hyphens("ビール") == "ビール" and t.normalize_hyphens("コーポ1") == "コーポ1"


@pytest.mark.parametrize("raw,out", [("二十三", "23"), ("十", "10"), ("十五丁目", "15丁目"), ("百二番", "102番"),
                                     ("三丁目", "3丁目"), ("四谷", "四谷"), ("八王子", "八王子"), ("一ツ橋", "一ツ橋")])
def test_kanji_numerals_only_where_they_are_numbers(raw, out):
    assert t.kanji_numerals_to_arabic(raw) == out


@pytest.mark.parametrize("raw,out", [("8番地", "8"), ("8番地の1", "8-1"), ("2-8-1号", "2-8-1"), ("２丁目８番地１号", "2-8-1"),
                                     ("十二丁目3番", "12-3"), ("1丁目2番3号 ", "1-2-3"), ("2-8-1-101", "2-8-1-101")])
def test_more_block_forms(raw, out):
    assert t.normalize_block(raw) == out


def test_town_forms():
    assert t.normalize_town("霞ヵ関") == t.normalize_town("霞 が 関") == "霞ケ関"
    assert t.normalize_town("ひばりが丘") == "ひばりが丘"  # が after kana is a word, not a 箇/ヶ
    assert t.split_town_block("西新宿2丁目", "８番１号") == ("西新宿", "2-8-1")
    assert t.split_town_block("西新宿二丁目") == ("西新宿", "2")
    assert t.split_town_block("霞が関", "1-3") == ("霞ケ関", "1-3")


def test_building_room_and_codes():
    assert t.normalize_building("第一 ｺｰﾎﾟ ａ棟") == "第一コーポA棟"
    assert t.normalize_room("１０１号室") == t.normalize_room("101") == "101"
    assert t.normalize_room("b－２０１") == "B-201"
    assert t.normalize_code_like("東 京 1２－３ａ") == "東京123A"


@pytest.mark.parametrize("raw", ["〒160-0023", "１６０－００２３", "1600023", " 160ー0023 "])
def test_postcodes(raw):
    assert t.normalize_postcode(raw) == "1600023"


@pytest.mark.parametrize("raw", ["160-002", "16000234", "abc-defg", "", None, "١٦٠٠٠٢٣"])
def test_bad_postcodes(raw):
    with pytest.raises(InputError) as err:
        t.normalize_postcode(raw, "postcode")
    assert err.value.errors[0].field == "postcode" and err.value.errors[0].code == "postcode_format"


@pytest.mark.parametrize("raw,out", [("090-1234-5678", "090-1234-5678"), ("09012345678", "09012345678"),
                                     ("０３－１２３４－５６７８", "03-1234-5678"), ("0312345678", "0312345678")])
def test_good_phones(raw, out):
    assert t.validate_phone(raw) == out


@pytest.mark.parametrize("raw", ["031234567", "090123456789", "-0312345678", "03--1234-5678", "0312345678-",
                                 "3-1234-56789", "03-1234-567a", "", None, "٠٣١٢٣٤٥٦٧٨"])
def test_bad_phones_name_the_field(raw):
    with pytest.raises(InputError) as err:
        t.validate_phone(raw, "customer_phone")
    issue = err.value.errors[0]
    assert issue.field == "customer_phone" and issue.code == "phone_format" and "電話番号" in issue.message_ja
