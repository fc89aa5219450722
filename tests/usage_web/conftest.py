"""The T&D's public page on a fresh copy of the area database, with a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import socket
import uuid
from email import message_from_bytes
from email.message import Message

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.support import create_database, drop_database, execute

PUBLIC_BASE = "https://public.test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """Every message the SMTP server accepted, parsed."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        if self.refuse:
            return "554 refused"
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def bodies(self) -> list[str]:
        return [m.get_payload(decode=True).decode(m.get_content_charset() or "utf-8") for m in self.messages]


@pytest.fixture
def mailbox():
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.port = port
    yield box
    controller.stop()


@pytest.fixture
def area_db(world):
    name = f"t_public_{uuid.uuid4().hex[:8]}"
    url = create_database(world.admin, name, world.area_template)
    yield url
    drop_database(world.admin, name)


@pytest.fixture
async def public(world, area_db, mailbox):
    from switchhub.area.public.app import create_public_app
    from switchhub.config import Settings
    from switchhub.db.engine import make_engine

    settings = Settings(data_dir=world.certs_dir.parent, certs_dir=world.certs_dir, area_database_url=area_db,
                        area_smtp_host="127.0.0.1", area_smtp_port=mailbox.port, public_area_url=PUBLIC_BASE)
    app = create_public_app(settings, make_engine(area_db, pool_size=3))
    app.state.area_url = area_db
    yield app
    await app.state.engine.dispose()


def client(app, addr: str = "198.51.100.7", **headers: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(addr, 40000)), base_url=PUBLIC_BASE,
                             headers=headers)


def low_points(area_url: str, n: int, area: str = "03") -> list[tuple[str, str, str]]:
    """(spid, kana, kanji) of low-voltage points with a current customer."""
    rows = execute(area_url, "SELECT p.spid, c.name_kana, c.name_kanji FROM supply_points p JOIN customer_periods c"
                   " ON c.area = p.area AND c.spid = p.spid AND c.valid_to IS NULL"
                   " WHERE p.area = %s AND p.channel = 'low' ORDER BY p.spid LIMIT %s", (area, n))
    return [tuple(r) for r in rows]


def high_point(area_url: str, area: str = "03") -> str:
    return execute(area_url, "SELECT spid FROM supply_points WHERE area = %s AND channel = 'high' ORDER BY spid"
                   " LIMIT 1", (area,))[0][0]
