"""Field sets of domain.md's supply point table, written out here for the tests.

They are deliberately not derived from `switchhub.kernel.visibility`: a test that takes its
expected answer from the module under test cannot catch a wrong table (security review).
"""

from __future__ import annotations

#: domain.md "public": shown to every registered retailer that looks the point up
PUBLIC = frozenset({
    "spid", "area", "channel",
    "postcode", "prefecture", "city", "town", "block", "building", "room",
    "island_flag", "contract_form", "capacity_method",
    "contract_current", "contract_capacity", "current_upper_limit", "current_limit_value",
    "ampere_breaker", "breaker_remote", "minimum_charge", "power_factor", "flat_rate_lamp",
    "meters", "pole_no", "supply_method", "disconnection_method",
    "reading_day_code", "next_reading_date", "next_but_one_reading_date",
    "past_new_extension_dates", "contract_status", "pending_applications",
})
#: domain.md "supplier": only the retailer that currently supplies the point (and the T&D)
SUPPLIER = frozenset({
    "service_menu", "contract_power",
    "customer_name_kana", "customer_name_kanji", "customer_phone", "contact_phone",
    "current_retailer_code", "current_retailer_name",
})
#: domain.md "tso-only": never leaves the T&D system through the hub
TSO_ONLY = frozenset({"load_equipment", "tso_notes"})
