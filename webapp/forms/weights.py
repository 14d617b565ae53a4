"""Forms of the weight-set pages: publish (after a preview), withdraw, API access, report conclusions."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from webapp.forms.base import BaseForm, choices


class PublishForm(BaseForm):
    round_id = IntegerField(validators=[DataRequired()])
    digest = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{64}$")])
    label = StringField(_l("Label (optional)"), validators=[Optional(), Length(max=200)],
                        description=_l("A short note kept with the version, e.g. “after round 2”."))


class CombinedPublishForm(BaseForm):
    """Publish an evaluation's combined weights (after their preview)."""
    objective = HiddenField(validators=[DataRequired(), Length(max=40)])
    combination = HiddenField(validators=[DataRequired(), Length(max=40)])
    digest = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{64}$")])
    label = StringField(_l("Label (optional)"), validators=[Optional(), Length(max=200)],
                        description=_l("A short note kept with the version, e.g. “after round 2”."))


class WithdrawForm(BaseForm):
    reason = StringField(_l("Reason for withdrawing"), validators=[DataRequired(), Length(max=500)])


class ApiAccessForm(BaseForm):
    access = RadioField(_l("Who may read this study's published weight sets"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.access.choices = choices([
            ("public", _l("Anyone (public)")),
            ("key", _l("Only with the study's API key")),
        ])


class ConclusionsForm(BaseForm):
    conclusions = TextAreaField(_l("Conclusions (Markdown)"), validators=[Optional(), Length(max=20000)],
                                description=_l("Printed in the study report under “Conclusions”."))
