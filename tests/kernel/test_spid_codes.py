"""Supply point IDs and code lists."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchhub.kernel import codes
from switchhub.kernel.errors import InputError
from switchhub.kernel.spid import AREA_CODES, parse_spid

WIDE = str.maketrans("0123456789", "０１２３４５６７８９")


@given(area=st.sampled_from(AREA_CODES), rest=st.text("0123456789", min_size=20, max_size=20), wide=st.booleans(),
       pad=st.booleans())
def test_valid_spids_round_trip_in_any_width(area, rest, wide, pad):
    spid = area + rest
    raw = spid.translate(WIDE) if wide else spid
    assert parse_spid(f"  {raw} " if pad else raw) == spid


@pytest.mark.parametrize("raw,code", [
    ("", "spid_required"), (None, "spid_required"), ("123", "spid_format"), ("03" + "0" * 21, "spid_format"),
    ("03-" + "0" * 19, "spid_format"), ("99" + "0" * 20, "spid_area"), ("00" + "0" * 20, "spid_area"),
    (3 * 10**21, "spid_format"), ("０３" + "a" * 20, "spid_format"), ("03" + "٣" * 20, "spid_format"),
])
def test_invalid_spids_give_field_errors_in_japanese(raw, code):
    with pytest.raises(InputError) as err:
        parse_spid(raw, "spids[3]")
    issue = err.value.errors[0]
    assert issue.field == "spids[3]" and issue.code == code and "供給地点特定番号" in issue.message_ja


def test_code_lists_have_labels_and_original_codes():
    assert codes.ApplicationStage("06").terminal and not codes.ApplicationStage("05").terminal
    assert [m.value for m in codes.RelayStatus] == ["01", "02", "03", "04", "05", "06", "07"]
    assert codes.RelayStatus("02").open and codes.RelayStatus("07").terminal
    assert [m.value for m in codes.ApplicationType] == ["01", "02", "03", "04", "05", "06", "07", "08", "12", "13",
                                                        "14", "15", "16", "17"]
    assert codes.NgReason("1").ja == "供給地点特定番号エラー"
    assert abs(sum(codes.AREA_SHARES.values()) - 1.0) < 1e-9
    for enum in (codes.Area, codes.ContractForm, codes.CapacityMethod, codes.ServiceMenu, codes.SupplyMethod,
                 codes.ContractStatus, codes.MeterType, codes.RejectionReason, codes.Purpose):
        for member in enum:
            assert member.ja and member.en and member.label("en") == member.en
    with pytest.raises(InputError) as err:
        codes.ContractForm.parse("99", "contract_form")
    assert err.value.errors[0].field == "contract_form" and "電灯" in err.value.errors[0].message_ja
