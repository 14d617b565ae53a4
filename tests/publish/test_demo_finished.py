"""load-demo also creates a finished example study: 12 experts, two closed Delphi rounds, v1 public."""
from __future__ import annotations

from sqlalchemy import func, select

import delphi
from webapp.extensions import db


def test_finished_demo_study_serves_a_set_at_once(app, runner, client):
    from webapp.models import Round, Study, StudyStatus, WeightSet
    from webapp.services.round_data import round_matrix
    from webapp.services.demo_finished import FINISHED_TITLE

    result = runner.invoke(args=["load-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        study = db.session.scalar(select(Study).where(Study.title == FINISHED_TITLE))
        assert study.status is StudyStatus.finished and len(study.experts) == 12
        closed = [r for r in study.rounds if r.status.value == "closed"]
        assert [r.number for r in closed] == [1, 2]
        assert all(len(r.responses) == 12 for r in closed)
        w1 = delphi.kendall_w(round_matrix(closed[0]).ratings).w
        w2 = delphi.kendall_w(round_matrix(closed[1]).ratings).w
        assert w2 > w1                                   # the panel converged
        study_id = study.id
        counts = (db.session.scalar(select(func.count(Study.id))), db.session.scalar(select(func.count(Round.id))),
                  db.session.scalar(select(func.count(WeightSet.id))))
    latest = client.get(f"/api/weight-sets/{study_id}/latest")
    assert latest.status_code == 302
    doc = client.get(latest.headers["Location"]).get_json()
    assert doc["version"] == 1 and doc["panel"] == {"experts_invited": 12, "experts_used": 12,
                                                    "rounds": {"delphi": 2, "ahp": 0}}
    assert len(doc["nodes"]) == 64
    assert any(s["study_id"] == study_id for s in client.get("/api/weight-sets").get_json()["weight_sets"])
    again = runner.invoke(args=["load-demo"])
    assert again.exit_code == 0, again.output
    with app.app_context():
        assert counts == (db.session.scalar(select(func.count(Study.id))),
                          db.session.scalar(select(func.count(Round.id))),
                          db.session.scalar(select(func.count(WeightSet.id))))
