"""Slow down password guessing without letting anyone lock a staff member out.

Failures are counted per (account, client address). After ``free_attempts`` failures that
address waits before its next attempt for that account is judged: ``first_delay``,
doubling with every further failure, up to ``max_delay``. Other addresses are not held
back, so wrong passwords sent from elsewhere never stop the staff member from logging in
at their own desk. Against guessing from many addresses, a looser count per account:
after ``account_cap`` failures within ``account_window`` from anywhere, every address
waits after its first failure; an address without failures still gets its attempt, so
the right password from the staff member's own device still passes.

Attempts made while an address waits are refused without being judged and are not
counted. Counts start over after ``forget_after`` without a failure. Accounts and
addresses are stored only as keyed hashes. Names that are not accounts are counted the
same way, so nothing here behaves differently for an account that exists.

Operations flush and never commit: the caller owns the transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update

from ..core import crypto, upsert
from ..extensions import db
from .models import LoginThrottle, User

ANY_ADDRESS = "*"


@dataclass(frozen=True)
class Policy:
    free_attempts: int = 5
    first_delay: timedelta = timedelta(minutes=1)
    max_delay: timedelta = timedelta(hours=1)
    account_cap: int = 20
    account_window: timedelta = timedelta(hours=1)
    forget_after: timedelta = timedelta(hours=24)

    @classmethod
    def from_config(cls, config) -> Policy:
        return cls(
            free_attempts=max(1, config.login_free_attempts),
            first_delay=timedelta(seconds=config.login_delay_seconds),
            max_delay=timedelta(minutes=config.login_delay_max_minutes),
            account_cap=config.login_account_cap,
        )

    def delay(self, failures: int, account_under_attack: bool) -> timedelta | None:
        """How long an address waits after its ``failures``-th failure for one account."""
        free = 1 if account_under_attack else self.free_attempts
        if failures < free:
            return None
        return min(self.first_delay * 2 ** min(failures - free, 30), self.max_delay)


def subject(user: User | None, identifier: str) -> str:
    """What is counted: the account, or the name tried when there is no such account."""
    return f"user:{user.id}" if user is not None else "name:" + identifier.strip().lower()


def is_blocked(subject: str, address: str, now: datetime) -> bool:
    until = db.session.scalar(select(LoginThrottle.blocked_until).where(LoginThrottle.key == _key(subject, address)))
    return until is not None and until > now


def record_failure(subject: str, address: str, now: datetime, policy: Policy) -> None:
    account_failures = _count(_key(subject, ANY_ADDRESS), now, policy.account_window)
    key = _key(subject, address)
    delay = policy.delay(_count(key, now, policy.forget_after), account_failures >= policy.account_cap)
    if delay is not None:
        db.session.execute(update(LoginThrottle).where(LoginThrottle.key == key).values(blocked_until=now + delay))
    # Nothing older than a day means anything: keep the table small.
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < now - policy.forget_after))


def forget(subject: str, address: str) -> None:
    """The right password from this address: its count starts over (the account's does not)."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == _key(subject, address)))


def _key(subject: str, address: str) -> str:
    return crypto.keyed_hash(f"{subject}\x00{address}", "login-throttle")


def _count(key: str, now: datetime, window: timedelta) -> int:
    """One more failure for ``key``, atomically (concurrent failures all count); returns the count."""
    statement = (
        upsert.insert(LoginThrottle)
        .values(key=key, failures=1, last_failure_at=now, blocked_until=None)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={
                "failures": case((LoginThrottle.last_failure_at < now - window, 1), else_=LoginThrottle.failures + 1),
                "last_failure_at": now,
            },
        )
        .returning(LoginThrottle.failures)
    )
    return db.session.execute(statement).scalar_one()
