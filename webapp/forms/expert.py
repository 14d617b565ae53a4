"""The expert's questionnaire form: one rating group, comment and reason per item,
built for the round it asks about, plus the proposal fields.

Works as a plain form post without JavaScript (the autosave API takes the same
answers as JSON). The round services decide what an answer may be; the form
only reads the post and keeps it for a re-render.
"""
from __future__ import annotations

from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from webapp.forms.base import BaseForm, choices
from webapp.services.answers import MAX_COMMENT
from webapp.services.inputs import clean_text

NO_OPINION = "na"
ACTIONS = ("save", "submit", "propose")
NBSP = "\u00a0"


class ItemState(NamedTuple):
    """What one item's inputs show: the chosen rating (``""`` none, ``"3"``, ``"na"``), the
    comment and reason texts, and each field's errors after a refused post."""

    chosen: str
    comment: str
    reason: str
    rating_errors: tuple = ()
    comment_errors: tuple = ()
    reason_errors: tuple = ()


class QuestionnaireBase(BaseForm):
    action = StringField()  # the name of the button pressed: save, submit or propose
    proposal_kind = SelectField(_l("Kind of proposal"), choices=[], validators=[Optional()])
    proposal_node = SelectField(_l("Indicator concerned (optional)"), choices=[], validators=[Optional()],
                                description=_l("For a new indicator: the indicator it belongs under."))
    proposal_text = TextAreaField(_l("Your proposal"), validators=[Length(max=MAX_COMMENT)],
                                  description=_l("For a new indicator, its name and what it measures; "
                                                 "for a merge, the indicators to merge."))
    proposal_rationale = TextAreaField(_l("Rationale (optional)"), validators=[Length(max=MAX_COMMENT)])

    round = None
    node_ids: list[int] = []
    item_data: dict | None = None   # a GET's stored answers (no item field bound): see item_states

    def item_states(self) -> dict[int, ItemState]:
        """Per node id, what the item's inputs show: read from the bound fields (a post
        re-rendered) or, on a GET built by :func:`questionnaire_page_form`, from the plain
        stored answers — the same values the bound fields would hold, without binding
        three fields per item."""
        states = {}
        if self.item_data is not None:
            data = self.item_data
            for node_id in self.node_ids:
                states[node_id] = ItemState(data.get(f"rate_{node_id}") or "",
                                            clean_text(data.get(f"comment_{node_id}") or ""),
                                            clean_text(data.get(f"reason_{node_id}") or ""))
            return states
        fields = self._fields
        for node_id in self.node_ids:
            rating, comment, reason = fields[f"rate_{node_id}"], fields.get(f"comment_{node_id}"), \
                fields[f"reason_{node_id}"]
            chosen = rating.data if rating.data not in (None, "None") else ""
            states[node_id] = ItemState(
                str(chosen), (comment.data or "") if comment is not None else "", reason.data or "",
                tuple(rating.errors), tuple(comment.errors) if comment is not None else (), tuple(reason.errors))
        return states

    # -- the fields of one item --
    def rating(self, node_id: int):
        return self[f"rate_{node_id}"]

    def comment(self, node_id: int):
        return self._fields.get(f"comment_{node_id}")

    def reason(self, node_id: int):
        return self[f"reason_{node_id}"]

    @property
    def chosen_action(self) -> str:
        value = (self.action.data or "").strip()
        return value if value in ACTIONS else "save"

    def answers(self, stored: set[int]) -> list[dict]:
        """The posted answers as ``save_answers`` takes them.

        An item the expert has not touched (no rating, no text, nothing stored
        yet) is left out, so a post never creates empty rows.
        """
        answers = []
        for node_id in self.node_ids:
            answer: dict = {"node_id": node_id}
            chosen = self.rating(node_id).data
            if chosen == NO_OPINION:
                answer["no_opinion"] = True
            elif chosen not in (None, "", "None"):
                try:
                    answer.update(value=int(chosen), no_opinion=False)
                except ValueError:
                    answer["value"] = chosen  # refused by the service with its message
            comment = self.comment(node_id)
            if comment is not None and comment.raw_data:
                answer["comment"] = comment.data or ""
            reason = self.reason(node_id)
            if reason.raw_data:
                answer["reason"] = reason.data or ""
            touched = len(answer) > 1 and (
                "value" in answer or "no_opinion" in answer
                or any((answer.get(k) or "").strip() for k in ("comment", "reason")))
            if touched or node_id in stored:
                answers.append(answer)
        return answers

    def proposal(self) -> dict | None:
        """The posted proposal for ``add_proposal``, or None if none was written."""
        text = (self.proposal_text.data or "").strip()
        if not text and self.chosen_action != "propose":
            return None
        target = self.proposal_node.data
        node_id = int(target) if target and str(target).isdigit() else None
        kind = self.proposal_kind.data or "add"
        return {"kind": kind, "text": text, "rationale": self.proposal_rationale.data or "",
                "node_id": None if kind == "add" else node_id,
                "parent_node_id": node_id if kind == "add" else None}


