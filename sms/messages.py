"""The SMS/USSD channel texts (``messages.yaml``), Khmer and English side by side.

Kept out of the gettext catalogs on purpose: these texts have byte budgets (SMS segments,
USSD screens) checked by tests, and live next to the questionnaire's own SMS texts. Read
by the one loader of such files, :class:`webapp.core.texts.TextCatalog` (a missing or empty
translation fails when the file is first read).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from webapp.core.texts import LANGUAGES, TextCatalog, TextError

MESSAGES_FILE = Path(__file__).with_name("messages.yaml")
MessageError = TextError

__all__ = ["LANGUAGES", "MESSAGES_FILE", "MessageError", "catalog", "has", "text"]

_CATALOG = TextCatalog(MESSAGES_FILE)


def catalog() -> dict[str, Any]:
    return _CATALOG.data


def has(key: str) -> bool:
    return _CATALOG.has(key)


def text(key: str, language: str, **params: Any) -> str:
    """The text ``key`` (dotted: ``tiers.likely_victim``) in ``language`` (Khmer unless
    ``en``), filled in."""
    return _CATALOG.text(key, language, **params)
