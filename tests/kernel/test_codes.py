"""Code lists: original wire codes, Japanese and English labels, field-level parse errors."""

from __future__ import annotations

import json

import pytest

from switchhub.kernel import codes
from switchhub.kernel.errors import InputError

ALL = [codes.Area, codes.OperatorKind, codes.OperatorStatus, codes.UserRole, codes.UserStatus, codes.CertPurpose,
       codes.CertStatus, codes.Channel, codes.ContractForm, codes.CapacityMethod, codes.ServiceMenu,
       codes.SupplyMethod, codes.DisconnectionMethod, codes.ContractStatus, codes.MeterType, codes.ApplicationType,
       codes.UpdateFlag, codes.ApplicationStage, codes.RelayStatus, codes.RelayDecision, codes.NgReason,
       codes.RejectionReason, codes.Purpose]


def values(enum):
    return [m.value for m in enum]


@pytest.mark.parametrize("enum", ALL, ids=lambda e: e.__name__)
def test_every_member_has_a_code_and_both_labels(enum):
    assert issubclass(enum, codes.CodeEnum)
    assert len(set(values(enum))) == len(enum)
    for m in enum:
        assert isinstance(m.value, str) and m.value and m == m.value
        assert m.ja and m.en and m.label() == m.ja and m.label("en") == m.en
        # wire code everywhere text is produced: str(), f-strings, JSON
        assert str(m) == m.value and f"{m}" == m.value and json.dumps(m) == json.dumps(m.value)
        assert enum.parse(m.value, "f") is m and enum.parse(m, "f") is m
    assert enum.choices("en") == [(m.value, m.en) for m in enum]


@pytest.mark.parametrize("enum", ALL, ids=lambda e: e.__name__)
def test_parse_rejects_unknown_codes_naming_the_field_and_allowed_codes(enum):
    with pytest.raises(InputError) as err:
        enum.parse("zz", "body.kind")
    issue = err.value.errors[0]
    assert issue.field == "body.kind" and issue.code == "invalid_code"
    assert all(m.value in issue.message_ja and m.value in issue.message_en for m in enum)


def test_parse_accepts_full_width_and_padding():
    assert codes.ContractForm.parse(" ０１ ", "f") is codes.ContractForm.LIGHTING
    assert codes.Area.parse("０３", "area") is codes.Area.TOKYO


def test_areas_tso_names_and_shares():
    assert values(codes.Area) == [f"{i:02d}" for i in range(1, 11)]
    assert codes.Area("01").ja == "北海道" and codes.Area("10").en == "Okinawa"
    assert set(codes.AREA_TSO_NAMES) == set(codes.AREA_SHARES) == set(values(codes.Area))
    assert codes.AREA_TSO_NAMES["03"] == "東京電力パワーグリッド" and codes.AREA_TSO_NAMES["10"] == "沖縄電力"
    assert codes.AREA_SHARES["03"] == 0.34 and abs(sum(codes.AREA_SHARES.values()) - 1.0) < 1e-9


def test_facility_lists_follow_domain_md():
    assert [m.ja for m in codes.ContractForm] == ["電灯", "動力", "電灯臨時", "動力臨時", "電灯定額", "動力臨時定額"]
    assert values(codes.ContractForm) == ["01", "02", "03", "04", "05", "06"]
    assert [m.ja for m in codes.CapacityMethod] == ["アンペアブレーカ", "主開閉器", "実量制"]
    assert [m.ja for m in codes.ContractStatus] == ["契約中", "廃止中", "撤去", "臨時"]
    assert values(codes.Channel) == ["low", "high", "low_fit"]
    assert values(codes.UpdateFlag) == ["1", "2", "3"]
    assert values(codes.OperatorKind) == ["occto", "retailer", "tso"]
    assert values(codes.UserStatus) == ["active", "frozen", "suspended"]


def test_application_types_and_channels():
    assert values(codes.ApplicationType) == ["01", "02", "03", "04", "05", "06", "07", "08",
                                             "12", "13", "14", "15", "16", "17"]
    assert codes.ApplicationType("05").ja == "スイッチング開始" and codes.ApplicationType("03").ja == "スイッチング廃止"
    assert set(codes.APPLICATION_TYPE_CHANNELS) == set(values(codes.ApplicationType))
    assert codes.ApplicationType("01").channels == ("low",)
    assert set(codes.ApplicationType("05").channels) == {"low", "high", "low_fit"}
    assert "high" not in codes.ApplicationType("04").channels
    assert all(codes.ApplicationType(c).channels == ("low_fit",) for c in ("12", "13", "14", "15", "16", "17"))


def test_stages_and_relay_statuses():
    assert values(codes.ApplicationStage) == [f"{i:02d}" for i in range(1, 11)]
    assert {m.value for m in codes.ApplicationStage if m.terminal} == {"06", "07", "08", "09"}
    assert values(codes.RelayStatus) == ["01", "02", "03", "04", "05", "06", "07"]
    assert {m.value for m in codes.RelayStatus if m.open} == {"01", "02"}
    assert {m.value for m in codes.RelayStatus if m.terminal} == {"03", "04", "05", "06", "07"}
    assert values(codes.RelayDecision) == ["01", "02"]


def test_ng_and_rejection_reasons():
    assert values(codes.NgReason) == [str(i) for i in range(1, 10)]
    assert codes.NgReason("1").ja == "供給地点特定番号エラー" and codes.NgReason("9").ja == "その他"
    assert {"input_format", "point_not_found", "contract_status", "conflicting_application", "other_switch_pending",
            "termination_pending", "switch_pending", "date_too_early", "matching_deadline", "not_current_supplier",
            "withdrawn", "withdrawal_requested"} <= set(values(codes.RejectionReason))
    assert values(codes.Purpose) == ["switching", "usage_inquiry", "export", "helpdesk", "operation"]
    assert codes.Purpose("switching").ja == "需要者の切替"
