"""The published scenario table of the sandbox's area stubs (docs/sandbox.md has the same table).

A scenario is chosen by the last 4 digits of the spid an operation names (spids have no check
digit: kernel/spid.py). Points for the scenarios that need an existing point (9902, 9903, 9905) are
created in the area database when the sandbox is created (`sandbox.points`), copied from the first
point the sandbox's incumbent retailer M0300 supplies in area 03, with its last 4 digits replaced;
`switchhub sandbox` prints them. Any spid ending in 9901, 9904 or 9906 behaves as its scenario
(no point is needed), and so does any point someone else creates with one of the other endings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    suffix: str
    name: str
    #: what the stub does: "not_found", "refuse_filing", "slow", "stall", "pass", "unavailable"
    action: str
    ja: str
    en: str
    #: the stub creates a point with this suffix at sandbox creation (the scenario needs a real point)
    needs_point: bool = False


SLOW_SECONDS = 2.0
#: how much longer than the hub's area timeout a stalled call waits before answering
STALL_EXTRA_SECONDS = 2.0
#: the refusal of scenario 9902 (the area's contract status check, area/applications/checks.py)
REFUSAL_CODE = "contract_status"

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "9901",
        "not_found",
        "not_found",
        "どの操作も「供給地点なし」(404 not_found)",
        "Every operation: no such point (404 not_found)",
    ),
    Scenario(
        "9902",
        "refused",
        "refuse_filing",
        "照会は通常どおり、申込（全種別）は契約状態チェックエラー (409 contract_status)",
        "Lookups as usual; every application filing refused (409 contract_status)",
        needs_point=True,
    ),
    Scenario(
        "9903",
        "slow",
        "slow",
        "どの操作も2秒後に通常どおり応答",
        "Every operation answers normally after 2 s",
        needs_point=True,
    ),
    Scenario(
        "9904",
        "timeout",
        "stall",
        "ハブのエリアタイムアウトより長く応答しない → ハブは 504 area_timeout",
        "No answer within the hub's area timeout → the hub answers 504 area_timeout",
    ),
    Scenario(
        "9905",
        "every_stage",
        "pass",
        "申込は受け付けられ、時計を進めると全工程を自動で進む（受付 → 日付確定 → 完了）",
        "Filings are accepted and pass every stage as the clock moves (received → date fixed → completed)",
        needs_point=True,
    ),
    Scenario(
        "9906",
        "unavailable",
        "unavailable",
        "どの操作も一般送配電事業者システム停止 (503 area_unavailable)",
        "Every operation: the area system is down (503 area_unavailable)",
    ),
)
BY_SUFFIX: dict[str, Scenario] = {s.suffix: s for s in SCENARIOS}


def scenario_of(spid: str) -> Scenario | None:
    return BY_SUFFIX.get(spid[-4:]) if len(spid) == 22 else None


def scenario_spid(source_spid: str, suffix: str) -> str:
    """The spid of a scenario point copied from `source_spid`: its last 4 digits replaced."""
    return source_spid[:18] + suffix
