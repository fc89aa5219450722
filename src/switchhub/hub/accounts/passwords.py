"""Password hashing (Argon2id) and the password policy of security.md."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from switchhub.kernel.errors import FieldIssue

# Parameters sized so a login costs ~20 ms on the 2-core machine, not seconds.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

MIN_LENGTH = 12
HISTORY = 5


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("switchhub-dummy-" + "x" * 16)


def burn_verification(password: str) -> None:
    """Verify against a throw-away hash: an unknown ID costs the same time as a known one."""
    verify_password(_dummy_hash(), password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def policy_issues(password: str, login_id: str, history: list[str], field: str = "password") -> list[FieldIssue]:
    """Policy: ≥ 12 characters, not the user ID, not among the last 5 passwords.

    `history` holds the hashes of the most recent passwords, newest first (the current one included).
    """
    issues: list[FieldIssue] = []
    if len(password) < MIN_LENGTH:
        issues.append(FieldIssue(field, "password_too_short",
                                 f"パスワードは{MIN_LENGTH}文字以上で入力してください",
                                 f"The password must have at least {MIN_LENGTH} characters"))
    if password.lower() == login_id.lower():
        issues.append(FieldIssue(field, "password_is_user_id",
                                 "ユーザIDと同じパスワードは使用できません",
                                 "The password must not be the user ID"))
    if any(verify_password(h, password) for h in history[:HISTORY]):
        issues.append(FieldIssue(field, "password_reused",
                                 f"過去{HISTORY}回以内に使用したパスワードは使用できません",
                                 f"The password must not be one of the last {HISTORY}"))
    return issues
