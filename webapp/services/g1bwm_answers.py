"""An expert's G1 or BWM answers in a weighting round: save (whole blocks), read back, submit.

A G1/BWM round is an AHP-kind round (same lifecycle, blocks, frozen settings and expert
weights) whose ``settings["ahp"]["method"]`` is "g1" or "bwm". Writes go through the shared
answers machinery (``answers._writable_response`` and ``Response.touch_if_writable``), so
deadline, submission and other-study rules are those of every round. A batch is checked
whole before anything is written and refused whole. Services flush; the caller commits.

Block answers (JSON):
- G1: ``{"block": parent id, "order": [child ids, most important first],
  "ratios": [r_2 .. r_n]}`` with r_k = w(order[k-1]) / w(order[k]) on 1.0/1.2/1.4/1.6/1.8;
- BWM: ``{"block", "best": id, "worst": id, "best_to_others": {id: 1..9},
  "others_to_worst": {id: 1..9}}`` (a_BB = a_WW = 1, a_BW given once, in best_to_others).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, select

import weighting
from webapp.extensions import db
from webapp.models import Expert, Response, Round, RoundKind, WeightAnswer, utcnow
from webapp.services import ahp_blocks, ahp_rounds, audit
from webapp.services.answers import AnswerError, _writable_response

G1_RATIOS = tuple(sorted(weighting.G1_SCALE))
BWM_SCALE = range(1, 10)


def method_of(rnd: Round) -> str:
    """"ahp", "g1" or "bwm": how the experts weigh the blocks of an AHP-kind round."""
    return ahp_blocks.options_of(rnd).get("method", "ahp") if rnd.kind is RoundKind.ahp else ""


@dataclass
class G1BWMBlock:
    index: int
    parent: object
    children: list
    method: str
    answer: dict | None = None      # as posted, ids as ints
    weights: list | None = None     # the expert's local weights, children order
    cr: float | None = None         # BWM input-based CR (Liang et al. 2020)
    threshold: float | None = None
    acceptable: bool | None = None

    @property
    def done(self) -> bool:
        return self.weights is not None


def _int(value, message):
    if isinstance(value, bool):
        raise AnswerError(message)
    try:
        out = int(value)
    except (TypeError, ValueError):
        raise AnswerError(message) from None
    if isinstance(value, float) and value != out:
        raise AnswerError(message)
    return out


def _g1_ratio(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AnswerError(_("A G1 ratio must be one of 1.0, 1.2, 1.4, 1.6 or 1.8."))
    for r in G1_RATIOS:
        if abs(float(value) - r) < 1e-9:
            return r
    raise AnswerError(_("A G1 ratio must be one of 1.0, 1.2, 1.4, 1.6 or 1.8."))


def _bwm_value(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in BWM_SCALE:
        raise AnswerError(_("A best-worst comparison must be a whole number from 1 to 9."))
    return value


def _check_g1(item: dict, kids: list[int]) -> list[dict]:
    order, ratios = item.get("order"), item.get("ratios")
    if not isinstance(order, list) or not isinstance(ratios, list):
        raise AnswerError(_("A G1 answer needs the order of the block's indicators and the ratios between them."))
    order = [_int(x, _("The order names an indicator that is not in this block.")) for x in order]
    if sorted(order) != sorted(kids):
        raise AnswerError(_("The order must name every indicator of the block exactly once."))
    if len(ratios) != len(kids) - 1:
        raise AnswerError(_("A G1 answer needs one ratio between each two neighbours in the order."))
    ratios = [_g1_ratio(r) for r in ratios]
    return [{"node_id": node, "rank": k, "ratio": ratios[k] if k < len(ratios) else None}
            for k, node in enumerate(order)]


def _pairs(mapping, kids, name):
    if not isinstance(mapping, dict):
        raise AnswerError(_("A BWM answer needs the best-to-others and others-to-worst comparisons."))
    out = {}
    for key, value in mapping.items():
        node = _int(key, _("A comparison names an indicator that is not in this block."))
        if node not in kids:
            raise AnswerError(_("A comparison names an indicator that is not in this block."))
        out[node] = _bwm_value(value)
    return out


def _check_bwm(item: dict, kids: list[int]) -> list[dict]:
    best = _int(item.get("best"), _("The best and the worst must be indicators of this block."))
    worst = _int(item.get("worst"), _("The best and the worst must be indicators of this block."))
    if best not in kids or worst not in kids:
        raise AnswerError(_("The best and the worst must be indicators of this block."))
    if best == worst:
        raise AnswerError(_("The best and the worst indicator must differ."))
    bo = _pairs(item.get("best_to_others"), kids, "best_to_others")
    ow = _pairs(item.get("others_to_worst"), kids, "others_to_worst")
    bo[best], ow[worst] = 1, 1
    ow.setdefault(best, bo.get(worst))
    if set(bo) != set(kids) or set(ow) != set(kids):
        raise AnswerError(_("Please compare the best with every indicator and every indicator with the worst."))
    if bo[worst] != ow[best] or bo[worst] == 1:
        raise AnswerError(_("The best over the worst must be one number above 1, the same in both lists."))
    return [{"node_id": n, "role": "best" if n == best else "worst" if n == worst else None,
             "best_to": bo[n], "to_worst": ow[n]} for n in kids]


def _check_batch(rnd: Round, blocks: list) -> dict[int, tuple[str, list[dict]]]:
    method = method_of(rnd)
    if method not in ("g1", "bwm"):
        raise AnswerError(_("This questionnaire asks for no G1 or BWM answers."))
    known = {p.id: [c.id for c in kids] for p, kids in ahp_rounds.round_blocks(rnd)}
    out = {}
    for item in blocks:
        if not isinstance(item, dict):
            raise AnswerError(_("An answer names no block."))
        block = _int(item.get("block"), _("An answer names no block."))
        kids = known.get(block)
        if kids is None:
            raise AnswerError(_("An answer names a block that is not in this questionnaire."))
        out[block] = (method, _check_g1(item, kids) if method == "g1" else _check_bwm(item, kids))
    return out


def save_blocks(expert: Expert, rnd: Round, blocks: Iterable[dict], *, now: datetime | None = None) -> Response:
    """Replace the expert's answer of each posted block (the whole block at once)."""
    now = now or utcnow()
    checked = _check_batch(rnd, list(blocks))
    response = _writable_response(expert, rnd, now)
    for block, (method, rows) in checked.items():
        db.session.execute(delete(WeightAnswer).where(WeightAnswer.response_id == response.id,
                                                      WeightAnswer.parent_node_id == block))
        db.session.add_all(WeightAnswer(response_id=response.id, parent_node_id=block, method=method,
                                        updated_at=now, **row) for row in rows)
    db.session.flush()
    if not response.touch_if_writable(db.session, now):
        raise AnswerError(_("This round is closed: answers can no longer be changed or submitted."))
    return response


