"""Forms of round 0 (the open proposals round): the coordinator's round form and
decisions, the expert's proposal form and general comment."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from webapp.forms.base import BaseForm, choices
from webapp.forms.rounds import RoundScheduleForm, has_a_name
from webapp.services import timezones
from webapp.services.answers import MAX_COMMENT

PROPOSAL_KINDS = (("add", _l("A new indicator")), ("reword", _l("Reword an indicator")),
                  ("merge", _l("Merge an indicator into another")), ("drop", _l("Drop an indicator")))


class RoundZeroForm(RoundScheduleForm):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=300)],
                        description=_l("Shown to the experts. Leave empty to call it “Round 0”."))
    instructions = TextAreaField(
        _l("Instructions for the experts (Markdown)"), validators=[Length(max=20000)],
        description=_l("What you ask of the panel, e.g. which aspects the indicator system should cover."))

    def __init__(self, *args, zone: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone

    def load(self, rnd) -> None:
        """Fill the form from a stored draft round 0 (GET of the edit page), times in the study's zone."""
        self.title.data, self.instructions.data = rnd.title, rnd.instructions
        self.reminder_hours.data = rnd.reminder_hours
        for name in ("opens_at", "closes_at"):
            value = timezones.to_local(getattr(rnd, name), self.zone)
            getattr(self, name).data = None if value is None else value.replace(tzinfo=None)

    def settings(self) -> dict:
        return {"title": (self.title.data or "").strip(), "instructions": self.instructions.data or "",
                "opens_at": timezones.to_utc(self.opens_at.data, self.zone),
                "closes_at": timezones.to_utc(self.closes_at.data, self.zone),
                "reminder_hours": self.reminder_hours.data}


class ExpertProposalForm(BaseForm):
    """One proposal of round 0; which indicator field counts depends on the kind."""

    kind = SelectField(_l("What do you propose?"), choices=choices(PROPOSAL_KINDS), default="add")
    text = StringField(_l("Name of the indicator, or the new wording"),
                       validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("What it measures (optional)"), validators=[Optional(), Length(max=MAX_COMMENT)])
    parent = SelectField(_l("Where it belongs (under)"), choices=[], validators=[Optional()])
    node = SelectField(_l("Indicator concerned"), choices=[], validators=[Optional()],
                       description=_l("For a merge: the indicator that joins another; name the other one "
                                      "in the text."))
    rationale = TextAreaField(_l("Why (optional)"), validators=[Optional(), Length(max=MAX_COMMENT)])

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.parent.choices = choices([("", "—")] + list(targets))
        self.node.choices = choices([("", "—")] + list(targets))

    def validate_parent(self, field):
        if self.kind.data == "add" and not field.data:
            raise ValidationError(_l("Say where the new indicator belongs."))

    def validate_node(self, field):
        if self.kind.data != "add" and not field.data:
            raise ValidationError(_l("Choose the indicator your proposal is about."))

    def proposal(self) -> dict:
        add = self.kind.data == "add"
        ref = self.parent.data if add else self.node.data
        node_id = int(ref) if ref and str(ref).isdigit() else None
        return {"kind": self.kind.data, "text": self.text.data or "", "description": self.description.data or "",
                "rationale": self.rationale.data or "", "node_id": None if add else node_id,
                "parent_node_id": node_id if add else None}


class CommentForm(BaseForm):
    comment = TextAreaField(_l("General comments"), validators=[Optional(), Length(max=MAX_COMMENT)],
                            description=_l("On the study, its aim or the indicator system as a whole."))


class _PerProposal(BaseForm):
    """A form per proposal on the page (prefixed ``p<id>-``); the page's plain ``csrf_token``
    is checked by the global check before the view runs."""

    @classmethod
    def for_proposal(cls, proposal, formdata=None, **kwargs):
        return cls(formdata, prefix=f"p{proposal.id}", meta={"csrf": False}, **kwargs)

    @property
    def csrf_expired(self) -> bool:
        return False


class RewordForm(_PerProposal):
    name_zh = StringField(_l("Name (Chinese)"), validators=[Optional(), Length(max=300)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=300)])

    def validate(self, extra_validators=None) -> bool:
        return super().validate(extra_validators) & has_a_name(self)


class MergeForm(_PerProposal):
    into = SelectField(_l("Same as"), coerce=int, validators=[DataRequired()])

    def __init__(self, *args, others=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.into.choices = choices(others)


class RejectForm(_PerProposal):
    note = StringField(_l("Note (why)"), validators=[Optional(), Length(max=2000)])
