"""Every API operation and every Web page × every role of security.md → allowed or refused, over HTTP.

The table of who may do what is written here from security.md (roles: retailer admin / general /
API user, T&D admin / staff, OCCTO admin / helpdesk / general) and the decisions recorded in
docs/security.md; it is not imported from the permission module. Each probe is built so that an
allowed caller gets a deterministic answer that is not a refusal (a read answers 200, an empty
body 422, an unknown number 404), and a refused caller gets 403 `permission_denied`: the
permission is decided before anything else, and a refused request changes nothing.
"""

from __future__ import annotations

import pyotp
from fastapi.routing import APIRoute
from sqlalchemy import text

from tests.hub.helpers import csrf_of, issue_tokens, point_of, web_login, web_login_reauthenticated

ROLES = {  # role → (operator, login)
    "retailer.admin": ("A0001", "a0001-admin"),
    "retailer.general": ("A0001", "a0001-user1"),
    "retailer.api": ("A0001", "a0001-api"),
    "tso.admin": ("T0300", "t0300-admin"),
    "tso.staff": ("T0300", "t0300-user1"),
    "tso.api": ("T0300", "t0300-api"),
    "occto.admin": ("OC000", "oc000-admin"),
    "occto.helpdesk": ("OC000", "oc000-helpdesk"),
    "occto.general": ("OC000", "oc000-user1"),
}
ALL = frozenset(ROLES)
RETAILER = frozenset({"retailer.admin", "retailer.general", "retailer.api"})
TSO = frozenset({"tso.admin", "tso.staff", "tso.api"})
OCCTO_STAFF = frozenset({"occto.admin", "occto.helpdesk"})
PEOPLE = frozenset(r for r in ROLES if not r.endswith(".api"))  # API users have no password
NOTIFY = frozenset({"retailer.admin", "retailer.api", "tso.admin", "tso.api", "occto.admin"})
NOTIFY_ADMINS = frozenset({"retailer.admin", "tso.admin", "occto.admin"})  # NOTIFY on the Web (people)
OCCTO_ADMIN = frozenset({"occto.admin"})
AUDIT = frozenset({"retailer.admin", "retailer.api", "tso.admin", "tso.api"}) | OCCTO_STAFF
USERS = frozenset({"retailer.admin", "tso.admin", "occto.admin"})  # each its own operator's users (issue 9)
CREDENTIALS = frozenset({"retailer.admin", "tso.admin"})  # for their API users
NO_USER = "nosuch-user"

NO_RELAY, NO_APP = "R20260101999999", "03X9999999"
NO_OPERATOR, NO_CERT = "ZZ999", "0" * 64
# issue 9 G: break-glass (requested by the operators' admins and OCCTO staff, approved by OCCTO admins)
BREAKGLASS = frozenset({"retailer.admin", "tso.admin", "occto.admin", "occto.helpdesk"})
NO_GRANT = "BG99999999"
# issue 10: sandbox self-service for the operators' admins; this stack is no sandbox, so an allowed
# caller gets 404 (the permission is still decided first: tests/sandbox_selfservice for the sandbox)
SANDBOX_DEVELOPERS = frozenset({"retailer.admin", "tso.admin"})

