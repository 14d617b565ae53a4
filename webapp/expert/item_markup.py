"""The questionnaire's items as markup, kept between requests (issue 16: the page under 20 ms).

Rendering the 63 items of the seed questionnaire through Jinja cost about half of the page.
Yet an item looks the same for every expert who chose the same answer: what differs is only
the expert's own texts (comment, reason) and, from round 2, the feedback panel (the expert's
own last answer is drawn in it). So each item is rendered once by the macro of
``templates/expert/_item.html`` with markers where those go, split at the markers, and the
pieces are kept in a bounded in-process LRU (:data:`ITEMS`, one per worker) under an
:class:`ItemView`: every value the item's markup is made of except the expert's texts — the
language, the indicator's code, name and description, the wording changes, the scale and the
round's options, the chosen answer, the group's quartiles, the prefilled note. Like
``services/memo.py``'s figures, the key is the content: anything that changes (an indicator
renamed, a setting, the language, the answer chosen) makes another key, so nothing is ever
invalidated and nothing stale is shown. No entry holds anything of one expert but which answer
is chosen: the comment and reason are escaped into each page (:meth:`PageItems.section`) and
never kept, and the feedback panel is left to the page's template.

An item with errors of a refused post, or with a posted answer outside the scale, is rendered
the same way but not kept.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from flask import get_template_attribute
from jinja2.filters import do_int
from markupsafe import Markup, escape

from webapp.expert.blueprint import bp
from webapp.services.memo import Memo

#: Rendered items (each a tuple of pieces): 63 items × 2 languages × a few answers per round.
ITEMS = Memo(4096)

SLOTS = ("comment", "reason", "feedback")
_MARKERS = {name: Markup(f"<!--q:{name}-->") for name in SLOTS}
# Escaped text (names, descriptions, messages) cannot contain "<": only the macro writes a marker.
_MARKER = re.compile(r"<!--q:(comment|reason|feedback)-->")
_NO_ERRORS = ((), (), ())


class ItemView(NamedTuple):
    """Everything one item's markup shows, but the expert's own texts: the key of :data:`ITEMS`."""

    locale: str
    nid: int
    code: str
    name: str
    description: str | None
    badge: str                      # "new", "reworded" or ""
    reworded: bool                  # the previous round's wording is shown on request
    was_name: str | None
    was_description: str | None
    previous_number: int | None
    lo: int
    hi: int
    allow_no_opinion: bool
    allow_comments: bool
    chosen: str                     # "" none, "3", "na"
    missing: bool                   # marked as still needing an answer (a refused submit)
    prefilled_note: str             # "" unless preselected from the previous round
    comment_open: bool
    has_feedback: bool
    q1: float | None
    q3: float | None
    q1_text: str
    q3_text: str
    reason_open: bool


class FeedbackSlot(NamedTuple):
    """Where the page's template draws an item's feedback panel (the expert's own in it)."""

    nid: int
    fb: object
    chart: object


def _pieces(view: ItemView, errors) -> tuple[str, ...]:
    """The item rendered with markers: (text, slot name, text, slot name, …, text)."""
    macro = get_template_attribute("expert/_item.html", "q_item")
    html = str(macro(view, _MARKERS["comment"], _MARKERS["reason"], _MARKERS["feedback"], errors))
    pieces = tuple(_MARKER.split(html))
    expected = (["feedback", "reason"] if view.has_feedback else []) + (["comment"] if view.allow_comments else [])
    if list(pieces[1::2]) != expected:
        raise RuntimeError(f"expert/_item.html wrote the markers {pieces[1::2]}, not {expected}")
    return pieces


class PageItems:
    """One page's items: per section, the markup of its items with the expert's texts put in."""

    def __init__(self, *, rnd, locale: str, states: dict, feedback: dict, changes, prefilled,
                 prefilled_note: str, missing_ids):
        self.rnd, self.locale, self.states, self.feedback = rnd, locale, states, feedback or {}
        self.changes, self.prefilled, self.missing_ids = changes, prefilled or (), missing_ids or ()
        self.prefilled_note = prefilled_note
        self.scale = (rnd.scale_min, rnd.scale_max, bool(rnd.allow_no_opinion), bool(rnd.allow_comments))
        self.answers = {""} | {str(v) for v in range(rnd.scale_min, rnd.scale_max + 1)} | (
            {"na"} if rnd.allow_no_opinion else set())

    def _wording(self, nid: int) -> tuple:
        """(badge, reworded, the earlier name and description, the previous round's number)."""
        changes = self.changes
        previous = changes.previous if changes else None
        if previous is None:
            return "", False, None, None, None
        was = changes.reworded.get(nid)
        badge = "new" if nid in changes.new else "reworded" if was is not None else ""
        if was is None:
            return badge, False, None, None, previous.number
        zh = self.locale == "zh"
        name = (was["name_zh"] or was["name_en"]) if zh else (was["name_en"] or was["name_zh"])
        description = ((was["description_zh"] or was["description_en"]) if zh
                       else (was["description_en"] or was["description_zh"]))
        return badge, True, name, description, previous.number

    def view(self, row, state) -> tuple[ItemView, FeedbackSlot | None]:
        nid = row.node_id
        fb = self.feedback.get(nid)
        chart = fb.chart if fb is not None and not fb.withheld else None
        chosen = state.chosen
        if fb is not None:
            outside = chosen and chosen != "na" and fb.outside_iqr(do_int(chosen))
            reason_open = bool(outside or state.reason)
        else:
            reason_open = False
        lo, hi, no_opinion, comments = self.scale
        view = ItemView(
            self.locale, nid, row.code, row.name, row.description, *self._wording(nid), lo, hi, no_opinion,
            comments, chosen, nid in self.missing_ids,
            self.prefilled_note if (nid in self.prefilled and chosen) else "",
            bool(state.comment or state.comment_errors), fb is not None,
            fb.q1 if fb is not None else None, fb.q3 if fb is not None else None,
            chart.q1_text if chart is not None else "–", chart.q3_text if chart is not None else "–", reason_open)
        return view, (FeedbackSlot(nid, fb, chart) if fb is not None else None)

    def section(self, section) -> list:
        """The section's items: Markup, with a :class:`FeedbackSlot` where a feedback panel goes."""
        chunks, text = [], []
        for row in section.rows(self.locale):
            state = self.states[row.node_id]
            view, slot = self.view(row, state)
            errors = (state.rating_errors, state.comment_errors, state.reason_errors)
            if any(errors) or state.chosen not in self.answers:
                pieces = _pieces(view, errors)     # a refused post's item: shown, not kept
            else:
                pieces = ITEMS.lookup(view)
                if pieces is None:
                    pieces = _pieces(view, _NO_ERRORS)
                    ITEMS.put(view, pieces)
            for k, piece in enumerate(pieces):
                if not k % 2:
                    text.append(piece)
                elif piece == "comment":
                    text.append(escape(state.comment))
                elif piece == "reason":
                    text.append(escape(state.reason))
                else:
                    chunks.append(Markup("".join(text)))
                    chunks.append(slot)
                    text = []
        chunks.append(Markup("".join(text)))
        return chunks


@bp.app_template_global("questionnaire_items")
def questionnaire_items(**kwargs) -> PageItems:
    """For ``expert/questionnaire.html`` (the expert's page and the coordinator's preview)."""
    return PageItems(**kwargs)
