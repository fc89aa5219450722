"""State checks (異動並びチェック, 契約状態チェック) as tables, in the order of statechecks.md.

1. the type fits the point's channel (kinds.py, before this module);
2. the applicant: the current supplier for 01/02/03/06/07 (and FIT twins), anyone but the
   supplier for 05, anyone for 04;
3. the contract status: 契約中 or 臨時 for all but 04; 04 needs 廃止中 or an open termination
   ending before its start date; 06 needs an ampere-breaker contract;
4. cross-group conflicts with open applications (廃止受付中, スイッチング申込あり, 他社スイッチング申込あり);
5. one open application per group (異動並びチェックエラー), the switch pair excepted.
The first failing check answers; a refusal names the conflicting application's number, type
and received date. Types are compared by their base type, so a FIT twin behaves as its base.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from switchhub.kernel.clock import JST
from switchhub.kernel.codes import ApplicationType as T
from switchhub.kernel.codes import CapacityMethod, ContractStatus, RejectionReason
from switchhub.kernel.errors import Conflict, InputError

R = RejectionReason
NEEDS_SUPPLIER = frozenset({T.TERMINATION, T.TERMINATION_REMOVAL, T.SWITCH_END, T.AMPERE_CHANGE, T.CUSTOMER_CHANGE})
NOT_SUPPLIER = frozenset({T.SWITCH_START})
ACTIVE = frozenset({ContractStatus.ACTIVE.value, ContractStatus.TEMPORARY.value})
TERMINATIONS = frozenset({T.TERMINATION, T.TERMINATION_REMOVAL})
SWITCHES = frozenset({T.SWITCH_START, T.SWITCH_END})
GROUP: dict[T, str] = {T.TERMINATION: "termination", T.TERMINATION_REMOVAL: "termination", T.SWITCH_END: "switch",
                       T.SWITCH_START: "switch", T.RECONNECTION: "reconnection", T.AMPERE_CHANGE: "ampere",
                       T.CUSTOMER_CHANGE: "customer"}
#: (types filed, open types that refuse them, reason, only when the open one is another retailer's)
CROSS: tuple[tuple[frozenset[T], frozenset[T], RejectionReason, bool], ...] = (
    (SWITCHES, TERMINATIONS, R.TERMINATION_PENDING, False),
    (TERMINATIONS, SWITCHES, R.SWITCH_PENDING, False),
    (frozenset({T.SWITCH_START}), frozenset({T.SWITCH_START}), R.OTHER_SWITCH_PENDING, True),
)


def base(app: dict[str, Any]) -> T:
    return T(app["type"]).base


def conflict(reason: RejectionReason, app: dict[str, Any], detail_ja: str, detail_en: str) -> Conflict:
    received = app["received_at"].astimezone(JST).date().isoformat()
    kind = T(app["type"])
    return Conflict(
        f"{detail_ja}（{reason.ja}: 申込番号 {app['application_no']}、{kind.ja}、受付日 {received}）",
        f"{detail_en} ({reason.en}: application {app['application_no']}, {kind.en}, received {received})",
        code=reason.value, extra={"conflicting_application": {"application_no": app["application_no"],
                                                              "type": app["type"], "received_date": received}})


def applicant_refusal(applicant: str, point: dict[str, Any], new: T) -> Conflict | None:
    if new in NEEDS_SUPPLIER and point["supplier"] != applicant:
        return Conflict("申込者はこの供給地点の現在の小売電気事業者ではありません",
                        "The applicant does not supply this point", code=R.NOT_CURRENT_SUPPLIER.value)
    if new in NOT_SUPPLIER and point["supplier"] == applicant:
        return Conflict("既に申込者が供給している供給地点です", "The applicant already supplies this point",
                        code="already_supplier")
    return None


def _status_conflict(point: dict[str, Any], new: T) -> Conflict:
    status = point["contract_status"]
    name = ContractStatus(status).ja if status in {s.value for s in ContractStatus} else status
    need = "廃止中" if new is T.RECONNECTION else "契約中または臨時"
    return Conflict(f"契約状態が「{name}」のため{new.ja}は受付できません（{need}の供給地点のみ）",
                    f"The contract status {status} does not allow {new.en}", code=R.CONTRACT_STATUS.value)


def status_refusal(point: dict[str, Any], new: T, when: date | None, open_apps: list[dict[str, Any]]
                   ) -> Exception | None:
    status = point["contract_status"]
    if new is not T.RECONNECTION:
        if status not in ACTIVE:
            return _status_conflict(point, new)
        if new is T.AMPERE_CHANGE and point.get("capacity_method") != CapacityMethod.AMPERE_BREAKER:
            return InputError.single("contract_current", "capacity_method",
                                     "アンペア変更はアンペアブレーカ契約の供給地点のみ申し込めます",
                                     "An ampere change needs an ampere-breaker contract")
        return None
    if status == ContractStatus.VACANT:
        return None
    if status not in ACTIVE:
        return _status_conflict(point, new)
    pending = [a for a in open_apps if base(a) in TERMINATIONS]
    if not pending:
        return _status_conflict(point, new)
    termination = pending[0]
    if when is not None and termination["requested_date"] is not None and termination["requested_date"] < when:
        return None
    return conflict(R.TERMINATION_PENDING, termination,
                    f"廃止日 {termination['requested_date']} より後の再点日でなければ受付できません",
                    f"The start date must be after the pending termination's date {termination['requested_date']}")


def run(applicant: str, point: dict[str, Any], new_type: T, when: date | None, open_apps: list[dict[str, Any]]) -> None:
    """Raise the first failing check for a new application of `new_type` by `applicant`."""
    new = new_type.base
    refusal = applicant_refusal(applicant, point, new) or status_refusal(point, new, when, open_apps)
    if refusal is not None:
        raise refusal
    for filed, blocking, reason, others_only in CROSS:
        if new not in filed:
            continue
        for other in open_apps:
            if base(other) in blocking and (not others_only or other["applicant_code"] != applicant):
                raise conflict(reason, other, "同じ供給地点に受付中の申込があります", "An application is pending")
    for other in open_apps:
        kind = base(other)
        if GROUP[kind] == GROUP[new] and (GROUP[new] != "switch" or kind is new):
            raise conflict(R.CONFLICTING_APPLICATION, other, "同じ供給地点に同じ種類の受付中の申込があります",
                           "An application of the same group is pending")


def still_possible(app: dict[str, Any], point: dict[str, Any], open_apps: list[dict[str, Any]]) -> Exception | None:
    """After an execution changed the point: the refusal a still-open application now meets, if any."""
    new = base(app)
    others = [a for a in open_apps if a["application_no"] != app["application_no"]]
    return (applicant_refusal(app["applicant_code"], point, new)
            or status_refusal(point, new, app["requested_date"], others))
