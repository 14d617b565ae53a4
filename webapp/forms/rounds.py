"""Forms of the round pages: the round's settings, its items, between-round decisions."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FloatField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from webapp.forms.base import BaseForm, choices
from webapp.services import round_settings, timezones

SCALES = {"1-5": (1, 5), "1-9": (1, 9), "0-10": (0, 10)}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _naive(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=None) if value is not None else None


def _check_year(field) -> None:
    """A time zone offset must not push a date off the calendar (year 9999 + 12 h overflows)."""
    if field.data is not None and not 2000 <= field.data.year <= 2999:
        raise ValidationError(_l("Choose a date between the years 2000 and 2999."))




def has_a_name(form) -> bool:
    """An indicator needs a name in at least one language (``form.name_zh`` / ``form.name_en``);
    without one the error goes on the Chinese name."""
    if (form.name_zh.data or "").strip() or (form.name_en.data or "").strip():
        return True
    form.name_zh.errors = [*form.name_zh.errors, _l("Give the indicator a name in Chinese or English.")]
    return False


class RoundScheduleForm(BaseForm):
    """When a round opens and closes, and its reminder: the fields and rules every round form
    shares (times typed in the study's time zone, ``zone``)."""

    opens_at = DateTimeLocalField(_l("Opens"), format=DATETIME_FORMAT, validators=[Optional()],
                                  description=_l("Empty: open it with the button. Otherwise the scheduler opens it then."))
    closes_at = DateTimeLocalField(_l("Closes (deadline)"), format=DATETIME_FORMAT, validators=[Optional()],
                                   description=_l("After this moment no answer is accepted, "
                                                  "even if nobody closes the round."))
    reminder_hours = IntegerField(
        _l("Reminder e-mail, hours before closing"), validators=[Optional(), NumberRange(1, 720)],
        description=_l("Experts who have not submitted get one reminder. Empty: no automatic reminder."))

    def validate_opens_at(self, field):
        _check_year(field)

    def validate_closes_at(self, field):
        _check_year(field)
        if field.data is not None and self.opens_at.data is not None and self.opens_at.data >= field.data:
            raise ValidationError(_l("The round must open before it closes."))


class RoundForm(RoundScheduleForm):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=300)],
                        description=_l("Shown to the experts, e.g. “First round: importance of the indicators”. "
                                       "Leave empty to call it by its number."))
    instructions = TextAreaField(
        _l("Instructions for the experts (Markdown)"), validators=[Length(max=20000)],
        description=_l("Shown above the questionnaire. **bold**, *italic*, lists, tables and links work; "
                       "images and scripts are removed."))
    scale = RadioField(_l("Rating scale"), default="1-5", choices=choices([
        ("1-5", _l("1–5 (very unimportant … very important)")), ("1-9", _l("1–9")), ("0-10", _l("0–10")),
        ("custom", _l("Custom"))]))
    scale_min = IntegerField(_l("Lowest"), validators=[Optional(), NumberRange(0, 10)], default=1)
    scale_max = IntegerField(_l("Highest"), validators=[Optional(), NumberRange(0, 10)], default=5)
    scope = RadioField(_l("Indicators rated in this round"), default="all")
    allow_comments = BooleanField(_l("Experts may comment on each indicator"), default=True)
    allow_proposals = BooleanField(_l("Experts may propose new indicators or changes"), default=True)
    allow_no_opinion = BooleanField(
        _l("Offer “No opinion / outside my expertise” (不熟悉，不评价)"), default=True,
        description=_l("Counts as a missing answer, not as a rating."))
    drop_consensus_items = BooleanField(
        _l("Indicators that reached consensus in the previous round leave this round"), default=False)
    prefill_answers = BooleanField(
        _l("Preselect each expert's answer of the previous round (marked; they can change it)"), default=True,
        description=_l("From round 2 on. Experts then only change what they want to revise."))
    feedback_by_group = BooleanField(
        _l("Experts also see their own stakeholder group's result"), default=False,
        description=_l("From round 2 on, beside the whole panel's result: the median, IQR and number of answers "
                       "of the expert's group, shown only when enough experts of the group answered."))

    def __init__(self, *args, scopes=(), zone: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.scope.choices = choices(scopes)
        self.zone = zone  # the study's time zone: times are typed and shown in it

    def validate_scale_max(self, field):
        if self.scale.data == "custom":
            lo, hi = self.scale_min.data, self.scale_max.data
            if lo is None or hi is None:
                raise ValidationError(_l("Give both ends of the custom scale."))
            if not lo < hi:
                raise ValidationError(_l("The scale must run upwards (e.g. from 1 to 7)."))

    def settings(self) -> dict:
        """The service's keyword arguments, times converted to aware UTC."""
        lo, hi = SCALES.get(self.scale.data, (self.scale_min.data, self.scale_max.data))
        return {
            "title": (self.title.data or "").strip(),
            "instructions": self.instructions.data or "",
            "scale_min": lo, "scale_max": hi,
            "allow_comments": bool(self.allow_comments.data),
            "allow_proposals": bool(self.allow_proposals.data),
            "allow_no_opinion": bool(self.allow_no_opinion.data),
            "drop_consensus_items": bool(self.drop_consensus_items.data),
            "prefill_answers": bool(self.prefill_answers.data),
            "feedback_by_group": bool(self.feedback_by_group.data),
            "opens_at": timezones.to_utc(self.opens_at.data, self.zone),
            "closes_at": timezones.to_utc(self.closes_at.data, self.zone),
            "reminder_hours": self.reminder_hours.data,
        }

    def load(self, rnd, scope: str) -> None:
        """Fill the form from a stored round (GET of the edit page)."""
        self.title.data = rnd.title
        self.instructions.data = rnd.instructions
        key = f"{rnd.scale_min}-{rnd.scale_max}"
        self.scale.data = key if key in SCALES else "custom"
        self.scale_min.data, self.scale_max.data = rnd.scale_min, rnd.scale_max
        self.scope.data = scope
        for name in ("allow_comments", "allow_proposals", "allow_no_opinion", "drop_consensus_items"):
            getattr(self, name).data = getattr(rnd, name)
        self.prefill_answers.data = round_settings.settings_of(rnd).prefill_answers
        self.feedback_by_group.data = bool((rnd.settings or {}).get("feedback_by_group", False))
        self.opens_at.data = _naive(timezones.to_local(rnd.opens_at, self.zone))
        self.closes_at.data = _naive(timezones.to_local(rnd.closes_at, self.zone))
        self.reminder_hours.data = rnd.reminder_hours


class RoundItemsForm(BaseForm):
    nodes = SelectMultipleField(_l("Indicators in this round"), coerce=int)

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.nodes.choices = choices([(n.id, n.code) for n in candidates])

    def validate_nodes(self, field):
        if not field.data:
            raise ValidationError(_l("A round needs at least one indicator."))


DECISIONS = (("", _l("Undecided")), ("keep", _l("Keep")), ("drop", _l("Drop")), ("reword", _l("Reword")))


def decisions_form(items, formdata=None):
    """One select and one note per item of a closed round, named ``decision-<item id>``, ``note-<item id>``."""

    class DecisionsForm(BaseForm):
        def decisions(self) -> dict[int, tuple[str | None, str]]:
            return {item.id: (self[f"decision-{item.id}"].data or None, self[f"note-{item.id}"].data or "")
                    for item in items}

    for item in items:
        setattr(DecisionsForm, f"decision-{item.id}", SelectField(
            _l("Decision"), choices=choices(DECISIONS), default=item.decision.value if item.decision else ""))
        setattr(DecisionsForm, f"note-{item.id}", StringField(
            _l("Note"), validators=[Length(max=2000)], default=item.decision_note or ""))
    return DecisionsForm(formdata)


class AcceptProposalForm(BaseForm):
    """One per proposal on the page, so its fields carry a prefix (``p<id>-code``).

    Its CSRF token is the page's plain ``csrf_token`` field, checked by the
    global check before the view runs (a prefixed token field would not be);
    the view is therefore not marked ``keeps_data_on_csrf_failure``.
    """

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[Optional(), Length(max=300)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=300)])
    parent = SelectField(_l("Place under"), coerce=int)
    description_zh = TextAreaField(_l("Description (Chinese)"), validators=[Optional(), Length(max=5000)])
    description_en = TextAreaField(_l("Description (English)"), validators=[Optional(), Length(max=5000)])

    def __init__(self, *args, parents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.parent.choices = choices(parents)

    @classmethod
    def for_proposal(cls, proposal, parents, formdata=None):
        return cls(formdata, prefix=f"p{proposal.id}", parents=parents, meta={"csrf": False})

    @property
    def csrf_expired(self) -> bool:
        return False

    def validate(self, extra_validators=None) -> bool:
        return super().validate(extra_validators) & has_a_name(self)


class StoppingRuleForm(BaseForm):
    max_rounds = IntegerField(_l("Round limit"), validators=[DataRequired(), NumberRange(1, 20)],
                              description=_l("The study may stop once this many rounds are done."))
    stability_alpha = FloatField(
        _l("Stability level α"), validators=[DataRequired(), NumberRange(0.001, 0.5)],
        description=_l("An indicator is stable when the ratings of two rounds do not differ "
                       "significantly at this level (Wilcoxon signed-rank test)."))
