"""Interface coverage (issue 7): the operations of the hub's OpenAPI document carry, in
`x-interface-ids`, every grid interface ID of the original's T&D stub list (seed 001 p.21, 41 APIs)
(the six usage ones included: usage password request, its status and the usage inquiry), and the hub's
own IS_ interfaces of api.md. The expected list is written here from the seed, not taken from the code.
"""

from __future__ import annotations

#: seed 001 p.21 一般送配電スタブ機能一覧: low voltage, high voltage (K), low-voltage FIT (F)
GRID_IDS = {
    "IF_10110", "IF_F10110",
    "IF_10210", "IF_10220", "IF_10310", "IF_K10210", "IF_K10220", "IF_K10310",
    "IF_10410", "IF_10420", "IF_F10410", "IF_F10420",
    "IF_10510", "IF_10520", "IF_K10510", "IF_K10520", "IF_F10510", "IF_F10520",
    "IF_10610", "IF_10620", "IF_K10610", "IF_K10620", "IF_F10610", "IF_F10620",
    "IF_10710", "IF_10720", "IF_K10710", "IF_K10720", "IF_F10710", "IF_F10720",
    "IF_10810", "IF_10820", "IF_K10810", "IF_K10820", "IF_F10810", "IF_F10820",
    "IF_10910", "IF_10920",
    "IF_11110", "IF_K11110", "IF_F11110",
}
#: the usage password request, its status, and the usage inquiry (issue 8)
USAGE_IDS = {"IF_10210", "IF_10220", "IF_10310", "IF_K10210", "IF_K10220", "IF_K10310"}
#: api.md: interfaces the hub itself answers (relays and the operator list)
HUB_IDS = {"IS_20110", "IS_20210", "IS_20310", "IS_20410", "IS_30110"}


def test_the_expected_list_is_the_seed_list():
    assert len(GRID_IDS) == 41 and USAGE_IDS <= GRID_IDS


async def test_every_grid_and_hub_interface_has_an_operation(stack):
    async with stack.client("A0001") as c:
        spec = (await c.get("/api/v1/openapi.json")).json()
    published = {i for item in spec["paths"].values() for op in item.values() for i in op.get("x-interface-ids", [])}
    missing = sorted((GRID_IDS | HUB_IDS) - published)
    assert missing == []
