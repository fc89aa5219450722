"""Operators (OCCTO, 10 T&D, 10 incumbent and 24 new retailers) and their users."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

from switchhub.kernel.codes import AREA_TSO_NAMES
from switchhub.kernel.spid import AREA_CODES

INCUMBENTS = {
    "01": ("北海道電力", "ホッカイドウデンリョク"), "02": ("東北電力", "トウホクデンリョク"),
    "03": ("東京電力エナジーパートナー", "トウキョウデンリョクエナジーパートナー"),
    "04": ("中部電力ミライズ", "チュウブデンリョクミライズ"), "05": ("北陸電力", "ホクリクデンリョク"),
    "06": ("関西電力", "カンサイデンリョク"), "07": ("中国電力", "チュウゴクデンリョク"),
    "08": ("四国電力", "シコクデンリョク"), "09": ("九州電力", "キュウシュウデンリョク"),
    "10": ("沖縄電力", "オキナワデンリョク"),
}
NEW_RETAILERS = [
    ("さくらでんき", "サクラデンキ"), ("みらいエナジー", "ミライエナジー"), ("あおぞら電力", "アオゾラデンリョク"),
    ("ひかりパワー", "ヒカリパワー"), ("ことぶきガス&電気", "コトブキガスアンドデンキ"), ("グリーンリンク電力", "グリーンリンクデンリョク"),
    ("まちのでんき", "マチノデンキ"), ("つばさエネルギー", "ツバサエネルギー"), ("しおさい電力", "シオサイデンリョク"),
    ("やまびこ電力", "ヤマビコデンリョク"), ("ソレイユ電力", "ソレイユデンリョク"), ("かぜのこエナジー", "カゼノコエナジー"),
    ("いなほ電力", "イナホデンリョク"), ("ミナモト電気", "ミナモトデンキ"), ("すばる電力", "スバルデンリョク"),
    ("あかつき電力", "アカツキデンリョク"), ("ほたるでんき", "ホタルデンキ"), ("わかばエネルギー", "ワカバエネルギー"),
    ("こだま電力", "コダマデンリョク"), ("ひまわり電気", "ヒマワリデンキ"), ("シーサー電力", "シーサーデンリョク"),
    ("どさんこでんき", "ドサンコデンキ"), ("なにわ電力", "ナニワデンリョク"), ("はかた電力", "ハカタデンリョク"),
]
REGIONAL = {20: ("10",), 21: ("01",), 22: ("06", "07", "08"), 23: ("09",)}


@dataclass(frozen=True)
class OperatorRow:
    code: str
    name: str
    name_kana: str
    kind: str
    areas: tuple[str, ...]
    incumbent_areas: tuple[str, ...]
    contact_name: str
    contact_phone: str
    email: str


@dataclass(frozen=True)
class DemoLogin:
    login_id: str
    password: str
    operator_code: str
    role: str
    is_api_user: bool
    totp_secret: str | None = None  # admins and helpdesk sign in with a second factor (security.md)


def new_retailer_areas(index: int) -> tuple[str, ...]:
    """A0001–A0008 national; others regional subsets (deterministic)."""
    if index < 8:
        return AREA_CODES
    if index in REGIONAL:
        return REGIONAL[index]
    start = index % 10
    return tuple(sorted({AREA_CODES[(start + k) % 10] for k in range(3)}))


def operators(seed: int) -> list[OperatorRow]:
    rng = random.Random(seed * 7 + 1)

    def phone() -> str:
        return f"0{rng.randint(3, 9)}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"

    rows = [OperatorRow("OC000", "電力広域的運営推進機関", "デンリョクコウイキテキウンエイスイシンキカン", "occto", AREA_CODES, (),
                        "ヘルプデスク", "03-0000-0000", "helpdesk@occto.example")]
    for area in AREA_CODES:
        rows.append(OperatorRow(f"T{area}00", AREA_TSO_NAMES[area], "", "tso", (area,), (), "託送窓口", phone(),
                                f"takuso-{area}@tso.example"))
        name, kana = INCUMBENTS[area]
        rows.append(OperatorRow(f"M{area}00", name, kana, "retailer", (area,), (area,), "スイッチング窓口", phone(),
                                f"switch-{area}@incumbent.example"))
    for i, (name, kana) in enumerate(NEW_RETAILERS):
        rows.append(OperatorRow(f"A{i + 1:04d}", f"株式会社{name}", f"カブシキガイシャ{kana}", "retailer",
                                new_retailer_areas(i), (), "切替センター", phone(), f"desk@a{i + 1:04d}.example"))
    return rows


def users(ops: list[OperatorRow], seed: int) -> list[DemoLogin]:
    rng = random.Random(seed * 13 + 5)
    alphabet = string.ascii_letters + string.digits

    def password() -> str:
        return "Sw-" + "".join(rng.choice(alphabet) for _ in range(13))

    def totp_secret() -> str:
        return "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(32))

    out = []
    for op in ops:
        code = op.code.lower()
        out.append(DemoLogin(f"{code}-admin", password(), op.code, "admin", False, totp_secret()))
        out.append(DemoLogin(f"{code}-user1", password(), op.code, "general", False))
        out.append(DemoLogin(f"{code}-user2", password(), op.code, "general", False))
        if op.kind == "occto":
            out.append(DemoLogin(f"{code}-helpdesk", password(), op.code, "helpdesk", False, totp_secret()))
        else:
            out.append(DemoLogin(f"{code}-api", password(), op.code, "api", True))
    return out
