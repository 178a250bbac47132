"""Account passwords: argon2id hashes, verification that redoes an outdated hash, and the policy a new password
must meet (long enough, not the login, not a common password). Refusals are 422 naming the field `password`.

The cost parameters are settings; a hash made with other parameters still verifies and is redone at the next
successful login (`verify` returns the new hash). Passwords are compared as typed after Unicode NFC (the same
letters composed one way or another are one password); full-width and half-width characters stay different.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gis.errors import InvalidInput
from gis.settings import get_settings

COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common_passwords.txt"
# A password is text a person types; anything longer is a mistake or an attempt to make hashing expensive.
MAX_LENGTH = 256


@cache
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hasher() -> PasswordHasher:
    s = get_settings()
    return _hasher(s.password_hash_time_cost, s.password_hash_memory_kib, s.password_hash_parallelism)


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().casefold() for w in lines if w.strip() and not w.lstrip().startswith("#"))


def normalise(password: str) -> str:
    return unicodedata.normalize("NFC", password)


def check_policy(password: str, *, login: str | None = None) -> None:
    """Refuse a new password that is too short, too long, blank, the login or containing it, or common."""
    if not isinstance(password, str) or not password.strip():
        raise InvalidInput("a password is required", field="password")
    password = normalise(password)
    minimum = get_settings().password_min_length
    if len(password) < minimum:
        raise InvalidInput(f"the password must have at least {minimum} characters", field="password")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"the password may have at most {MAX_LENGTH} characters", field="password")
    if any(unicodedata.category(c) == "Cc" for c in password):
        raise InvalidInput("the password may not contain control characters", field="password")
    folded = unicodedata.normalize("NFKC", password).casefold()
    if login:
        name = unicodedata.normalize("NFKC", login).casefold()
        if name and name in folded:
            raise InvalidInput("the password may not be or contain the login name", field="password")
    if folded in common_passwords():
        raise InvalidInput("this password is too common: choose one that is harder to guess", field="password")


def hash_password(password: str) -> str:
    """An argon2id hash (PHC string, salt included). Check the policy first: this hashes anything."""
    return hasher().hash(normalise(password))


def verify(stored_hash: str, password: str) -> tuple[bool, str | None]:
    """(matches, new hash when the stored one was made with other parameters and should be replaced)."""
    ph = hasher()
    try:
        ph.verify(stored_hash, normalise(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    if ph.check_needs_rehash(stored_hash):
        return True, ph.hash(normalise(password))
    return True, None


@cache
def _dummy_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_kib, parallelism).hash("no account has this password")


def burn_time(password: str) -> None:
    """Verify against a hash no account has: an unknown login costs as long as a wrong password, so the time of
    the answer does not tell whether the login exists."""
    s = get_settings()
    verify(_dummy_hash(s.password_hash_time_cost, s.password_hash_memory_kib, s.password_hash_parallelism), password)
