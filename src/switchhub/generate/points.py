"""Supply points with meters, supply periods and customer periods, deterministic per (seed, area, slice).

Proportions (domain.md and decisions): channels ~96.5% low, 1% high, 2.5% low_fit; ~85%
smart meters; ~3% vacant (廃止中), a few removed/temporary; ~20% of supplied points switched
from the area's incumbent to a new retailer since April 2016; ~20% had a previous customer.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

from switchhub.generate.names import BUILDINGS, COMPANY_SUFFIX, FAMILY, GIVEN
from switchhub.generate.operators import new_retailer_areas
from switchhub.generate.places import cities_of
from switchhub.kernel.calendar import valid_reading_codes
from switchhub.kernel.text import (
    normalize_block,
    normalize_building,
    normalize_code_like,
    normalize_room,
    normalize_town,
)

POINT_COLUMNS = (
    "spid", "area", "channel", "postcode", "prefecture", "city", "town", "block", "building", "room",
    "town_norm", "block_norm", "building_norm", "room_norm", "island_flag", "contract_form", "capacity_method",
    "contract_current", "contract_capacity", "current_upper_limit", "current_limit_value", "ampere_breaker",
    "breaker_remote", "minimum_charge", "power_factor", "flat_rate_lamp", "meters", "meter_nos_norm", "pole_no",
    "pole_no_norm", "supply_method", "disconnection_method", "reading_day_code", "past_new_extension_dates",
    "contract_status", "service_menu", "contract_power", "load_equipment", "tso_notes",
)
SUPPLY_COLUMNS = ("area", "spid", "retailer_code", "valid_from", "valid_to")
CUSTOMER_COLUMNS = ("area", "spid", "name_kana", "name_kanji", "phone", "contact_phone", "valid_from", "valid_to")

CURRENTS = (10, 15, 20, 30, 30, 30, 40, 40, 50, 60)
LOAD = ("エアコン 2台, IH調理器", "電気温水器", "業務用冷蔵庫", "照明のみ", "エコキュート", "EV充電設備")
NOTES = ("犬あり 検針注意", "門扉施錠 要連絡", "", "", "計器 屋内設置", "共用部計器盤")
SWITCH_START = date(2016, 4, 1)
SWITCH_END = date(2026, 10, 31)
_SWITCH_DAYS = (SWITCH_END - SWITCH_START).days


def make_spid(area: str, index: int, kind: int) -> str:
    """22 digits: area + each T&D's own numbering (Kansai embeds a 14-digit customer no. + type digit)."""
    if area == "06":
        return f"06{index + 10_000_000_000_000:014d}{kind}00000"[:22]
    return f"{area}{kind}{index:011d}{(index * 7919) % 100_000_000:08d}"


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return f"0{rng.choice('789')}0-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
    return f"0{rng.randint(3, 99)}-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"[:13]


def _date_between(rng: random.Random, start: date, days: int) -> date:
    return start + timedelta(days=rng.randrange(days))


