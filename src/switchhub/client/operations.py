"""The hub operations the client calls: method, path, request model and answer model, in one table.

Every client method goes through this table, and tests/client/test_models.py checks each row against
the hub's OpenAPI document (the path and method exist, the request body and the 2xx answer are the
same schemas), so the client cannot drift from the server unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from switchhub.client import models as m


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # relative to /api/v1, with {placeholders}
    request: type[BaseModel] | None = None
    answer: type[BaseModel] | None = None
    #: built by another part of the project (the sandbox): checked against the document once it is there
    sandbox: bool = False


OPERATIONS: dict[str, Operation] = {
    "lookup": Operation("GET", "/supply-points/{spid}", None, m.SupplyPoint),
    "batch_lookup": Operation("POST", "/supply-points:batch-get", m.BatchGetRequest, m.BatchLookupAnswer),
    "search": Operation("GET", "/supply-points", None, m.SearchPage),
    "export": Operation("GET", "/supply-points:export"),
    "me": Operation("GET", "/me"),
    "register_relay": Operation("POST", "/relays", m.RelayRegistration, m.Relay),
    "list_relays": Operation("GET", "/relays", None, m.RelayPage),
    "relay": Operation("GET", "/relays/{relay_no}", None, m.Relay),
    "decide_relay": Operation("POST", "/relays/{relay_no}/decision", m.RelayDecisionInput, m.Relay),
    "withdraw_relay": Operation("POST", "/relays/{relay_no}:withdraw", m.RelayWithdrawal, m.Relay),
    "switch_start": Operation("POST", "/applications/switch-start", m.SwitchStartRequest,
                              m.ApplicationAnswer),
    "switch_end": Operation("POST", "/applications/switch-end", m.SwitchEndRequest, m.ApplicationAnswer),
    "termination": Operation("POST", "/applications/termination", m.TerminationRequest, m.ApplicationAnswer),
    "reconnection": Operation("POST", "/applications/reconnection", m.ReconnectionRequest,
                              m.ApplicationAnswer),
    "ampere_change": Operation("POST", "/applications/ampere-change", m.AmpereChangeRequest,
                               m.ApplicationAnswer),
    "customer_change": Operation("POST", "/applications/customer-change", m.CustomerChangeRequest,
                                 m.ApplicationAnswer),
    "application": Operation("GET", "/applications/{application_no}", None, m.ApplicationAnswer),
    "correct_application": Operation("PATCH", "/applications/{application_no}", m.CorrectionRequest,
                                     m.ApplicationAnswer),
    "withdraw_application": Operation("POST", "/applications/{application_no}:withdraw", m.WithdrawRequest,
                                      m.ApplicationAnswer),
    "feed": Operation("GET", "/applications", None, m.FeedAnswer),
    "search_applications": Operation("GET", "/applications:search", None, m.ApplicationList),
    "list_files": Operation("GET", "/metering/files", None, m.MeteringFileList),
    "download_file": Operation("GET", "/metering/files/{file_id}"),
    "request_usage_password": Operation("POST", "/applications/usage-password", m.UsagePasswordRequest,
                                        m.UsagePasswordAnswer),
    "usage_password_status": Operation("GET", "/applications/usage-password/{application_no}", None,
                                       m.UsagePasswordAnswer),
    "query_usage": Operation("POST", "/supply-points/{spid}/usage:query", m.UsageInquiryRequest,
                             m.UsageAnswer),
    "query_usage_batch": Operation("POST", "/usage:query", m.UsageBatchInquiryRequest, m.UsageBatchAnswer),
    "sandbox_clock": Operation("GET", "/sandbox/clock", sandbox=True),
    "move_sandbox_clock": Operation("POST", "/sandbox/clock", sandbox=True),
    "sandbox_reset": Operation("POST", "/sandbox/reset", sandbox=True),
}

#: application kinds a retailer files (api.md catalogue) → the operation filing it
APPLICATION_KINDS: dict[str, str] = {
    "switch-start": "switch_start", "switch-end": "switch_end", "termination": "termination",
    "reconnection": "reconnection", "ampere-change": "ampere_change", "customer-change": "customer_change",
}
