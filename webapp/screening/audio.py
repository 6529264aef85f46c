"""Recorded audio of the person-facing texts: the hook the hand-over mode calls.

``audio_finder(lang)(text_key)`` gives the URL of the recording of one text in one language,
served by the app (``/audio/<lang>/<key>?v=<hash>``, webapp/recordings), or None when there
is none; the hand-over screens show a listen control only when there is one.

Text keys are the recordings feature's, one scheme everywhere (the hand-over pages, the
offline document, the admin pages, the stored recordings): ``q.consent``, ``q.<code>``,
``opt.<code>.<value>``, ``answer.<value>`` (yes, no, unknown, refused) and ``result.<tier>``.
"""
from __future__ import annotations

from collections.abc import Callable

from ..recordings import operations as recordings
from ..recordings.operations import answer_key, option_key, question_key

__all__ = ["answer_key", "audio_finder", "audio_urls", "option_key", "question_key", "text_keys"]


def text_keys(q) -> list[str]:
    """Every person-facing text that may have a recording, by its key."""
    return [text.key for text in recordings.person_texts(q)]


def audio_finder(lang: str) -> Callable[[str], str | None]:
    """text key -> URL of its recording in ``lang``, or None: one query for a page that
    shows several texts."""
    found = recordings.audio_urls(lang)
    return found.get


def audio_urls(lang: str, keys: list[str]) -> dict[str, str]:
    """The recordings there are of ``keys`` in ``lang`` (one query): key -> URL."""
    find = audio_finder(lang)
    return {key: url for key in keys if (url := find(key)) is not None}