def generate_slice(area: str, start: int, stop: int, seed: int) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Rows (points, supply periods, customer periods) for point indexes [start, stop) of an area."""
    rng = random.Random(f"{seed}:{area}:{start}")
    cities = cities_of(area)
    codes = valid_reading_codes(area)
    incumbent = f"M{area}00"
    newcomers = [f"A{i + 1:04d}" for i in range(24) if area in new_retailer_areas(i)]
    points: list[tuple] = []
    supplies: list[tuple] = []
    customers: list[tuple] = []
    for i in range(start, stop):
        pref, city, post3, towns, island = cities[rng.randrange(len(cities))]
        town = towns[rng.randrange(len(towns))]
        r = rng.random()
        channel = "low" if r < 0.965 else ("high" if r < 0.975 else "low_fit")
        chome, ban, go = rng.randint(1, 5), rng.randint(1, 30), rng.randint(1, 25)
        block = f"{chome}丁目{ban}番{go}号" if rng.random() < 0.5 else f"{chome}-{ban}-{go}"
        building = room = ""
        if channel != "high" and rng.random() < 0.3:
            building = f"{BUILDINGS[rng.randrange(len(BUILDINGS))]}{town[:2]}"
            room = f"{rng.randint(1, 12)}{rng.randint(1, 15):02d}"
        smart = rng.random() < 0.85
        meter_type = "1" if smart else ("2" if rng.random() < 0.5 else "3")
        meter_no = f"{area}{i:09d}{rng.randint(0, 9)}"
        meters = [{"meter_no": meter_no, "meter_type": meter_type, "smart": smart,
                   "interval_collectable": smart, "auto_reading": smart}]
        if channel == "high" and rng.random() < 0.5:
            meters.append({"meter_no": f"{area}{i:09d}R", "meter_type": "1", "smart": True,
                           "interval_collectable": True, "auto_reading": True})
        contract_current = contract_capacity = contract_power = None
        upper = limit = None
        flat_lamp, service_menu = "", "01"
        if channel == "high":
            form, method, supply_method = "02", "3", "4"
            contract_power = float(rng.randint(50, 499))
            service_menu = rng.choice(("01", "02", "03"))
            breaker = remote = False
        elif channel == "low_fit":
            form, method, supply_method = "01", "2", "2"
            contract_capacity = float(rng.choice((4.5, 5.5, 6.0, 9.9)))
            service_menu = "04"
            breaker = remote = False
        else:
            f = rng.random()
            if f < 0.82:
                form, method, supply_method = "01", "1", "2"
                contract_current = CURRENTS[rng.randrange(len(CURRENTS))]
                upper, limit = 60, contract_current
            elif f < 0.92:
                form, method, supply_method = "01", "2", "2"
                contract_capacity = float(rng.choice((6, 8, 10, 12)))
            elif f < 0.97:
                form, method, supply_method = "02", "2", "3"
                contract_capacity = float(rng.choice((3, 5, 8, 10)))
            elif f < 0.985:
                form, method, supply_method = "05", "1", "1"
                contract_current = 10
                flat_lamp = f"LED {rng.randint(1, 3)}灯 {rng.choice((10, 20, 40))}W"
            else:
                form, method, supply_method = rng.choice((("03", "1", "2"), ("04", "2", "3"), ("06", "2", "3")))
                contract_current = 30 if method == "1" else None
                contract_capacity = None if method == "1" else 5.0
                if form == "06":
                    flat_lamp = "臨時 定額 1灯"
            breaker = method == "1"
            remote = breaker and smart
            service_menu = "02" if rng.random() < 0.15 else "01"
        s = rng.random()
        status = "1" if s < 0.965 else ("2" if s < 0.995 else "3")
        if form in ("03", "04", "06") and status == "1":
            status = "4"
        pole = f"{town[:2]}{rng.randint(1, 400)}-{rng.randint(1, 20)}"
        since = _date_between(rng, date(1990, 1, 1), 9000)
        kind = {"low": 1, "high": 2, "low_fit": 3}[channel]
        spid = make_spid(area, i, kind)
        points.append((
            spid, area, channel, f"{post3}{rng.randint(0, 9999):04d}", pref, city, town, block, building, room,
            normalize_town(town), normalize_block(block), normalize_building(building), normalize_room(room),
            island, form, method, contract_current, contract_capacity, upper, limit, breaker, remote,
            channel == "high" or rng.random() < 0.05, 100 if channel == "high" else None, flat_lamp,
            json.dumps(meters, ensure_ascii=False), [normalize_code_like(m["meter_no"]) for m in meters], pole,
            normalize_code_like(pole), supply_method, "3" if smart else rng.choice(("1", "2")),
            codes[rng.randrange(len(codes))],
            [since] + ([min(since + timedelta(days=rng.randint(400, 8000)), date(2026, 9, 30))]
                       if rng.random() < 0.3 else []),
            status, service_menu, contract_power, LOAD[rng.randrange(len(LOAD))], NOTES[rng.randrange(len(NOTES))],
        ))
        # who supplies, and since when
        start_supply = max(since, date(2000, 4, 1))
        ended = status in ("2", "3")
        end_all = _date_between(rng, date(2020, 1, 1), 2000) if ended else None
        switched = (not ended) and newcomers and rng.random() < 0.2
        if switched:
            switch_day = _date_between(rng, max(SWITCH_START, start_supply + timedelta(days=1)), max(1, _SWITCH_DAYS // 2))
            supplies.append((area, spid, incumbent, start_supply, switch_day - timedelta(days=1)))
            supplies.append((area, spid, newcomers[rng.randrange(len(newcomers))], switch_day, None))
        else:
            supplies.append((area, spid, incumbent, start_supply, end_all))
        # customers (names); businesses for power/high contracts
        fam, fam_k = FAMILY[rng.randrange(len(FAMILY))]
        given, given_k = GIVEN[rng.randrange(len(GIVEN))]
        if form in ("02", "04") or channel == "high":
            kanji, kana = f"株式会社{fam}{COMPANY_SUFFIX[rng.randrange(len(COMPANY_SUFFIX))]}", f"カブシキガイシャ{fam_k}"
        else:
            kanji, kana = f"{fam} {given}", f"{fam_k} {given_k}"
        cust_from = start_supply
        if rng.random() < 0.2 and not ended:
            moved = _date_between(rng, start_supply + timedelta(days=30), 3000)
            if moved < date(2026, 10, 1):
                pf, pfk = FAMILY[rng.randrange(len(FAMILY))]
                pg, pgk = GIVEN[rng.randrange(len(GIVEN))]
                customers.append((area, spid, f"{pfk} {pgk}", f"{pf} {pg}", _phone(rng), "", start_supply,
                                  moved - timedelta(days=1)))
                cust_from = moved
        customers.append((area, spid, kana, kanji, _phone(rng), _phone(rng) if rng.random() < 0.3 else "",
                          cust_from, end_all))
    return points, supplies, customers
