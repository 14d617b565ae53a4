"""Forms of the evaluation pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DateTimeLocalField,
    FileField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from webapp.forms.base import BaseForm, choices
from webapp.forms.setup import FileRequired
from webapp.presentation import LANGUAGE_NAMES


class EvaluationForm(BaseForm):
    weight_set = SelectField(_l("Published weight set"), coerce=int, validate_choice=True,
                             description=_l("The evaluation keeps this version even if a later one is published."))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    kind = RadioField(_l("Type of evaluation"), validators=[DataRequired()])
    purpose = TextAreaField(_l("Purpose and scope"), validators=[Length(max=5000)], render_kw={"rows": 3})
    period_start = DateField(_l("Period from"), validators=[Optional()])
    period_end = DateField(_l("Period to"), validators=[Optional()])

    def __init__(self, *args, versions=(), kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.weight_set.choices = choices(versions)
        self.kind.choices = choices(kinds)

    def validate_period_end(self, field):
        if field.data and self.period_start.data and field.data < self.period_start.data:
            raise ValidationError(_l("The period ends before it starts."))


class ObjectsForm(BaseForm):
    names = TextAreaField(_l("Evaluated objects"), validators=[DataRequired(), Length(max=50000)],
                          description=_l("One name per line: platforms, laboratories or projects."),
                          render_kw={"rows": 4})

    def name_list(self) -> list[str]:
        return (self.names.data or "").splitlines()


class ScoresUploadForm(BaseForm):
    file = FileField(_l("Scores file (.csv or .xlsx)"),
                     validators=[FileRequired(_l("Choose a .csv or .xlsx file to upload."))],
                     render_kw={"accept": ".csv,.xlsx,text/csv"})


class EvaluationSettingsForm(BaseForm):
    missing = RadioField(_l("Missing scores"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.missing.choices = choices([
            ("refuse", _l("Refuse: every indicator needs a score")),
            ("reweight", _l("Re-weight over the indicators with data (coverage reported)")),
        ])


class ReportContentsForm(BaseForm):
    evaluating_body = TextAreaField(_l("Evaluating body"), validators=[Length(max=20000)], render_kw={"rows": 3},
                                    description=_l("Who evaluates: organisation, accreditation, contact (Markdown)."))
    participants = TextAreaField(_l("Participants and their qualifications"), validators=[Length(max=20000)],
                                 render_kw={"rows": 3},
                                 description=_l("Staff of the evaluating body and of the evaluated party, their roles and qualifications (Markdown)."))
    guidance = TextAreaField(_l("Guidance of the experts and the evaluating body"), validators=[Length(max=20000)],
                             render_kw={"rows": 3})
    conclusions = TextAreaField(_l("Conclusions and recommendations"), validators=[Length(max=20000)],
                                render_kw={"rows": 5})


class ObjectDescriptionForm(BaseForm):
    description = TextAreaField(_l("About the evaluated party"), validators=[Length(max=20000)], render_kw={"rows": 2})


class EvaluatorDeadlineForm(BaseForm):
    """The evaluators' deadline (in the study's time zone) and the reminder's lead time."""
    deadline = DateTimeLocalField(_l("Deadline for evaluators"), format="%Y-%m-%dT%H:%M", validators=[Optional()],
                                  description=_l("In the study's time zone. Leave empty for no deadline."))
    reminder_hours = IntegerField(_l("Reminder (hours before the deadline)"),
                                  validators=[Optional(), NumberRange(min=1, max=720)],
                                  description=_l("Evaluators who have not scored everything get an e-mail with "
                                                 "their link. Leave empty for no reminder."))


class EvaluatorLanguageForm(BaseForm):
    """An evaluator's language, changed by the coordinator ("" = the study's default)."""
    locale = SelectField(_l("Language of the reminders and pages"), validate_choice=True)

    def __init__(self, *args, default_name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = choices([("", _l("The study's default (%(language)s)", language=default_name)),
                                       *LANGUAGE_NAMES.items()])


class FceGradesForm(BaseForm):
    """Which indicators evaluators grade (FCE) instead of scoring, and the grade set."""
    codes = SelectMultipleField(_l("Indicators scored by FCE grades"), validate_choice=True,
                                render_kw={"size": 8})
    grades = TextAreaField(_l("Grades (best first, “label = value”)"), validators=[Length(max=2000)],
                           render_kw={"rows": 5},
                           description=_l("Leave empty for excellent = 95, good = 85, fair = 75, pass = 65, "
                                          "poor = 30."))

    def __init__(self, *args, leaves=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.codes.choices = choices(leaves)
