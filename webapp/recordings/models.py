"""One recording per language and person-facing text, stored compressed in the database."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.types import UTCDateTime, utcnow
from ..extensions import db

STATUSES = ("draft", "reviewed")


class Recording(db.Model):
    """A native speaker's recording of one text (``text_key``, see operations.person_texts)
    in one language. It is ``draft`` until a native speaker checked it (``reviewed``, with
    who and when); replacing it keeps the row and sends it back to draft."""

    __tablename__ = "recordings"
    __table_args__ = (
        UniqueConstraint("lang", "text_key", name="uq_recordings_lang_text_key"),
        CheckConstraint("status IN ('draft','reviewed')", name="status"),
        CheckConstraint("size > 0", name="size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lang: Mapped[str] = mapped_column(String(16))
    text_key: Mapped[str] = mapped_column(String(80))
    mimetype: Mapped[str] = mapped_column(String(40))  # audio/webm, audio/ogg, audio/mpeg, audio/mp4
    audio: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    size: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of the audio: its URL's version
    # sha256 of the text as it read when recorded: a changed text makes the recording outdated.
    text_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8), default="draft")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    uploaded_by = relationship("User", foreign_keys=[uploaded_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"
