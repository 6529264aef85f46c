from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired

from ..core.forms import Form as FlaskForm  # WTForms' messages translated too


class UploadForm(FlaskForm):
    """A recording from a file, or (recorder.js) from the browser's microphone: same field."""

    file = FileField(_l("Sound file"), validators=[FileRequired()])


class ReviewForm(FlaskForm):
    """A native speaker listened to the recording and checked it against the text."""
