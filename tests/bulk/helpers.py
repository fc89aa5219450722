"""Helpers for bulk-file tests: points to relay, CSV files in a chosen encoding, row counts."""

from __future__ import annotations

from sqlalchemy import text

from tests.hub.helpers import area_template_url
from tests.support import execute

RELAY_HEADER = ["供給地点特定番号", "現小売事業者コード", "現小売との契約番号", "需要者名（カナ）", "需要者名（漢字）", "住所",
                "建物名", "スイッチング希望日", "担当者名", "担当者電話番号"]


def points_of(world, retailer: str, count: int, area: str = "03", offset: int = 0) -> list[str]:
    rows = execute(area_template_url(world),
                   "SELECT p.spid FROM supply_points p JOIN supply_periods s ON s.area = p.area AND s.spid = p.spid"
                   " AND s.valid_to IS NULL WHERE p.area = %s AND s.retailer_code = %s AND p.contract_status = '1'"
                   " ORDER BY p.spid OFFSET %s LIMIT %s", (area, retailer, offset, count))
    return [r[0] for r in rows]


def relay_row(spid: str, **over: str) -> list[str]:
    values = {"spid": spid, "current": "M0300", "contract": "K-1", "kana": "ヤマダ タロウ", "kanji": "山田 太郎",
              "address": "東京都新宿区西新宿2-8-1", "building": "", "date": "2030-01-31", "contact": "切替 花子",
              "phone": "03-1234-5678", **over}
    return list(values.values())


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    def cell(v: str) -> str:
        return f'"{v}"' if any(c in v for c in ',"\n') else v

    lines = [",".join(cell(c) for c in r) for r in [header, *rows]]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


async def count(stack, sql: str, **params) -> int:
    async with stack.hub_app.state.engine.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar_one()
