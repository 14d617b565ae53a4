"""The blocks of an AHP round and what it freezes at opening (options, blocks, expert weights).

No lifecycle here, so ``round_settings`` can ask it what an AHP round freezes without an
import cycle; ``ahp_rounds`` builds on it. Reads only.
"""
from __future__ import annotations

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import select

import delphi
from webapp.extensions import db
from webapp.models import Expert, Node, Round, Study
from webapp.services import ahp_settings, tree


class BlockError(ValueError):
    """A refused choice of blocks; the message is shown to the coordinator."""


# --- the blocks of the current indicator system ------------------------------------------------

def sibling_groups(study: Study) -> list[tuple[Node, list[Node]]]:
    """Every active node with two or more active children, level by level (hierarchy order)."""
    dropped = tree.dropped_ids(study)
    active = [n for n in tree.questionnaire_order(study) if n.id not in dropped]
    kids: dict[int, list[Node]] = {}
    for node in active:
        if node.parent_id is not None:
            kids.setdefault(node.parent_id, []).append(node)
    for siblings in kids.values():
        siblings.sort(key=lambda n: (n.position, n.code))
    return [(n, kids[n.id]) for n in active if len(kids.get(n.id, [])) >= 2]


def _blocks_setting(groups) -> list[dict]:
    return [{"parent": p.id, "code": p.code, "children": [c.id for c in kids]} for p, kids in groups]


def choose_groups(study: Study, *, parent_ids=None, levels=None) -> list[tuple[Node, list[Node]]]:
    groups = sibling_groups(study)
    if levels:
        depths = tree.node_depths(study)
        groups = [(p, k) for p, k in groups if depths[p.id] + 1 in set(levels)]
    if parent_ids is not None:
        wanted = {int(i) for i in parent_ids}
        unknown = wanted - {p.id for p, _ in groups}
        if unknown:
            raise BlockError(_("A chosen group is not a sibling group of this study's indicator system."))
        groups = [(p, k) for p, k in groups if p.id in wanted]
    if not groups:
        raise BlockError(_("There is no group of two or more indicators to compare."))
    return groups


def options_of(rnd: Round) -> dict:
    """The round's AHP options (defaults filled in), blocks and, once open, frozen weights."""
    raw = dict((rnd.settings or {}).get("ahp") or {})
    extra = {k: raw.pop(k) for k in ("blocks", "weights", "weights_source") if k in raw}
    out = ahp_settings.normalize(raw)
    out.update(extra)
    return out


# --- expert weights, frozen at opening ------------------------------------------------------------

def resolve_weights(study: Study, experts: list[Expert], options: dict, tables=None) -> tuple[dict, str]:
    """{pseudonym: weight} by the round's rule: equal, the authority coefficient Cr, or by hand.

    Cr = (Ca + Cs)/2 from the expert's self-assessment (``delphi.authority``); an
    expert without one gets the panel's mean Cr (or 1 if nobody has one).
    """
    rule = options["expert_weights"]
    if rule == "manual":
        manual = options.get("manual_weights") or {}
        return {e.pseudonym: float(manual.get(e.pseudonym, 1.0)) for e in experts}, "manual"
    if rule == "authority":
        ready = [e for e in experts if e.familiarity and e.basis]
        weights: dict = {}
        if ready:
            basis, familiarity = tables if tables else (delphi.DEFAULT_BASIS_TABLE, delphi.DEFAULT_FAMILIARITY_SCALE)
            result = delphi.authority([e.basis for e in ready], [e.familiarity for e in ready], basis, familiarity)
            weights = {e.pseudonym: float(c) for e, c in zip(ready, result.cr)}
        fill = float(np.mean(list(weights.values()))) if weights else 1.0
        return {e.pseudonym: weights.get(e.pseudonym, fill) for e in experts}, "authority"
    return {e.pseudonym: 1.0 for e in experts}, "equal"


def frozen_ahp(rnd: Round, tables=None) -> dict:
    """What an AHP round freezes at opening: options, blocks as they stand, expert weights."""
    options = options_of(rnd)
    chosen = {item.node_id for item in rnd.items}
    options["blocks"] = _blocks_setting([(p, k) for p, k in sibling_groups(rnd.study) if p.id in chosen])
    experts = list(db.session.scalars(select(Expert).where(Expert.study_id == rnd.study_id,
                                                           Expert.revoked_at.is_(None))))
    options["weights"], options["weights_source"] = resolve_weights(rnd.study, experts, options, tables)
    return options


