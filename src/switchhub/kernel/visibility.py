"""The one place that decides which rows and fields a caller sees: supply points, relays, applications.

Field classes come from domain.md (seed 004 lists them from the real screens). The
decision depends only on the field class and the caller's relationship to the point on
the date in question. Repositories accept a `FieldGrant` (made only here) and select
just its columns; nothing else masks or filters fields. The hub calls `check_answer`
on what an area returns and raises an alert on any field the caller may not see.

Decisions recorded here:
* T&D operators see public + supplier fields of points in their own areas through the
  hub; tso-only fields never leave the area system through the hub.
* OCCTO sees public fields only in facility data (data minimisation: the hub owns no
  customer master data).
* Relays (security.md): their new and current retailer see everything; OCCTO's helpdesk and
  admins see every relay "masked as for a T&D", read here as: what the grid side would know
  (point, address, parties, dates, statuses, reasons), never the customer's name or the
  current retailer's contract number and memo (OCCTO never sees customer personal fields).
  Anyone else: the same 404 as for a relay that does not exist.
* Applications: the applicant and the T&D of the area see everything, the T&D being the one
  that holds and executes it; OCCTO's helpdesk and admins see everything but the applicant's
  customer details; anyone else (another retailer, another area's T&D, OCCTO's general
  users): not found.
* A retailer whose supply has ended is treated like any other retailer.
* Search listings show public fields only, with meter numbers cut to their last three
  digits unless the search was by meter number (domain.md).
* Break-glass (seed 004 type B, processes.md P9): an approved, unexpired grant naming the caller's
  user adds its field classes (supplier, and tso_only — the one way a tso-only field leaves an area)
  to a facility lookup of a point in one of its areas. The grants are an input of `lookup_grant`
  and `check_answer` (the hub resolves them, the area receives them with the acting-operator
  headers); searches and exports never widen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from operator import itemgetter
from typing import Any

from switchhub.kernel.caller import BreakGlass, Caller


class FieldClass(str, Enum):
    PUBLIC = "public"
    SUPPLIER = "supplier"
    TSO_ONLY = "tso_only"


class Relationship(str, Enum):
    CURRENT_SUPPLIER = "current_supplier"
    FORMER_SUPPLIER = "former_supplier"
    OTHER_RETAILER = "other_retailer"
    TSO_OWN_AREA = "tso_own_area"
    TSO_OTHER_AREA = "tso_other_area"
    OCCTO = "occto"


class View(str, Enum):
    LOOKUP = "lookup"
    SEARCH = "search"
    EXPORT = "export"


PUBLIC, SUPPLIER, TSO_ONLY = FieldClass.PUBLIC, FieldClass.SUPPLIER, FieldClass.TSO_ONLY

#: Every field of the facility record, in answer order, with its class.
FIELD_CLASSES: dict[str, FieldClass] = {
    "spid": PUBLIC, "area": PUBLIC, "channel": PUBLIC,
    "postcode": PUBLIC, "prefecture": PUBLIC, "city": PUBLIC, "town": PUBLIC, "block": PUBLIC,
    "building": PUBLIC, "room": PUBLIC, "island_flag": PUBLIC,
    "contract_form": PUBLIC, "capacity_method": PUBLIC, "contract_current": PUBLIC,
    "contract_capacity": PUBLIC, "current_upper_limit": PUBLIC, "current_limit_value": PUBLIC,
    "ampere_breaker": PUBLIC, "breaker_remote": PUBLIC, "minimum_charge": PUBLIC, "power_factor": PUBLIC,
    "flat_rate_lamp": PUBLIC, "meters": PUBLIC, "pole_no": PUBLIC, "supply_method": PUBLIC,
    "disconnection_method": PUBLIC, "reading_day_code": PUBLIC, "next_reading_date": PUBLIC,
    "next_but_one_reading_date": PUBLIC, "past_new_extension_dates": PUBLIC, "contract_status": PUBLIC,
    "pending_applications": PUBLIC,
    "service_menu": SUPPLIER, "contract_power": SUPPLIER,
    "customer_name_kana": SUPPLIER, "customer_name_kanji": SUPPLIER,
    "customer_phone": SUPPLIER, "contact_phone": SUPPLIER,
    "current_retailer_code": SUPPLIER, "current_retailer_name": SUPPLIER,
    "load_equipment": TSO_ONLY, "tso_notes": TSO_ONLY,
}

#: Fields that identify or reach a person (audited whenever they are answered).
PERSONAL_FIELDS: frozenset[str] = frozenset(
    {"customer_name_kana", "customer_name_kanji", "customer_phone", "contact_phone"}
)

_BY_CLASS = {c: frozenset(f for f, k in FIELD_CLASSES.items() if k is c) for c in FieldClass}
_CLASSES_FOR: dict[Relationship, frozenset[FieldClass]] = {
    Relationship.CURRENT_SUPPLIER: frozenset({PUBLIC, SUPPLIER}),
    Relationship.FORMER_SUPPLIER: frozenset({PUBLIC}),
    Relationship.OTHER_RETAILER: frozenset({PUBLIC}),
    Relationship.TSO_OWN_AREA: frozenset({PUBLIC, SUPPLIER}),
    Relationship.TSO_OTHER_AREA: frozenset({PUBLIC}),
    Relationship.OCCTO: frozenset({PUBLIC}),
}
_MINT = object()


@dataclass(frozen=True)
class FieldGrant:
    """The policy's answer for one caller, point and view: exactly these fields."""

    relationship: Relationship
    view: View
    fields: frozenset[str]
    mask_meter_numbers: bool
    _mint: object = None
    breakglass: tuple[str, ...] = ()  # ids of the break-glass grants that added fields

    def __post_init__(self) -> None:
        if self._mint is not _MINT:
            raise TypeError("FieldGrant is made only by switchhub.kernel.visibility")

    @property
    def sensitive_fields(self) -> frozenset[str]:
        """Supplier-class or personal fields in this grant (answers with any are audited)."""
        return frozenset(f for f in self.fields if FIELD_CLASSES[f] is not PUBLIC or f in PERSONAL_FIELDS)

    def ordered_fields(self) -> list[str]:
        return [f for f in FIELD_CLASSES if f in self.fields]


