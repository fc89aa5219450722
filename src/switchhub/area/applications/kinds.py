"""The per-kind table: everything that differs between application kinds, in one place.

A kind is what a retailer files at one path (`POST /applications/<kind>`); the point's channel
and, for a termination, the meter removal flag pick the type code (domain.md: the FIT twin at a
low_fit point). The filing path in `service.py` is one for all kinds and reads this table:
request model, date field, date rule, who may file, whether it pairs, which fields a correction
may change. The state checks (`checks.py`) and the execution on the date (`execution.py`) are
tables keyed by the base type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from switchhub.contract.applications import (
    AmpereChangeRequest,
    CustomerChangeRequest,
    ReconnectionRequest,
    SwitchEndRequest,
    SwitchStartRequest,
    TerminationRequest,
)
from switchhub.kernel.codes import ApplicationType as T
from switchhub.kernel.codes import Channel
from switchhub.kernel.errors import InputError


@dataclass(frozen=True)
class Kind:
    name: str  # the API path segment
    request: type[BaseModel]
    types: tuple[T, ...]  # the base types this kind files (termination: 01 without removal, 02 with)
    date_field: str  # the request field that carries the application's date
    date_rule: str | None  # kernel.calendar.APPLICATION_LEAD_DAYS key; None: the switch rule (reading days)
    pair: bool  # switch-start / switch-end: matched with a counterpart
    correctable: frozenset[str]  # CorrectionRequest fields a correction of this kind may change

    def base_type(self, req: BaseModel) -> T:
        if self.name == "termination":
            return T.TERMINATION_REMOVAL if getattr(req, "remove_meter") else T.TERMINATION
        return self.types[0]

    def type_for(self, req: BaseModel, channel: str) -> T:
        """The type code at a point of `channel`, or a 422 naming the field that does not fit."""
        base = self.base_type(req)
        code = base.on_channel(channel)
        if code is not None:
            return code
        name = Channel(channel).ja if channel in {c.value for c in Channel} else channel
        if self.name == "termination" and channel == Channel.HIGH:
            raise InputError.single("remove_meter", "channel_mismatch",
                                    "高圧の供給地点の廃止は計器撤去を伴う廃止・撤去（remove_meter=true）のみ申し込めます",
                                    "At a high-voltage point a termination must remove the meter (remove_meter=true)")
        raise InputError.single("spid", "channel_mismatch",
                                f"{base.ja}は{name}の供給地点には申し込めません",
                                f"{base.en} cannot be filed for a {channel} supply point")

    def date_rule_of(self, base: T) -> str | None:
        if self.name == "termination":
            return "termination_removal" if base is T.TERMINATION_REMOVAL else "termination"
        return self.date_rule

    def requested_date(self, req: BaseModel) -> Any:
        return getattr(req, self.date_field)


_CUSTOMER = frozenset({"service_menu", "capacity_method", "contract_current", "contract_capacity", "contract_power",
                       "customer_name_kana", "customer_name_kanji", "customer_phone"})

KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("termination", TerminationRequest, (T.TERMINATION, T.TERMINATION_REMOVAL), "end_date", "termination", False,
         frozenset({"end_date", "remove_meter", "attendance", "reason_note", "contact_name", "contact_phone"})),
    Kind("switch-end", SwitchEndRequest, (T.SWITCH_END,), "switch_date", None, True,
         frozenset({"switch_date", "customer_request"})),
    Kind("reconnection", ReconnectionRequest, (T.RECONNECTION,), "start_date", "reconnection", False,
         _CUSTOMER | {"start_date", "move_in_time"}),
    Kind("switch-start", SwitchStartRequest, (T.SWITCH_START,), "switch_date", None, True,
         _CUSTOMER | {"switch_date", "customer_request"}),
    Kind("ampere-change", AmpereChangeRequest, (T.AMPERE_CHANGE,), "effective_date", "ampere_change", False,
         frozenset({"effective_date", "contract_current"})),
    Kind("customer-change", CustomerChangeRequest, (T.CUSTOMER_CHANGE,), "effective_date", "customer_change", False,
         frozenset({"effective_date", "customer_name_kana", "customer_name_kanji", "customer_phone"})),
)}
BY_BASE: dict[T, Kind] = {t: k for k in KINDS.values() for t in k.types}


def kind_of_type(type_code: str) -> Kind:
    return BY_BASE[T(type_code).base]


def request_of(kind: Kind, app: dict[str, Any]) -> dict[str, Any]:
    """The filing request an application was made from (for a correction to re-validate)."""
    fields = kind.request.model_fields
    body: dict[str, Any] = {k: v for k, v in (app["payload"] or {}).items() if k in fields}
    body["spid"] = app["spid"]
    body[kind.date_field] = app["requested_date"].isoformat() if app["requested_date"] else None
    if "customer_request" in fields:
        body["customer_request"] = app["customer_request"]
    if "relay_no" in fields:
        body["relay_no"] = app["relay_no"]
    return body
