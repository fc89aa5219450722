"""Helpers of the OCCTO administration tests: certificates with chosen validity, an OCCTO admin's API
client and Web session."""

from __future__ import annotations

import datetime as dt
import hashlib
from contextlib import asynccontextmanager

from tests.hub.helpers import issue_tokens, web_login_reauthenticated
from tests.support import ClientIdentity


def make_cert(world, name: str, *, days_valid: tuple[float, float] = (-1, 730), operator: str = "A0001"
              ) -> tuple[str, str, str]:
    """(PEM, SHA-256 fingerprint of its DER, subject) of a client certificate signed by the test CA,
    valid from now + days_valid[0] to now + days_valid[1] (days, real time)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    from switchhub import devca

    ca_cert, ca_key = devca.load_ca(world.certs_dir / "ca")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, operator)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now + dt.timedelta(days=days_valid[0]))
            .not_valid_after(now + dt.timedelta(days=days_valid[1]))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    der = cert.public_bytes(serialization.Encoding.DER)
    return cert.public_bytes(serialization.Encoding.PEM).decode(), hashlib.sha256(der).hexdigest(), f"O={operator},CN={name}"


def identity(pem: str, fingerprint: str, operator: str, purpose: str) -> ClientIdentity:
    """A client identity presenting `pem` (stack.client(..., cert=identity(...)))."""
    from pathlib import Path

    return ClientIdentity(operator, purpose, Path("/nonexistent"), Path("/nonexistent"), pem, fingerprint)


async def occto_admin_token(stack) -> str:
    return (await issue_tokens(stack, "oc000-admin"))["oc000-admin"]


def occto_admin_api(stack, token: str):
    return stack.client("OC000", token=token)


@asynccontextmanager
async def occto_admin_web(stack):
    """A Web client of OCCTO's admin, logged in (TOTP) and re-authenticated; (client, CSRF token)."""
    async with stack.client("OC000", "web", token=None) as client:
        csrf = await web_login_reauthenticated(stack, client, "oc000-admin")
        yield client, csrf
