"""Supply point IDs: 22 ASCII digits with a known area code, after width normalisation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchhub.kernel.errors import InputError
from switchhub.kernel.spid import AREA_CODES, area_of, normalize_spid, parse_spid

WIDE = str.maketrans("0123456789", "０１２３４５６７８９")
digits20 = st.text("0123456789", min_size=20, max_size=20)


def _issue(raw, field="spid"):
    with pytest.raises(InputError) as err:
        parse_spid(raw, field)
    assert len(err.value.errors) == 1
    return err.value.errors[0]


def test_area_codes_are_the_ten_areas():
    assert AREA_CODES == ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10")


@given(area=st.sampled_from(AREA_CODES), rest=digits20, wide=st.booleans(),
       pad=st.sampled_from(["", " ", "\u3000", "\t", " \n"]))
def test_round_trip_in_any_width_and_padding(area, rest, wide, pad):
    spid = area + rest
    raw = pad + (spid.translate(WIDE) if wide else spid) + pad
    assert parse_spid(raw) == spid
    assert area_of(parse_spid(raw)) == area


@given(st.text(max_size=30))
def test_normalize_spid_is_idempotent(s):
    once = normalize_spid(s)
    assert normalize_spid(once) == once


def test_normalize_spid_changes_nothing_but_width_and_outer_space():
    assert normalize_spid(" ０３-12 ") == "03-12"
    assert normalize_spid("03 12") == "03 12"


@given(area=st.integers(0, 99).map(lambda i: f"{i:02d}").filter(lambda a: a not in AREA_CODES), rest=digits20)
def test_unknown_area_is_rejected_with_the_code(area, rest):
    issue = _issue(area + rest, "spids[0]")
    assert issue.field == "spids[0]" and issue.code == "spid_area"
    assert issue.message_ja == f"供給地点特定番号の先頭2桁（エリアコード）が不正です: {area}"


@given(st.text(max_size=40).filter(lambda s: s.strip()))
def test_anything_accepted_is_22_ascii_digits_with_known_area(s):
    try:
        value = parse_spid(s)
    except InputError as err:
        assert err.errors[0].code in ("spid_format", "spid_area", "spid_required")
    else:
        assert len(value) == 22 and value.isascii() and value.isdigit() and value[:2] in AREA_CODES


@pytest.mark.parametrize("raw", ["123", "03" + "0" * 21, "03" + "0" * 19, "03-" + "0" * 19, "03 " + "0" * 19,
                                 "0３" + "a" * 20, "03" + "٣" * 20, "03" + "0" * 19 + "Ⅰ"])
def test_wrong_shape_is_spid_format(raw):
    issue = _issue(raw, "spid")
    assert issue.code == "spid_format" and issue.message_ja.startswith("供給地点特定番号は22桁の数字で入力してください")


@pytest.mark.parametrize("raw", [3 * 10**21, b"03" + b"0" * 20, ["03" + "0" * 20], 3.0])
def test_non_strings_are_spid_format(raw):
    assert _issue(raw).code == "spid_format"


@pytest.mark.parametrize("raw", ["", "   ", "\u3000", None])
def test_empty_is_required(raw):
    assert _issue(raw).code == "spid_required"


def test_echoed_input_is_truncated_to_40_characters():
    issue = _issue("9" * 100)
    assert "9" * 40 in issue.message_ja and "9" * 41 not in issue.message_ja
    assert "9" * 41 not in issue.message_en
