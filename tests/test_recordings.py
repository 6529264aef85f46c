"""Recorded audio of the person-facing texts: upload, checks, replacement, review, audit,
serving with a long cache life, and ``audio_url`` for the hand-over mode.

Every sound here is generated (a sine wave written with the ``wave`` module); never a voice.
"""
from __future__ import annotations

import io
import math
import struct
import wave

import pytest
from sqlalchemy import select

from tests.web import csrf, login, make_user
from webapp.audit.models import AuditEvent
from webapp.recordings import operations
from webapp.recordings.models import Recording

KEY = "q.U1"


def sine_wav(seconds: float = 1.0, hz: float = 440.0, rate: int = 16000, width: int = 2, channels: int = 1) -> bytes:
    frames = int(seconds * rate)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        if width == 2:
            samples = (int(12000 * math.sin(2 * math.pi * hz * i / rate)) for i in range(frames))
            out.writeframes(b"".join(struct.pack("<h", s) * channels for s in samples))
        else:
            out.writeframes(bytes(128 + int(60 * math.sin(2 * math.pi * hz * i / rate)) for i in range(frames)))
    return buffer.getvalue()


def ogg_opus_head() -> bytes:
    """The first Ogg page of an Opus stream (RFC 7845 identification header), then filler:
    what the magic-byte check reads; the server never decodes the audio."""
    head = b"OpusHead" + bytes([1, 1]) + struct.pack("<HIhB", 312, 48000, 0, 0)
    page = b"OggS" + bytes([0, 2]) + b"\x00" * 8 + struct.pack("<II", 1, 0) + b"\x00" * 4 + bytes([1, len(head)])
    return page + head + b"\x00" * 2000


@pytest.fixture
def admin(app, client):
    make_user(app, "admin", language="en")  # the messages asserted below in English
    login(client, "admin")
    return client


