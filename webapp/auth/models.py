"""Staff accounts."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..core.types import EncryptedText, UTCDateTime, utcnow
from ..extensions import db

ROLES = ("border", "consular", "hotline", "supervisor", "service", "admin")
SCREENER_ROLES = ("border", "consular", "hotline")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('border','consular','hotline','supervisor','service','admin')", name="role"),
        CheckConstraint("language IN ('km','en')", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Log-in name: a short ASCII handle, unique. Staff names are not case data.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(EncryptedText)  # E.164, encrypted at rest
    phone_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    province_code: Mapped[str | None] = mapped_column(String(3))
    post_code: Mapped[str | None] = mapped_column(String(32))
    country_code: Mapped[str | None] = mapped_column(String(2))
    # Supervisors: national scope sees every province.
    national: Mapped[bool] = mapped_column(Boolean, default=False)
    service_id: Mapped[int | None] = mapped_column(Integer)  # for role 'service' (referral issue)
    language: Mapped[str] = mapped_column(String(2), default="km")
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Changes at every log-in and password change: old session cookies stop working.
    session_token: Mapped[str | None] = mapped_column(String(64))

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def is_screener(self) -> bool:
        return self.role in SCREENER_ROLES


class LoginThrottle(db.Model):
    """Failed log-ins (and current-password guesses) counted per account and client address.

    ``key`` is a keyed hash of the account (or the name tried, when there is no such
    account) and the address ("*" for the account as a whole): neither is stored in clear.
    """

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
