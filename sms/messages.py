"""The SMS/USSD channel texts (``messages.yaml``), Khmer and English side by side.

Kept out of the gettext catalogs on purpose: these texts have byte budgets (SMS segments,
USSD screens) checked by tests, and live next to the questionnaire's own SMS texts.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

MESSAGES_FILE = Path(__file__).with_name("messages.yaml")
LANGUAGES = ("km", "en")


class MessageError(KeyError):
    pass


@lru_cache(maxsize=1)
def catalog() -> dict[str, Any]:
    data = yaml.safe_load(MESSAGES_FILE.read_text(encoding="utf-8"))
    _check(data, "")
    return data


def _check(node: Any, path: str) -> None:
    """Every leaf is a {km, en} pair of non-empty strings: a missing translation fails at load."""
    if isinstance(node, dict) and set(node) == set(LANGUAGES):
        for language in LANGUAGES:
            if not isinstance(node[language], str) or not node[language].strip():
                raise MessageError(f"{MESSAGES_FILE.name}: {path}: empty {language} text")
        return
    if not isinstance(node, dict):
        raise MessageError(f"{MESSAGES_FILE.name}: {path}: expected km and en texts")
    for key, value in node.items():
        _check(value, f"{path}.{key}" if path else str(key))


def has(key: str) -> bool:
    try:
        _node(key)
    except MessageError:
        return False
    return True


def _node(key: str) -> dict[str, str]:
    node: Any = catalog()
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise MessageError(key)
        node = node[part]
    if not isinstance(node, dict) or "en" not in node:
        raise MessageError(key)
    return node


def text(key: str, language: str, **params: Any) -> str:
    """The text ``key`` (dotted: ``tiers.likely_victim``) in ``language``, filled in."""
    template = _node(key)["en" if language == "en" else "km"]
    return template.format(**params) if params else template
