"""Texts sent by SMS, kept as data beside their feature: a YAML file whose every leaf is a
``{km: ..., en: ...}`` pair, filled in with ``str.format``.

Kept out of the gettext catalogs on purpose, like the dialogue's ``sms/messages.yaml``: an SMS
has a budget in segments (tests count every text), and the words are shorter than the web's.
A missing or empty translation fails when the file is first read, not when a message is sent.
"""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("km", "en")
DEFAULT_LANGUAGE = "km"


class TextError(KeyError):
    pass


def language_of(value: str | None) -> str:
    """``en`` or the default, Khmer, for anything else (unset, unknown)."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


class TextCatalog:
    def __init__(self, path: Path):
        self.path = path

    @cached_property
    def data(self) -> dict[str, Any]:
        data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        self._check(data, "")
        return data

    def _check(self, node: Any, path: str) -> None:
        if isinstance(node, dict) and set(node) == set(LANGUAGES):
            for language in LANGUAGES:
                if not isinstance(node[language], str) or not node[language].strip():
                    raise TextError(f"{self.path.name}: {path}: empty {language} text")
            return
        if not isinstance(node, dict) or not node:
            raise TextError(f"{self.path.name}: {path}: expected km and en texts")
        for key, value in node.items():
            self._check(value, f"{path}.{key}" if path else str(key))

    def keys(self, node: Any = None, prefix: str = ""):
        """Every dotted key with a text (``needs.shelter``)."""
        node = self.data if node is None else node
        if set(node) == set(LANGUAGES):
            yield prefix
            return
        for key, value in node.items():
            yield from self.keys(value, f"{prefix}.{key}" if prefix else str(key))

    def has(self, key: str) -> bool:
        try:
            self._node(key)
        except TextError:
            return False
        return True

    def _node(self, key: str) -> dict[str, str]:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise TextError(key)
            node = node[part]
        if not isinstance(node, dict) or set(node) != set(LANGUAGES):
            raise TextError(key)
        return node

    def text(self, key: str, language: str | None, **params: Any) -> str:
        """The text ``key`` in ``language`` (Khmer unless ``en``), filled in with ``params``."""
        template = self._node(key)[language_of(language)]
        return template.format(**params) if params else template
