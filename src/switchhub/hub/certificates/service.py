"""Client certificate administration (P9, security.md): register by upload, suspend and restore,
the list with expiry, area certificates bound to their area codes.

A certificate is registered from its PEM: `inspect` parses it and states its SHA-256
fingerprint, subject, issuer and validity (shown before the confirm step), refusing what is not a
certificate, expired, not yet valid or registered already, with a field error. `register`
parses it again, so what is stored is what the hub read, never what a form claimed. The
certificate gate reads the status on every request, so a suspension takes effect on the next one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.accounts import permissions
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.certificates import repository
from switchhub.hub.operators import repository as operators
from switchhub.kernel.errors import InputError, IssueCollector, NotFound
from switchhub.kernel.spid import AREA_CODES

MANAGE = "hub:certificates:manage"
PER_PAGE = 20
PURPOSES = ("web", "api", "area")
MAX_PEM_BYTES = 20_000
STATUS_ACTIONS = {"suspended": "certificate.suspend", "active": "certificate.restore"}


@dataclass(frozen=True)
class CertificateFacts:
    fingerprint: str
    subject: str
    issuer: str
    not_before: datetime | None
    not_after: datetime | None


def _bad(code: str, ja: str, en: str) -> InputError:
    return InputError.single("certificate", code, ja, en)


def parse_pem(pem: bytes | str, now: datetime) -> CertificateFacts:
    """The facts of one PEM certificate valid at `now`, or a field error on `certificate`."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    raw = pem.encode() if isinstance(pem, str) else pem
    if not raw.strip():
        raise _bad("required", "証明書ファイル（PEM形式）を選択してください", "Choose a certificate file (PEM)")
    if len(raw) > MAX_PEM_BYTES or b"PRIVATE KEY" in raw:
        raise _bad("not_certificate", "証明書（PEM形式、秘密鍵を含まないもの）をアップロードしてください",
                   "Upload the certificate only (PEM, no private key)")
    try:
        cert = x509.load_pem_x509_certificate(raw)
    except ValueError:
        raise _bad("not_certificate", "証明書として読み取れません（PEM形式の X.509 証明書を指定してください）",
                   "This is not a PEM X.509 certificate") from None
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    if not_after <= now:
        raise _bad("expired", f"有効期限（{not_after:%Y-%m-%d %H:%M} UTC）を過ぎた証明書です",
                   "The certificate has expired")
    if not_before > now:
        raise _bad("not_yet_valid", f"有効期間の開始（{not_before:%Y-%m-%d %H:%M} UTC）前の証明書です",
                   "The certificate is not valid yet")
    fingerprint = hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()
    return CertificateFacts(fingerprint, cert.subject.rfc4514_string(), cert.issuer.rfc4514_string(),
                            not_before, not_after)


def _answer(row: dict[str, Any]) -> dict[str, Any]:
    return {"fingerprint": row["fingerprint"].strip(), "subject": row["subject"], "issuer": row["issuer"],
            "operator_code": row["operator_code"].strip(), "operator_name": row["operator_name"],
            "purpose": row["purpose"], "areas": sorted(str(a).strip() for a in row["areas"]),
            "status": row["status"], "not_before": row["not_before"], "not_after": row["not_after"],
            "registered_at": row["registered_at"]}


async def inspect(conn: AsyncConnection, actor: Actor, pem: bytes | str, now: datetime) -> dict[str, Any]:
    """What the upload says, before the confirm step (nothing is stored)."""
    permissions.check(actor.caller, MANAGE)
    facts = parse_pem(pem, now)
    if await repository.one(conn, facts.fingerprint) is not None:
        raise _bad("duplicate", "この証明書（同じフィンガープリント）は既に登録されています",
                   "This certificate is registered already")
    return {"fingerprint": facts.fingerprint, "subject": facts.subject, "issuer": facts.issuer,
            "not_before": facts.not_before, "not_after": facts.not_after}


async def _check_binding(conn: AsyncConnection, operator_code: str, purpose: str, areas: list[str],
                         issues: IssueCollector) -> list[str]:
    op = await operators.one(conn, operator_code) if operator_code else None
    if op is None:
        issues.add("operator_code", "unknown_operator", "登録されている事業者コードを指定してください",
                   "Unknown operator code")
    if purpose not in PURPOSES:
        issues.add("purpose", "invalid_code", "用途は web（Web端末）・api（API）・area（エリアシステム）のいずれかです",
                   "purpose must be web, api or area")
    areas = sorted(set(areas))
    if purpose == "area":
        if not areas or set(areas) - set(AREA_CODES):
            issues.add("areas", "required", "エリアシステム用の証明書は対象エリアを1つ以上選択してください",
                       "An area certificate needs at least one area")
        elif op is not None and (op["kind"] != "tso" or set(areas) - {str(a).strip() for a in op["areas"]}):
            issues.add("areas", "not_operator_area", "エリアシステム用の証明書は一般送配電事業者の供給区域のエリアにだけ"
                       "発行できます", "An area certificate is for a T&D operator's own areas")
    elif areas:
        issues.add("areas", "not_allowed", "対象エリアはエリアシステム用の証明書にだけ指定できます",
                   "Areas are only for area certificates")
    return areas


