"""Uncertainty of evaluations pinned to weight sets published from G1/BWM rounds and to combined sets.

G1/BWM: the service's samples are checked against a bootstrap written here one resample at a time: the
seeded draw of experts of ``ahp.bootstrap_weights`` (``default_rng(seed).integers(0, m, (K, m))``), each
expert's own weights from the typed answers (G1 by Guo Yajun's closed form, ``g1_by_hand``; BWM by
``weighting.bwm``, itself checked against Rezaei 2016 in tests/weighting), and the weighted geometric mean
of the drawn list (Forman & Peniwati 1998) with the experts' authority coefficients Cr — the way
publishing aggregates them (``test_g1bwm_rounds``).

Combined: each sample's leaf weights must equal α_s w_s(s) + α_o w_o with w_s(s) the subjective set's
samples, the published game-theory α, and the entropy weights w_o computed here with numpy (min-max
normalised data with SPSSAU's +0.01 shift, ``../shared/WEIGHTING.md``) from the evaluation's data.
"""
from __future__ import annotations

import numpy as np
import pytest

import weighting
from tests.conftest import login
from tests.webapp.ahp_helpers import close, open_ahp
from tests.webapp.test_combined_publish import preview_digest, publish
from tests.webapp.test_evaluation_weights import matrix
from tests.webapp.test_evaluations import CSV_BYTES, create, upload
from tests.webapp.test_g1bwm_rounds import (  # noqa: F401
    answer_all,
    authority_alpha,
    bwm_answer,
    g1_answer,
    g1_by_hand,
    geo_mean,
    panel,
)
from webapp.extensions import db

K = 300


def published_round(app, client, panel, method):  # noqa: F811
    """A closed G1/BWM round answered over HTTP by the panel and published as v1."""
    from webapp.models import Round, Study
    from webapp.services import weight_sets

    study_id, experts = panel
    round_id, blocks, codes = open_ahp(app, study_id, method=method, expert_weights="authority")
    rng = np.random.default_rng(11)
    make = g1_answer if method == "g1" else bwm_answer
    typed = [answer_all(client, round_id, blocks, token, make, rng) for _id, token in experts]
    close(app, round_id)
    with app.app_context():
        ws = weight_sets.publish(db.session.get(Study, study_id), db.session.get(Round, round_id))
        db.session.commit()
        ws_id = ws.id
    client.get("/logout")
    login(client)
    return study_id, ws_id, blocks, codes, typed


def individual(method, answer, kids):
    """One expert's local weights of one block, from the typed answer (not the service)."""
    index = {k: i for i, k in enumerate(kids)}
    if method == "g1":
        return g1_by_hand([index[k] for k in answer["order"]], answer["ratios"], len(kids))
    bo = {int(k): v for k, v in answer["best_to_others"].items()} | {answer["best"]: 1}
    ow = {int(k): v for k, v in answer["others_to_worst"].items()} | {answer["worst"]: 1}
    return weighting.bwm(index[answer["best"]], index[answer["worst"]], [bo[k] for k in kids],
                         [ow[k] for k in kids]).weights


@pytest.mark.parametrize("method", ["g1", "bwm"])
def test_g1bwm_samples_equal_an_independent_bootstrap(app, client, panel, method):  # noqa: F811
    import evaluation as ev
    from webapp.models import WeightSet
    from webapp.services.evaluation_uncertainty import g1bwm_samples, weight_samples

    study_id, ws_id, blocks, codes, typed = published_round(app, client, panel, method)
    with app.app_context():
        doc = db.session.get(WeightSet, ws_id).payload
        assert doc["method"]["kind"] == method
        tree = ev.WeightTree.from_dict(doc)
        s = g1bwm_samples(doc, tree, study_id, resamples=K, seed=5)
        again = g1bwm_samples(doc, tree, study_id, resamples=K, seed=5)
        other = g1bwm_samples(doc, tree, study_id, resamples=K, seed=6)
        default = weight_samples(doc, tree, study_id)
        from webapp.models import Round
        from webapp.services import g1bwm_analysis
        pseudonyms = g1bwm_analysis.analysis_of(db.session.get(Round, doc["provenance"]["round_ids"][0])).pseudonyms
    alpha = np.array(authority_alpha(app, pseudonyms))
    assert s is not None and s.source == method and s.experts == 3 and s.local.shape == (K, len(tree.codes))
    np.testing.assert_array_equal(s.local, again.local)                  # seeded
    assert np.abs(s.local - other.local).max() > 1e-3                     # and the seed matters
    assert default.source == method and default.resamples == 1000 and default.seed == 20260101
    draws = np.random.default_rng(5).integers(0, 3, size=(K, 3))
    for (parent, kids), (code, child_codes) in zip(blocks, codes):
        vectors = np.array([individual(method, answers[parent], kids) for answers in typed])
        expected = np.array([geo_mean(vectors[d], alpha[d]) for d in draws])
        got = s.local[:, [tree.index(c) for c in child_codes]]
        np.testing.assert_allclose(got, expected, atol=1e-9)
    # the published weights are the whole panel's: the samples spread around them
    spread = s.local[:, 1:].std(axis=0)
    assert spread.max() > 0.01
    lo, hi = np.percentile(s.local, [1, 99], axis=0)
    assert ((lo <= tree.local + 1e-9) & (tree.local <= hi + 1e-9))[1:].mean() > 0.9


