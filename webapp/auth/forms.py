from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from ..core.forms import Form as FlaskForm  # WTForms' messages translated too
from ..core.forms import options
from .models import ROLES


class LoginForm(FlaskForm):
    identifier = StringField(_l("Username or phone number"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    submit = SubmitField(_l("Log in"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(
        _l("New password again"), validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))]
    )
    submit = SubmitField(_l("Change password"))


ROLE_LABELS = {
    "border": _l("Border and transit staff"),
    "consular": _l("Consular staff"),
    "hotline": _l("Hotline operator"),
    "supervisor": _l("Supervisor"),
    "service": _l("Service staff"),
    "admin": _l("Administrator"),
}


class UserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    username = StringField(_l("Username (optional)"), validators=[Optional(), Length(max=64)])
    role = SelectField(_l("Role"), choices=options((r, ROLE_LABELS[r]) for r in ROLES))
    phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=32)])
    province_code = SelectField(_l("Province"), validators=[Optional()])
    post_code = SelectField(_l("Border post"), validators=[Optional()])
    country_code = SelectField(_l("Country (consular staff)"), validators=[Optional()])
    language = SelectField(_l("Language"), choices=options([("km", "ខ្មែរ"), ("en", "English")]))
    national = BooleanField(_l("National scope (supervisors)"))
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))
