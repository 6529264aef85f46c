from __future__ import annotations

from flask_babel import lazy_gettext as _l
from ..core.forms import Form as FlaskForm  # WTForms' messages translated too
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional


class ServiceForm(FlaskForm):
    """Every field is checked by the same rules as a CSV row (referrals.directory.parse_row)."""

    registration_number = StringField(_l("MoSAVY registration number"), validators=[DataRequired(), Length(max=40)])
    name_km = StringField(_l("Name in Khmer"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=200)])
    kind = StringField(_l("Kind (government, ngo, international)"), validators=[DataRequired()])
    service_types = StringField(_l("Service types, separated by ;"), validators=[DataRequired()])
    accepts_sexes = StringField(_l("Accepts only these sexes (empty: everyone)"), validators=[Optional()])
    age_min = StringField(_l("Youngest age accepted"), validators=[Optional()])
    age_max = StringField(_l("Oldest age accepted"), validators=[Optional()])
    nationalities = StringField(_l("Accepts only these nationalities (empty: all)"), validators=[Optional()])
    provinces = StringField(_l("Provinces served, separated by ;"), validators=[Optional()])
    countries = StringField(_l("Countries abroad served, for a consulate or embassy (codes, separated by ;)"),
                            validators=[Optional()])
    lat = StringField(_l("Latitude"), validators=[DataRequired()])
    lon = StringField(_l("Longitude"), validators=[DataRequired()])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=32)])
    places = StringField(_l("Places available (empty: not residential)"), validators=[Optional()])
    hours = StringField(_l("Opening hours"), validators=[Optional(), Length(max=120)])
    active = BooleanField(_l("Active"), default=True)


class ServiceImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired()])
