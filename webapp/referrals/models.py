"""The service directory and referrals with their recorded transitions."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.types import EncryptedText, UTCDateTime, utcnow
from ..extensions import db

SERVICE_KINDS = ("government", "ngo", "international")
REFERRAL_STATES = ("proposed", "notified", "accepted", "declined", "expired", "arrived", "closed", "cancelled")
# A referral that still waits on somebody.
OPEN_STATES = ("proposed", "notified")


class Service(db.Model):
    """A service registered with MoSAVY that can receive referrals."""

    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint("kind IN ('government','ngo','international')", name="kind"),
        CheckConstraint("places IS NULL OR places >= 0", name="places"),
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="point"),
        CheckConstraint("language IN ('km','en')", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name_km: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    registration_number: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    service_types: Mapped[list[str]] = mapped_column(JSON)
    accepts_sexes: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: everyone
    age_min: Mapped[int | None] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer)
    nationalities: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every nationality
    provinces: Mapped[list[str]] = mapped_column(JSON)
    # Countries abroad the service works in (a consulate or embassy, ISO alpha-2); empty for
    # a service in Cambodia. Only screenings abroad in one of them are matched to it.
    countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str] = mapped_column(Text, default="")
    # The organisation's desk phone: not personal data, but kept like every phone number
    # (encrypted, found by keyed hash) so one rule covers all of them.
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    places: Mapped[int | None] = mapped_column(Integer)
    hours: Mapped[str] = mapped_column(String(120), default="")
    # The language of the texts its phone receives (referral notices, replies): Khmer or English.
    language: Mapped[str] = mapped_column(String(2), default="km", server_default="km")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_km


class Referral(db.Model):
    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint(
            "state IN ('proposed','notified','accepted','declined','expired','arrived','closed','cancelled')",
            name="state",
        ),
        CheckConstraint("awaiting IS NULL OR awaiting IN ('supervisor','screener')", name="awaiting"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)  # the number services answer with: YES 123
    screening_id: Mapped[int] = mapped_column(ForeignKey("screenings.id", ondelete="CASCADE"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"), index=True)
    need: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(12), default="proposed", index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    # Who must confirm before the service is told (possible victim: a supervisor; exploited
    # migrant: the screener); None once confirmed or when it refers at once.
    awaiting: Mapped[str | None] = mapped_column(String(12))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # The person's answer to sharing their case with the service; None until asked.
    consent_to_share: Mapped[bool | None] = mapped_column(Boolean)
    # Why this service, as shown to the screener: the services in order, each distance only as
    # a coarse band (never precise enough to locate the person), and those passed over.
    # Identifying all the same (which services were near): cleared by ``purge``.
    match: Mapped[dict | None] = mapped_column(JSON, info={"identifying": True})
    decline_reason: Mapped[str | None] = mapped_column(EncryptedText)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # When the service was told: until then the referral does not exist for the service.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    screening = relationship("Screening")
    service = relationship("Service")
    events: Mapped[list[ReferralEvent]] = relationship(
        back_populates="referral", cascade="all, delete-orphan", order_by="ReferralEvent.id"
    )


class ReferralEvent(db.Model):
    """Every transition, with who made it and when (append-only)."""

    __tablename__ = "referral_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_kind: Mapped[str] = mapped_column(String(8))  # user / sms / system
    service_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    referral: Mapped[Referral] = relationship(back_populates="events")
