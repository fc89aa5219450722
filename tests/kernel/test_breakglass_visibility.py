"""Break-glass grants as an input of the one lookup decision (kernel.visibility), and their transport
in the acting-operator headers. Field sets are written out in tests/expected_fields.py."""

from __future__ import annotations

from switchhub.contract.headers import BREAKGLASS, caller_from_headers, caller_headers
from switchhub.kernel.caller import BreakGlass, Caller
from switchhub.kernel.visibility import View, breakglass_used, check_answer, lookup_grant, search_grant
from tests.expected_fields import PUBLIC, SUPPLIER, TSO_ONLY

OTHER = Caller("A0001", "retailer", frozenset(), "a0001-user1", "general")
GRANT = BreakGlass("BG00000001", frozenset({"supplier"}), frozenset({"03"}))
BOTH = BreakGlass("BG00000002", frozenset({"supplier", "tso_only"}), frozenset({"03", "04"}))


def test_a_grant_adds_its_classes_in_its_areas_only():
    assert lookup_grant(OTHER, "03", "M0300", False).fields == PUBLIC
    granted = lookup_grant(OTHER, "03", "M0300", False, (GRANT,))
    assert granted.fields == PUBLIC | SUPPLIER and granted.breakglass == ("BG00000001",)
    assert lookup_grant(OTHER, "06", "M0300", False, (GRANT,)).fields == PUBLIC
    assert lookup_grant(OTHER, "04", "M0300", False, (BOTH,)).fields == PUBLIC | SUPPLIER | TSO_ONLY


def test_a_grant_that_adds_nothing_is_not_counted_and_searches_never_widen():
    current = lookup_grant(Caller("M0300", "retailer"), "03", "M0300", False, (GRANT,))
    assert current.fields == PUBLIC | SUPPLIER and current.breakglass == ()
    assert search_grant(OTHER, by_meter=True).fields == PUBLIC


def test_the_hubs_recheck_accepts_granted_fields_only_with_the_grant():
    answer = {"spid": "03" + "0" * 20, "area": "03", "customer_name_kanji": "山田", "current_retailer_code": "M0300",
              "tso_notes": "x"}
    assert check_answer(OTHER, answer, View.LOOKUP) == ["current_retailer_code", "customer_name_kanji", "tso_notes"]
    assert check_answer(OTHER, answer, View.LOOKUP, (GRANT,)) == ["tso_notes"]
    assert check_answer(OTHER, answer, View.LOOKUP, (BOTH,)) == []
    assert breakglass_used(OTHER, answer, (GRANT, BOTH)) == ["BG00000001", "BG00000002"]
    assert breakglass_used(OTHER, {"spid": answer["spid"], "area": "03"}, (GRANT,)) == []


def test_grants_travel_in_the_acting_operator_headers_and_malformed_ones_open_nothing():
    caller = Caller("A0001", "retailer", frozenset(), "a0001-user1", "general", breakglass=(GRANT, BOTH))
    headers = caller_headers(caller)
    assert headers[BREAKGLASS] == "BG00000001:supplier:03,BG00000002:supplier+tso_only:03+04"
    assert caller_from_headers(headers).breakglass == (GRANT, BOTH)
    assert BREAKGLASS not in caller_headers(OTHER)
    for bad in ("BG1:supplier:03", "BG00000001:public:03", "BG00000001:supplier:99", "BG00000001:supplier"):
        assert caller_from_headers({**headers, BREAKGLASS: bad}).breakglass == ()
