"""The suite's report: one row per check (id, pass/fail, detail in Japanese and English), printed as a
Rich table or as JSON; `ok` decides the exit code (0 all pass, 1 any failure)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table


@dataclass
class CheckResult:
    check: str
    ok: bool
    detail_ja: str = ""
    detail_en: str = ""
    operation: str = ""
    elapsed_ms: float = 0.0

    def detail(self, lang: str) -> str:
        return self.detail_en if lang == "en" else self.detail_ja


@dataclass
class Report:
    base_url: str
    area: str
    results: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.ok for r in self.results)

    @property
    def failed(self) -> list[str]:
        return [r.check for r in self.results if not r.ok]

    def result(self, check: str) -> CheckResult:
        return next(r for r in self.results if r.check == check)

    def as_dict(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "area": self.area,
            "ok": self.ok,
            "passed": sum(r.ok for r in self.results),
            "failed": len(self.failed),
            "checks": [asdict(r) for r in self.results],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)

    def render(self, console: Console, lang: str = "ja") -> None:
        en = lang == "en"
        table = Table(
            title=(
                f"Area contract conformance: {self.base_url} (area {self.area})"
                if en
                else f"エリア連携仕様 適合性試験: {self.base_url}（エリア {self.area}）"
            )
        )
        table.add_column("check" if en else "試験項目", no_wrap=True)
        table.add_column("result" if en else "結果", no_wrap=True)
        table.add_column("detail" if en else "詳細")
        for r in self.results:
            mark = (
                ("[green]pass[/green]" if en else "[green]合格[/green]")
                if r.ok
                else ("[red]FAIL[/red]" if en else "[red]不合格[/red]")
            )
            table.add_row(r.check, mark, r.detail(lang))
        console.print(table)
        passed, failed = sum(r.ok for r in self.results), len(self.failed)
        console.print(f"{passed} passed, {failed} failed" if en else f"合格 {passed} 件、不合格 {failed} 件")
