"""webapp.services.evaluation_results: the figures a results page shows, from a weight-set/1 document."""
import json
from pathlib import Path

import numpy as np
import pytest

from webapp.services.evaluation_results import build_results, competition_ranks

DATA = Path(__file__).resolve().parents[1] / "evaluation" / "data"


@pytest.fixture()
def doc():
    return json.loads((DATA / "seed-weight-set.json").read_text(encoding="utf-8"))


@pytest.fixture()
def scores():
    from evaluation.cli import read_scores_csv
    return read_scores_csv((DATA / "seed-scores.csv").read_text(encoding="utf-8-sig"))


def test_competition_ranks():
    assert competition_ranks([70, 90, 80, 80]) == [4, 1, 2, 2]


def test_rows_in_rank_order_with_elements_and_stability(doc, scores):
    res = build_results(doc, scores)
    assert [r.rank for r in res.rows] == [1, 2, 3, 4, 5]
    assert [r.stars for r in res.rows] == [5, 4, 3, 2, 1]
    top = res.rows[0]
    assert top.name == "Platform Alpha 甲" and [e["code"] for e in top.elements] == ["A", "B", "C", "D"]
    # T = Σ T_i·S_i with the published element weights
    assert top.total == pytest.approx(sum(e["score"] * res.element_weights[e["code"]] for e in top.elements))
    assert [s.code for s in res.stability] == ["A", "B", "C", "D"]
    for s in res.stability:
        assert s.low <= s.weight <= s.high


def test_uncertainty_and_fce(doc, scores):
    import evaluation
    tree = evaluation.WeightTree.from_dict(doc)
    local = np.tile(tree.local, (20, 1))
    grades = {o: {c: [1, 2, 1, 0, 0] for c in tree.leaves} for o in scores}
    res = build_results(doc, scores, weight_samples=local, memberships=grades, grade_values=[95, 85, 75, 65, 50])
    u = res.uncertainty["Platform Alpha 甲"]
    assert u["samples"] == 20 and u["interval"][0] == pytest.approx(res.row("Platform Alpha 甲").total)
    f = res.fce["Platform Beta 乙"]
    assert f["grade"] == 1 and f["agree"] and f["score"] == pytest.approx(0.25 * 95 + 0.5 * 85 + 0.25 * 75)


def test_missing_scores_reweighted_skip_stability(doc, scores):
    first = next(iter(scores))
    scores[first]["A1.1"] = None
    with pytest.raises(ValueError, match="missing"):
        build_results(doc, scores)
    res = build_results(doc, scores, missing="reweight")
    assert res.row(first).missing == ["A1.1"] and res.stability == [] and res.stability_note == "incomplete"
