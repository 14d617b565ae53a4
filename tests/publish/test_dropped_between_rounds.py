"""An indicator dropped between rounds stays out of the weights of the later rounds.

Found by the whole-study browser test (tests/e2e/test_whole_study.py): round 1 rated A–D and
their 16 sub-indicators, the coordinator dropped D4, round 2 asked the 19 others — and
publishing round 2 was refused ("Round 2 did not rate every indicator under D (missing: D4)"),
because only round 2's own decisions were read. The weights of round 2 are now the means
normalised over what round 2 asked (docs/weight-set-format.md), computed here by hand.
"""
from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from tests.webapp.test_dashboard_support import alice
from webapp.extensions import db

FIRST = ["A", "B", "C", "D"]
RATINGS = {  # round 2, three experts; D4 is not asked
    "A": [5, 4, 5], "B": [4, 4, 3], "C": [5, 5, 4], "D": [4, 4, 5],
    "D1": [5, 4, 5], "D2": [4, 4, 3], "D3": [3, 3, 3],
}


def _run_two_rounds(app, drop: str):
    from webapp.models import Node, Round, Study, User
    from webapp.services import between_rounds, round_lifecycle, round_scope, studies
    from webapp.services.answers import save_answers, submit_response
    from webapp.services.demo import seed_hierarchy_bytes
    from webapp.services.hierarchy_io import parse_json, validate_tree

    owner = alice(app)
    with app.app_context():
        study = studies.create_study(db.session.get(User, owner), title="Dropped between rounds")
        studies.import_hierarchy(study, validate_tree(parse_json(seed_hierarchy_bytes())))
        panel = [studies.add_expert(study, name=f"N{i}", email=f"d{i}@example.org", pseudonym=f"E{i:02d}").expert
                 for i in range(1, 4)]
        db.session.flush()
        code_of = {n.id: n.code for n in db.session.scalars(select(Node).where(Node.study_id == study.id))}
        wanted = FIRST + [c for c in code_of.values() if len(c) == 2 and c[0] in "ABCD"]
        nodes = [n for n in db.session.scalars(select(Node).where(Node.study_id == study.id)) if n.code in wanted]
        rnd = round_scope.create_delphi_round(study, nodes=nodes)
        round_lifecycle.open_round(rnd)
        for expert in panel:
            save_answers(expert, rnd, [{"node_id": item.node_id, "value": 4} for item in rnd.items])
            submit_response(expert, rnd)
        round_lifecycle.close_round(rnd)
        between_rounds.set_item_decision(next(i for i in rnd.items if i.node.code == drop), "drop")
        second = between_rounds.create_next_round(rnd)
        assert drop not in {item.node.code for item in second.items}
        round_lifecycle.open_round(second)
        for k, expert in enumerate(panel):
            save_answers(expert, second, [{"node_id": item.node_id, "value": RATINGS.get(item.node.code, [4, 4, 4])[k]}
                                          for item in second.items])
            submit_response(expert, second)
        round_lifecycle.close_round(second)
        db.session.commit()
        return study.id, second.id


def test_an_indicator_dropped_in_round_1_is_left_out_of_round_2s_weights(app, coordinator_client):
    from webapp.models import Round, Study
    from webapp.services import weight_sets

    study_id, round_id = _run_two_rounds(app, "D4")
    with app.app_context():
        ws = weight_sets.publish(db.session.get(Study, study_id), db.session.get(Round, round_id))
        db.session.commit()
        nodes = {n["code"]: n for n in ws.document["nodes"]}
    assert "D4" not in nodes
    mean = {code: np.mean(values) for code, values in RATINGS.items()}
    for group in (FIRST, ["D1", "D2", "D3"]):
        total = sum(mean[c] for c in group)
        for code in group:
            assert nodes[code]["local_weight"] == pytest.approx(mean[code] / total, abs=1e-12)
    assert nodes["D3"]["global_weight"] == pytest.approx(mean["D"] / sum(mean[c] for c in FIRST)
                                                         * mean["D3"] / (mean["D1"] + mean["D2"] + mean["D3"]))