async def register_facts(conn: AsyncConnection, actor: Actor, facts: CertificateFacts, operator_code: str,
                         purpose: str, areas: list[str] | None = None) -> dict[str, Any]:
    """Register a certificate whose facts were read by the hub (from an upload, or by the CLI from the
    certificate it just issued)."""
    permissions.check(actor.caller, MANAGE)
    return await store_facts(conn, actor, facts, operator_code, purpose, areas)


async def store_facts(conn: AsyncConnection, actor: Actor, facts: CertificateFacts, operator_code: str,
                      purpose: str, areas: list[str] | None = None) -> dict[str, Any]:
    """The registration itself, for a service that checked its own permission first (OCCTO's
    `register_facts`; an operator's admin registering its sandbox developer's certificate)."""
    issues = IssueCollector()
    areas = await _check_binding(conn, operator_code, purpose, list(areas or []), issues)
    issues.raise_if_any()
    if not await repository.insert(conn, fingerprint=facts.fingerprint, subject=facts.subject, issuer=facts.issuer,
                                   operator_code=operator_code, purpose=purpose, areas=areas,
                                   not_before=facts.not_before, not_after=facts.not_after):
        raise _bad("duplicate", "この証明書（同じフィンガープリント）は既に登録されています",
                   "This certificate is registered already")
    await write(conn, actor.entry("certificate.register", resource_type="client_certificate",
                                  resource_ids=[facts.fingerprint],
                                  detail={"operator": operator_code, "purpose": purpose, "subject": facts.subject,
                                          "areas": areas,
                                          "not_after": facts.not_after.isoformat() if facts.not_after else None}))
    return _answer(await repository.one(conn, facts.fingerprint))  # type: ignore[arg-type]


async def register(conn: AsyncConnection, actor: Actor, pem: bytes | str, operator_code: str, purpose: str,
                   areas: list[str], now: datetime) -> dict[str, Any]:
    permissions.check(actor.caller, MANAGE)
    return await register_facts(conn, actor, parse_pem(pem, now), operator_code, purpose, areas)


async def set_status(conn: AsyncConnection, actor: Actor, fingerprint: str, status: str, reason: str = ""
                     ) -> dict[str, Any]:
    """Suspend (`suspended`) or restore (`active`); the next request with it is refused (or served)."""
    permissions.check(actor.caller, MANAGE)
    return await store_status(conn, actor, fingerprint, status, reason)


async def store_status(conn: AsyncConnection, actor: Actor, fingerprint: str, status: str, reason: str = ""
                       ) -> dict[str, Any]:
    """The status change itself (audited), for a service that checked its own permission first."""
    if status not in STATUS_ACTIONS:
        raise InputError.single("status", "invalid_code", "状態は active または suspended です",
                                "status must be active or suspended")
    row = await repository.one(conn, fingerprint.lower(), for_update=True)
    if row is None:
        raise NotFound("指定された証明書は登録されていません", "No such certificate")
    if row["status"] != status:
        await repository.set_status(conn, row["fingerprint"], status)
        await write(conn, actor.entry(STATUS_ACTIONS[status], resource_type="client_certificate",
                                      resource_ids=[row["fingerprint"].strip()],
                                      detail={"operator": row["operator_code"].strip(), "to": status,
                                              **({"reason": reason.strip()} if reason.strip() else {})}))
    return _answer(await repository.one(conn, row["fingerprint"]))  # type: ignore[arg-type]


async def list_certificates(conn: AsyncConnection, actor: Actor, *, operator_code: str | None = None,
                            status: str | None = None, purpose: str | None = None, page: int = 1) -> dict[str, Any]:
    permissions.check(actor.caller, MANAGE)
    page = max(1, page)
    total, rows = await repository.page(conn, operator_code=operator_code, status=status, purpose=purpose,
                                        limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    return {"total": total, "page": page, "per_page": PER_PAGE, "items": [_answer(r) for r in rows]}
