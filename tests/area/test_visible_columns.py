"""The area's lookup reads facts and fields in one statement (area/points/repository.fetch_visible), and
still only the granted values leave the database: a supplier field of a point the caller does not
supply comes back NULL from PostgreSQL, before any projection in Python (security.md: the area selects
only the granted columns)."""

from __future__ import annotations

from datetime import date

from switchhub.area.points import repository
from switchhub.area.points.service import _case_grants
from switchhub.kernel.caller import Caller
from tests.expected_fields import SUPPLIER, TSO_ONLY
from tests.hub.helpers import switched_point


def _retailer(code: str) -> Caller:
    return Caller(code, "retailer", frozenset(), f"{code.lower()}-api", "general", "fp")


async def test_supplier_values_leave_the_database_only_for_the_supplier(stack):
    spid, current, former = switched_point(stack.world)
    on = date.today()
    rows = {}
    async with stack.area_app.state.reader.connect() as conn:
        for who in (current, former, "A0002" if current != "A0002" else "A0001"):
            caller = _retailer(who)
            [rows[who]] = await repository.fetch_visible(conn, spid[:2], [spid], on, who, _case_grants(caller, spid[:2]))
    supplier_columns = SUPPLIER - {"current_retailer_name"}  # named by the hub, not an area column
    for who, row in rows.items():
        assert row["spid"] == spid and row["prefecture"] and row["reading_day_code"]  # public: for everyone
        assert not (TSO_ONLY & set(row)), who  # never selected for a retailer
        assert row["fact_supplier"] == current and row["fact_ever"] is (who in (current, former)), who
        values = {f: row.get(f) for f in supplier_columns}
        if who == current:
            assert values["customer_name_kanji"] and values["current_retailer_code"] == current, values
        else:
            assert set(values.values()) == {None}, (who, values)
