"""kernel.visibility.usage_request_grant by the request's applicant origin: a public request (the
customer's own, from the T&D's public page) is no retailer's, whatever its code or the caller's;
a retailer's request is its applicant's only; the area's T&D reviews both."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from switchhub.kernel.caller import Caller
from switchhub.kernel.visibility import usage_request_grant

CODES = st.one_of(st.just("00000"), st.from_regex(r"\A[A-Z][0-9]{4}\Z"))


@given(caller_code=CODES, stored=st.one_of(st.none(), CODES))
def test_no_retailer_holds_a_public_request(caller_code, stored):
    retailer = Caller(caller_code, "retailer", frozenset({"03"}), user_login="x")
    assert usage_request_grant(retailer, stored, "03", "public") is None


@given(code=CODES, other=CODES)
def test_a_retailers_request_is_its_applicants_only(code, other):
    grant = usage_request_grant(Caller(code, "retailer", frozenset({"03"})), code, "03", "retailer")
    assert grant is not None and grant.pickup and not grant.decide
    if other != code:
        assert usage_request_grant(Caller(other, "retailer", frozenset({"03"})), code, "03", "retailer") is None


def test_the_areas_tso_reviews_a_public_request_and_never_picks_it_up():
    grant = usage_request_grant(Caller("T0300", "tso", frozenset({"03"})), None, "03", "public")
    assert grant is not None and grant.decide and grant.personal and not grant.pickup
    assert usage_request_grant(Caller("T0600", "tso", frozenset({"06"})), None, "03", "public") is None
