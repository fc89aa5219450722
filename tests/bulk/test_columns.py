"""The documented layouts cover every field the API takes, each with a Japanese column name."""

from __future__ import annotations

from switchhub.contract.applications import REQUESTS
from switchhub.hub.bulk.columns import APPLICATIONS, RELAYS, kind_of
from switchhub.hub.relays.schemas import RelayRegistration


def test_every_field_of_every_request_model_has_a_japanese_column():
    fields = {f for m in REQUESTS.values() for f in m.model_fields} | {"kind"}
    columns = dict(APPLICATIONS.columns)
    assert set(columns) == fields
    assert [f for f, label in columns.items() if label == f or label.isascii()] == []
    assert columns["kind"] == "申込種別" and columns["spid"] == "供給地点特定番号"
    assert set(dict(RELAYS.columns)) == set(RelayRegistration.model_fields)


def test_kind_cells():
    assert kind_of("スイッチング開始") == ("switch-start", False)
    assert kind_of("switch-end") == ("switch-end", False)
    assert kind_of("05") == ("switch-start", False)
    assert kind_of("５") == ("switch-start", False)  # full width, as Excel may keep it
    assert kind_of("02") == ("termination", True)
    assert kind_of("廃止・撤去") == ("termination", True)
    assert kind_of("16") == ("switch-start", False)
    assert kind_of("08") is None and kind_of("名義変更") is None
