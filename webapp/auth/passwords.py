"""Passwords: argon2id (argon2-cffi's defaults), rehash on log-in, one-time passwords,
and a check of new passwords against common ones (zxcvbn).

An app in the ``testing`` environment hashes with the cheapest argon2id parameters
(``TESTING_PARAMETERS``): the suite hashes and verifies hundreds of passwords, and the
real cost would be most of its CPU time. Development and production always use the defaults."""
from __future__ import annotations

import secrets
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from zxcvbn import zxcvbn

TESTING_PARAMETERS = dict(time_cost=1, memory_cost=8 * 1024, parallelism=1)
# (hasher, dummy hash) by "is the app testing?". The dummy hash is verified against when the
# account does not exist, so timing does not reveal usernames; it has its hasher's cost.
_HASHERS = {
    testing: (hasher, hasher.hash(secrets.token_urlsafe(16)))
    for testing, hasher in ((False, PasswordHasher()), (True, PasswordHasher(**TESTING_PARAMETERS)))
}  # PasswordHasher(): argon2id, RFC 9106 low-memory profile (64 MiB, 3 passes, 4 lanes)
MIN_LENGTH = 10
# zxcvbn's score 3: more than 10^8 guesses; its lists (common passwords, words, names,
# keyboard patterns, dates) put "password123" or "cambodia123" far below that.
MIN_STRENGTH = 3
# Unambiguous characters only: the password is read off a screen or an SMS by hand.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _hasher() -> PasswordHasher:
    return _HASHERS[current_app.testing][0]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    hasher, dummy_hash = _HASHERS[current_app.testing]
    try:
        return hasher.verify(stored_hash or dummy_hash, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


def one_time_password() -> str:
    groups = ["".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(3)]
    return "-".join(groups)


def password_problem(password: str, username: str = "", other_inputs: Iterable[str] = ()) -> str | None:
    """Why ``password`` is not acceptable, or None. Length and a check against common
    passwords rather than rules about character classes (NIST SP 800-63B)."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if username and username.lower() in password.lower():
        return "contains_username"
    if len(set(password)) < 4:
        return "too_simple"
    inputs = [value for value in (username, *other_inputs) if value]
    # zxcvbn refuses more than 72 characters; judging the start of a longer one is plenty.
    if zxcvbn(password[:72], user_inputs=inputs)["score"] < MIN_STRENGTH:
        return "too_common"
    return None
