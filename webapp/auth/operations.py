"""State changes for staff accounts: create, authenticate, change password.

Operations flush and never commit: the caller (a view or a CLI command) owns the
transaction.
"""
from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select

from ..core import phones
from ..core.types import utcnow
from ..extensions import db
from . import passwords, throttle
from .models import ROLES, User


class AccountError(ValueError):
    """A user-facing problem with account data; ``field`` names the form field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass
class LoginOutcome:
    user: User | None
    reason: str | None = None  # bad_credentials / throttled / inactive


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


def authenticate(identifier: str, password: str, *, address: str, policy: throttle.Policy) -> LoginOutcome:
    """Check a log-in. An unknown name, a wrong password and a throttled address get the same
    answer after the same work (one argon2 verification), so neither the reply nor its
    time tells whether an account exists or is being throttled."""
    user = find_by_login(identifier)
    counted = throttle.subject(user, identifier)
    now = utcnow()
    blocked = throttle.is_blocked(counted, address, now)
    correct = passwords.verify(user.password_hash if user else None, password)
    if blocked:
        return LoginOutcome(None, "throttled")
    if not correct:
        throttle.record_failure(counted, address, now, policy)
        return LoginOutcome(None, "bad_credentials")
    if not user.active:
        return LoginOutcome(None, "inactive")
    throttle.forget(counted, address)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = now
    user.session_token = secrets.token_hex(16)
    return LoginOutcome(user)


def check_current_password(user: User, password: str, *, address: str, policy: throttle.Policy) -> bool:
    """The current password, asked before a change: guesses count like failed log-ins."""
    counted = throttle.subject(user, "")
    now = utcnow()
    blocked = throttle.is_blocked(counted, address, now)
    correct = passwords.verify(user.password_hash, password)
    if blocked:
        return False
    if not correct:
        throttle.record_failure(counted, address, now, policy)
        return False
    throttle.forget(counted, address)
    return True


def change_password(user: User, new_password: str) -> None:
    if passwords.verify(user.password_hash, new_password):
        # A one-time password that the administrator saw stays known to them.
        raise AccountError("new_password", "same_as_current")
    problem = passwords.password_problem(new_password, user.username, other_inputs=(user.name, user.phone or ""))
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


# What a user may see and do: changed only with care, and always recorded with before/after.
SCOPE_FIELDS = ("role", "national", "province_code", "post_code", "country_code", "active")


def scope(user: User) -> dict:
    return {name: getattr(user, name) for name in SCOPE_FIELDS}


def check_admin_change(admin: User, user: User | None, after: dict) -> None:
    """An administrator's change on the web to ``user`` (None: a new account), whose role
    and scope would become ``after``. Administrators manage accounts but do not read cases
    (security review, finding 10): they cannot change their own role or scope or deactivate
    themselves, and national supervisors, who read every case, are made on the server
    (``flask users create --role supervisor --national``), never from the web."""
    before = scope(user) if user is not None else None
    if user is not None and user.id == admin.id and after != before:
        raise AccountError("role", "own_scope")
    if _national_supervisor(after) and not (before and _national_supervisor(before)):
        raise AccountError("national", "national_on_server")


def may_reset_on_web(user: User) -> bool:
    """A one-time password shown to an administrator would let them log in as the user."""
    return not _national_supervisor(scope(user))


def _national_supervisor(values: dict) -> bool:
    return values["role"] == "supervisor" and bool(values["national"])


def end_sessions(user: User) -> None:
    user.session_token = secrets.token_hex(16)
