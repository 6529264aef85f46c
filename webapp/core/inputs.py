"""Malformed input is refused as the client's mistake (400/422), never a 500.

PostgreSQL cannot store NUL in text, and a lone UTF-16 surrogate (``"\\ud800"`` in JSON)
cannot be encoded at all; JSON nested thousands deep exhausts Python's recursion; a route
id beyond the database's integer is "integer out of range". Each is stopped at the door.
"""
from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, request
from flask.json.provider import DefaultJSONProvider
from flask_login import current_user
from werkzeug.routing import IntegerConverter

# NUL and the other C0 controls except tab, newline and carriage return; lone surrogates.
FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
MAX_INTEGER = 2**31 - 1  # the largest value of a database integer column (ids, counts)
# The SMS/USSD dialogue takes any text and stores none of it as sent: garbage gets its
# "not understood" reply there (tests/sms/test_fuzz.py), not a 400.
DIALOGUE_BLUEPRINTS = ("webhooks", "simulator")


def bad_text(value: str) -> bool:
    return bool(FORBIDDEN.search(value))


def clean_text(value: Any, max_length: int | None = None) -> str | None:
    """``value`` as stripped text, or None when empty; ValueError when it holds a forbidden
    character or is longer than ``max_length``."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if bad_text(text):
        raise ValueError("contains characters that are not allowed")
    if max_length is not None and len(text) > max_length:
        raise ValueError(f"longer than {max_length} characters")
    return text or None


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` routes match only ids the database can hold: larger ones are a 404."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_INTEGER, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class SafeJSONProvider(DefaultJSONProvider):
    """JSON nested too deep for the parser is a malformed body like any other."""

    def loads(self, s, **kwargs):
        try:
            return json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def refuse_nul() -> None:
    """No form field or query parameter may carry NUL (PostgreSQL text cannot hold it).
    Form data cannot carry lone surrogates: Werkzeug decodes it with replacement."""
    if request.blueprint in DIALOGUE_BLUEPRINTS:
        return
    for values in (request.args, request.form):
        for value in values.values():
            if "\x00" in value:
                abort(400)


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul)


def allow_large_upload(bp: Blueprint, endpoint: str) -> None:
    """A POST to ``endpoint`` (a file upload) may be larger than MAX_CONTENT_LENGTH, up to the
    configured upload length, for an administrator only.

    A URL value preprocessor because it runs before every before_request hook: CSRF
    protection reads the form in the app's, which would apply the smaller limit first."""

    @bp.url_value_preprocessor
    def allow(current: str | None, values: dict | None) -> None:
        if current == endpoint and request.method == "POST" and current_user.is_authenticated \
                and current_user.role == "admin":
            request.max_content_length = current_app.config["APP_CONFIG"].max_upload_length


def install_converters(app: Flask) -> None:
    """Before any blueprint adds its routes: rules bind their converters when added."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.json = SafeJSONProvider(app)


# Browsers drop tabs and newlines anywhere in a URL and spaces and control characters at its
# ends, and read a backslash as a slash: "/\t/evil.example" and "/\\evil.example" lead to
# another host. None of them belongs in a path of ours, so a target holding one is refused.
_WHITESPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None: never a redirect to another host."""
    if not target or _WHITESPACE_OR_CONTROL.search(target):
        return None
    target = target.replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
