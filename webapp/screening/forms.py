from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..core.forms import Form as FlaskForm  # WTForms' messages translated too
from ..core.forms import options

CONTEXT_LABELS = {
    "post": _l("At a border post"),
    "province": _l("In a province"),
    "gps": _l("Here (use this phone's location)"),
    "abroad": _l("Abroad (consular)"),
    "caller": _l("On a call: where the caller is"),
}
YES_NO = (("yes", _l("Yes")), ("no", _l("No")))


class StartForm(FlaskForm):
    """Where the screening takes place; the screener's role decides which choices show."""

    kind = RadioField(_l("Where are you?"), choices=options(CONTEXT_LABELS.items()), default="post")
    post_code = SelectField(_l("Border post"), validators=[Optional()])
    province_code = SelectField(_l("Province"), validators=[Optional()])
    country_code = SelectField(_l("Country"), validators=[Optional()])
    city = StringField(_l("City"), validators=[Optional(), Length(max=80)])
    lat = HiddenField()
    lon = HiddenField()
    # A hotline call: asked before anything else, then where the caller is and a call-back.
    safe_to_talk = RadioField(_l("Ask first: is it safe for you to talk now?"), choices=options(YES_NO),
                              validators=[Optional()])
    caller_province = SelectField(_l("Province where the caller is"), validators=[Optional()])
    district = StringField(_l("District (if the caller says)"), validators=[Optional(), Length(max=80)])
    callback = RadioField(_l("If the call drops, may we call you back?"), choices=options(YES_NO),
                          validators=[Optional()])
    callback_phone = StringField(_l("Call-back number"), validators=[Optional(), Length(max=32)])


class ConsentForm(FlaskForm):
    """Consent answer; the context travels in hidden fields so no state is kept between pages."""

    kind = HiddenField()
    post_code = HiddenField()
    province_code = HiddenField()
    country_code = HiddenField()
    city = HiddenField()
    lat = HiddenField()
    lon = HiddenField()
    callback_phone = HiddenField()
    uuid = HiddenField()
    # The person's language (issue 16): the consent page shows the consent in it.
    person_language = SelectField(_l("The person's language"), validators=[Optional()], validate_choice=False)


class HandOverForm(FlaskForm):
    """The screener hands the phone over: in which language the person reads."""

    person_language = SelectField(_l("The person's language"))


class HandBackForm(FlaskForm):
    """The screener takes the phone back: their own password, so the person cannot."""

    password = PasswordField(_l("Your password (staff)"), validators=[DataRequired(), Length(max=200)])


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
