"""What the suite expects, written from the specification (domain.md field classes, security.md
relationships), deliberately not imported from kernel/visibility.py: the suite judges an area by the
spec, so a wrong policy in this repository would show up here as a failing reference run."""

from __future__ import annotations

#: domain.md "Supply point": public — shown to every registered retailer that looks the point up
PUBLIC: tuple[str, ...] = (
    "spid",
    "area",
    "channel",
    "postcode",
    "prefecture",
    "city",
    "town",
    "block",
    "building",
    "room",
    "island_flag",
    "contract_form",
    "capacity_method",
    "contract_current",
    "contract_capacity",
    "current_upper_limit",
    "current_limit_value",
    "ampere_breaker",
    "breaker_remote",
    "minimum_charge",
    "power_factor",
    "flat_rate_lamp",
    "meters",
    "pole_no",
    "supply_method",
    "disconnection_method",
    "reading_day_code",
    "next_reading_date",
    "next_but_one_reading_date",
    "past_new_extension_dates",
    "contract_status",
    "pending_applications",
)
#: supplier — only the retailer that currently supplies the point, and the T&D of its area
SUPPLIER: tuple[str, ...] = (
    "service_menu",
    "contract_power",
    "customer_name_kana",
    "customer_name_kanji",
    "customer_phone",
    "contact_phone",
    "current_retailer_code",
    "current_retailer_name",
)
#: tso-only — never leaves the T&D system through the hub (without a break-glass grant, never sent here)
TSO_ONLY: tuple[str, ...] = ("load_equipment", "tso_notes")

#: supplier fields the hub adds itself from its operator register (hub/points/service.py): an area may
#: leave them out (it need not know retailers' names); when it sends one, the relationship must allow it
HUB_FILLED = frozenset({"current_retailer_name"})

#: relationship named in the answer → the exact field set a facility lookup answers (security.md:
#: supplies it / does not / T&D / OCCTO; a former supplier is any other retailer; OCCTO public only)
LOOKUP_FIELDS: dict[str, frozenset[str]] = {
    "current_supplier": frozenset(PUBLIC + SUPPLIER),
    "former_supplier": frozenset(PUBLIC),
    "other_retailer": frozenset(PUBLIC),
    "tso_own_area": frozenset(PUBLIC + SUPPLIER),
    "tso_other_area": frozenset(PUBLIC),
    "occto": frozenset(PUBLIC),
}
#: searches answer public fields only, whoever asks; the export the supplier's own view
SEARCH_FIELDS = frozenset(PUBLIC)
EXPORT_FIELDS = frozenset(PUBLIC + SUPPLIER)

#: the refusals the suite provokes: check id → (status, code) the contract names for it
REFUSALS: dict[str, tuple[int, str]] = {
    "refusal.unknown_spid": (404, "not_found"),
    "refusal.malformed_spid": (422, "invalid_input"),
    "refusal.no_acting_operator": (400, "acting_operator_required"),
    "refusal.export_by_tso": (403, "forbidden"),
    "refusal.bad_search_area": (422, "invalid_input"),
    "refusal.bad_batch_spid": (422, "invalid_input"),
    "refusal.switch_start_body": (422, "invalid_input"),
    "refusal.switch_start_json": (422, "invalid_input"),
    "refusal.switch_start_by_supplier": (409, "already_supplier"),
    "refusal.second_switch_start_same_retailer": (409, "conflicting_application"),
    "refusal.second_switch_start_other_retailer": (409, "other_switch_pending"),
    "refusal.idempotency_key_reused": (422, "invalid_input"),
    "refusal.status_by_other_retailer": (404, "not_found"),
    "refusal.withdraw_unknown": (404, "not_found"),
    "refusal.withdraw_empty_reason": (422, "invalid_input"),
    "refusal.withdraw_twice": (409, "stage_transition_not_allowed"),
}
