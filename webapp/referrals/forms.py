from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional


class AnswerForm(FlaskForm):
    reason = StringField(_l("Reason (if you decline)"), validators=[Optional(), Length(max=300)])