def _grant(rel: Relationship, view: View, mask: bool, area: str = "", grants: Sequence[BreakGlass] = ()
           ) -> FieldGrant:
    classes = set(_CLASSES_FOR[rel])
    used = []
    for g in grants if view is View.LOOKUP else ():
        extra = {FieldClass(c) for c in g.classes if c in _GRANTABLE} - classes
        if area in g.areas and extra:
            classes |= extra
            used.append(g.grant_id)
    fields = frozenset().union(*(_BY_CLASS[c] for c in classes))
    return FieldGrant(rel, view, fields, mask, _MINT, tuple(used))


#: field classes a break-glass grant may open (public is open to everyone anyway)
_GRANTABLE = frozenset({SUPPLIER.value, TSO_ONLY.value})


def lookup_fields_by_relationship() -> dict[Relationship, list[str]]:
    """The fields a facility lookup answers per relationship, in answer order (no break-glass): the
    table the area contract document publishes (`x-visibility`), read from this policy, not a copy."""
    return {rel: [f for f, c in FIELD_CLASSES.items() if c in _CLASSES_FOR[rel]] for rel in Relationship}


def relationship(caller: Caller, area: str, supplier_on_date: str | None, caller_ever_supplied: bool) -> Relationship:
    """The caller's relationship to a point of `area` supplied by `supplier_on_date` on the date asked."""
    if caller.is_occto:
        return Relationship.OCCTO
    if caller.is_tso:
        return Relationship.TSO_OWN_AREA if area in caller.areas else Relationship.TSO_OTHER_AREA
    if supplier_on_date is not None and supplier_on_date == caller.operator_code:
        return Relationship.CURRENT_SUPPLIER
    return Relationship.FORMER_SUPPLIER if caller_ever_supplied else Relationship.OTHER_RETAILER


