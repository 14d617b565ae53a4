"""Helpers of the AHP round tests: a panel, an opened AHP round, typed judgments, snapshots."""
from __future__ import annotations

import numpy as np
from sqlalchemy import func, select

import ahp
from webapp.extensions import db
from webapp.models import AuditEvent, BlockNote, Judgment, Response, Round, Study
from webapp.services import ahp_rounds, round_lifecycle


def open_ahp(app, study_id, *, parent_ids=None, **options):
    """Create and open an AHP round; (round id, [(parent id, [child ids]), ...], [(code, [codes])])."""
    with app.app_context():
        study = db.session.get(Study, study_id)
        rnd = ahp_rounds.create_ahp_round(study, parent_ids=parent_ids, options=options)
        round_lifecycle.open_round(rnd)
        db.session.commit()
        blocks = ahp_rounds.round_blocks(rnd)
        return (rnd.id, [(p.id, [c.id for c in kids]) for p, kids in blocks],
                [(p.code, [c.code for c in kids]) for p, kids in blocks])


def close(app, round_id):
    with app.app_context():
        round_lifecycle.close_round(db.session.get(Round, round_id))
        db.session.commit()


def signed(ratio: float) -> int:
    return int(round(ratio)) if ratio >= 1 else -int(round(1 / ratio))


def typed_values(rng, n, *, spread=0.4, wild=False):
    """Signed Saaty judgments of one block (upper triangle, row order)."""
    true = rng.dirichlet(np.full(n, 2.0))
    out = []
    for i in range(n):
        for j in range(i + 1, n):
            r = true[i] / true[j] * np.exp(rng.normal(0, spread))
            if wild:
                r = float(rng.choice([1 / 9, 1 / 7, 5, 9]))
            out.append(signed(float(ahp.round_to_scale(r))))
    return out


def form_fields(blocks, values_by_block, *, action="save", reasons=None):
    """The no-JS form post: ``j-<block>-<row>-<col>`` radios, reasons, the action."""
    data = {"action": action}
    for (parent, kids), values in zip(blocks, values_by_block):
        m = 0
        for i in range(len(kids)):
            for j in range(i + 1, len(kids)):
                data[f"j-{parent}-{kids[i]}-{kids[j]}"] = str(values[m])
                m += 1
        if reasons and parent in reasons:
            data[f"reason-{parent}"] = reasons[parent]
    return data


def matrix(values, n):
    return ahp.from_upper([v if v > 0 else 1 / -v for v in values], n)


def snapshot(app) -> dict:
    """Everything an expert's request could change."""
    with app.app_context():
        return {
            "judgments": sorted(db.session.execute(select(
                Judgment.response_id, Judgment.parent_node_id, Judgment.row_node_id, Judgment.col_node_id,
                Judgment.value, Judgment.updated_at)).all()),
            "notes": sorted(db.session.execute(select(BlockNote.response_id, BlockNote.reason)).all()),
            "responses": sorted(db.session.execute(select(
                Response.id, Response.status, Response.updated_at, Response.submitted_at)).all()),
            "rounds": sorted(db.session.execute(select(Round.id, Round.status)).all()),
            "audit": db.session.scalar(select(func.count(AuditEvent.id))),
        }