def scale_values(rnd) -> list[int]:
    return list(range(rnd.scale_min, rnd.scale_max + 1))


_FORM_CLASSES: dict[tuple, type] = {}   # the form class of each questionnaire shape, built once
MAX_FORM_CLASSES = 256


def _form_class(node_ids: tuple[int, ...], values: tuple[str, ...], comments: bool) -> type:
    """The form class with one rating, comment and reason field per item. It depends on
    nothing but its key (the items, the scale, whether comments are taken), so it is
    built once per shape: 190 unbound fields on the seed questionnaire."""
    key = (node_ids, values, comments)
    form_class = _FORM_CLASSES.get(key)
    if form_class is None:
        rating_choices = choices([(v, v) for v in values])
        attrs = {}
        for node_id in node_ids:
            attrs[f"rate_{node_id}"] = RadioField(choices=rating_choices, validators=[Optional()],
                                                  validate_choice=False)
            if comments:
                attrs[f"comment_{node_id}"] = TextAreaField(validators=[Length(max=MAX_COMMENT)])
            attrs[f"reason_{node_id}"] = TextAreaField(validators=[Length(max=MAX_COMMENT)])
        form_class = type("QuestionnaireForm", (QuestionnaireBase,), attrs)
        if len(_FORM_CLASSES) >= MAX_FORM_CLASSES:
            _FORM_CLASSES.clear()
        _FORM_CLASSES[key] = form_class
    return form_class


def questionnaire_form(rnd, *, formdata=None, data=None, kind_labels=None, targets=None,
                       node_ids: list[int] | None = None) -> QuestionnaireBase:
    """A form for ``rnd``'s items, instantiated with the post or the stored answers.

    ``kind_labels``: {kind: label} for proposals; ``targets``: [(value, label)]; ``node_ids``: the
    round's items' indicators in order, when read already (else from ``rnd.items``).
    """
    values = tuple(str(v) for v in scale_values(rnd)) + ((NO_OPINION,) if rnd.allow_no_opinion else ())
    node_ids = list(node_ids) if node_ids is not None else [item.node_id for item in rnd.items]
    form = _form_class(tuple(node_ids), values, bool(rnd.allow_comments))(formdata, data=data or {})
    form.round = rnd
    form.node_ids = node_ids
    form.proposal_kind.choices = choices(list((kind_labels or {}).items()))
    form.proposal_node.choices = choices([("", "—")] + list(targets or []))
    return form


def questionnaire_page_form(rnd, *, data: dict, kind_labels=None, targets=None,
                            node_ids: list[int] | None = None) -> QuestionnaireBase:
    """The questionnaire page's form on a GET: the CSRF token and the proposal fields bound,
    the items' answers kept as the plain stored ``data`` (:func:`initial_data`) that
    :meth:`QuestionnaireBase.item_states` reads — 190 fields on the seed questionnaire are
    not bound to be rendered once. The post is read and validated by :func:`questionnaire_form`.
    ``node_ids``: the round's items' indicators already read (else from ``rnd.items``)."""
    form = QuestionnaireBase(data=data)
    form.round = rnd
    form.node_ids = node_ids if node_ids is not None else [item.node_id for item in rnd.items]
    form.item_data = data
    form.proposal_kind.choices = choices(list((kind_labels or {}).items()))
    form.proposal_node.choices = choices([("", "—")] + list(targets or []))
    return form


def initial_data(ratings: dict) -> dict:
    """The stored answers ({node id: Rating}) as the form's initial data."""
    data = {}
    for node_id, rating in ratings.items():
        if rating.no_opinion:
            data[f"rate_{node_id}"] = NO_OPINION
        elif rating.value is not None:
            data[f"rate_{node_id}"] = str(rating.value)
        data[f"comment_{node_id}"] = rating.comment or ""
        data[f"reason_{node_id}"] = rating.reason or ""
    return data


def target_choices(targets, locale: str) -> list[tuple[str, str]]:
    """[(node, depth)] as indented choices for "indicator concerned"."""
    return [(str(node.id), f"{NBSP * 2 * max(depth - 1, 0)}{node.code} {node.name(locale)}")
            for node, depth in targets]
