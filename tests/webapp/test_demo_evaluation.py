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
    assert client.get(f"/studies/{sid}/evaluations/{eid}/report").status_code == 200
