"""Wording versioned per round: each round keeps the names and descriptions it asked
(``RoundItem.asked_*``, written when it opens), so an indicator can be reworded between
rounds without changing what earlier rounds asked. Experts see what changed since the
previous round: new items, reworded items (the earlier wording on request) and the
items that left. Services flush; the caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Node, Round, RoundItem, RoundKind, RoundStatus
from webapp.services import audit


class WordingError(ValueError):
    """A refused rewording; the message is shown."""


def snapshot(rnd: Round) -> None:
    """Keep the wording each item asks (when the round opens)."""
    for item in rnd.items:
        node = item.node
        item.asked_name_zh, item.asked_name_en = node.name_zh, node.name_en
        item.asked_description_zh, item.asked_description_en = node.description_zh, node.description_en
    db.session.flush()


def reword(node: Node, *, name_zh: str, name_en: str, description_zh: str = "", description_en: str = "") -> None:
    """New wording for an indicator between rounds (no round open); earlier rounds keep
    the wording they asked. Audited with the old and the new wording."""
    name_zh, name_en = (name_zh or "").strip(), (name_en or "").strip()
    if not (name_zh or name_en):
        raise WordingError(_("Give the indicator a name."))
    if len(name_zh) > 300 or len(name_en) > 300:
        raise WordingError(_("A name is longer than 300 characters."))
    if db.session.scalar(select(Round.id).where(Round.study_id == node.study_id,
                                                Round.status == RoundStatus.open).limit(1)):
        raise WordingError(_("Reword between rounds: a round is open now."))
    old = {"name_zh": node.name_zh, "name_en": node.name_en,
           "description_zh": node.description_zh, "description_en": node.description_en}
    new = {"name_zh": name_zh, "name_en": name_en, "description_zh": (description_zh or "").strip(),
           "description_en": (description_en or "").strip()}
    if new == old:
        return
    for key, value in new.items():
        setattr(node, key, value)
    db.session.flush()
    audit.record("node.reword", study=node.study, target=f"node:{node.code}", details={"old": old, "new": new})


def latest_earlier_round(rnd: Round) -> Round | None:
    """The latest Delphi round before ``rnd`` that is not a draft."""
    return db.session.scalar(select(Round).where(
        Round.study_id == rnd.study_id, Round.kind == RoundKind.delphi, Round.number < rnd.number,
        Round.status != RoundStatus.draft).order_by(Round.number.desc()).limit(1))


@dataclass
class Changes:
    previous: Round | None
    new: set[int]                      # node ids not asked in the previous round
    reworded: dict[int, dict]          # node id -> the previous round's wording
    left: list[RoundItem]              # previous round's items this round no longer asks


def changes(rnd: Round, *, previous: Round | None = ...) -> Changes:
    """What changed since the previous Delphi round (nothing for round 1).

    ``previous``: that round (the latest earlier Delphi round that is not a draft) when the
    caller has read it already (``questionnaire.earlier_rounds``); by default it is looked up."""
    if previous is ...:
        previous = latest_earlier_round(rnd)
    if previous is None:
        return Changes(None, set(), {}, [])
    before = {item.node_id: item for item in previous.items}
    now = {item.node_id: item for item in rnd.items}
    reworded = {}
    for node_id, item in now.items():
        old = before.get(node_id)
        if old is not None:
            was, is_ = old.asked(), item.asked()
            if (was["name_zh"], was["name_en"], was["description_zh"], was["description_en"]) != (
                    is_["name_zh"], is_["name_en"], is_["description_zh"], is_["description_en"]):
                reworded[node_id] = was
    return Changes(previous, set(now) - set(before), reworded,
                   [item for node_id, item in before.items() if node_id not in now])
