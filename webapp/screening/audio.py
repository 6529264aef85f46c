"""Recorded audio of the person-facing texts: the hook the hand-over mode calls.

``audio_url(lang, text_key)`` gives the URL of the recording of one text in one language,
served by the app (``/static/...`` or a route of the app), or None when there is none; the
hand-over screens show a listen control only when there is one. The recordings themselves
(recording page, storage, review status) are issue 16 item 4.

Text keys (the same for every language; ``PersonTexts`` in person.py makes them):
``consent``, ``question:<code>``, ``option:<code>:<value>``, ``answer:<value>`` (yes, no,
unknown, refused) and ``result:<tier>``.
"""
from __future__ import annotations


def audio_url(lang: str, text_key: str) -> str | None:
    """The URL of the recording of ``text_key`` in ``lang``, or None (no recording yet)."""
    return None