def answer_of(method: str, rows: list, kids: list[int]) -> dict | None:
    """The posted form of a block's stored rows (``None`` if incomplete)."""
    by_node = {r.node_id: r for r in rows}
    if set(by_node) != set(kids):
        return None
    if method == "g1":
        ranked = sorted(rows, key=lambda r: r.rank)
        return {"order": [r.node_id for r in ranked], "ratios": [r.ratio for r in ranked[:-1]]}
    best = next(r.node_id for r in rows if r.role == "best")
    worst = next(r.node_id for r in rows if r.role == "worst")
    return {"best": best, "worst": worst, "best_to_others": {r.node_id: r.best_to for r in rows},
            "others_to_worst": {r.node_id: r.to_worst for r in rows}}


def expert_weights(method: str, answer: dict, kids: list[int]):
    """``weighting.g1`` or ``weighting.bwm`` of one answer, indices in the block's order."""
    index = {node: i for i, node in enumerate(kids)}
    if method == "g1":
        return weighting.g1([index[n] for n in answer["order"]], answer["ratios"])
    return weighting.bwm(index[answer["best"]], index[answer["worst"]],
                         [answer["best_to_others"][n] for n in kids], [answer["others_to_worst"][n] for n in kids])


def block_views(rnd: Round, response: Response | None) -> list[G1BWMBlock]:
    method = method_of(rnd)
    stored: dict[int, list] = {}
    if response is not None:
        for row in db.session.scalars(select(WeightAnswer).where(WeightAnswer.response_id == response.id)):
            stored.setdefault(row.parent_node_id, []).append(row)
    views = []
    for index, (parent, kids) in enumerate(ahp_rounds.round_blocks(rnd)):
        ids = [c.id for c in kids]
        view = G1BWMBlock(index=index, parent=parent, children=kids, method=method)
        view.answer = answer_of(method, stored.get(parent.id, []), ids)
        if view.answer is not None:
            result = expert_weights(method, view.answer, ids)
            view.weights = [float(x) for x in result.weights]
            if method == "bwm":
                view.cr, view.threshold = float(result.cr_input), float(result.cr_input_threshold)
                view.acceptable = bool(result.acceptable)
        views.append(view)
    return views


def submit_blocks(expert: Expert, rnd: Round, *, now: datetime | None = None) -> Response:
    """Submit the draft once every block is answered."""
    now = now or utcnow()
    if method_of(rnd) not in ("g1", "bwm"):
        raise AnswerError(_("This questionnaire asks for no G1 or BWM answers."))
    response = _writable_response(expert, rnd, now)
    missing = [v.parent.code for v in block_views(rnd, response) if not v.done]
    if missing:
        raise AnswerError(_("%(n)s block(s) still need an answer: %(codes)s.", n=len(missing),
                            codes=", ".join(missing[:8])))
    if not response.submit_if_writable(db.session, now):
        raise AnswerError(_("This round is closed: answers can no longer be changed or submitted."))
    audit.record("response.submit", study=rnd.study, expert=expert, target=f"round:{rnd.number}")
    return response
