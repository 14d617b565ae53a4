"""Forms of the study set-up pages: indicator system, settings, panel, expert profile.

``ExpertProfileForm`` is shared: the coordinator edits an expert's profile with
it, and experts fill it in themselves (self-assessment for the authority
coefficient). Render its fields with ``coordinator/setup/_profile_fields.html``
and store them with ``webapp.services.panel.update_profile(expert, form.profile_data())``.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage
from wtforms import (
    BooleanField,
    FileField,
    FloatField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from webapp.forms.base import BaseForm, choices
from webapp.models import BASIS_LEVELS, BASIS_SOURCES, FAMILIARITY_LEVELS
from webapp.presentation import basis_level_labels, basis_source_labels, familiarity_labels


class FileRequired:
    """A file was chosen (WTForms core has no file validators)."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if not (isinstance(field.data, FileStorage) and field.data.filename):
            raise ValidationError(self.message)


# --- indicator system -----------------------------------------------------------------------

class HierarchyUploadForm(BaseForm):
    file = FileField(_l("Hierarchy file (.json, .csv or .xlsx)"),
                     validators=[FileRequired(_l("Choose a .json, .csv or .xlsx file to import."))],
                     render_kw={"accept": ".json,.csv,.xlsx,application/json,text/csv,"
                                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})


class NodeForm(BaseForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("Unique within the study, e.g. A1.2."),
                       render_kw={"autocapitalize": "off", "spellcheck": "false"})
    name_zh = StringField(_l("Name (Chinese)"), validators=[Length(max=300)], render_kw={"lang": "zh-Hans"})
    name_en = StringField(_l("Name (English)"), validators=[Length(max=300)], render_kw={"lang": "en"})
    description_zh = TextAreaField(_l("Description (Chinese)"), validators=[Length(max=5000)],
                                   render_kw={"lang": "zh-Hans", "rows": 3})
    description_en = TextAreaField(_l("Description (English)"), validators=[Length(max=5000)],
                                   render_kw={"lang": "en", "rows": 3})

    def validate_name_en(self, field):
        if not ((self.name_zh.data or "").strip() or (field.data or "").strip()):
            raise ValidationError(_l("Give a name in Chinese, in English or both."))

    def node_data(self) -> dict:
        return {name: getattr(self, name).data or "" for name in
                ("code", "name_zh", "name_en", "description_zh", "description_en")}


class NodeEditForm(NodeForm):
    parent = SelectField(_l("Parent indicator"), coerce=int, validate_choice=True,
                         description=_l("Moving an indicator takes its sub-indicators along."))


# --- settings -------------------------------------------------------------------------------

CUSTOM = "custom"
PERCENT_CRITERIA = ("agreement_min", "full_score_min")
CRITERIA_ORDER = ("mean_min", "median_min", "iqr_max", "cv_max", "agreement_min", "full_score_min")
SCALES = {"": None, "1-5": (1, 5), "1-7": (1, 7), "1-9": (1, 9), "1-10": (1, 10), "0-10": (0, 10)}


