"""State changes for staff accounts: create, authenticate, change password.

Operations flush and never commit: the caller (a view or a CLI command) owns the
transaction.
"""
from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from ..core import phones
from ..core.types import utcnow
from ..extensions import db
from . import passwords
from .models import ROLES, User


class AccountError(ValueError):
    """A user-facing problem with account data; ``field`` names the form field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass
class LoginOutcome:
    user: User | None
    reason: str | None = None  # bad_credentials / locked / inactive


def create_user(
    *,
    role: str,
    name: str,
    phone: str | None,
    username: str | None = None,
    province_code: str | None = None,
    post_code: str | None = None,
    country_code: str | None = None,
    language: str = "km",
    national: bool = False,
    service_id: int | None = None,
    password: str | None = None,
) -> tuple[User, str]:
    """Create a user; returns it with its one-time password (to be changed at first log-in)."""
    if role not in ROLES:
        raise AccountError("role", f"unknown role {role!r}")
    if not name.strip():
        raise AccountError("name", "a name is required")
    user = User(role=role, name=name.strip(), language=language, national=national, service_id=service_id)
    set_phone(user, phone)
    user.username = username or unique_username(name)
    if db.session.scalar(select(User.id).where(User.username == user.username)):
        raise AccountError("username", f"username {user.username!r} is taken")
    user.province_code = province_code or None
    user.post_code = post_code or None
    user.country_code = country_code or None
    secret = password or passwords.one_time_password()
    user.password_hash = passwords.hash_password(secret)
    user.must_change_password = password is None
    user.session_token = secrets.token_hex(16)
    db.session.add(user)
    db.session.flush()
    return user, secret


def set_phone(user: User, raw: str | None) -> None:
    if not raw:
        user.phone = None
        user.phone_hash = None
        return
    try:
        e164 = phones.normalise(raw)
    except phones.PhoneError as exc:
        raise AccountError("phone", str(exc)) from None
    digest = phones.phone_hash(e164)
    other = db.session.scalar(select(User).where(User.phone_hash == digest))
    if other is not None and other is not user:
        raise AccountError("phone", "this phone number belongs to another user")
    user.phone = e164
    user.phone_hash = digest


def unique_username(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", ".", ascii_name.lower()).strip(".")[:40] or "user"
    candidate, n = base, 1
    while db.session.scalar(select(User.id).where(User.username == candidate)):
        n += 1
        candidate = f"{base}{n}"
    return candidate


def find_by_login(identifier: str) -> User | None:
    identifier = identifier.strip()
    user = db.session.scalar(select(User).where(User.username == identifier.lower()))
    if user is None and re.fullmatch(r"[+\d\s()-]{6,}", identifier):
        try:
            digest = phones.phone_hash(phones.normalise(identifier))
        except phones.PhoneError:
            return None
        user = db.session.scalar(select(User).where(User.phone_hash == digest))
    return user


def find_by_phone(e164: str) -> User | None:
    return db.session.scalar(select(User).where(User.phone_hash == phones.phone_hash(e164), User.active.is_(True)))


def authenticate(identifier: str, password: str, *, max_attempts: int, lock_minutes: int) -> LoginOutcome:
    user = find_by_login(identifier)
    now = utcnow()
    if user is None:
        passwords.verify(None, password)  # same work as for a real account
        return LoginOutcome(None, "bad_credentials")
    if user.locked_until and user.locked_until > now:
        return LoginOutcome(None, "locked")
    if not passwords.verify(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= max_attempts:
            user.locked_until = now + timedelta(minutes=lock_minutes)
            user.failed_logins = 0
            return LoginOutcome(None, "locked")
        return LoginOutcome(None, "bad_credentials")
    if not user.active:
        return LoginOutcome(None, "inactive")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    user.session_token = secrets.token_hex(16)
    return LoginOutcome(user)


def change_password(user: User, new_password: str) -> None:
    problem = passwords.password_problem(new_password, user.username)
    if problem:
        raise AccountError("new_password", problem)
    user.password_hash = passwords.hash_password(new_password)
    user.must_change_password = False
    user.session_token = secrets.token_hex(16)


def reset_password(user: User) -> str:
    secret = passwords.one_time_password()
    user.password_hash = passwords.hash_password(secret)
    user.must_change_password = True
    user.session_token = secrets.token_hex(16)
    return secret


def end_sessions(user: User) -> None:
    user.session_token = secrets.token_hex(16)