def lookup_grant(caller: Caller, area: str, supplier_on_date: str | None, caller_ever_supplied: bool,
                 breakglass: Sequence[BreakGlass] = ()) -> FieldGrant:
    """Facility lookup (single and batch): fields by relationship on the date, widened by the caller's
    active break-glass grants for `area` (the hub resolves them; `Caller.breakglass`)."""
    rel = relationship(caller, area, supplier_on_date, caller_ever_supplied)
    return _grant(rel, View.LOOKUP, False, area, breakglass)


def search_grant(caller: Caller, *, by_meter: bool) -> FieldGrant:
    """Search listings: public fields only, whoever asks; meter numbers cut unless searched by meter."""
    rel = Relationship.OCCTO if caller.is_occto else (
        Relationship.TSO_OTHER_AREA if caller.is_tso else Relationship.OTHER_RETAILER)
    return _grant(rel, View.SEARCH, not by_meter)


class ExportFields(str, Enum):
    """The column sets of the own-point export (`fields=`): `standard` (the default) or `full`."""

    STANDARD = "standard"
    FULL = "full"


#: `fields=standard`: what a retailer's back office needs to reconcile its supply list with the
#: T&D's (domain.md's field table): the point and its channel, the address as one set (postcode,
#: prefecture … room), the contract (form, capacity method, ampere / kVA / kW, service menu,
#: status), the meters (no., type, smart flag), the reading-day code and the customer's name in
#: kana. Intersected with the caller's export grant, so it can only narrow the full set.
EXPORT_STANDARD_FIELDS: frozenset[str] = frozenset({
    "spid", "area", "channel",
    "postcode", "prefecture", "city", "town", "block", "building", "room",
    "contract_form", "capacity_method", "contract_current", "contract_capacity", "contract_power",
    "service_menu", "contract_status", "meters", "reading_day_code", "customer_name_kana",
})


def export_grant(caller: Caller, fields: ExportFields = ExportFields.STANDARD) -> FieldGrant:
    """Own-point export: only a retailer's own points, so public + supplier fields (`full`), or
    those of them in `EXPORT_STANDARD_FIELDS` (`standard`)."""
    if not caller.is_retailer:
        raise PermissionError("only retailers export their own points")
    full = _grant(Relationship.CURRENT_SUPPLIER, View.EXPORT, False)
    if ExportFields(fields) is ExportFields.FULL:
        return full
    return FieldGrant(full.relationship, View.EXPORT, full.fields & EXPORT_STANDARD_FIELDS, False, _MINT)


def mask_meter_no(meter_no: str) -> str:
    return "*" * max(len(meter_no) - 3, 0) + meter_no[-3:]


def project(record: dict[str, Any], grant: FieldGrant) -> dict[str, Any]:
    """The record reduced to the grant, in answer order (the only masking function)."""
    out = {f: record.get(f) for f in grant.ordered_fields() if f in record}
    if grant.mask_meter_numbers and isinstance(out.get("meters"), list):
        out["meters"] = [{**m, "meter_no": mask_meter_no(str(m.get("meter_no", "")))} for m in out["meters"]]
    return out


def allowed_fields_for_answer(caller: Caller, answer: dict[str, Any], view: View,
                              breakglass: Sequence[BreakGlass] = (), *,
                              export_fields: ExportFields = ExportFields.STANDARD) -> frozenset[str]:
    """What the hub accepts from an area for this caller: the hub's second opinion.

    The hub holds no supply periods, so for a lookup it takes the supplier from the answer's
    own `current_retailer_code` and recomputes the grant from that and the caller's identity
    (which the hub, not the area, established). What this protects against: an area that
    computes the wrong grant for a caller — a former supplier, another retailer, a T&D of
    another area or OCCTO given supplier fields, tso-only fields in any answer, anything but
    public fields in a search, fields outside the export set asked for — while naming the true
    supplier. What it cannot catch: an area that names the caller as the supplier when it is
    not; that data lives only in the area, and its own policy (the same code as here) decides.
    """
    area = str(answer.get("area") or str(answer.get("spid", ""))[:2])
    if view is View.SEARCH:
        return search_grant(caller, by_meter=True).fields
    if view is View.EXPORT:
        return export_grant(caller, export_fields).fields
    return _answer_grant(caller, answer, area, breakglass).fields


