"""The export's column sets in the one visibility decision, and the hub's second opinion on an area's
export columns: an area that answers more than the set asked for is caught. Expected sets are written
out here (the standard set from the spec's export row) and in tests/expected_fields.py."""

from __future__ import annotations

import pytest

from switchhub.kernel.caller import BreakGlass, Caller
from switchhub.kernel.visibility import ExportFields, View, check_answer, export_grant
from tests.expected_fields import PUBLIC, SUPPLIER

RETAILER = Caller("A0001", "retailer", frozenset({"03"}), "a0001-user1", "general")
STANDARD = frozenset({"spid", "area", "channel", "postcode", "prefecture", "city", "town", "block", "building",
                      "room", "contract_form", "capacity_method", "contract_current", "contract_capacity", "meters",
                      "reading_day_code", "contract_status", "service_menu", "contract_power",
                      "customer_name_kana"})


def test_the_standard_set_narrows_the_full_grant_and_is_the_default():
    full = export_grant(RETAILER, ExportFields.FULL).fields
    assert full == PUBLIC | SUPPLIER
    assert export_grant(RETAILER).fields == export_grant(RETAILER, ExportFields.STANDARD).fields == STANDARD
    assert STANDARD < full


def test_only_retailers_export_whatever_the_set():
    for caller in (Caller("T0300", "tso", frozenset({"03"})), Caller("OC000", "occto")):
        for fields in ExportFields:
            with pytest.raises(PermissionError):
                export_grant(caller, fields)


def test_the_hub_refuses_columns_outside_the_set_asked_for():
    full_columns = {f: None for f in PUBLIC | SUPPLIER}
    assert check_answer(RETAILER, full_columns, View.EXPORT, export_fields=ExportFields.FULL) == []
    assert check_answer(RETAILER, full_columns, View.EXPORT, export_fields=ExportFields.STANDARD) == sorted(
        (PUBLIC | SUPPLIER) - STANDARD)
    tso = {"spid": None, "tso_notes": None}
    grant = BreakGlass("BG00000001", frozenset({"tso_only"}), frozenset({"03"}))
    assert check_answer(RETAILER, tso, View.EXPORT, (grant,), export_fields=ExportFields.FULL) == ["tso_notes"]
