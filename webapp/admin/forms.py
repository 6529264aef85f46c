from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..core.forms import Form as FlaskForm  # WTForms' messages translated too
from ..core.forms import options
from ..referrals.presenters import NEED_WORDS, SEX_WORDS

KIND_WORDS = {"government": _l("Government"), "ngo": _l("Non-governmental organisation"),
              "international": _l("International organisation")}


class Choices(SelectMultipleField):
    """Several values from a list; checked like a CSV row (referrals.directory.parse_row),
    which names what is wrong, so the field itself accepts what comes."""

    def pre_validate(self, form):
        pass


class Checkboxes(Choices):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ServiceForm(FlaskForm):
    """Every field is checked by the same rules as a CSV row (referrals.directory.parse_row)."""

    registration_number = StringField(_l("MoSAVY registration number"), validators=[DataRequired(), Length(max=40)])
    name_km = StringField(_l("Name in Khmer"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=options(KIND_WORDS.items()), validators=[DataRequired()])
    service_types = Checkboxes(_l("Help it gives"), choices=options(NEED_WORDS.items()))
    accepts_sexes = Checkboxes(_l("Accepts only these sexes (none ticked: everyone)"),
                               choices=options((s, SEX_WORDS[s]) for s in ("female", "male", "other")))
    age_min = StringField(_l("Youngest age accepted"), validators=[Optional()])
    age_max = StringField(_l("Oldest age accepted"), validators=[Optional()])
    nationalities = Choices(_l("Accepts only these nationalities (none chosen: all)"))
    provinces = Checkboxes(_l("Provinces served"))
    countries = Choices(_l("Countries abroad served, for a consulate or embassy"))
    lat = StringField(_l("Latitude"), validators=[DataRequired()])
    lon = StringField(_l("Longitude"), validators=[DataRequired()])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=32)])
    places = StringField(_l("Places available (empty: not residential)"), validators=[Optional()])
    hours = StringField(_l("Opening hours"), validators=[Optional(), Length(max=120)])
    language = SelectField(_l("Language of its text messages"), choices=options([("km", "ខ្មែរ"), ("en", "English")]),
                           default="km")
    active = BooleanField(_l("Active"), default=True)


class ServiceImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired()])
