"""The demo's finished study has an evaluation of five fictitious platforms, with data and results."""
from sqlalchemy import func, select

from webapp.extensions import db


def test_demo_evaluation_is_complete_and_idempotent(app, runner):
    from webapp.models import EvaluatedObject, Evaluation, EvaluationScore
    from webapp.services import evaluations as svc

    assert runner.invoke(args=["load-demo"]).exit_code == 0
    assert runner.invoke(args=["load-demo"]).exit_code == 0
    with app.app_context():
        evals = list(db.session.scalars(select(Evaluation)))
        assert len(evals) == 1
        e = evals[0]
        assert e.is_finished and len(e.objects) == 5
        n_leaves = len(svc.tree_of(e).leaves)
        assert db.session.scalar(select(func.count(EvaluationScore.id))) == 5 * n_leaves
        view = svc.results_of(e)
        assert view.results is not None and not view.error
        stars = [r.stars for r in view.results.rows]
        assert stars == sorted(stars, reverse=True) and len(set(stars)) >= 3
        assert db.session.scalar(select(func.count(EvaluatedObject.id))) == 5


def test_demo_results_page(app, runner, client):
    from tests.conftest import login
    from webapp.models import Evaluation

    result = runner.invoke(args=["load-demo"])
    username, password = result.output.splitlines()[0].split()[1:3]
    login(client, username, password)
    with app.app_context():
        e = db.session.scalars(select(Evaluation)).one()
        sid, eid = e.study_id, e.id
    page = client.get(f"/studies/{sid}/evaluations/{eid}/results")
    assert page.status_code == 200 and "华东检测公共服务平台" in page.data.decode()
    assert "Uncertainty of the grades and ranks" in page.data.decode() and "1000 resamples" in page.data.decode()
    assert client.get(f"/studies/{sid}/evaluations/{eid}/report").status_code == 200


def test_uncertainty_from_the_delphi_panel(app, runner):
    """Bootstrap samples of the demo's Delphi weights: groups sum to 1, centred on the published weights."""
    import numpy as np

    from webapp.models import Evaluation
    from webapp.services import evaluations as svc
    from webapp.services.evaluation_uncertainty import delphi_samples

    assert runner.invoke(args=["load-demo"]).exit_code == 0
    with app.app_context():
        e = db.session.scalars(select(Evaluation)).one()
        tree = svc.tree_of(e)
        s = delphi_samples(svc.document_of(e), tree, e.study_id)
        assert s is not None and s.local.shape == (1000, len(tree.codes)) and s.experts >= 8
        child = tree.child_matrix() > 0
        for p in np.flatnonzero(child.any(axis=1)):
            np.testing.assert_allclose(s.local[:, child[p]].sum(axis=1), 1.0, atol=1e-12)
        # the bootstrap mean of each local weight is close to the published (all-expert) weight
        np.testing.assert_allclose(s.local.mean(axis=0), tree.local, atol=0.02)
        assert s.local.std(axis=0)[1:].max() > 0                     # the panel does disagree
        again = delphi_samples(svc.document_of(e), tree, e.study_id)
        np.testing.assert_array_equal(s.local, again.local)          # fixed seed
        view = svc.results_of(e, with_uncertainty=True)
        unc = view.results.uncertainty
        for row in view.results.rows:
            u = unc[row.name]
            assert abs(sum(u["probability"].values()) - 1) < 1e-9
            assert u["ranks"][0] <= row.rank <= u["ranks"][1]


def test_uncertainty_of_an_ahp_published_set_comes_from_the_ahp_round(app, runner):
    """An evaluation pinned to the demo's v2 (published from its closed AHP round) draws its weight samples
    from that round's bootstrap over experts: seeded, every sibling group summing to 1, centred on the
    published (whole-panel) weights, spread where the experts disagree; grade probabilities sum to 1 and each
    rank lies in its interval. The v1 (Delphi) evaluation keeps its Delphi panel samples."""
    import numpy as np

    from webapp.models import Evaluation, Judgment, Response, ResponseStatus, Round, RoundKind, WeightSet
    from webapp.services import evaluations as svc
    from webapp.services.evaluation_uncertainty import ahp_samples, weight_samples

    assert runner.invoke(args=["load-demo"]).exit_code == 0
    with app.app_context():
        delphi_eval = db.session.scalars(select(Evaluation)).one()
        v2 = db.session.scalar(select(WeightSet).where(WeightSet.study_id == delphi_eval.study_id,
                                                       WeightSet.version == 2))
        assert v2 is not None and v2.payload["method"]["kind"] == "ahp"
        e = svc.create_evaluation(delphi_eval.study, weight_set_id=v2.id, title="AHP-weighted", kind="third_party")
        table = svc.scores_table(delphi_eval)
        svc.import_scores(e, {name: {c: str(v) for c, v in row.items() if c in svc.tree_of(e).leaves}
                              for name, row in table.items()})
        db.session.commit()
        tree = svc.tree_of(e)
        s = ahp_samples(svc.document_of(e), tree, e.study_id)
        rnd = db.session.get(Round, v2.payload["provenance"]["round_ids"][0])
        assert rnd.kind is RoundKind.ahp
        # experts who submitted judgments in that round, counted straight from the tables
        submitted = db.session.scalar(select(func.count(func.distinct(Response.expert_id))).join(
            Judgment, Judgment.response_id == Response.id).where(Response.round_id == rnd.id,
                                                                 Response.status == ResponseStatus.submitted))
        assert s is not None and s.source == "ahp" and s.experts == submitted >= 2
        assert s.local.shape[1] == len(tree.codes) and s.local.shape[0] >= 990 and s.round_number == rnd.number
        child = tree.child_matrix() > 0
        for p in np.flatnonzero(child.any(axis=1)):
            np.testing.assert_allclose(s.local[:, child[p]].sum(axis=1), 1.0, atol=1e-9)
        np.testing.assert_allclose(np.median(s.local, axis=0), tree.local, atol=0.03)
        assert s.local.std(axis=0)[1:].max() > 0.005
        np.testing.assert_array_equal(s.local, ahp_samples(svc.document_of(e), tree, e.study_id).local)
        assert weight_samples(svc.document_of(delphi_eval), svc.tree_of(delphi_eval), e.study_id).source == "delphi"
        view = svc.results_of(e, with_uncertainty=True)
        assert view.samples.source == "ahp"
        for row in view.results.rows:
            u = view.results.uncertainty[row.name]
            assert abs(sum(u["probability"].values()) - 1) < 1e-9
            assert u["ranks"][0] <= row.rank <= u["ranks"][1]