def upload(client, data: bytes, name="take.wav", lang="vi", key=KEY):
    page = client.get(f"/admin/recordings/{lang}/{key}").get_data(as_text=True)
    return client.post(f"/admin/recordings/{lang}/{key}", data={"csrf_token": csrf(page), "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_person_texts_have_stable_keys_for_questions_options_answers_and_results():
    keys = [t.key for t in operations.person_texts()]
    assert keys[0] == "q.consent" and "q.U1" in keys and "opt.sex.female" in keys
    assert "answer.yes" in keys and "result.likely_victim" in keys
    assert len(keys) == len(set(keys))


def test_a_wav_upload_is_kept_as_mp3_and_served_with_a_long_cache_under_its_versioned_url(app, admin):
    wav = sine_wav(2.0)
    response = upload(admin, wav)
    assert response.status_code == 303
    with app.test_request_context():
        url = operations.audio_url("vi", KEY)
        assert operations.audio_url("th", KEY) is None  # no recording: None, never a guess
        assert operations.audio_url("vi", "q.U2") is None
    assert url.startswith("/audio/vi/q.U1?v=")
    served = admin.get(url)
    assert served.status_code == 200 and served.mimetype == "audio/mpeg"
    assert served.data[:3] == b"ID3" or served.data[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")
    assert len(served.data) < len(wav) / 2  # compressed (32 kbit/s against 256 kbit/s PCM)
    assert "immutable" in served.headers["Cache-Control"] and "max-age=31536000" in served.headers["Cache-Control"]
    assert "no-cache" in admin.get("/audio/vi/q.U1").headers["Cache-Control"]  # no version: revalidated
    partial = admin.get(url, headers={"Range": "bytes=0-99"})
    assert partial.status_code == 206 and len(partial.data) == 100


def test_an_opus_file_from_the_browser_is_kept_as_it_is(app, admin):
    data = ogg_opus_head()
    assert upload(admin, data, name="take.ogg").status_code == 303
    with app.app_context():
        recording = operations.find("vi", KEY)
        assert recording.mimetype == "audio/ogg" and recording.audio == data and recording.is_draft


@pytest.mark.parametrize("data, name, message", [
    (b"<html>not a sound</html>" * 10, "take.webm", "not a sound file"),
    (b"RIFF\x00\x00\x00\x00WAVEjunk", "take.wav", "cannot be read"),
    (None, "take.wav", "16-bit"),  # 8-bit PCM: cannot be converted
])
def test_what_is_not_a_sound_the_app_can_keep_is_refused_with_a_clear_message(app, admin, data, name, message):
    data = sine_wav(0.5, width=1) if data is None else data
    response = upload(admin, data, name=name)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert operations.find("vi", KEY) is None


def test_an_upload_larger_than_the_limit_is_refused(app, admin):
    limit = app.config["APP_CONFIG"].max_upload_length
    response = upload(admin, b"OggS" + b"\x00" * limit)
    assert response.status_code == 413


def test_only_an_administrator_records_and_anybody_logged_in_plays(app, client):
    make_user(app, "admin")
    make_user(app, "border")
    login(client, "admin")
    assert upload(client, sine_wav()).status_code == 303
    with app.test_request_context():
        url = operations.audio_url("vi", KEY)
    client.post("/logout", data={"csrf_token": csrf(client.get("/admin/recordings").get_data(as_text=True))})
    assert client.get(url).status_code in (302, 401)  # anonymous: log in first
    login(client, "border")
    assert client.get("/admin/recordings").status_code == 403
    assert client.get(url).status_code == 200
    assert client.get("/audio/vi/").get_json()["urls"] == [url]


def test_replacing_goes_back_to_draft_changes_the_url_and_is_audited(app, admin, db):
    upload(admin, sine_wav(1.0, 440))
    with app.test_request_context():
        first = operations.audio_url("vi", KEY)
    page = admin.get(f"/admin/recordings/vi/{KEY}").get_data(as_text=True)
    assert "Draft: not checked by a native speaker" in page
    admin.post(f"/admin/recordings/vi/{KEY}/review", data={"csrf_token": csrf(page)})
    page = admin.get(f"/admin/recordings/vi/{KEY}").get_data(as_text=True)
    assert "Checked by Synthetic admin" in page
    with app.test_request_context():
        recording = operations.find("vi", KEY)
        assert recording.status == "reviewed" and recording.reviewed_by.username == "admin" and recording.reviewed_at
        assert operations.audio_entries("vi") == {KEY: {"url": first, "draft": False}}

    upload(admin, sine_wav(1.5, 660))
    with app.test_request_context():
        second = operations.audio_url("vi", KEY)
        recording = operations.find("vi", KEY)
        assert recording.is_draft and recording.reviewed_by_id is None
        assert operations.audio_entries("vi") == {KEY: {"url": second, "draft": True}}
    assert second != first
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "recording")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["change.recording.add", "change.recording.review", "change.recording.replace"]
    assert db.session.scalar(select(AuditEvent.user_id).where(AuditEvent.action == "change.recording.replace"))


def test_the_pages_show_which_texts_lack_a_recording(app, admin):
    upload(admin, sine_wav())
    overview = admin.get("/admin/recordings").get_data(as_text=True)
    total = len(operations.person_texts())
    khmer = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")
    assert f"1 / {total}" in overview or f"1 / {total}".translate(khmer) in overview
    missing = admin.get("/admin/recordings/vi?missing=1").get_data(as_text=True)
    assert f'data-key="{KEY}"' not in missing and 'data-key="q.U2"' in missing
    assert missing.count("No recording") == total - 1
    every = admin.get("/admin/recordings/vi").get_data(as_text=True)
    assert f'data-key="{KEY}"' in every and 'lang="vi"' in every


def test_a_recording_of_a_text_that_changed_is_marked_outdated(app, admin, db):
    upload(admin, sine_wav())
    with app.app_context():
        from webapp.extensions import db as database

        recording = database.session.scalar(select(Recording))
        recording.text_digest = operations.text_digest("an older wording")
        database.session.commit()
    assert "Outdated" in admin.get("/admin/recordings/vi").get_data(as_text=True)
    assert "Outdated" in admin.get("/admin/recordings").get_data(as_text=True)


def test_the_command_line_lists_what_each_language_lacks(app, admin):
    upload(admin, sine_wav())
    runner = app.test_cli_runner()
    result = runner.invoke(args=["recordings", "coverage", "--lang", "vi"])
    total = len(operations.person_texts())
    assert result.exit_code == 0, result.output
    assert f"vi         1/{total} recorded, 0 reviewed, 0 outdated" in result.output
    assert f"missing {KEY}" not in result.output and "missing q.U2" in result.output
    every = runner.invoke(args=["recordings", "coverage"]).output
    assert f"th         0/{total} recorded" in every
    assert runner.invoke(args=["recordings", "coverage", "--lang", "xx"]).exit_code != 0
