"""Recorded audio of the person-facing texts: the hook the hand-over mode calls.

``audio_finder(lang)(text_key)`` gives the URL of the recording of one text in one language,
served by the app (``/audio/<lang>/<key>?v=<hash>``, webapp/recordings), or None when there
is none; the hand-over screens show a listen control only when there is one.

Text keys here (the same for every language; ``PersonTexts`` in person.py makes them):
``consent``, ``question:<code>``, ``option:<code>:<value>``, ``answer:<value>`` (yes, no,
unknown, refused) and ``result:<tier>``. The recordings feature names the same texts
``q.consent``, ``q.<code>``, ``opt.<code>.<value>``, ``answer.<value>`` and ``result.<tier>``
(its admin pages list them); ``recording_key`` translates one into the other.
"""
from __future__ import annotations

from collections.abc import Callable

from ..recordings import operations as recordings


def recording_key(text_key: str) -> str:
    """This module's key of a text as the recordings feature names it."""
    kind, _, rest = text_key.partition(":")
    if kind == "consent":
        return "q.consent"
    if kind == "question":
        return f"q.{rest}"
    if kind == "option":
        code, _, value = rest.partition(":")
        return f"opt.{code}.{value}"
    return f"{kind}.{rest}"  # answer:<value>, result:<tier>


def audio_finder(lang: str) -> Callable[[str], str | None]:
    """text key -> URL of its recording in ``lang``, or None: one query for a page that
    shows several texts."""
    found = recordings.audio_urls(lang)
    return lambda text_key: found.get(recording_key(text_key))


def audio_urls(lang: str, text_keys: list[str]) -> dict[str, str]:
    """The recordings there are of ``text_keys`` in ``lang`` (one query): key -> URL."""
    find = audio_finder(lang)
    return {key: url for key in text_keys if (url := find(key)) is not None}
