"""Prefectures and the areas they belong to (static geography for routing address searches).

Shizuoka is split between Tokyo (east of the Fuji river, 50 Hz) and Chubu; parts of
Gifu, Mie and Fukui border other areas. A search by address goes to every area its
prefecture may belong to.
"""

from __future__ import annotations

PREFECTURE_AREAS: dict[str, tuple[str, ...]] = {
    "北海道": ("01",),
    "青森県": ("02",), "岩手県": ("02",), "宮城県": ("02",), "秋田県": ("02",), "山形県": ("02",),
    "福島県": ("02",), "新潟県": ("02",),
    "東京都": ("03",), "神奈川県": ("03",), "埼玉県": ("03",), "千葉県": ("03",), "茨城県": ("03",),
    "栃木県": ("03",), "群馬県": ("03",), "山梨県": ("03",), "静岡県": ("03", "04"),
    "愛知県": ("04",), "岐阜県": ("04", "06"), "三重県": ("04", "06"), "長野県": ("04",),
    "富山県": ("05",), "石川県": ("05",), "福井県": ("05", "06"),
    "大阪府": ("06",), "京都府": ("06",), "兵庫県": ("06", "07"), "奈良県": ("06",), "滋賀県": ("06",),
    "和歌山県": ("06",),
    "鳥取県": ("07",), "島根県": ("07",), "岡山県": ("07",), "広島県": ("07",), "山口県": ("07",),
    "香川県": ("08",), "徳島県": ("08",), "愛媛県": ("08",), "高知県": ("08",),
    "福岡県": ("09",), "佐賀県": ("09",), "長崎県": ("09",), "熊本県": ("09",), "大分県": ("09",),
    "宮崎県": ("09",), "鹿児島県": ("09",),
    "沖縄県": ("10",),
}


def areas_of_prefecture(prefecture: str) -> tuple[str, ...]:
    return PREFECTURE_AREAS.get(prefecture, ())


def prefectures_of_area(area: str) -> list[str]:
    return [p for p, areas in PREFECTURE_AREAS.items() if area in areas]
