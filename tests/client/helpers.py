"""Clients of the live hub for the client tests: the operator's API certificate, the session's CA and
the operator's bearer credential, exactly what an integration configures."""

from __future__ import annotations

from pathlib import Path

from switchhub.client import AsyncSwitchhubClient
from tests.live import ca_file


def credentials(live, operator: str) -> dict[str, str]:
    ident = live.world.clients[f"{operator}-api"]
    return {"token": live.world.token(operator), "cert": str(ident.cert), "key": str(ident.key),
            "ca": str(ca_file(live.world))}


def client_for(live, operator: str, **kw) -> AsyncSwitchhubClient:
    return AsyncSwitchhubClient(live.hub_base, **credentials(live, operator), **kw)


def write_profiles(live, directory: Path, operators=("A0001", "M0300", "T0300")) -> Path:
    """A client.toml with one profile per operator ([default] = the first), tokens in token files."""
    lines = []
    for i, code in enumerate(operators):
        c = credentials(live, code)
        token_file = directory / f"{code.lower()}.token"
        token_file.write_text(c["token"] + "\n", encoding="utf-8")
        name = "default" if i == 0 else code.lower()
        lines += [f"[{name}]", f'base_url = "{live.hub_base}"', f'cert = "{c["cert"]}"',
                  f'key = "{c["key"]}"',
                  f'ca = "{c["ca"]}"', f'token_file = "{token_file.name}"', ""]
    path = directory / "client.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
