"""How the suite judges one answer: the contract's schema for its operation and status, a refusal's
status, problem+json and stable code (also listed in the document's x-refusal-codes), and the exact
field set a relationship allows. A judgement that fails raises `Failed` with a Japanese and an English
reason, which becomes the check's detail in the report."""

from __future__ import annotations

from typing import Any

from switchhub.conformance import contract, expected
from switchhub.conformance.probe import Exchange


class Failed(Exception):
    def __init__(self, ja: str, en: str) -> None:
        super().__init__(en)
        self.ja, self.en = ja, en


def answer(ex: Exchange, status: int) -> Any:
    """The body of a successful answer in the contract's schema, or Failed naming what is wrong."""
    if ex.status == 0:
        raise Failed(
            f"{ex.operation}: 応答がありません（{ex.error}）", f"{ex.operation}: no answer ({ex.error})"
        )
    if ex.status != status:
        code = ex.body.get("code") if isinstance(ex.body, dict) else ""
        raise Failed(
            f"{ex.operation}: ステータス {ex.status}（期待値 {status}）{code or ''}",
            f"{ex.operation}: status {ex.status}, expected {status} {code or ''}",
        )
    if "json" in ex.content_type:
        errors = contract.schema_errors(ex.method, ex.path, ex.status, ex.content_type, ex.body)
        if errors:
            raise Failed(
                f"{ex.operation}: 応答が連携仕様のスキーマに合いません: {'; '.join(errors)}",
                f"{ex.operation}: answer does not match the contract schema: {'; '.join(errors)}",
            )
    return ex.body


def refusal(ex: Exchange, check: str, fields: set[str] | None = None) -> str:
    """A refusal as the contract names it: status, problem+json in the Problem schema, the stable code
    (also listed in the operation's x-refusal-codes) and, for input errors, the offending fields."""
    status, code = expected.REFUSALS[check]
    if ex.status == 0:
        raise Failed(f"応答がありません（{ex.error}）", f"no answer ({ex.error})")
    got = ex.body.get("code") if isinstance(ex.body, dict) else None
    if ex.status != status or got != code:
        raise Failed(
            f"{ex.operation}: {ex.status} {got}（期待値 {status} {code}）",
            f"{ex.operation}: {ex.status} {got}, expected {status} {code}",
        )
    if not ex.content_type.startswith(contract.PROBLEM):
        raise Failed(
            f"{ex.operation}: Content-Type が {ex.content_type}（application/problem+json ではない）",
            f"{ex.operation}: content type {ex.content_type}, not application/problem+json",
        )
    errors = contract.schema_errors(ex.method, ex.path, ex.status, ex.content_type, ex.body)
    if errors:
        raise Failed(
            f"{ex.operation}: problem+json がスキーマに合いません: {'; '.join(errors)}",
            f"{ex.operation}: problem+json does not match the schema: {'; '.join(errors)}",
        )
    if code not in contract.refusal_codes(ex.method, ex.path).get(str(status), []):
        raise Failed(
            f"{ex.operation}: コード {code} が x-refusal-codes にありません",
            f"{ex.operation}: code {code} is not in the document's x-refusal-codes",
        )
    named = {e.get("field") for e in ex.body.get("errors", []) if isinstance(e, dict)}
    if fields and not fields <= named:
        raise Failed(
            f"{ex.operation}: 項目エラーに {', '.join(sorted(fields - named))} がありません"
            f"（{sorted(named)}）",
            f"{ex.operation}: field errors lack {', '.join(sorted(fields - named))} ({sorted(named)})",
        )
    return f"{status} {code}"


#: who sees an answer, for the report
WHO = {
    "current_supplier": ("供給者", "the supplier"),
    "former_supplier": ("以前の供給者", "a former supplier"),
    "other_retailer": ("他の小売電気事業者", "another retailer"),
    "tso_own_area": ("エリアの一般送配電事業者", "the area's T&D"),
    "tso_other_area": ("他エリアの一般送配電事業者", "another area's T&D"),
    "occto": ("広域機関", "OCCTO"),
    "search": ("検索結果", "a search"),
    "export": ("供給者（一括取得）", "the supplier's export"),
}


def fields(point: dict[str, Any], allowed: frozenset[str], who: str) -> None:
    """Exactly the allowed fields: any other is a leak, a missing one an incomplete answer."""
    ja, en = WHO.get(who, (who, who))
    leaked, missing = sorted(set(point) - allowed), sorted(allowed - set(point) - expected.HUB_FILLED)
    if leaked:
        raise Failed(
            f"{ja}に見せてはならない項目が含まれています: {', '.join(leaked)}",
            f"fields {en} may not see were answered: {', '.join(leaked)}",
        )
    if missing:
        raise Failed(
            f"{ja}に見せるべき項目がありません: {', '.join(missing)}",
            f"fields {en} may see are missing: {', '.join(missing)}",
        )


def masked(meter_no: str) -> bool:
    return len(meter_no) <= 3 or set(meter_no[:-3]) == {"*"}
