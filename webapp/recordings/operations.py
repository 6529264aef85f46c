"""Recordings of the person-facing texts: which texts there are, storing and checking audio,
review, and ``audio_url`` for the pages that play them.

Text keys (stable across versions while the question keeps its code):
- ``q.<code>``: a question as the person reads it (``q.consent`` is the consent text);
- ``opt.<code>.<value>``: an option of a choice question;
- ``answer.<value>``: the yes / no / don't know / refused labels of every yes-no question;
- ``result.<tier>``: the sentence meant for the person about their result.
"""
from __future__ import annotations

import hashlib
import io
import wave
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select

import questionnaires
from questionnaires.model import Questionnaire, Text

from ..audit.operations import record
from ..core.types import utcnow
from ..extensions import db
from .models import Recording

# Speech: 32 kbit/s MP3 is clear and 4 KB a second (recorder.js asks the browser for Opus at
# the same rate).
MP3_BITRATE = 32


class RecordingError(ValueError):
    """An upload that cannot be kept; the message is shown to the administrator."""


@dataclass(frozen=True)
class PersonText:
    key: str
    kind: str  # question / option / answer / result
    text: Text
    code: str | None = None  # the question's code (questions and options)


# The keys of the person-facing texts: one scheme for the recordings, the hand-over pages
# and the offline document (webapp/screening/audio.py); handover.js writes the same.
def question_key(code: str) -> str:
    return f"q.{code}"


def option_key(code: str, value: str) -> str:
    return f"opt.{code}.{value}"


def answer_key(value: str) -> str:
    return f"answer.{value}"


def result_key(tier: str) -> str:
    return f"result.{tier}"


def person_texts(questionnaire: Questionnaire | None = None) -> list[PersonText]:
    """Every text the person reads or hears, in the order the form shows them."""
    q = questionnaire or questionnaires.load()
    found: list[PersonText] = []
    for question in q.questions:
        found.append(PersonText(question_key(question.code), "question", question.text, question.code))
        found += [PersonText(option_key(question.code, option.value), "option", option.label, question.code)
                  for option in question.options]
    found += [PersonText(answer_key(value), "answer", label) for value, label in q.answer_labels.items()]
    found += [PersonText(result_key(tier), "result", sentence) for tier, sentence in q.result_sentences.items()]
    return found


def person_text(key: str, questionnaire: Questionnaire | None = None) -> PersonText | None:
    return next((t for t in person_texts(questionnaire) if t.key == key), None)


def languages(questionnaire: Questionnaire | None = None) -> list:
    """The questionnaire's declared languages (questionnaires.model.Language), in its order."""
    return list((questionnaire or questionnaires.load()).languages.values())


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def versioned_url(lang: str, text_key: str, digest: str) -> str:
    """The recording's URL, versioned by its content (served with a long cache life)."""
    return url_for("recordings.audio", lang=lang, text_key=text_key, v=digest[:16])


def audio_url(lang: str, text_key: str) -> str | None:
    """The versioned URL of the recording of ``text_key`` in ``lang``, or None when there is
    no recording. Needs an app context."""
    digest = db.session.scalar(select(Recording.digest).where(Recording.lang == lang, Recording.text_key == text_key))
    return None if digest is None else versioned_url(lang, text_key, digest)


def audio_urls(lang: str) -> dict[str, str]:
    """Every recording of ``lang``: text key -> versioned URL (one query)."""
    return {key: entry["url"] for key, entry in audio_entries(lang).items()}


def audio_entries(lang: str) -> dict[str, dict]:
    """Every recording of ``lang``: text key -> {"url": versioned URL, "draft": not yet
    checked by a native speaker} (one query), for a page that must mark draft recordings."""
    rows = db.session.execute(
        select(Recording.text_key, Recording.digest, Recording.status).where(Recording.lang == lang)).all()
    return {key: {"url": versioned_url(lang, key, digest), "draft": status == "draft"} for key, digest, status in rows}


def find(lang: str, text_key: str) -> Recording | None:
    return db.session.scalar(select(Recording).where(Recording.lang == lang, Recording.text_key == text_key))


def by_key(lang: str) -> dict[str, Recording]:
    return {r.text_key: r for r in db.session.scalars(select(Recording).where(Recording.lang == lang))}


def sniff(data: bytes) -> str | None:
    """The container the bytes are, by their magic bytes (never by the name or the browser's
    word): webm or ogg with Opus audio, MP3, MP4 audio, WAV; None for anything else."""
    head = data[:4096]
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:64] and b"A_OPUS" in head:
        return "audio/webm"
    if head.startswith(b"OggS") and b"OpusHead" in head[:128]:
        return "audio/ogg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp" and head[8:12] in (b"M4A ", b"mp42", b"isom", b"iso5", b"iso6", b"mp41", b"dash"):
        return "audio/mp4"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    return None


