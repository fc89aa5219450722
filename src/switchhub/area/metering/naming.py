"""File names (metering.md: type + date (+ HHMM) + sequence, revisions numbered).

`{type}_{YYYYMMDD}_{HHMM}_{sss}_r{revision}.zip`: HHMM is the slot's start time for today files and
`0000` for past-day files; monthly billing files have their reading day without a time,
`{type}_{YYYYMMDD}_{sss}_r{revision}.zip` (metering.md: W51210/W51220 + date), and the CSV forms a month,
`{type}_{YYYYMM}_{sss}_r{revision}.zip`.
The XML (or CSV) inside has the same name with `.xml` (`.csv`).
"""

from __future__ import annotations

import re
from datetime import date

from switchhub.contract.metering import FORM_TYPES, MONTHLY_TYPES, TODAY_TYPES, FileType

NAME = re.compile(r"^(?P<type>W4[01]1[12]0|W512[12]0|C0[1-3])_(?P<target>\d{8}|\d{6})(?:_(?P<hhmm>\d{4}))?"
                  r"_(?P<seq>\d{3,})_r(?P<rev>\d+)\.(?P<ext>zip|xml|csv|json)$")


def slot_hhmm(slot: int) -> str:
    minutes = (slot - 1) * 30
    return f"{minutes // 60:02d}{minutes % 60:02d}"


def stem(type_: FileType, target: date, slot: int | None, sequence: int, revision: int) -> str:
    if type_ in FORM_TYPES:
        return f"{type_.value}_{target:%Y%m}_{sequence:03d}_r{revision}"
    if type_ in MONTHLY_TYPES:
        return f"{type_.value}_{target:%Y%m%d}_{sequence:03d}_r{revision}"
    hhmm = slot_hhmm(slot or 1) if type_ in TODAY_TYPES else "0000"
    return f"{type_.value}_{target:%Y%m%d}_{hhmm}_{sequence:03d}_r{revision}"


def zip_name(type_: FileType, target: date, slot: int | None, sequence: int, revision: int) -> str:
    return stem(type_, target, slot, sequence, revision) + ".zip"


def inner_name(type_: FileType, target: date, slot: int | None, sequence: int, revision: int) -> str:
    ext = ".csv" if type_ in FORM_TYPES else ".xml"
    return stem(type_, target, slot, sequence, revision) + ext