# (method, route path, concrete url, json body, status when allowed, roles allowed)
API = [
    ("GET", "/api/v1/supply-points/{spid}", "/api/v1/supply-points/{spid}", None, 200, ALL),
    ("POST", "/api/v1/supply-points:batch-get", "/api/v1/supply-points:batch-get", {"spids": ["{spid}"]}, 200, ALL),
    ("GET", "/api/v1/supply-points", "/api/v1/supply-points?pole_no=NOSUCHPOLE", None, 200, ALL),
    ("GET", "/api/v1/supply-points:export", "/api/v1/supply-points:export", None, 200,
     frozenset({"retailer.admin", "retailer.api"})),
    ("GET", "/api/v1/areas/{area}/reading-calendar", "/api/v1/areas/03/reading-calendar", None, 200, ALL),
    ("GET", "/api/v1/operators", "/api/v1/operators", None, 200, ALL),
    ("GET", "/api/v1/me", "/api/v1/me", None, 200, ALL),
    ("POST", "/api/v1/me/password", "/api/v1/me/password", {}, 422, PEOPLE),
    ("POST", "/api/v1/me/credentials/{key_id}:revoke", "/api/v1/me/credentials/nosuchkey:revoke", None, 404, ALL),
    ("POST", "/api/v1/relays", "/api/v1/relays", {}, 422, RETAILER),
    ("GET", "/api/v1/relays", "/api/v1/relays", None, 200, RETAILER | OCCTO_STAFF),
    ("GET", "/api/v1/relays/{relay_no}", f"/api/v1/relays/{NO_RELAY}", None, 404, RETAILER | OCCTO_STAFF),
    ("PATCH", "/api/v1/relays/{relay_no}", f"/api/v1/relays/{NO_RELAY}", {"contract_no": "K-1"}, 404, RETAILER),
    ("POST", "/api/v1/relays/{relay_no}/decision", f"/api/v1/relays/{NO_RELAY}/decision",
     {"decision": "01", "staff_name": "担当"}, 404, RETAILER),
    ("POST", "/api/v1/relays/{relay_no}:withdraw", f"/api/v1/relays/{NO_RELAY}:withdraw", {"reason": "理由"}, 404,
     RETAILER | OCCTO_STAFF),
    # a JSON body is no CSV file: 415 once the permission allowed the caller
    ("POST", "/api/v1/relays:bulk", "/api/v1/relays:bulk", {}, 415, RETAILER),
    ("POST", "/api/v1/applications:bulk", "/api/v1/applications:bulk", {}, 415, RETAILER),
    ("POST", "/api/v1/applications/switch-start", "/api/v1/applications/switch-start", {}, 422, RETAILER),
    ("POST", "/api/v1/applications/switch-end", "/api/v1/applications/switch-end", {}, 422, RETAILER),
    ("POST", "/api/v1/applications/termination", "/api/v1/applications/termination", {}, 422, RETAILER),
    ("POST", "/api/v1/applications/reconnection", "/api/v1/applications/reconnection", {}, 422, RETAILER),
    ("POST", "/api/v1/applications/customer-change", "/api/v1/applications/customer-change", {}, 422, RETAILER),
    ("POST", "/api/v1/applications/ampere-change", "/api/v1/applications/ampere-change", {}, 422, RETAILER),
    ("PATCH", "/api/v1/applications/{application_no}", f"/api/v1/applications/{NO_APP}", {"reason_note": "訂正"},
     404, RETAILER),
    ("GET", "/api/v1/applications/{application_no}", f"/api/v1/applications/{NO_APP}", None, 404,
     RETAILER | TSO | OCCTO_STAFF),
    ("POST", "/api/v1/applications/{application_no}:withdraw", f"/api/v1/applications/{NO_APP}:withdraw",
     {"reason": "理由"}, 404, RETAILER),
    ("GET", "/api/v1/applications", "/api/v1/applications", None, 200, RETAILER | TSO | OCCTO_STAFF),
    ("GET", "/api/v1/applications:search", "/api/v1/applications:search", None, 200, RETAILER | TSO | OCCTO_STAFF),
    ("GET", "/api/v1/webhooks", "/api/v1/webhooks", None, 200, NOTIFY),
    ("POST", "/api/v1/webhooks", "/api/v1/webhooks", {}, 422, NOTIFY),
    ("DELETE", "/api/v1/webhooks/{webhook_id}", "/api/v1/webhooks/999999", None, 404, NOTIFY),
    ("GET", "/api/v1/subscriptions", "/api/v1/subscriptions", None, 200, NOTIFY),
    ("POST", "/api/v1/subscriptions", "/api/v1/subscriptions", {}, 422, NOTIFY),
    ("DELETE", "/api/v1/subscriptions/{subscription_id}", "/api/v1/subscriptions/999999", None, 404, NOTIFY),
    ("GET", "/api/v1/notifications/deliveries", "/api/v1/notifications/deliveries", None, 200, NOTIFY),
    ("GET", "/api/v1/audit-records", "/api/v1/audit-records", None, 200, AUDIT),
    # usage passwords (type 08): retailers request and inquire; the area's T&D reviews, OCCTO staff read
    ("POST", "/api/v1/applications/usage-password", "/api/v1/applications/usage-password", {}, 422, RETAILER),
    ("GET", "/api/v1/applications/usage-password/{application_no}",
     f"/api/v1/applications/usage-password/{NO_APP}", None, 404, RETAILER | TSO | OCCTO_STAFF),
    ("POST", "/api/v1/supply-points/{spid}/usage:query", "/api/v1/supply-points/{spid}/usage:query", {}, 422,
     RETAILER),
    ("POST", "/api/v1/usage:query", "/api/v1/usage:query", {}, 422, RETAILER),
    ("GET", "/api/v1/usage-password-reviews", "/api/v1/usage-password-reviews", None, 200, TSO | OCCTO_STAFF),
    ("GET", "/api/v1/usage-password-reviews/{application_no}", f"/api/v1/usage-password-reviews/{NO_APP}", None,
     404, TSO | OCCTO_STAFF),
    ("GET", "/api/v1/usage-password-reviews/{application_no}/documents/{n}",
     f"/api/v1/usage-password-reviews/{NO_APP}/documents/1", None, 404, TSO),
    ("POST", "/api/v1/usage-password-reviews/{application_no}/decision",
     f"/api/v1/usage-password-reviews/{NO_APP}/decision", {"decision": "issue"}, 404, TSO),
    # metering files (docs/metering.md): which files, kernel.visibility decides (tests/files)
    ("GET", "/api/v1/metering/files", "/api/v1/metering/files", None, 200, RETAILER | TSO | OCCTO_STAFF),
    ("GET", "/api/v1/metering/files/{file_id}", "/api/v1/metering/files/03-999999", None, 404,
     RETAILER | TSO | OCCTO_STAFF),
    ("GET", "/api/v1/metering/schema.xsd", "/api/v1/metering/schema.xsd", None, 200, RETAILER | TSO | OCCTO_STAFF),
    # OCCTO administration (issue 9 C): operators and certificates for OCCTO's admins; the API repository's
    # operating information read by everyone, kept by OCCTO's admins
    ("GET", "/api/v1/admin/operators", "/api/v1/admin/operators", None, 200, OCCTO_ADMIN),
    ("POST", "/api/v1/admin/operators", "/api/v1/admin/operators", {}, 422, OCCTO_ADMIN),
    ("GET", "/api/v1/admin/operators/{code}", f"/api/v1/admin/operators/{NO_OPERATOR}", None, 404, OCCTO_ADMIN),
    ("PATCH", "/api/v1/admin/operators/{code}", f"/api/v1/admin/operators/{NO_OPERATOR}", {}, 404, OCCTO_ADMIN),
    ("POST", "/api/v1/admin/operators/{code}:suspend", f"/api/v1/admin/operators/{NO_OPERATOR}:suspend", {}, 404,
     OCCTO_ADMIN),
    ("POST", "/api/v1/admin/operators/{code}:restore", f"/api/v1/admin/operators/{NO_OPERATOR}:restore", {}, 404,
     OCCTO_ADMIN),
    ("POST", "/api/v1/admin/operators/{code}/admin-user", f"/api/v1/admin/operators/{NO_OPERATOR}/admin-user",
     {"login_id": "zz999-admin", "display_name": "管理者", "email": "a@example.jp"}, 404, OCCTO_ADMIN),
    ("GET", "/api/v1/admin/certificates", "/api/v1/admin/certificates", None, 200, OCCTO_ADMIN),
    ("POST", "/api/v1/admin/certificates:inspect", "/api/v1/admin/certificates:inspect", {"pem": "x"}, 422,
     OCCTO_ADMIN),
    ("POST", "/api/v1/admin/certificates", "/api/v1/admin/certificates", {}, 422, OCCTO_ADMIN),
    ("POST", "/api/v1/admin/certificates/{fingerprint}:suspend", f"/api/v1/admin/certificates/{NO_CERT}:suspend",
     {}, 404, OCCTO_ADMIN),
    ("POST", "/api/v1/admin/certificates/{fingerprint}:restore", f"/api/v1/admin/certificates/{NO_CERT}:restore",
     {}, 404, OCCTO_ADMIN),
    ("GET", "/api/v1/api-info", "/api/v1/api-info", None, 200, ALL),
    ("POST", "/api/v1/api-info/entries", "/api/v1/api-info/entries", {}, 422, OCCTO_ADMIN),
    ("PATCH", "/api/v1/api-info/entries/{entry_id}", "/api/v1/api-info/entries/999999", {}, 404, OCCTO_ADMIN),
    ("DELETE", "/api/v1/api-info/entries/{entry_id}", "/api/v1/api-info/entries/999999", None, 404, OCCTO_ADMIN),
    # issue 9 (E): webhook test delivery; notices (everyone reads their own, OCCTO's admin writes)
    ("POST", "/api/v1/webhooks/{webhook_id}:test", "/api/v1/webhooks/999999:test", None, 404, NOTIFY),
    ("GET", "/api/v1/notices", "/api/v1/notices", None, 200, ALL),
    ("POST", "/api/v1/notices/{notice_id}:read", "/api/v1/notices/999999:read", None, 404, ALL),
    ("GET", "/api/v1/notices:all", "/api/v1/notices:all", None, 200, OCCTO_ADMIN),
    ("POST", "/api/v1/notices", "/api/v1/notices", {}, 422, OCCTO_ADMIN),
    ("GET", "/api/v1/notices/{notice_id}", "/api/v1/notices/999999", None, 404, OCCTO_ADMIN),
    ("PUT", "/api/v1/notices/{notice_id}", "/api/v1/notices/999999", {}, 422, OCCTO_ADMIN),
    ("POST", "/api/v1/notices/{notice_id}:withdraw", "/api/v1/notices/999999:withdraw", None, 404, OCCTO_ADMIN),
    # issue 9 F: statistics are published to everyone; the anomaly report is OCCTO's admins and helpdesk
    ("GET", "/api/v1/statistics", "/api/v1/statistics", None, 200, ALL),
    ("GET", "/api/v1/anomalies", "/api/v1/anomalies", None, 200, OCCTO_STAFF),
    ("POST", "/api/v1/anomalies/{finding_id}:acknowledge", "/api/v1/anomalies/999999:acknowledge", {"note": "確認"},
     404, OCCTO_STAFF),
    # operators' own user administration (issue 9): admins, the helpdesk's reset, my TOTP
    ("GET", "/api/v1/users", "/api/v1/users", None, 200, USERS),
    ("POST", "/api/v1/users", "/api/v1/users", {}, 422, USERS),
    ("POST", "/api/v1/users:bulk", "/api/v1/users:bulk", {}, 415, USERS),
    ("GET", "/api/v1/users/{login_id}", f"/api/v1/users/{NO_USER}", None, 404, USERS),
    ("PATCH", "/api/v1/users/{login_id}", f"/api/v1/users/{NO_USER}", {"display_name": "氏名", "role": "general"},
     404, USERS),
    ("POST", "/api/v1/users/{login_id}:suspend", f"/api/v1/users/{NO_USER}:suspend", None, 404, USERS),
    ("POST", "/api/v1/users/{login_id}:restore", f"/api/v1/users/{NO_USER}:restore", None, 404, USERS),
    ("POST", "/api/v1/users/{login_id}:delete", f"/api/v1/users/{NO_USER}:delete", None, 404, USERS),
    ("POST", "/api/v1/users/{login_id}:reset", f"/api/v1/users/{NO_USER}:reset", None, 404, USERS),
    ("POST", "/api/v1/helpdesk/users/{login_id}:reset", f"/api/v1/helpdesk/users/{NO_USER}:reset", None, 404,
     OCCTO_STAFF),
    ("GET", "/api/v1/users/{login_id}/credentials", f"/api/v1/users/{NO_USER}/credentials", None, 404, CREDENTIALS),
    ("POST", "/api/v1/users/{login_id}/credentials", f"/api/v1/users/{NO_USER}/credentials", {}, 404, CREDENTIALS),
    ("POST", "/api/v1/users/{login_id}/credentials/{key_id}:revoke",
     f"/api/v1/users/{NO_USER}/credentials/nosuchkey:revoke", None, 404, CREDENTIALS),
    ("GET", "/api/v1/me/totp", "/api/v1/me/totp", None, 200, PEOPLE),
    ("POST", "/api/v1/me/totp", "/api/v1/me/totp", None, 200, PEOPLE),
    ("POST", "/api/v1/me/totp:enable", "/api/v1/me/totp:enable", {}, 422, PEOPLE),
    ("POST", "/api/v1/me/totp:disable", "/api/v1/me/totp:disable", {}, 422, PEOPLE),
    # issue 9 G: break-glass grants
    ("POST", "/api/v1/breakglass-grants", "/api/v1/breakglass-grants", {}, 422, BREAKGLASS),
    ("GET", "/api/v1/breakglass-grants", "/api/v1/breakglass-grants", None, 200, BREAKGLASS),
    ("GET", "/api/v1/breakglass-grants/{grant_id}", f"/api/v1/breakglass-grants/{NO_GRANT}", None, 404, BREAKGLASS),
    ("POST", "/api/v1/breakglass-grants/{grant_id}:approve", f"/api/v1/breakglass-grants/{NO_GRANT}:approve", {},
     404, OCCTO_ADMIN),
    ("POST", "/api/v1/breakglass-grants/{grant_id}:reject", f"/api/v1/breakglass-grants/{NO_GRANT}:reject", {},
     404, OCCTO_ADMIN),
    ("POST", "/api/v1/breakglass-grants/{grant_id}:revoke", f"/api/v1/breakglass-grants/{NO_GRANT}:revoke", {},
     404, BREAKGLASS),
    ("GET", "/api/v1/sandbox/developers", "/api/v1/sandbox/developers", None, 404, SANDBOX_DEVELOPERS),
    ("POST", "/api/v1/sandbox/developers", "/api/v1/sandbox/developers", {}, 404, SANDBOX_DEVELOPERS),
    ("POST", "/api/v1/sandbox/developers/{login_id}:revoke",
     f"/api/v1/sandbox/developers/{NO_USER}:revoke", None, 404, SANDBOX_DEVELOPERS),
]

