"""Tables of the SMS/USSD channel: dialogue sessions, processed inbound messages and the
browser simulator's transcripts (the outbox is ``webapp.outbox.models``).

No phone number is stored in clear: sessions are found by a keyed hash of the number,
and the number itself (needed to send reminders) is encrypted.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.types import EncryptedText, UTCDateTime, utcnow
from webapp.extensions import db

SESSION_CHANNELS = ("sms", "ussd")
# idle: nothing open; consent: start word received, consent pending (no screening yet);
# asking: a screening is open; choosing: USSD first screen "continue or new?"; share: the
# screening is complete and its referral waits for the person's consent to share; record:
# the screening is complete and the questions kept "for the record" are offered.
SESSION_STATES = ("idle", "consent", "asking", "choosing", "share", "record")


class SmsSession(db.Model):
    """One staff phone on one channel: where its dialogue stands.

    Several app processes may serve the same phone, so this row is the only state, and it
    is locked (``SELECT ... FOR UPDATE``) while a message is handled.
    """

    __tablename__ = "sms_sessions"
    __table_args__ = (
        UniqueConstraint("channel", "phone_hash", "training", name="uq_sms_sessions_channel_phone"),
        CheckConstraint("channel IN ('sms','ussd')", name="channel"),
        CheckConstraint("state IN ('idle','consent','asking','choosing','share','record')", name="state"),
        CheckConstraint("language IN ('km','en')", name="language"),
        # Removed whole after ``flask purge --session-days`` (sms.dialogue.forget_sessions),
        # so case de-identification passes over it (webapp.screening.retention).
        {"info": {"own_retention": True}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    phone_hash: Mapped[str] = mapped_column(String(64))
    # Simulator sessions live beside real ones and only ever make training screenings.
    training: Mapped[bool] = mapped_column(Boolean, default=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str | None] = mapped_column(EncryptedText)  # E.164, for reminders
    language: Mapped[str] = mapped_column(String(2), default="km")
    state: Mapped[str] = mapped_column(String(10), default="idle")
    screening_id: Mapped[int | None] = mapped_column(ForeignKey("screenings.id", ondelete="SET NULL"), index=True)
    question: Mapped[str | None] = mapped_column(String(32))  # code being asked (the group's first)
    # Codes of the questions asked together (one reply answers them all); None: one question.
    group_codes: Mapped[list[str] | None] = mapped_column(JSON)
    # Where the screening takes place, chosen at the start word, used at consent.
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # USSD: the gateway session (hashed: it is opaque and may be long), how many of its
    # '*'-joined inputs were already handled, and which page of a long menu is shown.
    ussd_session: Mapped[str | None] = mapped_column(String(64))
    ussd_inputs: Mapped[int] = mapped_column(Integer, default=0)
    page: Mapped[int] = mapped_column(Integer, default=0)
    showing_help: Mapped[bool] = mapped_column(Boolean, default=False)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboundMessage(db.Model):
    """A provider message already handled, with the reply we gave: a retry of the same
    ``MessageSid`` gets the same reply and changes nothing. The inbound text is not kept
    (the answers are stored in the screening)."""

    __tablename__ = "sms_inbound"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sms_sessions.id", ondelete="CASCADE"), index=True)
    reply: Mapped[str] = mapped_column(EncryptedText)  # JSON list of reply texts
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class SimulatorTranscript(db.Model):
    """The browser simulator's conversation of one supervisor or administrator: the lines
    shown and the USSD session being typed. Kept here, encrypted, and not in the session
    cookie, which is signed but readable by whoever holds it."""

    __tablename__ = "sms_simulator_transcripts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(EncryptedText)  # JSON: channel, lines, USSD session and inputs
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, index=True)
