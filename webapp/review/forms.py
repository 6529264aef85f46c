from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..core.forms import Form as FlaskForm  # WTForms' messages translated too
from ..core.forms import options
from ..screening.presenters import TIER_WORDS

ACTION_WORDS = {"confirm": _l("confirmed"), "override": _l("overridden")}


class DecisionForm(FlaskForm):
    tier = SelectField(_l("Tier"), choices=options((t, TIER_WORDS[t]) for t in
                                                    ("likely_victim", "possible_victim", "exploited_migrant", "not_indicated")))
    reason = TextAreaField(_l("Reason (always required)"), validators=[DataRequired(), Length(max=2000)])


class InfoRequestForm(FlaskForm):
    message = TextAreaField(_l("What do you need to know?"), validators=[DataRequired(), Length(max=1000)])


class InfoAnswerForm(FlaskForm):
    answer = TextAreaField(_l("Your answer"), validators=[DataRequired(), Length(max=2000)])


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    post = SelectField(_l("Border post"), validators=[Optional()])
    province = SelectField(_l("Province"), validators=[Optional()])
    channel = SelectField(_l("Channel"), validators=[Optional()],
                          choices=options([("", "—"), ("web", _l("Web form")), ("sms", "SMS"), ("ussd", "USSD")]))
    tier = SelectField(_l("Tier"), validators=[Optional()],
                       choices=options([("", "—")] + [(t, TIER_WORDS[t]) for t in
                                                      ("likely_victim", "possible_victim", "exploited_migrant", "not_indicated")]))
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])
    state = SelectField(_l("Show"), default="pending", choices=options([("pending", _l("Waiting for review")), ("all", _l("All flagged"))]))
