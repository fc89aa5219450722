"""switchhub's Python client: typed, async and sync, for retailers' and T&Ds' integrations.

    from switchhub.client import SwitchhubClient
    with SwitchhubClient("https://hub.example", cert="a0001-api.pem", key="a0001-api.key",
                         ca="ca.pem", token="…") as hub:
        point = hub.lookup("0300111111111111111111")

Installable on its own (`pip install switchhub[client]`: httpx, pydantic, typer, rich); it imports
nothing of the server (tests/client/test_isolation.py). Guide: docs/client.md.
"""

from switchhub.client.client import AsyncSwitchhubClient
from switchhub.client.errors import (
    ApiError,
    AreaTimeout,
    AreaUnavailable,
    BadRequest,
    Conflict,
    FieldIssue,
    Forbidden,
    InputError,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServerError,
    SwitchhubClientError,
    TransportError,
    Unauthenticated,
)
from switchhub.client.metering import DownloadedFile, parse_metering
from switchhub.client.sync import SwitchhubClient
from switchhub.client.webhooks import InvalidSignature, parse_webhook, verify_signature

__all__ = [
    "ApiError", "AreaTimeout", "AreaUnavailable", "AsyncSwitchhubClient", "BadRequest", "Conflict",
    "DownloadedFile", "FieldIssue", "Forbidden", "InputError", "InvalidSignature", "NotFound",
    "PayloadTooLarge", "RateLimited", "ServerError", "SwitchhubClient", "SwitchhubClientError",
    "TransportError", "Unauthenticated", "parse_metering", "parse_webhook", "verify_signature",
]
