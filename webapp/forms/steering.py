"""Forms of round steering: a new deadline, a reopening window (in the study's zone)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from webapp.forms.base import BaseForm
from webapp.services import timezones


def _year(field) -> None:
    if field.data is not None and not 2000 <= field.data.year <= 2999:
        raise ValidationError(_l("Choose a date between the years 2000 and 2999."))


class DeadlineForm(BaseForm):
    """``until``: the new deadline (extend) or the end of the reopening window (reopen)."""

    until = DateTimeLocalField(_l("Until"), format="%Y-%m-%dT%H:%M",
                               validators=[DataRequired(_l("Give the date and time."))])

    def __init__(self, *args, zone: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone

    def validate_until(self, field):
        _year(field)

    def until_utc(self):
        return timezones.to_utc(self.until.data, self.zone)


class RewordForm(BaseForm):
    name_zh = StringField(_l("Name (Chinese)"), validators=[Length(max=300)])
    name_en = StringField(_l("Name (English)"), validators=[Length(max=300)])
    description_zh = TextAreaField(_l("Description (Chinese)"), validators=[Length(max=5000)])
    description_en = TextAreaField(_l("Description (English)"), validators=[Length(max=5000)])
