"""Development certificate authority: server and client certificates for demo and tests.

Production uses the operator's own PKI; the hub only needs each client certificate's
SHA-256 fingerprint registered. Client certificates last 2 years like the original's.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from switchhub.tlsserver import fingerprint_of_der

P12_PASSWORD = b"switchhub"


@dataclass(frozen=True)
class IssuedCert:
    cert_path: Path
    key_path: Path
    bundle_path: Path
    p12_path: Path
    fingerprint_sha256: str
    subject: str
    not_before: dt.datetime
    not_after: dt.datetime


def ca_cert_path(ca_dir: Path) -> Path:
    return Path(ca_dir) / "ca.pem"


def _write(path: Path, data: bytes, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if private:
        os.chmod(path, 0o600)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def create_ca(ca_dir: Path, name: str = "switchhub development CA") -> tuple[Path, Path]:
    ca_dir = Path(ca_dir)
    cert_path, key_path = ca_dir / "ca.pem", ca_dir / "ca.key"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "switchhub development")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    _write(key_path, _key_pem(key), private=True)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def load_ca(ca_dir: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    ca_dir = Path(ca_dir)
    cert = x509.load_pem_x509_certificate((ca_dir / "ca.pem").read_bytes())
    key = serialization.load_pem_private_key((ca_dir / "ca.key").read_bytes(), password=None)
    return cert, key  # type: ignore[return-value]


def _sign(ca_dir: Path, subject: x509.Name, usage: list, sans: list | None, days: int
          ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey, x509.Certificate]:
    """(certificate, its new key, the CA certificate): nothing is written."""
    ca_cert, ca_key = load_ca(ca_dir)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    not_before, not_after = now - dt.timedelta(hours=1), now + dt.timedelta(days=days)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage(usage), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key, ca_cert


def _issue(ca_dir: Path, out_dir: Path, name: str, subject: x509.Name, usage: list, sans: list | None,
           days: int) -> IssuedCert:
    cert, key, ca_cert = _sign(ca_dir, subject, usage, sans, days)
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    out_dir = Path(out_dir)
    cert_pem, key_pem = cert.public_bytes(serialization.Encoding.PEM), _key_pem(key)
    paths = (out_dir / f"{name}.pem", out_dir / f"{name}.key", out_dir / f"{name}-bundle.pem", out_dir / f"{name}.p12")
    _write(paths[0], cert_pem)
    _write(paths[1], key_pem, private=True)
    _write(paths[2], cert_pem + key_pem, private=True)
    p12 = pkcs12.serialize_key_and_certificates(name.encode(), key, cert, [ca_cert],
                                                serialization.BestAvailableEncryption(P12_PASSWORD))
    _write(paths[3], p12, private=True)
    return IssuedCert(*paths, fingerprint_of_der(cert.public_bytes(serialization.Encoding.DER)),
                      subject.rfc4514_string(), not_before, not_after)


def issue_server_cert(ca_dir: Path, out_dir: Path, name: str, hostnames: tuple[str, ...] = ("localhost",),
                      ips: tuple[str, ...] = ("127.0.0.1",)) -> IssuedCert:
    sans = [x509.DNSName(h) for h in hostnames] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0] if hostnames else name)])
    return _issue(ca_dir, out_dir, name, subject, [ExtendedKeyUsageOID.SERVER_AUTH], sans, 825)


def issue_client_cert(ca_dir: Path, out_dir: Path, name: str, *, operator_code: str, purpose: str,
                      common_name: str) -> IssuedCert:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, operator_code),
                         x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, purpose)])
    return _issue(ca_dir, out_dir, name, subject, [ExtendedKeyUsageOID.CLIENT_AUTH], None, 730)


@dataclass(frozen=True)
class ClientBundle:
    """A client certificate with its key, in memory only: for handing over once (the sandbox's
    self-service), never written to the server's disk."""
    cert_pem: bytes
    key_pem: bytes
    p12: bytes
    fingerprint_sha256: str
    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime


def client_bundle(ca_dir: Path, *, operator_code: str, purpose: str, common_name: str, p12_password: bytes,
                  days: int = 730) -> ClientBundle:
    """A client certificate as `issue_client_cert` makes it, returned instead of written: PEM pair and
    a PKCS#12 file (with the CA certificate) encrypted with `p12_password`."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, operator_code),
                         x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, purpose)])
    cert, key, ca_cert = _sign(ca_dir, subject, [ExtendedKeyUsageOID.CLIENT_AUTH], None, days)
    p12 = pkcs12.serialize_key_and_certificates(common_name.encode(), key, cert, [ca_cert],
                                                serialization.BestAvailableEncryption(p12_password))
    return ClientBundle(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key), p12,
                        fingerprint_of_der(cert.public_bytes(serialization.Encoding.DER)),
                        subject.rfc4514_string(), cert.issuer.rfc4514_string(), cert.not_valid_before_utc, cert.not_valid_after_utc)
