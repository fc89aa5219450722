"""Helpers for the metering tests: the area app with the hub's certificate and an acting operator."""

from __future__ import annotations

import httpx

from tests.support import with_client_cert


def acting(code: str, kind: str = "retailer", areas: str = "03") -> dict[str, str]:
    return {"X-Switchhub-Operator": code, "X-Switchhub-Operator-Kind": kind, "X-Switchhub-Operator-Areas": areas,
            "X-Switchhub-User": f"{code.lower()}-api"}


def area_client(stack) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=with_client_cert(stack.area_app, stack.world.hub_client.pem))
    return httpx.AsyncClient(transport=transport, base_url="https://area.test")
