"""Small helpers shared by the forms of every feature."""
from __future__ import annotations

from typing import Iterable

from wtforms.fields.choices import SelectChoice


def options(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """(value, label) pairs as the option objects WTForms 3.3+ expects."""
    return [SelectChoice(value, label) for value, label in pairs]
