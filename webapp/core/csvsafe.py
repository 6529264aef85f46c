"""CSV cells that a spreadsheet will not run as formulas.

Every CSV file the app writes is opened in a spreadsheet sooner or later, and some cells
come from people (a directory imported from a partner, an answer typed in a free-text
field). A cell that starts with ``=``, ``+``, ``-``, ``@``, a TAB or a CR is read as a
formula (or a DDE call) by Excel, LibreOffice and Google Sheets; a leading ``'`` makes it
plain text. Plain signed numbers (a phone number in E.164, ``-2.5``) are left alone: a
spreadsheet reads them as numbers, and they can run nothing.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def neutralise(value: Any) -> Any:
    """The cell as it can safely be written: strings that a spreadsheet would evaluate get
    a leading ``'``; everything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(TRIGGERS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def restore(value: str) -> str:
    """Undo :func:`neutralise` for a cell read back from one of our own exports."""
    if value.startswith("'") and value[1:].startswith(TRIGGERS) and not _PLAIN_NUMBER.fullmatch(value[1:]):
        return value[1:]
    return value


class _Writer:
    def __init__(self, out, **kwargs):
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class _DictWriter(csv.DictWriter):
    def writerow(self, rowdict: Mapping[str, Any]):
        return super().writerow({key: neutralise(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)


def writer(out, **kwargs) -> _Writer:
    """``csv.writer`` whose every cell goes through :func:`neutralise`."""
    return _Writer(out, **kwargs)


def dict_writer(out, fieldnames, **kwargs) -> csv.DictWriter:
    """``csv.DictWriter`` whose every cell goes through :func:`neutralise`."""
    return _DictWriter(out, fieldnames, **kwargs)