def wav_to_mp3(data: bytes) -> bytes:
    """16-bit PCM WAV -> MP3 (lameenc), mono at MP3_BITRATE."""
    import lameenc  # noqa: PLC0415 - a native module loaded only when a WAV is uploaded

    try:
        with wave.open(io.BytesIO(data)) as source:
            channels, width, rate, frames = (source.getnchannels(), source.getsampwidth(), source.getframerate(),
                                             source.readframes(source.getnframes()))
    except (wave.Error, EOFError) as exc:
        raise RecordingError(_("This WAV file cannot be read.")) from exc
    if width != 2 or channels not in (1, 2) or not 8000 <= rate <= 48000:
        raise RecordingError(_("Only 16-bit mono or stereo WAV files (8 to 48 kHz) can be converted. "
                               "Record in the browser, or upload Opus (webm or ogg) or MP3."))
    if not frames:
        raise RecordingError(_("This WAV file holds no sound."))
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(MP3_BITRATE)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(channels)
    encoder.set_quality(2)
    return bytes(encoder.encode(frames) + encoder.flush())


def save(lang: str, text_key: str, data: bytes, user) -> tuple[Recording, bool]:
    """Keep ``data`` as the recording of ``text_key`` in ``lang`` (a new one, or the
    replacement of the old one, which goes back to draft). Returns the recording and whether
    it replaced one. Audited; the caller commits."""
    q = questionnaires.load()
    if lang not in q.languages:
        raise RecordingError(_("The questionnaire has no such language."))
    text = person_text(text_key, q)
    if text is None:
        raise RecordingError(_("The questionnaire has no such text."))
    limit = current_app.config["APP_CONFIG"].max_upload_length
    if not data:
        raise RecordingError(_("The file is empty."))
    if len(data) > limit:
        raise RecordingError(_("The file is larger than %(kb)d KB.", kb=limit // 1024))
    kind = sniff(data)
    if kind is None:
        raise RecordingError(_("This is not a sound file the app can keep: record in the browser, "
                               "or upload Opus (webm or ogg), MP3, M4A or 16-bit WAV."))
    if kind == "audio/wav":
        data, kind = wav_to_mp3(data), "audio/mpeg"
    recording = find(lang, text_key)
    replaced = recording is not None
    if recording is None:
        recording = Recording(lang=lang, text_key=text_key)
        db.session.add(recording)
    recording.audio = data
    recording.mimetype = kind
    recording.size = len(data)
    recording.digest = hashlib.sha256(data).hexdigest()
    recording.text_digest = text_digest(text.text.get(lang))
    recording.status = "draft"
    recording.uploaded_by_id = getattr(user, "id", None)
    recording.uploaded_at = utcnow()
    recording.reviewed_by_id = None
    recording.reviewed_at = None
    db.session.flush()
    record("change.recording.replace" if replaced else "change.recording.add", user=user, object_type="recording",
           object_id=recording.id, detail={"lang": lang, "key": text_key, "bytes": len(data), "type": kind})
    return recording, replaced


def mark_reviewed(recording: Recording, user) -> None:
    """A native speaker listened and checked it against the text. Audited; the caller commits."""
    recording.status = "reviewed"
    recording.reviewed_by_id = user.id
    recording.reviewed_at = utcnow()
    record("change.recording.review", user=user, object_type="recording", object_id=recording.id,
           detail={"lang": recording.lang, "key": recording.text_key})


def is_outdated(recording: Recording, text: PersonText) -> bool:
    """The text changed since it was recorded."""
    return recording.text_digest != text_digest(text.text.get(recording.lang))


@dataclass(frozen=True)
class Coverage:
    lang: str
    texts: int
    recorded: int
    reviewed: int
    outdated: int
    audio_bytes: int

    @property
    def missing(self) -> int:
        return self.texts - self.recorded


TextRow = tuple[PersonText, Recording | None, bool]


def text_rows(lang: str, questionnaire: Questionnaire | None = None) -> list[TextRow]:
    """Every person text with its recording in ``lang`` (None when missing) and whether that
    recording is outdated, in the order the form shows them."""
    have = by_key(lang)
    return [(t, have.get(t.key), t.key in have and is_outdated(have[t.key], t)) for t in person_texts(questionnaire)]


def coverage(lang: str, questionnaire: Questionnaire | None = None, rows: list[TextRow] | None = None) -> Coverage:
    """Counts over ``rows`` (text_rows of ``lang``, read when not given)."""
    rows = text_rows(lang, questionnaire) if rows is None else rows
    mine = [(r, outdated) for _, r, outdated in rows if r is not None]
    return Coverage(
        lang=lang, texts=len(rows), recorded=len(mine), reviewed=sum(not r.is_draft for r, _ in mine),
        outdated=sum(outdated for _, outdated in mine), audio_bytes=sum(r.size for r, _ in mine),
    )
