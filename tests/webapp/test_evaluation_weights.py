"""Objective and combined weights from an evaluation's data (weighting/ on the objects × indicators matrix)."""
from __future__ import annotations

import numpy as np
import pytest

from tests.webapp.test_evaluations import CSV_BYTES, DOC, evaluation_id, study, upload  # noqa: F401


def scores():
    from evaluation.cli import read_scores_csv
    return read_scores_csv(CSV_BYTES.decode("utf-8-sig"))


def matrix():
    table = scores()
    leaves = [n["code"] for n in DOC["nodes"] if not any(m["parent"] == n["code"] for m in DOC["nodes"])]
    return leaves, np.array([[float(row[c]) for c in leaves] for row in table.values()])


def test_entropy_and_game_theory_independently(app):
    """Entropy (min-max, SPSSAU's +0.01 shift on columns with a zero) and the game-theory α by hand."""
    from webapp.services.evaluation_weights import objective_and_combined

    leaves, x = matrix()
    y = (x - x.min(axis=0)) / (x.max(axis=0) - x.min(axis=0))
    y = np.where((y <= 0).any(axis=0), y + 0.01, y)              # every column has its minimum at 0 → shifted
    p = y / y.sum(axis=0)
    e = -(p * np.log(p)).sum(axis=0) / np.log(len(x))
    w_obj = (1 - e) / (1 - e).sum()
    glob = {n["code"]: n["global_weight"] for n in DOC["nodes"]}
    w_sub = np.array([glob[c] for c in leaves])
    # game theory: (W Wᵀ) α = diag(W Wᵀ), α normalised (two vectors)
    W = np.vstack([w_sub, w_obj])
    alpha = np.linalg.solve(W @ W.T, np.diag(W @ W.T))
    alpha = alpha / alpha.sum()
    with app.test_request_context():
        res = objective_and_combined(DOC, scores())
    assert list(res.leaves) == leaves
    np.testing.assert_allclose(res.objective, w_obj, atol=1e-10)
    np.testing.assert_allclose(res.coefficients, alpha, atol=1e-10)
    np.testing.assert_allclose(res.combined, alpha @ W, atol=1e-10)
    np.testing.assert_allclose(res.totals["combined"], x @ (alpha @ W), atol=1e-9)
    assert sorted(res.ranks["combined"]) == [1, 2, 3, 4, 5]


def test_refusals(app):
    from webapp.services.evaluation_weights import objective_and_combined

    table = scores()
    two = dict(list(table.items())[:2])
    with app.test_request_context():
        with pytest.raises(ValueError, match="at least three"):
            objective_and_combined(DOC, two)
        first = next(iter(table))
        table[first]["A1.1"] = None
        with pytest.raises(ValueError, match="every score"):
            objective_and_combined(DOC, table)
        with pytest.raises(ValueError, match="objective method"):
            objective_and_combined(DOC, scores(), objective="magic")


def test_results_page_shows_them_side_by_side(app, coordinator_client, evaluation_id):  # noqa: F811
    sid, eid = evaluation_id
    upload(coordinator_client, sid, eid, CSV_BYTES)
    page = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/results?objective=critic&combination=linear")
    text = page.data.decode()
    assert page.status_code == 200
    assert "Objective and combined weights" in text and "CRITIC" in text
    assert "α = 0.500 / 0.500" in text