class ConsensusRuleForm(BaseForm):
    mode = RadioField(_l("Choose a rule"), validators=[InputRequired()])
    combine = RadioField(_l("An item reaches consensus when"), default="all",
                         choices=choices([("all", _l("every threshold below holds")),
                                          ("any", _l("at least one threshold holds"))]))
    scale = SelectField(_l("Written for the rating scale"), default="",
                        choices=choices([("", _l("any scale")), ("1-5", "1–5"), ("1-7", "1–7"),
                                         ("1-9", "1–9"), ("1-10", "1–10"), ("0-10", "0–10")]),
                        description=_l("With a scale set, the rule is applied only to rounds rated on it."))
    agree_at = FloatField(
        _l("An answer counts as “agree” from"), validators=[Optional(), NumberRange(min=0, max=10)],
        description=_l("The rating from which an answer counts towards agreement, e.g. 7 for 7–9 on a 1–9 "
                       "scale (COMET). Empty: the top two points of the scale (4–5 of 5, 8–9 of 9)."),
        render_kw={"inputmode": "decimal", "step": "any"})

    def __init__(self, *args, presets: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.mode.choices = choices(list(presets) + [(CUSTOM, _l("Custom thresholds"))])

    def criterion_fields(self):
        """(name, operator field, value field) per criterion, in the canonical order."""
        return [(name, getattr(self, f"{name}_op"), getattr(self, name)) for name in CRITERIA_ORDER]

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.mode.data != CUSTOM:
            # The custom fields do not matter for a preset: ignore what they hold.
            for _name, op, value in self.criterion_fields():
                op.errors, value.errors = [], []
            self.agree_at.errors = []
            return not any(f.errors for f in (self.mode, self.csrf_token))
        if not any(value.data is not None for _n, _op, value in self.criterion_fields()):
            self.mean_min.errors = list(self.mean_min.errors) + [
                _l("Set at least one threshold for a custom consensus rule.")]
            return False
        return ok and not self.agree_at.errors and not any(
            value.errors for _n, _op, value in self.criterion_fields())

    def rule_data(self) -> dict:
        """Keyword arguments of ``studies.set_consensus_rule``."""
        if self.mode.data != CUSTOM:
            return {"preset": self.mode.data}
        thresholds, strict = {}, []
        for name, op, value in self.criterion_fields():
            if value.data is None:
                continue
            thresholds[name] = value.data / 100 if name in PERCENT_CRITERIA else value.data
            if op.data in (">", "<"):
                strict.append(name)
        return {"thresholds": thresholds, "strict": strict, "combine": self.combine.data,
                "scale": SCALES.get(self.scale.data), "agree_at": self.agree_at.data}

    @classmethod
    def data_for(cls, rule) -> dict:
        """Initial data showing a stored ``delphi.ConsensusRule``."""
        data = {"mode": rule.name if rule.name and rule.name != CUSTOM else CUSTOM,
                "combine": rule.combine,
                "scale": next((k for k, v in SCALES.items() if v and rule.scale and tuple(rule.scale) == v), ""),
                "agree_at": (int(rule.agree_at) if rule.agree_at is not None and float(rule.agree_at).is_integer()
                             else rule.agree_at)}
        for name in CRITERIA_ORDER:
            threshold = getattr(rule, name)
            if threshold is not None:
                value = round(threshold * 100, 6) if name in PERCENT_CRITERIA else threshold
                data[name] = int(value) if float(value).is_integer() else value
            data[f"{name}_op"] = rule.operator(name) if threshold is not None else (
                ">=" if name.endswith("_min") else "<=")
        return data


_CRITERION_FIELDS = {
    "mean_min": (_l("Mean"), "min", [NumberRange(min=0, max=10)], None),
    "median_min": (_l("Median"), "min", [NumberRange(min=0, max=10)], None),
    "iqr_max": (_l("Interquartile range (IQR)"), "max", [NumberRange(min=0, max=10)], None),
    "cv_max": (_l("Coefficient of variation (CV)"), "max", [NumberRange(min=0, max=10)], None),
    "agreement_min": (_l("Agreement (%)"), "min", [NumberRange(min=0, max=100)],
                      _l("Share of experts whose rating counts as “agree” (below; 4 or 5 on a 1–5 scale "
                         "by default).")),
    "full_score_min": (_l("Full-score frequency (%)"), "min", [NumberRange(min=0, max=100)],
                       _l("Share of experts giving the scale maximum.")),
}
for _name, (_label, _kind, _validators, _hint) in _CRITERION_FIELDS.items():
    _ops = [(">=", "≥"), (">", ">")] if _kind == "min" else [("<=", "≤"), ("<", "<")]
    setattr(ConsensusRuleForm, f"{_name}_op", SelectField(_label, choices=choices(_ops), default=_ops[0][0]))
    setattr(ConsensusRuleForm, _name, FloatField(
        _label, validators=[Optional()] + _validators, description=_hint,
        render_kw={"inputmode": "decimal", "step": "any"}))


class AnalysisOptionsForm(BaseForm):
    """Minimums for judging stability and for showing experts the group's result."""

    min_paired = IntegerField(
        _l("Paired experts needed to judge stability"), validators=[InputRequired(), NumberRange(2, 100)],
        description=_l("An item is called stable (or not) only when at least this many experts rated it in "
                       "both rounds; with fewer, the Wilcoxon test cannot tell. Default 6."),
        render_kw={"inputmode": "numeric", "min": "2", "max": "100"})
    min_feedback_respondents = IntegerField(
        _l("Answers needed before experts see the group's result"),
        validators=[InputRequired(), NumberRange(2, 100)],
        description=_l("Below this many answers the group's median and spread of an indicator are withheld, "
                       "so that no expert can work out another's rating. Default 3."),
        render_kw={"inputmode": "numeric", "min": "2", "max": "100"})

    def options(self) -> dict:
        """Keyword arguments of ``studies.set_analysis_options``."""
        return {"min_paired": self.min_paired.data, "min_feedback_respondents": self.min_feedback_respondents.data}


class AuthorityTablesForm(BaseForm):
    """The judgment-basis table (4 sources × 3 levels) and the familiarity scale (5 levels)."""

    def basis_field(self, source: str, level: str):
        return getattr(self, f"basis_{source}_{level}")

    def familiarity_field(self, level: str):
        return getattr(self, f"familiarity_{level}")

    def tables(self) -> tuple[dict, dict]:
        basis = {s: {lv: self.basis_field(s, lv).data for lv in BASIS_LEVELS} for s in BASIS_SOURCES}
        familiarity = {lv: self.familiarity_field(lv).data for lv in FAMILIARITY_LEVELS}
        return basis, familiarity

    @classmethod
    def data_for(cls, basis: dict, familiarity: dict) -> dict:
        data = {f"basis_{s}_{lv}": basis[s][lv] for s in BASIS_SOURCES for lv in BASIS_LEVELS}
        data.update({f"familiarity_{lv}": familiarity[lv] for lv in FAMILIARITY_LEVELS})
        return data


_weight = dict(validators=[InputRequired(), NumberRange(min=0, max=1)],
               render_kw={"inputmode": "decimal", "step": "0.01", "min": "0", "max": "1"})
for _source in BASIS_SOURCES:
    for _level in BASIS_LEVELS:
        setattr(AuthorityTablesForm, f"basis_{_source}_{_level}", FloatField(f"{_source} {_level}", **_weight))
for _level in FAMILIARITY_LEVELS:
    setattr(AuthorityTablesForm, f"familiarity_{_level}", FloatField(_level, **_weight))


# --- panel ----------------------------------------------------------------------------------

def group_choices(groups, blank_label=_l("Not set")):
    """The study's groups as (code, name) pairs, after a blank choice."""
    return choices([("", blank_label)] + list(groups or []))


class ExpertForm(BaseForm):
    """Add one expert."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)],
                       render_kw={"autocomplete": "off"})
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)],
                        render_kw={"type": "email", "autocomplete": "off", "autocapitalize": "off"})
    organisation = StringField(_l("Organisation"), validators=[Length(max=300)])
    stakeholder_group = SelectField(_l("Stakeholder group"), validate_choice=True, default="")

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.stakeholder_group.choices = group_choices(groups)


class ExpertListForm(BaseForm):
    """Add several experts: pasted lines or an uploaded CSV / text file."""

    text = TextAreaField(
        _l("Paste a list"), validators=[Length(max=200_000)],
        description=_l("One expert per line: name, e-mail, organisation and optionally the group. "
                       "Tabs (pasted from Excel), commas or spaces separate the columns; the e-mail "
                       "address is recognised wherever it stands."),
        render_kw={"rows": 6, "placeholder": "王建国, wang@example.org, 广州海关技术中心, regulator\n"
                                             "Olivia Chen, olivia@example.com, Pearl River Instruments, enterprise"})
    file = FileField(_l("…or upload a file (.xlsx, or CSV/text in UTF-8 or GBK)"),
                     render_kw={"accept": ".csv,.txt,.xlsx,text/csv,text/plain,"
                                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and not (self.text.data or "").strip() and not self.has_file():
            self.text.errors = list(self.text.errors) + [_l("Paste a list or choose a file.")]
            return False
        return ok

    def has_file(self) -> bool:
        return isinstance(self.file.data, FileStorage) and bool(self.file.data.filename)


class InvitationForm(BaseForm):
    """The invitation e-mail: its welcome text and to whom (preview first, then send)."""

    welcome_text = TextAreaField(
        _l("Welcome text"), validators=[Optional(), Length(max=4000)],
        description=_l("Plain text at the top of the invitation, e.g. the purpose of the study, what is asked "
                       "and how long it takes. The personal link, the deadline and the expert number are "
                       "added for each expert."))
    recipients = RadioField(_l("Send to"), choices=choices([
        ("new", _l("Experts not invited by e-mail yet")),
        ("all", _l("Every expert with an active link")),
        ("chosen", _l("The experts ticked below")),
    ]), default="new")
    experts = SelectMultipleField(_l("Experts"), coerce=int, validate_choice=False)


# --- expert profile (shared with the experts' self-assessment) ---------------------------

class ExpertProfileForm(BaseForm):
    """Field, years of experience, stakeholder group, familiarity (Cs) and judgment basis (Ca).

    ``require_authority=True`` (the experts' self-assessment) makes familiarity and
    the four judgment-basis answers required; otherwise every item is optional
    but the judgment basis is all four sources or none.
    """

    field = StringField(_l("Field of expertise"), validators=[Length(max=200)])
    years_experience = IntegerField(_l("Years of experience"), validators=[Optional(), NumberRange(min=0, max=80)],
                                    render_kw={"min": 0, "max": 80, "inputmode": "numeric"})
    stakeholder_group = RadioField(_l("Stakeholder group"), validators=[Optional()])
    familiarity = RadioField(_l("Familiarity with the subject of the consultation"), validators=[Optional()])
    title = SelectField(_l("Professional title (职称)"), validators=[Optional()], default="")
    education = SelectField(_l("Education (学历)"), validators=[Optional()], default="")
    age_band = SelectField(_l("Age"), validators=[Optional()], default="")
    organisation_type = SelectField(_l("Type of organisation"), validators=[Optional()], default="")

    def __init__(self, *args, require_authority: bool = False, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        from webapp.services import profile_labels

        for key, (codes, labels) in profile_labels.FIELDS.items():
            names = labels()
            getattr(self, key).choices = choices([("", _l("not given"))] + [(c, names[c]) for c in codes])

        self.require_authority = require_authority
        self.stakeholder_group.choices = choices(list(groups or []))
        labels = familiarity_labels()
        self.familiarity.choices = choices([(level, labels[level]) for level in FAMILIARITY_LEVELS])

        level_labels = basis_level_labels()
        for source in BASIS_SOURCES:
            self.basis_field(source).choices = choices([(lv, level_labels[lv]) for lv in BASIS_LEVELS])

    def basis_field(self, source: str):
        return getattr(self, f"basis_{source}")

    def basis_fields(self):
        """(source, label, field) for the judgment-basis matrix."""

        labels = basis_source_labels()
        return [(source, labels[source], self.basis_field(source)) for source in BASIS_SOURCES]

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        given = [s for s in BASIS_SOURCES if self.basis_field(s).data]
        if self.require_authority:
            if not self.familiarity.data:
                self.familiarity.errors = list(self.familiarity.errors) + [_l("Choose how familiar you are.")]
                ok = False
            if len(given) < len(BASIS_SOURCES):
                self.basis_errors.append(_l("Give the influence of every source of judgment."))
                ok = False
        elif given and len(given) < len(BASIS_SOURCES):
            self.basis_errors.append(_l("Give the influence of all four sources, or of none."))
            ok = False
        return ok

    @property
    def basis_errors(self) -> list:
        if not hasattr(self, "_basis_errors"):
            self._basis_errors = []
        return self._basis_errors

    def profile_data(self) -> dict:
        """The dict ``panel.update_profile`` takes."""
        basis = {s: self.basis_field(s).data for s in BASIS_SOURCES if self.basis_field(s).data}
        return {
            "field": (self.field.data or "").strip(),
            "years_experience": self.years_experience.data,
            "stakeholder_group": self.stakeholder_group.data or None,
            "familiarity": self.familiarity.data or None,
            "basis": basis or None,
            "title": self.title.data or None, "education": self.education.data or None,
            "age_band": self.age_band.data or None, "organisation_type": self.organisation_type.data or None,
        }

    @staticmethod
    def data_for(profile: dict) -> dict:
        """Initial data from ``panel.profile_of(expert)``."""
        data = {k: (v if v is not None else "") if k in ("title", "education", "age_band", "organisation_type") else v
                for k, v in profile.items() if k != "basis"}
        for source, level in (profile.get("basis") or {}).items():
            data[f"basis_{source}"] = level
        return data


for _source in BASIS_SOURCES:
    setattr(ExpertProfileForm, f"basis_{_source}", RadioField(_source, validators=[Optional()]))


class ExpertEditForm(ExpertProfileForm):
    """The coordinator's form for one expert: contact details and profile."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)],
                        render_kw={"type": "email", "autocapitalize": "off"})
    organisation = StringField(_l("Organisation"), validators=[Length(max=300)])

    def contact_data(self) -> dict:
        return {"name": self.name.data or "", "email": self.email.data or None,
                "organisation": self.organisation.data or ""}
