"""Test markers: every answer of a hub in sandbox mode carries `X-Switchhub-Sandbox: 1`, so a client
can tell it is not talking to production (metering files carry operation mode 1, see
`sandbox.wiring.configure_process`)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Switchhub-Sandbox"
_PAIR = (HEADER.lower().encode(), b"1")


def marking(send: Send) -> Send:
    """`send` with the marker added to the answer's headers (the hub's middleware and the stub's)."""

    async def marked(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), _PAIR]
        await send(message)

    return marked


class SandboxMarker:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, marking(send) if scope["type"] == "http" else send)