WEB_ROLES = sorted(PEOPLE)
# (method, route path, concrete url, form (None: GET), status when allowed, roles allowed)
WEB = [
    ("GET", "/", "/", None, 200, PEOPLE),
    ("GET", "/facility", "/facility", None, 200, PEOPLE),
    ("GET", "/facility/{spid}", "/facility/{spid}", None, 200, PEOPLE),
    ("GET", "/search", "/search?pole_no=NOSUCHPOLE", None, 200, PEOPLE),
    ("GET", "/calendar", "/calendar", None, 200, PEOPLE),
    ("GET", "/password", "/password", None, 200, PEOPLE),
    ("GET", "/reauth", "/reauth?next=/", None, 200, PEOPLE),
    ("POST", "/reauth", "/reauth", {"password": "", "next": "/"}, 422, PEOPLE),
    ("POST", "/password", "/password", {"current_password": "x", "new_password": "y", "new_password_again": "y"},
     200, PEOPLE),
    ("GET", "/relays", "/relays", None, 200, RETAILER | OCCTO_STAFF),
    ("GET", "/relays/new", "/relays/new", None, 200, RETAILER),
    ("POST", "/relays/new", "/relays/new", {}, 200, RETAILER),
    ("GET", "/relays/{relay_no}", f"/relays/{NO_RELAY}", None, 404, RETAILER | OCCTO_STAFF),
    ("POST", "/relays/{relay_no}/decision", f"/relays/{NO_RELAY}/decision", {"decision": "01", "staff_name": "担当"},
     404, RETAILER),
    ("POST", "/relays/{relay_no}/withdraw", f"/relays/{NO_RELAY}/withdraw", {"reason": "理由"}, 404,
     RETAILER | OCCTO_STAFF),
    ("GET", "/applications", "/applications", None, 200, RETAILER | TSO | OCCTO_STAFF),
    ("GET", "/badge/relays-awaiting", "/badge/relays-awaiting", None, 200, RETAILER | OCCTO_STAFF),
    ("GET", "/relays/bulk", "/relays/bulk", None, 200, RETAILER),
    ("POST", "/relays/bulk", "/relays/bulk", {}, 422, RETAILER),  # no file chosen
    ("POST", "/relays/bulk/commit", "/relays/bulk/commit", {"mode": "valid_rows"}, 422, RETAILER),
    ("GET", "/applications/bulk", "/applications/bulk", None, 200, RETAILER),
    ("POST", "/applications/bulk", "/applications/bulk", {}, 422, RETAILER),
    ("POST", "/applications/bulk/commit", "/applications/bulk/commit", {"mode": "valid_rows"}, 422, RETAILER),
    ("GET", "/applications/new", "/applications/new", None, 200, RETAILER),
    ("POST", "/applications/new", "/applications/new", {"kind": "switch-start"}, 200, RETAILER),
    ("GET", "/applications/{application_no}", f"/applications/{NO_APP}", None, 404, RETAILER | TSO | OCCTO_STAFF),
    ("POST", "/applications/{application_no}/withdraw", f"/applications/{NO_APP}/withdraw", {"reason": "理由"}, 404,
     RETAILER),
    ("GET", "/metering", "/metering", None, 200, RETAILER | TSO | OCCTO_STAFF),
    ("GET", "/metering/files/{file_id}", "/metering/files/03-999999", None, 404, RETAILER | TSO | OCCTO_STAFF),
    ("GET", "/usage/reviews", "/usage/reviews", None, 200, TSO | OCCTO_STAFF),
    ("GET", "/usage/reviews/{application_no}", f"/usage/reviews/{NO_APP}", None, 404, TSO | OCCTO_STAFF),
    ("GET", "/usage/reviews/{application_no}/documents/{n}", f"/usage/reviews/{NO_APP}/documents/1", None, 404, TSO),
    ("POST", "/usage/reviews/{application_no}/decision", f"/usage/reviews/{NO_APP}/decision", {"decision": "issue"},
     404, TSO),
    ("GET", "/usage/password-requests/new", "/usage/password-requests/new", None, 200, RETAILER),
    ("POST", "/usage/password-requests/new", "/usage/password-requests/new", {}, 422, RETAILER),
    ("GET", "/usage/password-requests", f"/usage/password-requests?application_no={NO_APP}", None, 303,
     RETAILER | TSO | OCCTO_STAFF),
    ("GET", "/usage/password-requests/{application_no}", f"/usage/password-requests/{NO_APP}", None, 404,
     RETAILER | TSO | OCCTO_STAFF),
    ("GET", "/usage/query", "/usage/query", None, 200, RETAILER),
    ("POST", "/usage/query", "/usage/query", {}, 422, RETAILER),
    # OCCTO administration (issue 9 C): admin pages (re-authenticated) for OCCTO's admins; the API
    # repository page and its OpenAPI download for everyone with a Web login
    ("GET", "/admin/operators", "/admin/operators", None, 200, OCCTO_ADMIN),
    ("GET", "/admin/operators/new", "/admin/operators/new", None, 200, OCCTO_ADMIN),
    ("POST", "/admin/operators/new", "/admin/operators/new", {}, 422, OCCTO_ADMIN),
    ("GET", "/admin/operators/{code}", f"/admin/operators/{NO_OPERATOR}", None, 404, OCCTO_ADMIN),
    ("POST", "/admin/operators/{code}", f"/admin/operators/{NO_OPERATOR}", {}, 404, OCCTO_ADMIN),
    ("POST", "/admin/operators/{code}/status", f"/admin/operators/{NO_OPERATOR}/status", {"status": "suspended"},
     404, OCCTO_ADMIN),
    ("POST", "/admin/operators/{code}/admin-user", f"/admin/operators/{NO_OPERATOR}/admin-user", {}, 404,
     OCCTO_ADMIN),
    ("GET", "/admin/certificates", "/admin/certificates", None, 200, OCCTO_ADMIN),
    ("GET", "/admin/certificates/new", "/admin/certificates/new", None, 200, OCCTO_ADMIN),
    ("POST", "/admin/certificates/new", "/admin/certificates/new", {}, 422, OCCTO_ADMIN),  # no file
    ("POST", "/admin/certificates/confirm", "/admin/certificates/confirm", {}, 422, OCCTO_ADMIN),
    ("POST", "/admin/certificates/{fingerprint}/status", f"/admin/certificates/{NO_CERT}/status",
     {"status": "suspended"}, 404, OCCTO_ADMIN),
    ("GET", "/api-repository", "/api-repository", None, 200, PEOPLE),
    ("GET", "/api-repository/openapi.json", "/api-repository/openapi.json", None, 200, PEOPLE),
    ("GET", "/admin/api-repository", "/admin/api-repository", None, 200, OCCTO_ADMIN),
    ("POST", "/admin/api-repository/entries", "/admin/api-repository/entries", {"kind": "change"}, 422, OCCTO_ADMIN),
    ("POST", "/admin/api-repository/entries/{entry_id}", "/admin/api-repository/entries/999999", {}, 404,
     OCCTO_ADMIN),
    ("POST", "/admin/api-repository/entries/{entry_id}/delete", "/admin/api-repository/entries/999999/delete", {},
     404, OCCTO_ADMIN),
    # issue 9 (E): notification settings (admins, re-authenticated), notices
    ("GET", "/notify", "/notify", None, 200, NOTIFY_ADMINS),
    ("POST", "/notify/subscriptions", "/notify/subscriptions", {}, 422, NOTIFY_ADMINS),
    ("POST", "/notify/subscriptions/{subscription_id}/delete", "/notify/subscriptions/999999/delete", {}, 404,
     NOTIFY_ADMINS),
    ("POST", "/notify/webhooks", "/notify/webhooks", {}, 422, NOTIFY_ADMINS),
    ("POST", "/notify/webhooks/{webhook_id}/disable", "/notify/webhooks/999999/disable", {}, 404, NOTIFY_ADMINS),
    ("POST", "/notify/webhooks/{webhook_id}/test", "/notify/webhooks/999999/test", {}, 404, NOTIFY_ADMINS),
    ("GET", "/notify/deliveries", "/notify/deliveries", None, 200, NOTIFY_ADMINS),
    ("GET", "/notices", "/notices", None, 200, PEOPLE),
    ("GET", "/notices/{notice_id}", "/notices/999999", None, 404, PEOPLE),
    ("GET", "/badge/notices-unread", "/badge/notices-unread", None, 200, PEOPLE),
    ("GET", "/admin/notices", "/admin/notices", None, 200, OCCTO_ADMIN),
    ("POST", "/admin/notices", "/admin/notices", {}, 422, OCCTO_ADMIN),
    ("GET", "/admin/notices/{notice_id}", "/admin/notices/999999", None, 404, OCCTO_ADMIN),
    ("POST", "/admin/notices/{notice_id}", "/admin/notices/999999", {}, 404, OCCTO_ADMIN),
    ("POST", "/admin/notices/{notice_id}/withdraw", "/admin/notices/999999/withdraw", {}, 404, OCCTO_ADMIN),
    # issue 9 F
    ("GET", "/statistics", "/statistics", None, 200, PEOPLE),
    ("GET", "/statistics/download", "/statistics/download", None, 200, PEOPLE),
    ("GET", "/anomalies", "/anomalies", None, 200, OCCTO_STAFF),
    ("POST", "/anomalies/{finding_id}/acknowledge", "/anomalies/999999/acknowledge", {"note": "確認"}, 404,
     OCCTO_STAFF),
    # operators' own user administration (issue 9): admin pages re-authenticated above
    ("GET", "/admin/users", "/admin/users", None, 200, USERS),
    ("GET", "/admin/users/new", "/admin/users/new", None, 200, USERS),
    ("POST", "/admin/users/new", "/admin/users/new", {}, 422, USERS),
    ("GET", "/admin/users/csv", "/admin/users/csv", None, 200, USERS),
    ("POST", "/admin/users/csv", "/admin/users/csv", {"mode": "validate"}, 422, USERS),  # no file chosen
    ("GET", "/admin/users/{login_id}", f"/admin/users/{NO_USER}", None, 404, USERS),
    ("POST", "/admin/users/{login_id}", f"/admin/users/{NO_USER}", {"display_name": "氏名", "role": "general"}, 404,
     USERS),
    ("POST", "/admin/users/{login_id}/status", f"/admin/users/{NO_USER}/status", {"action": "suspend"}, 404, USERS),
    ("POST", "/admin/users/{login_id}/reset", f"/admin/users/{NO_USER}/reset", {}, 404, USERS),
    ("POST", "/admin/users/{login_id}/credentials", f"/admin/users/{NO_USER}/credentials", {}, 404, CREDENTIALS),
    ("POST", "/admin/users/{login_id}/credentials/{key_id}/revoke",
     f"/admin/users/{NO_USER}/credentials/nosuchkey/revoke", {}, 404, CREDENTIALS),
    ("GET", "/helpdesk/users/reset", "/helpdesk/users/reset", None, 200, OCCTO_STAFF),
    ("POST", "/helpdesk/users/reset", "/helpdesk/users/reset", {"login_id": NO_USER}, 422, OCCTO_STAFF),
    ("GET", "/me/totp", "/me/totp", None, 200, PEOPLE),
    ("POST", "/me/totp/start", "/me/totp/start", {}, 200, PEOPLE),
    ("POST", "/me/totp/enable", "/me/totp/enable", {"code": "000000"}, 422, PEOPLE),  # after the start above
    ("POST", "/me/totp/disable", "/me/totp/disable", {}, 409, PEOPLE),  # required, or not enabled
    # issue 9 G: break-glass, helpdesk and access-log pages (all admin pages: re-authenticated)
    ("GET", "/breakglass", "/breakglass", None, 200, BREAKGLASS),
    ("GET", "/breakglass/new", "/breakglass/new", None, 200, BREAKGLASS),
    ("POST", "/breakglass/new", "/breakglass/new", {}, 422, BREAKGLASS),
    ("GET", "/breakglass/{grant_id}", f"/breakglass/{NO_GRANT}", None, 404, BREAKGLASS),
    ("POST", "/breakglass/{grant_id}/approve", f"/breakglass/{NO_GRANT}/approve", {}, 404, OCCTO_ADMIN),
    ("POST", "/breakglass/{grant_id}/reject", f"/breakglass/{NO_GRANT}/reject", {}, 404, OCCTO_ADMIN),
    ("POST", "/breakglass/{grant_id}/revoke", f"/breakglass/{NO_GRANT}/revoke", {}, 404, BREAKGLASS),
    ("GET", "/helpdesk", "/helpdesk?kind=relays", None, 200, OCCTO_STAFF),
    ("POST", "/helpdesk/relays/{relay_no}/withdraw", f"/helpdesk/relays/{NO_RELAY}/withdraw", {"reason": "理由"},
     404, OCCTO_STAFF),
    ("GET", "/access-log", "/access-log", None, 200, AUDIT & PEOPLE),
    ("GET", "/access-log.csv", "/access-log.csv", None, 200, AUDIT & PEOPLE),
    ("GET", "/sandbox/developers", "/sandbox/developers", None, 404, SANDBOX_DEVELOPERS),
    ("POST", "/sandbox/developers", "/sandbox/developers", {}, 404, SANDBOX_DEVELOPERS),
    ("POST", "/sandbox/developers/{login_id}/revoke", f"/sandbox/developers/{NO_USER}/revoke", {}, 404,
     SANDBOX_DEVELOPERS),
    ("POST", "/logout", "/logout", {}, 303, PEOPLE),  # last: it ends the session
]
WEB_PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/static/{name}")}
REFUSED_PAGE = "この操作を行う権限がありません"


