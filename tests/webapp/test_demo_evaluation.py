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
