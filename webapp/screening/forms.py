from __future__ import annotations

from flask_babel import lazy_gettext as _l
from ..core.forms import Form as FlaskForm  # WTForms' messages translated too
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional
from ..core.forms import options

CONTEXT_LABELS = {
    "post": _l("At a border post"),
    "province": _l("In a province"),
    "gps": _l("Here (use this phone's location)"),
    "abroad": _l("Abroad (consular)"),
}


class StartForm(FlaskForm):
    """Where the screening takes place; the screener's role decides which choices show."""

    kind = RadioField(_l("Where are you?"), choices=options(CONTEXT_LABELS.items()), default="post")
    post_code = SelectField(_l("Border post"), validators=[Optional()])
    province_code = SelectField(_l("Province"), validators=[Optional()])
    country_code = SelectField(_l("Country"), validators=[Optional()])
    city = StringField(_l("City"), validators=[Optional(), Length(max=80)])
    lat = HiddenField()
    lon = HiddenField()


class ConsentForm(FlaskForm):
    """Consent answer; the context travels in hidden fields so no state is kept between pages."""

    kind = HiddenField()
    post_code = HiddenField()
    province_code = HiddenField()
    country_code = HiddenField()
    city = HiddenField()
    lat = HiddenField()
    lon = HiddenField()
    uuid = HiddenField()


class DiscardForm(FlaskForm):
    """Confirms giving up an unfinished screening (only the CSRF token travels)."""


class AnswerForm(FlaskForm):
    """One answer. The value is validated by the engine, not here."""

    answer = StringField(validators=[Optional(), Length(max=40)])


class ScreenForm(FlaskForm):
    """The answers of one screen, each named ``q-<code>`` by its question (read by
    presenters.posted_answer and validated by the engine); only the CSRF token is a field."""


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Note for the file (no names)"), validators=[Length(max=1000)])
    initials = StringField(_l("Initials of the person's name (optional, to link repeat screenings)"),
                           validators=[Optional(), Length(max=6)])