def _answer_grant(caller: Caller, answer: dict[str, Any], area: str, breakglass: Sequence[BreakGlass]) -> FieldGrant:
    supplier = answer.get("current_retailer_code")
    rel = relationship(caller, area, supplier if isinstance(supplier, str) else None, False)
    return _grant(rel, View.LOOKUP, False, area, breakglass)


def check_answer(caller: Caller, answer: dict[str, Any], view: View, breakglass: Sequence[BreakGlass] = (), *,
                 export_fields: ExportFields = ExportFields.STANDARD) -> list[str]:
    """Fields in an area's answer that the caller may not see (should always be empty); for an
    export, fields outside the set asked for (`export_fields`) count as such."""
    allowed = allowed_fields_for_answer(caller, answer, view, breakglass, export_fields=export_fields)
    return sorted(k for k in answer if k in FIELD_CLASSES and k not in allowed)


def breakglass_used(caller: Caller, answer: dict[str, Any], breakglass: Sequence[BreakGlass]) -> list[str]:
    """Ids of the break-glass grants an accepted lookup answer relied on: it holds a field the caller's
    relationship alone would not show (each such read is audited with these ids)."""
    if not breakglass:
        return []
    area = str(answer.get("area") or str(answer.get("spid", ""))[:2])
    plain = _answer_grant(caller, answer, area, ()).fields
    if not any(k in FIELD_CLASSES and k not in plain for k in answer):
        return []
    return list(_answer_grant(caller, answer, area, breakglass).breakglass)


# --- relays ----------------------------------------------------------------------------------

class RelayAccess(str, Enum):
    PARTY = "party"  # the relay's new or current retailer
    HELPDESK = "helpdesk"  # OCCTO helpdesk and admins


#: Fields of a relay answer shown to OCCTO's helpdesk besides the two retailers (the rest are
#: the parties' own: the customer's name, the current retailer's contract number and memo).
RELAY_SHARED_FIELDS: frozenset[str] = frozenset({
    "relay_no", "spid", "area", "new_retailer", "new_retailer_name", "current_retailer", "current_retailer_name",
    "address", "building", "requested_switch_date", "contact_name", "contact_phone", "status", "status_name",
    "status_reason", "decision", "decision_staff", "ng_reasons", "ng_reason_names", "decided_at", "withdrawn_by",
    "withdrawal_reason", "decision_deadline", "switch_start_no", "switch_start_date", "registered_by",
    "registered_at", "updated_at", "history",
})
RELAY_PARTY_FIELDS: frozenset[str] = frozenset({"customer_name_kana", "customer_name_kanji", "contract_no", "ng_memo"})
#: Fields of a relay that identify the customer (answers with any are audited).
RELAY_PERSONAL_FIELDS: frozenset[str] = frozenset({"customer_name_kana", "customer_name_kanji"})


@dataclass(frozen=True)
class RelayGrant:
    access: RelayAccess
    fields: frozenset[str]
    _mint: object = None

    def __post_init__(self) -> None:
        if self._mint is not _MINT:
            raise TypeError("RelayGrant is made only by switchhub.kernel.visibility")

    @property
    def personal_fields(self) -> frozenset[str]:
        return self.fields & RELAY_PERSONAL_FIELDS


def _is_occto_staff(caller: Caller) -> bool:
    return caller.is_occto and caller.role in ("helpdesk", "admin")


