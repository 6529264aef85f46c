"""Small helpers shared by the forms of every feature, and their base class."""
from __future__ import annotations

from collections.abc import Iterable

from flask_babel import get_translations
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice


class _Catalog:
    """WTForms asks this for its own messages ("This field is required." ...): they come from
    our catalogs, since WTForms ships no Khmer translation."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        # Khmer has one form: the plural msgid stands for both (no plural entries in our catalogs).
        translated = get_translations().ugettext(plural)
        if translated != plural:
            return translated
        return singular if n == 1 else plural


_CATALOG = _Catalog()
# Flask-WTF raises these without asking for a translation.
_CSRF_MESSAGES = {
    "The CSRF token is missing.", "The CSRF session token is missing.", "The CSRF token has expired.",
    "The CSRF token is invalid.", "The CSRF tokens do not match.",
}


class Form(FlaskForm):
    """Every form of the app: WTForms' and Flask-WTF's messages in the user's language."""

    class Meta:
        def get_translations(self, form):
            return _CATALOG

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        csrf = getattr(self, "csrf_token", None)
        if csrf is not None and csrf.errors:
            csrf.errors = [_CATALOG.gettext(e) if e in _CSRF_MESSAGES else e for e in csrf.errors]
        return valid


def _messages_for_the_catalog(gettext):  # never called: marks the messages for extraction
    gettext("This field is required.")
    gettext("Not a valid choice.")
    gettext("Invalid Choice: could not coerce.")
    gettext("Not a valid date value.")
    gettext("Invalid input.")
    gettext("Field must be equal to %(other_name)s.")
    gettext("Field must be between %(min)d and %(max)d characters long.")
    gettext("Field must be at least %(min)d characters long.")  # the plural forms, see ngettext above
    gettext("Field cannot be longer than %(max)d characters.")
    gettext("Number must be between %(min)s and %(max)s.")
    gettext("The CSRF token is missing.")
    gettext("The CSRF session token is missing.")
    gettext("The CSRF token has expired.")
    gettext("The CSRF token is invalid.")
    gettext("The CSRF tokens do not match.")


def options(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """(value, label) pairs as the option objects WTForms 3.3+ expects."""
    return [SelectChoice(value, label) for value, label in pairs]
