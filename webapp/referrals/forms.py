from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ..core.forms import Form as FlaskForm  # WTForms' messages translated too
from ..core.forms import options
from .operations import DECLINE_REASONS


class AnswerForm(FlaskForm):
    """The CSRF token of the referral buttons (accept, arrived, close, consent, confirm)."""


DECLINE_WORDS = {
    "full": _l("No place available"),
    "cannot_serve": _l("We cannot serve this person (sex, age or nationality)"),
    "out_of_area": _l("Outside the area we serve"),
    "other": _l("Another reason (write it below)"),
}


class DeclineForm(FlaskForm):
    reason = RadioField(_l("Why do you decline?"), choices=options((code, DECLINE_WORDS[code]) for code in DECLINE_REASONS),
                        validators=[InputRequired(message=_l("Choose a reason."))])
    detail = StringField(_l("Details"), validators=[Optional(), Length(max=300)])

    def validate_detail(self, field):
        if self.reason.data == "other" and not (field.data or "").strip():
            raise ValidationError(_l("Write the reason."))