def relay_grant(caller: Caller, new_retailer: str, current_retailer: str) -> RelayGrant | None:
    """Which fields of this relay the caller sees; None: the relay does not exist for the caller."""
    if caller.is_retailer and caller.operator_code in (new_retailer, current_retailer):
        return RelayGrant(RelayAccess.PARTY, RELAY_SHARED_FIELDS | RELAY_PARTY_FIELDS, _MINT)
    if _is_occto_staff(caller):
        return RelayGrant(RelayAccess.HELPDESK, RELAY_SHARED_FIELDS, _MINT)
    return None


@dataclass(frozen=True)
class RelayScope:
    """Which relays a listing may return: those where `column` is the caller, or all (helpdesk).

    `customer_search`: whether the listing may be filtered by the customer's name. Only callers who
    see the name may search by it; a search by a hidden field would reveal it one prefix at a time.
    """

    column: str | None  # "new_retailer" | "current_retailer" | None for every relay
    operator_code: str
    customer_search: bool
    _mint: object = None

    def __post_init__(self) -> None:
        if self._mint is not _MINT:
            raise TypeError("RelayScope is made only by switchhub.kernel.visibility")


def relay_scope(caller: Caller, side: str) -> RelayScope | None:
    """Rows of a relay listing: a retailer sees its own side (`new` or `current`), the helpdesk all."""
    if caller.is_retailer:
        return RelayScope("new_retailer" if side == "new" else "current_retailer", caller.operator_code, True, _MINT)
    if _is_occto_staff(caller):
        return RelayScope(None, caller.operator_code, False, _MINT)
    return None


def project_relay(record: dict[str, Any], grant: RelayGrant) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k in grant.fields}


# --- applications ----------------------------------------------------------------------------

#: The applicant's own fields of an application: the customer details it gave and, for an ampere or
#: customer change, the values before the change (`previous`, requests No.43/52). Seen by the
#: applicant and the area's T&D (which holds them), never by OCCTO or another retailer.
APPLICATION_DETAIL_FIELDS: frozenset[str] = frozenset({"details", "previous"})


@dataclass(frozen=True)
class ApplicationGrant:
    details: bool  # the applicant's own fields (APPLICATION_DETAIL_FIELDS: customer details, previous values)
    _mint: object = None

    def __post_init__(self) -> None:
        if self._mint is not _MINT:
            raise TypeError("ApplicationGrant is made only by switchhub.kernel.visibility")


def application_grant(caller: Caller, applicant_code: str, area: str) -> ApplicationGrant | None:
    """Applications: the applicant and the area's T&D see all, OCCTO staff without details, others nothing."""
    if caller.is_retailer and caller.operator_code == applicant_code:
        return ApplicationGrant(True, _MINT)
    if caller.is_tso and area in caller.areas:
        return ApplicationGrant(True, _MINT)
    if _is_occto_staff(caller):
        return ApplicationGrant(False, _MINT)
    return None


@dataclass(frozen=True)
class ApplicationScope:
    """Which rows of the hub's application index a listing may return (the index holds no
    customer data, so a row is shown whole): the applicant's own (`applicant`), those of the
    T&D's areas (`areas`), or every row (OCCTO's helpdesk and admins: both None)."""

    applicant: str | None
    areas: frozenset[str] | None
    _mint: object = None

    def __post_init__(self) -> None:
        if self._mint is not _MINT:
            raise TypeError("ApplicationScope is made only by switchhub.kernel.visibility")


def application_scope(caller: Caller) -> ApplicationScope | None:
    """Rows of an application listing, by the same rule as `application_grant`: a retailer its own
    applications, a T&D those of its areas, OCCTO staff all; anyone else none."""
    if caller.is_retailer:
        return ApplicationScope(caller.operator_code, None, _MINT)
    if caller.is_tso:
        return ApplicationScope(None, frozenset(caller.areas), _MINT)
    if _is_occto_staff(caller):
        return ApplicationScope(None, None, _MINT)
    return None


