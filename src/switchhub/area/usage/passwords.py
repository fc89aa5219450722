"""Usage passwords: generated with `secrets`, kept only as a salted SHA-256.

18 characters from a 31-letter alphabet without look-alikes (no 0/O, 1/I/L) carry 89 bits, shown
as three groups of six. A fast hash is enough because the secret is random and high-entropy: an
offline guess costs ~2^88 hashes whatever the hash, so a slow password hash (argon2) would add
nothing but tens of milliseconds per check — and an inquiry checks every issued password of its
point (targets P10: 13 months × 20 points in ≤ 100 ms).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH, GROUP = 18, 6


def generate() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i:i + GROUP] for i in range(0, LENGTH, GROUP))


def canonical(password: str) -> str:
    """As typed: full-width, lower case, spaces and hyphens are forgiven."""
    s = unicodedata.normalize("NFKC", password).upper()
    return "".join(ch for ch in s if ch not in " -\u3000\t")


def salted_hash(password: str, salt: bytes | None = None) -> tuple[bytes, bytes]:
    salt = salt if salt is not None else secrets.token_bytes(16)
    return salt, hashlib.sha256(salt + canonical(password).encode()).digest()


def matches(password: str, salt: bytes, digest: bytes) -> bool:
    return hmac.compare_digest(salted_hash(password, bytes(salt))[1], bytes(digest))