def _routes(routers) -> set[tuple[str, str]]:
    return {(m, r.path) for router in routers for r in router.routes if isinstance(r, APIRoute)
            for m in r.methods if m != "HEAD"}


def test_the_tables_cover_every_route_and_every_route_declares_a_permission(stack):
    api_routes = {(m, p) for m, p in _routes(stack.hub_app.state.api_routers) if p.startswith("/api/v1/")}
    assert api_routes == {(m, p) for m, p, *_ in API}
    web_routes = _routes(stack.hub_app.state.web_routers)
    assert web_routes - WEB_PUBLIC == {(m, p) for m, p, *_ in WEB}
    undeclared = []
    for router in (*stack.hub_app.state.api_routers, *stack.hub_app.state.web_routers):
        for route in router.routes:
            if not isinstance(route, APIRoute) or any((m, route.path) in WEB_PUBLIC for m in route.methods):
                continue
            if not any(getattr(d.call, "permission", None) for d in route.dependant.dependencies):
                undeclared.append(route.path)
    assert undeclared == []


async def _count(stack, table: str) -> int:
    async with stack.hub_app.state.engine.connect() as conn:
        return (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()


async def test_every_api_operation_for_every_role(stack):
    spid = point_of(stack.world, "M0300")
    by_login = await issue_tokens(stack, *(login for _, login in ROLES.values()))
    tokens = {role: by_login[login] for role, (_, login) in ROLES.items()}
    relays_before = await _count(stack, "relays")
    wrong = []
    for role, (operator, _) in ROLES.items():
        async with stack.client(operator, token=tokens[role]) as c:
            for method, path, url, body, ok_status, allowed in API:
                url = url.replace("{spid}", spid)
                body = {"spids": [spid]} if body == {"spids": ["{spid}"]} else body
                r = await c.request(method, url, json=body)
                if role in allowed:
                    if r.status_code != ok_status:
                        wrong.append((role, method, path, "allowed", r.status_code, r.text[:120]))
                elif r.status_code != 403 or r.json().get("code") != "permission_denied":
                    wrong.append((role, method, path, "refused", r.status_code, r.text[:120]))
    assert wrong == []
    assert await _count(stack, "relays") == relays_before
    async with stack.hub_app.state.engine.connect() as conn:
        refusals = (await conn.execute(text(
            "SELECT count(*) FROM audit_records WHERE action = 'auth.refused' AND outcome = 'permission_denied'"
        ))).scalar_one()
    assert refusals == sum(len(ALL - allowed) for *_, allowed in API)


async def _web_login(client, login: str, password: str, totp: str | None):
    return await web_login(client, login, password, pyotp.TOTP(totp).now() if totp else None)


async def test_every_web_page_for_every_role(stack):
    spid = point_of(stack.world, "M0300")
    wrong = []
    for role in WEB_ROLES:
        operator, login = ROLES[role]
        async with stack.client(operator, "web", token=None) as c:
            csrf = await web_login_reauthenticated(stack, c, login)  # admin pages ask for it (web_admin)
            for method, path, url, form, ok_status, allowed in WEB:
                url = url.replace("{spid}", spid)
                if method == "GET":
                    r = await c.get(url)
                else:
                    r = await c.post(url, data={**form, "csrf_token": csrf})
                if role in allowed:
                    if r.status_code != ok_status:
                        wrong.append((role, method, path, "allowed", r.status_code, r.text[:120]))
                elif r.status_code != 403 or REFUSED_PAGE not in r.text:
                    wrong.append((role, method, path, "refused", r.status_code, r.text[:120]))
    assert wrong == []


async def test_api_users_cannot_log_in_on_the_web(stack):
    async with stack.client("A0001", "web", token=None) as c:
        r = await _web_login(c, "a0001-api", stack.world.logins["a0001-api"], None)
    assert r.status_code == 200 and "お使いのユーザIDは利用できません" in r.text


async def test_a_grid_operator_cannot_register_a_relay_on_the_web_and_nothing_is_stored(stack):
    """The review's case: T0300 logged in on the Web posted a relay naming itself new retailer."""
    from tests.flow.helpers import smart_point_of
    from tests.flow.test_switch_api import relay_body

    spid = smart_point_of(stack.world, "M0300", skip=70)
    form = {k: str(v) for k, v in relay_body(spid, requested_switch_date="2030-01-31").items()}
    async with stack.client("T0300", "web", token=None) as c:
        await _web_login(c, "t0300-user1", stack.world.logins["t0300-user1"], None)
        csrf = csrf_of((await c.get("/")).text)
        r = await c.post("/relays/new", data={**form, "csrf_token": csrf})
    assert r.status_code == 403 and REFUSED_PAGE in r.text
    assert await _count(stack, "relays") == 0


async def test_web_and_api_write_the_same_audit_record_for_the_same_action(stack):
    from tests.flow.helpers import smart_point_of
    from tests.flow.test_switch_api import relay_body
    from tests.hub.helpers import audit_rows

    via_api, via_web = (smart_point_of(stack.world, "M0300", skip=s) for s in (71, 72))
    async with stack.client("A0001") as api:
        assert (await api.post("/api/v1/relays", json=relay_body(via_api, requested_switch_date="2030-01-31"))
                ).status_code == 201
    async with stack.client("A0001", "web", token=None) as web:
        await _web_login(web, "a0001-user1", stack.world.logins["a0001-user1"], None)
        csrf = csrf_of((await web.get("/")).text)
        form = {k: str(v) for k, v in relay_body(via_web, requested_switch_date="2030-01-31").items()}
        assert (await web.post("/relays/new", data={**form, "csrf_token": csrf})).status_code == 303
    api_row, = audit_rows(stack.hub_url, "api.relay.register")
    web_row, = audit_rows(stack.hub_url, "web.relay.register")
    same = ("operator_code", "resource_type", "purpose", "outcome", "fields", "item_count", "detail")
    assert {k: api_row[k] for k in same} == {k: web_row[k] for k in same} == {
        "operator_code": "A0001", "resource_type": "relay", "purpose": "switching", "outcome": "ok", "fields": [],
        "item_count": 0, "detail": {}}
    assert (api_row["user_login"], web_row["user_login"]) == ("a0001-api", "a0001-user1")
    assert (api_row["cert_fingerprint"], web_row["cert_fingerprint"]) == (
        stack.world.clients["A0001-api"].fingerprint, stack.world.clients["A0001-web"].fingerprint)


# issue 10: the sandbox's clock and reset, in sandbox mode only (a production hub has no such routes:
# the first test above walks the production routes). Allowed callers of the reset get 409
# sandbox_snapshot_missing: this sandbox has no snapshot, so nothing is reset by the probe.
SANDBOX_ROLES = frozenset({"retailer.admin", "retailer.api", "tso.admin", "tso.api", "occto.admin"})
SANDBOX_API = [
    ("GET", "/api/v1/sandbox/clock", "/api/v1/sandbox/clock", None, 200, SANDBOX_ROLES),
    ("POST", "/api/v1/sandbox/clock", "/api/v1/sandbox/clock", {}, 422, SANDBOX_ROLES),
    ("POST", "/api/v1/sandbox/reset", "/api/v1/sandbox/reset", None, 409, SANDBOX_ROLES),
]


async def test_the_sandbox_operations_for_every_role(world, monkeypatch):
    from switchhub.kernel.clock import get_clock, set_clock
    from tests.support import build_stack, close_stack

    monkeypatch.setenv("SWITCHHUB_METERING_OPERATION_MODE", "0")  # sandbox mode sets it for the process
    previous = get_clock()
    sandbox = build_stack(world, settings_changes={"sandbox": True})
    try:
        extra = _routes(sandbox.hub_app.state.api_routers) - {(m, p) for m, p, *_ in API}
        assert extra == {(m, p) for m, p, *_ in SANDBOX_API}
        by_login = await issue_tokens(sandbox, *(login for _, login in ROLES.values()))
        wrong = []
        for role, (operator, login) in ROLES.items():
            async with sandbox.client(operator, token=by_login[login]) as c:
                for method, path, url, body, ok_status, allowed in SANDBOX_API:
                    r = await c.request(method, url, json=body)
                    if role in allowed:
                        if r.status_code != ok_status:
                            wrong.append((role, method, path, "allowed", r.status_code, r.text[:120]))
                    elif r.status_code != 403 or r.json().get("code") != "permission_denied":
                        wrong.append((role, method, path, "refused", r.status_code, r.text[:120]))
        assert wrong == []
    finally:
        await close_stack(sandbox)
        set_clock(previous)
