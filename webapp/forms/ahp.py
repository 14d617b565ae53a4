"""The coordinator's AHP round form: schedule, blocks and the analysis settings."""
from __future__ import annotations

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
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from webapp.forms.base import BaseForm, choices
from webapp.forms.rounds import DATETIME_FORMAT
from webapp.services import ahp_settings, timezones


def _pairs(mapping):
    return choices(list(mapping.items()))


class AhpRoundForm(BaseForm):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=300)])
    instructions = TextAreaField(_l("Instructions for the experts (Markdown)"), validators=[Length(max=20000)])
    blocks = SelectMultipleField(_l("Blocks (sibling groups) to compare"), coerce=int,
                                 validators=[DataRequired(_l("Choose at least one block."))])
    method = RadioField(_l("How experts weigh each block"), default="ahp",  # g1bwm hook
                        choices=_pairs(ahp_settings.BLOCK_METHODS))
    priority_method = RadioField(_l("Priority method"), default="eigen", choices=_pairs(ahp_settings.PRIORITY_METHODS))
    consistency = RadioField(_l("Consistency rule"), default="cr", choices=_pairs(ahp_settings.CONSISTENCY_RULES))
    threshold = FloatField(_l("CR threshold"), default=0.10, validators=[Optional(), NumberRange(0.01, 0.5)])
    over_threshold = RadioField(_l("Over the limit"), default="revise", choices=_pairs(ahp_settings.OVER_THRESHOLD))
    aggregation = RadioField(_l("Group aggregation"), default="aij", choices=_pairs(ahp_settings.AGGREGATIONS))
    expert_weights = RadioField(_l("Expert weights"), default="equal", choices=_pairs(ahp_settings.EXPERT_WEIGHTS))
    manual_weights = TextAreaField(
        _l("Weights set by hand"), validators=[Optional(), Length(max=5000)],
        description=_l("One expert per line: expert number and weight, e.g. “E01 2”. Experts not listed weigh 1."))
    censor_cr = BooleanField(_l("Leave experts over the consistency limit out of the group result"))
    allow_incomplete = BooleanField(
        _l("Accept incomplete blocks (every indicator linked by comparisons; completed by Harker's method)"))
    resamples = IntegerField(_l("Bootstrap resamples"), default=1000, validators=[Optional(), NumberRange(0, 10000)])
    noise = FloatField(_l("Judgment noise in the bootstrap (sd of ln a_ij; 0 = none)"), default=0.0,
                       validators=[Optional(), NumberRange(0, 2)])
    seed = IntegerField(_l("Random seed"), default=0, validators=[Optional(), NumberRange(0, 2**31 - 1)])
    stop_s_star = FloatField(_l("Stop when S* is at least"), default=0.75, validators=[Optional(), NumberRange(0, 1)])
    stop_change = FloatField(_l("and no group weight changes by more than"), default=0.02,
                             validators=[Optional(), NumberRange(0, 1)])
    stop_rounds = IntegerField(_l("or after this many AHP rounds"), default=3, validators=[Optional(), NumberRange(1, 20)])
    closes_at = DateTimeLocalField(_l("Closes (deadline)"), format=DATETIME_FORMAT, validators=[Optional()])
    reminder_hours = IntegerField(_l("Reminder e-mail, hours before closing"), validators=[Optional(), NumberRange(1, 720)])

    def __init__(self, *args, groups=(), zone: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.blocks.choices = choices([(p.id, p.code) for p, _kids in groups])
        self.zone = zone  # the study's time zone: times are typed and shown in it

    def manual(self) -> dict:
        out = {}
        for line in (self.manual_weights.data or "").splitlines():
            parts = line.replace(",", " ").replace("\t", " ").split()
            if len(parts) == 2:
                out[parts[0]] = parts[1]
            elif parts:
                out[line.strip()] = "x"  # refused by the settings check, naming manual_weights
        return out

    def options(self) -> dict:
        return {
            "method": self.method.data or "ahp",
            "priority_method": self.priority_method.data, "consistency": self.consistency.data,
            "threshold": self.threshold.data if self.threshold.data is not None else 0.10,
            "over_threshold": self.over_threshold.data, "aggregation": self.aggregation.data,
            "expert_weights": self.expert_weights.data, "manual_weights": self.manual(),
            "censor_cr": bool(self.censor_cr.data), "allow_incomplete": bool(self.allow_incomplete.data),
            "bootstrap": {"resamples": self.resamples.data if self.resamples.data is not None else 1000,
                          "seed": self.seed.data or 0, "noise": self.noise.data or 0.0},
            "stopping": {"s_star": self.stop_s_star.data if self.stop_s_star.data is not None else 0.75,
                         "max_change": self.stop_change.data if self.stop_change.data is not None else 0.02,
                         "max_rounds": self.stop_rounds.data or 3},
        }

    def schedule(self) -> dict:
        return {"title": (self.title.data or "").strip(), "instructions": self.instructions.data or "",
                "closes_at": timezones.to_utc(self.closes_at.data, self.zone),
                "reminder_hours": self.reminder_hours.data}

    def load(self, rnd, options: dict) -> None:
        self.title.data, self.instructions.data = rnd.title, rnd.instructions
        self.blocks.data = [item.node_id for item in rnd.items]
        self.method.data = options.get("method", "ahp")
        for key in ("priority_method", "consistency", "threshold", "over_threshold", "aggregation",
                    "expert_weights", "censor_cr", "allow_incomplete"):
            getattr(self, key).data = options[key]
        self.manual_weights.data = "\n".join(f"{k} {v:g}" for k, v in options["manual_weights"].items())
        b, s = options["bootstrap"], options["stopping"]
        self.resamples.data, self.seed.data, self.noise.data = b["resamples"], b["seed"], b["noise"]
        self.stop_s_star.data, self.stop_change.data, self.stop_rounds.data = s["s_star"], s["max_change"], s["max_rounds"]
        local = timezones.to_local(rnd.closes_at, self.zone)
        self.closes_at.data = local.replace(tzinfo=None) if local is not None else None
        self.reminder_hours.data = rnd.reminder_hours