def project_application(record: dict[str, Any], grant: ApplicationGrant) -> dict[str, Any]:
    return {k: v for k, v in record.items() if grant.details or k not in APPLICATION_DETAIL_FIELDS}


def check_application_answer(caller: Caller, answer: dict[str, Any]) -> list[str]:
    """Fields in an area's application answer the caller may not see (the hub's second opinion)."""
    grant = application_grant(caller, str(answer.get("applicant_code", "")), str(answer.get("application_no", ""))[:2])
    if grant is None:
        return sorted(answer)
    return sorted(k for k in answer if k in APPLICATION_DETAIL_FIELDS and not grant.details)


def sensitive_fields(point: dict[str, Any]) -> list[str]:
    """Supplier-class or personal fields present in a facility answer (such answers are audited)."""
    return [f for f in point if f in FIELD_CLASSES and (FIELD_CLASSES[f] is not PUBLIC or f in PERSONAL_FIELDS)]


# --- usage passwords (type 08) and usage inquiries ------------------------------------------------
#
# Decisions recorded here (domain.md: usage is supplier-class; others need the customer's usage
# password; usage only for the current customer's period):
# * a usage password request is seen whole by its applicant and by the T&D of its area (which
#   reviews it); the password itself only by the applicant, once. OCCTO's helpdesk and admins see
#   its status and the review list read-only, never the customer's name, address, phone or the
#   identity documents (OCCTO never sees customer personal fields). Anyone else: not found.
# * a request the customer filed itself on the T&D's public page (origin "public") has no
#   applicant operator: no retailer sees it, whatever its code; the T&D reviews it as any other,
#   and the customer's e-mail address (where its result goes) is one of its personal fields.
# * a review decision (issue / reject) and the documents belong to the area's T&D only.
# * an inquiry answers, to any retailer holding a valid password of that point: the monthly kWh
#   always, the 30-minute days only for smart meters, nothing dated before the current customer's
#   period (a billing month counts only when it starts inside the period: a month that began
#   before a move-in holds the previous customer's use).

#: Fields of a usage password request that describe the customer (applicant and T&D only).
USAGE_REQUEST_PERSONAL_FIELDS: frozenset[str] = frozenset(
    {"customer_name_kana", "customer_name_kanji", "address", "phone", "consent_date", "applicant_email"})


@dataclass(frozen=True)
class UsageRequestGrant:
    """What a caller may see and do with one usage password request."""

    personal: bool  # the customer's details, each point's current customer, the documents list
    documents: bool  # download the identity documents
    decide: bool  # issue or reject after review
    pickup: bool  # receive the password (once)
    _mint: object = None

    def __post_init__(self) -> None:
        if self._mint is not _MINT:
            raise TypeError("UsageRequestGrant is made only by switchhub.kernel.visibility")


def usage_request_grant(caller: Caller, applicant_code: str | None, area: str, origin: str
                        ) -> UsageRequestGrant | None:
    """`origin` is the request's applicant origin ("retailer" or "public"): only a retailer's own
    request is its applicant's; a public request belongs to no operator."""
    if caller.is_retailer and origin == "retailer" and applicant_code and caller.operator_code == applicant_code:
        return UsageRequestGrant(True, False, False, True, _MINT)
    if caller.is_tso and area in caller.areas:
        return UsageRequestGrant(True, True, True, False, _MINT)
    if _is_occto_staff(caller):
        return UsageRequestGrant(False, False, False, False, _MINT)
    return None


def usage_review_areas(caller: Caller, area: str) -> bool:
    """Whether the caller may list the review queue of `area`: its T&D, and OCCTO staff read-only."""
    return (caller.is_tso and area in caller.areas) or _is_occto_staff(caller)


def project_usage_request(record: dict[str, Any], grant: UsageRequestGrant) -> dict[str, Any]:
    """A review detail reduced to the grant: without personal fields the customer's details are null
    and each point shows only its spid, its address and the mismatching items."""
    if grant.personal:
        return record
    out = {k: (None if k in USAGE_REQUEST_PERSONAL_FIELDS else v) for k, v in record.items()}
    out["points"] = [{**p, "current_name_kana": None, "current_name_kanji": None} for p in record.get("points", [])]
    return out