def evaluation_on(client, sid, ws_id, *, finish=False):
    response = create(client, sid, ws_id)
    assert response.status_code == 302, response.data
    eid = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert upload(client, sid, eid, CSV_BYTES).status_code == 302
    if finish:
        assert client.post(f"/studies/{sid}/evaluations/{eid}/finish").status_code == 302
    return eid


def test_g1_and_combined_sets_get_intervals_on_the_results_page(app, client, panel):  # noqa: F811
    import evaluation as ev
    from webapp.models import WeightSet
    from webapp.services.evaluation_uncertainty import combined_samples, g1bwm_samples

    sid, v1, _blocks, _codes, _typed = published_round(app, client, panel, "g1")
    e1 = evaluation_on(client, sid, v1, finish=True)
    for lang, words in (("en", "The experts of weighting round 1 (G1) resampled with replacement"),
                        ("zh", "对第 1 轮赋权（G1）的专家进行有放回重抽样")):
        page = client.get(f"/studies/{sid}/evaluations/{e1}/results?lang={lang}").get_data(as_text=True)
        assert words in page and "eval-uncertainty" in page and "1000" in page

    _page, digest = preview_digest(client, sid, e1)
    assert publish(client, sid, e1, digest).status_code == 302
    with app.app_context():
        doc2 = db.session.get(WeightSet, v1 + 1).payload
        doc1 = db.session.get(WeightSet, v1).payload
    assert doc2["method"]["kind"] == "combined" and doc2["provenance"]["subjective"]["weight_set_id"] == v1
    e2 = evaluation_on(client, sid, v1 + 1)
    for lang, words in (("en", "The objective weights come from the evaluation's data and are held fixed"),
                        ("zh", "客观权重来自该评价的数据，保持不变")):
        page = client.get(f"/studies/{sid}/evaluations/{e2}/results?lang={lang}").get_data(as_text=True)
        assert words in page and "eval-uncertainty" in page, page[page.find("unc-title"):][:800]

    # the combined samples, propagated independently: α_s w_s(s) + α_o w_o with numpy entropy weights
    leaves, x = matrix()
    y = (x - x.min(axis=0)) / (x.max(axis=0) - x.min(axis=0))
    y = np.where((y <= 0).any(axis=0), y + 0.01, y)
    p = y / y.sum(axis=0)
    e = -(p * np.log(p)).sum(axis=0) / np.log(len(x))
    w_obj = (1 - e) / (1 - e).sum()
    a_s, a_o = doc2["method"]["coefficients"]
    tree1, tree2 = ev.WeightTree.from_dict(doc1), ev.WeightTree.from_dict(doc2)
    with app.app_context():
        base = g1bwm_samples(doc1, tree1, sid)
        combined = combined_samples(doc2, tree2, sid)
    assert combined is not None and combined.source == "combined" and combined.base == "g1"
    assert combined.objective == "entropy" and combined.local.shape == (1000, len(tree2.codes))
    ws = tree1.leaf_weights(base.local)[:, [tree1.leaves.index(c) for c in leaves]]
    expected = a_s * ws + a_o * w_obj
    got = tree2.leaf_weights(combined.local)[:, [tree2.leaves.index(c) for c in leaves]]
    np.testing.assert_allclose(got, expected, atol=1e-9)
    # game theory's α from the published subjective weights, by hand: the same coefficients were used
    glob = {n["code"]: n["global_weight"] for n in doc1["nodes"]}
    W = np.vstack([[glob[c] for c in leaves], w_obj])
    alpha = np.linalg.solve(W @ W.T, np.diag(W @ W.T))
    np.testing.assert_allclose([a_s, a_o], alpha / alpha.sum(), atol=1e-9)
    # the subjective spread goes through: combined leaf weights vary where the G1 ones do
    assert got.std(axis=0).max() > 0.1 * ws.std(axis=0).max() > 0


def test_combined_samples_vanish_when_the_evaluation_data_changed(app, client, panel):  # noqa: F811
    """Objective weights are held fixed only while the data still have the published SHA-256."""
    import evaluation as ev
    from webapp.models import EvaluationScore, WeightSet
    from webapp.services.evaluation_uncertainty import combined_samples

    sid, v1, _blocks, _codes, _typed = published_round(app, client, panel, "g1")
    e1 = evaluation_on(client, sid, v1, finish=True)
    _page, digest = preview_digest(client, sid, e1)
    assert publish(client, sid, e1, digest).status_code == 302
    with app.app_context():
        doc2 = db.session.get(WeightSet, v1 + 1).payload
        tree2 = ev.WeightTree.from_dict(doc2)
        assert combined_samples(doc2, tree2, sid) is not None
        score = db.session.scalars(db.select(EvaluationScore).limit(1)).one()
        score.value = score.value + 1 if score.value < 100 else score.value - 1
        db.session.flush()
        assert combined_samples(doc2, tree2, sid) is None
        db.session.rollback()
