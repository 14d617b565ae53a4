"""The preview of a weight set from an AHP round names its method in words, in English and Chinese
(the AHP round form's labels, webapp/translations/zh/parts/ahp.po), not as stored keys ("eigen · aij")."""
from __future__ import annotations

from sqlalchemy import select

from tests.conftest import login
from webapp.extensions import db


def test_the_preview_names_the_ahp_method_in_words(app, client, runner):
    from webapp.models import RoundKind, RoundStatus, Study
    from webapp.services import ahp_rounds
    from webapp.services.demo_ahp import DEMO_AHP_TITLE

    result = runner.invoke(args=["load-demo"])
    assert result.exit_code == 0
    username, password = result.output.splitlines()[0].split()[1:3]
    with app.app_context():
        study = db.session.scalar(select(Study).where(Study.title == DEMO_AHP_TITLE))
        rnd = next(r for r in study.rounds if r.kind is RoundKind.ahp and r.status is RoundStatus.closed)
        options = ahp_rounds.options_of(rnd)
        sid, round_id = study.id, rnd.id
    method = (options["priority_method"], options["aggregation"], options["expert_weights"])
    assert method == ("eigen", "aij", "authority")
    login(client, username, password)
    url = f"/studies/{sid}/weights/preview?round_id={round_id}"
    english = client.get(url + "&lang=en")
    assert english.status_code == 200
    text = english.data.decode()
    assert ("Principal eigenvector (Saaty) · Aggregation of individual judgments (AIJ) · "
            "expert weights: By the authority coefficient Cr") in text
    assert "eigen · aij" not in text
    chinese = client.get(url + "&lang=zh").data.decode()
    assert "特征向量法（Saaty） · 判断矩阵集结（AIJ） · 专家权重：按专家权威系数 Cr" in chinese