@dataclass(frozen=True)
class UsageGrant:
    """An inquiry answer's scope for one point: from `since` (the later of the 13-month window's start
    and the current customer's period start), with 30-minute days only when `days`."""

    since: Any  # datetime.date
    days: bool
    _mint: object = None

    def __post_init__(self) -> None:
        if self._mint is not _MINT:
            raise TypeError("UsageGrant is made only by switchhub.kernel.visibility")


def usage_grant(caller: Caller, *, password_valid: bool, smart_meter: bool, period_start: Any,
                window_start: Any) -> UsageGrant | None:
    """The usage a password holder sees; None when the caller may see none (no valid password, or
    not a retailer: T&D and OCCTO do not inquire through the hub)."""
    if not caller.is_retailer or not password_valid:
        return None
    return UsageGrant(max(period_start, window_start), smart_meter, _MINT)


def _first_of_next_month_unless_first(day: Any) -> Any:
    if day.day == 1:
        return day
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def usage_months_from(grant: UsageGrant) -> Any:
    """The first billing month (1st of a month) shown: the first that starts on or after `since`."""
    return _first_of_next_month_unless_first(grant.since)


def check_usage_answer(answer: dict[str, Any]) -> list[str]:
    """Parts of an area's usage answer that its own statements forbid (the hub's second opinion):
    30-minute days for a point without interval data, and months or days before the current
    customer's period. Returns their descriptions ("days", "months:2026-01", "days:2026-01-03")."""
    bad: list[str] = []
    start = answer.get("period_start")
    start = date.fromisoformat(start) if isinstance(start, str) else start
    if not answer.get("interval_data") and answer.get("days"):
        bad.append("days")
    if start is None:
        return bad + (["months"] if answer.get("months") else [])
    first_month = _first_of_next_month_unless_first(start)
    for m in answer.get("months") or []:
        if date.fromisoformat(f"{m.get('billing_month')}-01") < first_month:
            bad.append(f"months:{m.get('billing_month')}")
    first_day = start.isoformat()  # YYYY-MM-DD texts (the contract's, checked before) sort as their dates
    days = answer.get("days") or []
    try:  # the usual answer: its earliest day inside the period, found by one pass of built-ins
        earliest = min(map(itemgetter("date"), days))
        if isinstance(earliest, str) and earliest >= first_day:
            return bad
    except (KeyError, TypeError, ValueError):
        pass
    for d in days:
        day = d.get("date")
        if (day < first_day) if isinstance(day, str) else (day < start):
            bad.append(f"days:{day}")
    return bad


# --- metering files --------------------------------------------------------------------------

@dataclass(frozen=True)
class MeteringFileScope:
    """Which metering files (metering.md) a caller may list and download: a retailer only the files
    addressed to it (`retailer`), a T&D every retailer's files of its areas (`areas`), OCCTO every
    file (both None). A file outside the scope is answered as not found."""

    retailer: str | None
    areas: frozenset[str] | None
    _mint: object = None

    def __post_init__(self) -> None:
        if self._mint is not _MINT:
            raise TypeError("MeteringFileScope is made only by switchhub.kernel.visibility")

    def sees(self, area: str, retailer_code: str) -> bool:
        return ((self.retailer is None or self.retailer == retailer_code)
                and (self.areas is None or area in self.areas))


def metering_file_scope(caller: Caller) -> MeteringFileScope | None:
    """A retailer its own files, a T&D the files of its areas, OCCTO all; anyone else none."""
    if caller.is_retailer:
        return MeteringFileScope(caller.operator_code, None, _MINT)
    if caller.is_tso:
        return MeteringFileScope(None, frozenset(caller.areas), _MINT)
    if caller.is_occto:
        return MeteringFileScope(None, None, _MINT)
    return None
