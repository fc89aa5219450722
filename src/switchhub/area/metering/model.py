"""The content of one metering file as typed records (what the writer writes and the reader returns).

Values are exact: kWh and kW are `Decimal` with 4 decimals (decimal(10,4) per metering.md, monthly
totals decimal(14,4)); a slot that has not been received is `None` (no element in the XML).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from switchhub.contract.metering import FileType


@dataclass(frozen=True)
class Header:
    type: FileType
    operation_mode: str  # "1" test data (never processed as live), "0" live
    sender_code: str  # the T&D (5)
    sender_name: str
    receiver_code: str  # the retailer (5)
    created_at: datetime
    target: date  # the day; for monthly files the first day of the billing month
    slot: int | None = None  # today files: the slot 1–48
    sequence: int = 1
    revision: int = 1

    @property
    def info_type(self) -> str:
        """JP00002 (4): switchhub's code, the digits of the file type without its last one (W41120 → 4112)."""
        return self.type.value[1:5]


@dataclass(frozen=True)
class Reading:
    status: int | None
    kwh: Decimal | None


@dataclass(frozen=True)
class Point:
    """One point of a 30-minute file: `readings` has one entry (today) or 48 (past day)."""
    spid: str
    customer_code: str  # JP06119: the T&D's customer record number of the customer on the day
    customer_name: str  # JP06120
    management_no: str  # JP06121: the T&D's supply record number (this retailer's supply of the point)
    readings: tuple[Reading, ...]


@dataclass(frozen=True)
class Day:
    day: date
    readings: tuple[Reading, ...]  # 48


@dataclass(frozen=True)
class MonthlyPoint:
    spid: str
    customer_code: str
    customer_name: str
    point_name: str  # JP06402: the point's address as one line
    voltage_name: str  # JP06403
    provided: str  # JP06405: "0" provided, "1" not provided (no reading for any covered day)
    power_factor: int | None  # JP06406 (%)
    meter_class: str  # JP06407
    total_kwh: Decimal  # JP06426: sum of the covered days' slots
    confirmed_kwh: Decimal | None  # JP06427: the confirmed monthly total when the whole month is covered
    max_demand_kw: Decimal | None  # JP06445: largest slot kWh × 2 over the covered days
    next_reading_date: date | None  # JP06446
    days: tuple[Day, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Document:
    header: Header
    points: tuple[Point, ...] | tuple[MonthlyPoint, ...]
