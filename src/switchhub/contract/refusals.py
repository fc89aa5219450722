"""Refusal codes per operation of the area contract: the `code` of each problem+json answer an area
may give, by status (the document's `x-refusal-codes`).

Published so that a grid operator's own system answers the same stable codes the hub and the
retailers' integrations branch on (a 409 `other_switch_pending` is shown to a retailer as is). The
field-level `errors[].code` of a 422 are the validator's (`missing`, `spid_format`, ...); here only
the top-level codes are listed. Every operation may also give the gate's refusals in `COMMON`.
"""

from __future__ import annotations

from switchhub.kernel.codes import RejectionReason as R

#: what the hub-only gate and the transport answer on any operation (area/identity.py, httpkit.py)
COMMON: dict[str, tuple[str, ...]] = {
    "400": ("acting_operator_required",),
    "403": ("hub_certificate_required",),
    "413": ("payload_too_large",),
    "422": ("invalid_input",),
}
#: the state checks of a new filing (processes.md P3/P4, docs/state-checks.md), in the order they run
FILING_CONFLICTS: tuple[str, ...] = (
    R.NOT_CURRENT_SUPPLIER.value,
    "already_supplier",
    R.CONTRACT_STATUS.value,
    R.TERMINATION_PENDING.value,
    R.SWITCH_PENDING.value,
    R.OTHER_SWITCH_PENDING.value,
    R.CONFLICTING_APPLICATION.value,
)
_FILING = {"404": ("not_found",), "409": FILING_CONFLICTS}
_ONE_APPLICATION = {"404": ("not_found",), "409": ("stage_transition_not_allowed",)}
_INGEST = {"403": ("forbidden",)}

#: "METHOD /path" → status → codes, beyond COMMON
BY_OPERATION: dict[str, dict[str, tuple[str, ...]]] = {
    "GET /area/v1/supply-points/{spid}": {"404": ("not_found",)},
    "POST /area/v1/supply-points:batch-get": {},
    "GET /area/v1/supply-points": {},
    "GET /area/v1/supply-points:export": {"403": ("forbidden",), "404": ("not_found",)},
    **{
        f"POST /area/v1/applications/{kind}": _FILING
        for kind in (
            "termination",
            "switch-end",
            "reconnection",
            "switch-start",
            "ampere-change",
            "customer-change",
        )
    },
    "GET /area/v1/applications/{application_no}": {"404": ("not_found",)},
    "PATCH /area/v1/applications/{application_no}": _ONE_APPLICATION,
    "POST /area/v1/applications/{application_no}:withdraw": _ONE_APPLICATION,
    "GET /area/v1/applications": {},
    "POST /area/v1/applications:bulk": {},
    "POST /area/v1/readings:ingest": _INGEST,
    "POST /area/v1/readings:ingest-monthly": _INGEST,
    "POST /area/v1/curtailment-events:ingest": _INGEST,
    "POST /area/v1/usage-passwords": {
        "403": ("forbidden",),
        "404": ("not_found",),
        "409": ("conflict", "stage_transition_not_allowed"),
    },
    "GET /area/v1/usage-passwords": {"404": ("not_found",)},
    "GET /area/v1/usage-passwords/{application_no}": {"404": ("not_found",)},
    "GET /area/v1/usage-password-reviews": {"403": ("forbidden",), "404": ("not_found",)},
    "GET /area/v1/usage-password-reviews/{application_no}": {"403": ("forbidden",), "404": ("not_found",)},
    "GET /area/v1/usage-password-reviews/{application_no}/documents/{n}": {
        "403": ("forbidden",),
        "404": ("not_found",),
    },
    "POST /area/v1/usage-password-reviews/{application_no}/decision": {
        "403": ("forbidden",),
        "404": ("not_found",),
        "409": ("stage_transition_not_allowed",),
    },
    "POST /area/v1/supply-points/{spid}/usage:query": {
        "403": ("forbidden", "usage_password_invalid"),
        "404": ("not_found",),
    },
    "POST /area/v1/usage:query": {"403": ("forbidden", "usage_password_invalid")},
    "GET /area/v1/metering/files": {"403": ("forbidden",), "404": ("not_found",)},
    "GET /area/v1/metering/files/{file_id}": {"403": ("forbidden",), "404": ("not_found",)},
}


def refusal_codes(method: str, path: str) -> dict[str, list[str]]:
    """status → the codes an area may answer on this operation (COMMON included), sorted by status."""
    own = BY_OPERATION.get(f"{method.upper()} {path}")
    if own is None:
        raise KeyError(f"no refusal codes declared for {method.upper()} {path}")
    merged: dict[str, list[str]] = {}
    for table in (COMMON, own):
        for status, codes in table.items():
            merged.setdefault(status, [])
            merged[status] += [c for c in codes if c not in merged[status]]
    return dict(sorted(merged.items()))
