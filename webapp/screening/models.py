"""Screenings, their answers, case-number counters and the count of refusals."""
from __future__ import annotations

import uuid as uuidlib
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.types import EncryptedText, UTCDateTime, utcnow
from ..extensions import db

CHANNELS = ("web", "sms", "ussd", "cli")
STATUSES = ("draft", "complete")


class Screening(db.Model):
    __tablename__ = "screenings"
    __table_args__ = (
        CheckConstraint("channel IN ('web','sms','ussd','cli')", name="channel"),
        CheckConstraint("status IN ('draft','complete')", name="status"),
        UniqueConstraint("case_province", "case_year", "case_sequence", name="uq_screenings_case_sequence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Made by the client (web offline queue) or the server: a resend never duplicates.
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuidlib.uuid4()))
    case_number: Mapped[str] = mapped_column(String(32), unique=True)
    case_province: Mapped[str] = mapped_column(String(3))
    case_year: Mapped[int] = mapped_column(Integer)
    case_sequence: Mapped[int] = mapped_column(Integer)
    screener_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    training: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(8), default="draft")
    language: Mapped[str] = mapped_column(String(2), default="km")  # the screener's (km / en)
    # The person's language: the questionnaire's texts the person read or heard (consent,
    # questions, options, their result sentence), a language the questionnaire declares
    # (vi, th, zh-Hans, ...). Counted in the figures; None for screenings from before.
    person_language: Mapped[str | None] = mapped_column(String(16))
    questionnaire_version: Mapped[int] = mapped_column(Integer)
    # Context: where the screening happened (from the screener, not from a question).
    context_kind: Mapped[str] = mapped_column(String(10))  # post / province / gps / abroad / caller
    post_code: Mapped[str | None] = mapped_column(String(32))
    province_code: Mapped[str | None] = mapped_column(String(3))
    country_code: Mapped[str | None] = mapped_column(String(2))
    # Free text, may be an address: the city abroad (consular), the caller's district (hotline).
    city: Mapped[str | None] = mapped_column(EncryptedText)
    # A hotline caller's call-back number (E.164), only when the caller agreed to be called back.
    callback_phone: Mapped[str | None] = mapped_column(EncryptedText)
    gps: Mapped[str | None] = mapped_column(EncryptedText)  # "lat,lon", encrypted at rest
    note: Mapped[str | None] = mapped_column(EncryptedText)
    # The engine's result when the screening was finished (a draft's is not kept current:
    # nothing reads it); the full explanation is recomputable from the answers and
    # questionnaire version, and kept here as it was shown.
    tier: Mapped[str | None] = mapped_column(String(20), index=True)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The supervisor's decision (review issue); the engine's tier above is never overwritten.
    confirmed_tier: Mapped[str | None] = mapped_column(String(20), index=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Name initials, only when the screener records them (for linking repeat screenings).
    initials: Mapped[str | None] = mapped_column(EncryptedText)
    # Keyed hash of birth year, sex, home province (+ initials): warns of repeat screenings
    # of one person without showing who.
    linkage_key: Mapped[str | None] = mapped_column(String(64), index=True, info={"identifying": True})
    # The server's clock: case-number year and figures. The offline form's own start time is
    # kept apart, and only when it is plausible (see operations.client_time).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    client_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When ``purge`` removed the identifying fields (webapp.screening.retention); None while they stay.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    answers: Mapped[list[Answer]] = relationship(
        back_populates="screening", cascade="all, delete-orphan", order_by="Answer.id"
    )
    screener = relationship("User")

    def answer_map(self) -> dict[str, Any]:
        """The answers by code, typed (an age as a number)."""
        known = self.known_answers()
        if known is not None:
            return {code: typed_value(code, value) for code, value in known.items()}
        return {a.code: a.typed_value() for a in self.answers}

    # A reader that needs the answers' values, not their rows, may load just those (the
    # SMS dialogue does, on every message): ``know_answers`` keeps them on the instance, and
    # they stand for the rows until the ``answers`` collection is loaded (by any code that
    # reads ``answers``): from then on the rows are the truth, even once expired again.

    def know_answers(self, pairs: list[list[str]]) -> None:
        """The stored answers' (code, value) pairs, read without their rows."""
        if "answers" not in self.__dict__:
            self.__dict__["_known_answers"] = dict(pairs)

    def known_answers(self) -> dict[str, str] | None:
        """The values given by ``know_answers`` (with those added since), until the rows
        are loaded; None otherwise."""
        return self.__dict__.get("_known_answers")

    @property
    def final_tier(self) -> str | None:
        """The tier the case ends with: the supervisor's where one confirmed it, else the
        engine's. The one rule for the result page, the SMS/USSD result and share texts,
        the referrals proposed and escalated, and the figures."""
        return self.confirmed_tier or self.tier


@event.listens_for(Screening.answers, "init_collection")
def _rows_loaded(screening: Screening, collection, adapter) -> None:
    """The answers' rows are loaded (or a new collection made): values read before are older."""
    screening.__dict__.pop("_known_answers", None)


class Answer(db.Model):
    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("screening_id", "code", name="uq_answers_screening_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    screening_id: Mapped[int] = mapped_column(ForeignKey("screenings.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(8))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    screening: Mapped[Screening] = relationship(back_populates="answers")

    def typed_value(self) -> Any:
        return typed_value(self.code, self.value)


def typed_value(code: str, value: str) -> Any:
    """A stored answer as the engine reads it: the age as a number, else the text."""
    return int(value) if code == "age" and value.isdigit() else value


class CaseCounter(db.Model):
    """Next case sequence per province and year; incremented under a row lock."""

    __tablename__ = "case_counters"

    province: Mapped[str] = mapped_column(String(3), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class DeclinedScreening(db.Model):
    """A person who did not consent: nothing is kept but that it happened, where and when."""

    __tablename__ = "declined_screenings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Made by the browser's offline queue, so a resent refusal is counted once.
    client_uuid: Mapped[str | None] = mapped_column(String(36), unique=True)
    day: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(8))
    province_code: Mapped[str | None] = mapped_column(String(3))
    training: Mapped[bool] = mapped_column(Boolean, default=False)
