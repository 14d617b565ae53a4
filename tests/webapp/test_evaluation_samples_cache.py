"""An evaluation's weight samples are drawn once (issue 16 "Cost": 390 ms per results page before).

The samples behind the uncertainty (the AHP round's bootstrap over experts, or the Delphi panel's)
are remembered by what they are drawn from (``evaluation_uncertainty.SAMPLES``): a second view of the
results page draws nothing and shows the same figures; a reopened source round is not remembered.
The samples themselves are checked in ``test_demo_evaluation.py`` (sums, centre, seed).
"""
from __future__ import annotations

import re
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select
from tests.conftest import login

import ahp
from webapp.extensions import db
from webapp.models import Evaluation, Round, WeightSet, utcnow
from webapp.services import evaluation_uncertainty, evaluations as svc, round_lifecycle, steering


@pytest.fixture
def demo(app, runner, client):
    """The demo's study; the coordinator logged in; an evaluation pinned to v2 (published from AHP)."""
    result = runner.invoke(args=["load-demo"])
    assert result.exit_code == 0
    username, password = result.output.splitlines()[0].split()[1:3]
    login(client, username, password)
    with app.app_context():
        delphi_eval = db.session.scalars(select(Evaluation)).one()
        v2 = db.session.scalar(select(WeightSet).where(WeightSet.study_id == delphi_eval.study_id,
                                                       WeightSet.version == 2))
        e = svc.create_evaluation(delphi_eval.study, weight_set_id=v2.id, title="AHP-weighted", kind="third_party")
        table = svc.scores_table(delphi_eval)
        svc.import_scores(e, {name: {c: str(v) for c, v in row.items() if c in svc.tree_of(e).leaves}
                              for name, row in table.items()})
        db.session.commit()
        return {"study": e.study_id, "ahp": e.id, "delphi": delphi_eval.id,
                "round": v2.payload["provenance"]["round_ids"][0]}


def uncertainty_part(html: str) -> str:
    """The results page without its CSRF tokens and nonces."""
    return re.sub(r'(csrf[-_]token"? (?:content|value)="|nonce=")[^"]*"', "", html)


def counting(monkeypatch, module, name) -> list:
    calls = []
    real = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_a_second_results_view_draws_no_ahp_sample(app, client, demo, monkeypatch):
    evaluation_uncertainty.SAMPLES.clear()
    draws = counting(monkeypatch, ahp, "bootstrap_weights")
    path = f"/studies/{demo['study']}/evaluations/{demo['ahp']}/results"
    first = client.get(path)
    assert first.status_code == 200 and len(draws) == 1
    assert "Uncertainty of the grades and ranks" in first.get_data(as_text=True)
    second = client.get(path)
    assert second.status_code == 200 and len(draws) == 1                        # not drawn again
    assert uncertainty_part(second.get_data(as_text=True)) == uncertainty_part(first.get_data(as_text=True))
    with app.app_context():
        kept = svc.results_of(db.session.get(Evaluation, demo["ahp"]), with_uncertainty=True)
        assert len(draws) == 1 and kept.samples.source == "ahp"
        assert not kept.samples.local.flags.writeable                          # shared: read-only
        evaluation_uncertainty.SAMPLES.clear()                                 # drawn afresh: the same figures
        fresh = svc.results_of(db.session.get(Evaluation, demo["ahp"]), with_uncertainty=True)
        assert len(draws) == 2
        np.testing.assert_array_equal(fresh.samples.local, kept.samples.local)
        assert fresh.results.uncertainty == kept.results.uncertainty


def test_a_second_results_view_draws_no_delphi_sample(app, client, demo, monkeypatch):
    evaluation_uncertainty.SAMPLES.clear()
    reads = counting(monkeypatch, evaluation_uncertainty, "round_matrix")
    path = f"/studies/{demo['study']}/evaluations/{demo['delphi']}/results"
    first = client.get(path).get_data(as_text=True)
    assert len(reads) == 1 and "1000 resamples" in first
    second = client.get(path).get_data(as_text=True)
    assert len(reads) == 1 and uncertainty_part(second) == uncertainty_part(first)


def test_a_reopened_source_round_is_drawn_on_each_view(app, demo, monkeypatch):
    """While the AHP round is open again its answers may change: nothing is remembered (the round
    being open, it gives no samples, as before); closed again, it is drawn once more."""
    evaluation_uncertainty.SAMPLES.clear()
    draws = counting(monkeypatch, ahp, "bootstrap_weights")
    with app.app_context():
        steering.reopen_round(db.session.get(Round, demo["round"]), utcnow() + timedelta(days=1))
        db.session.commit()
        e = db.session.get(Evaluation, demo["ahp"])
        assert svc.results_of(e, with_uncertainty=True).samples is None
        assert len(draws) == 0 and len(evaluation_uncertainty.SAMPLES) == 0
        round_lifecycle.close_round(db.session.get(Round, demo["round"]))       # closed again: a new key
        db.session.commit()
        e = db.session.get(Evaluation, demo["ahp"])
        assert svc.results_of(e, with_uncertainty=True).samples.source == "ahp" and len(draws) == 1
        assert svc.results_of(e, with_uncertainty=True).samples.source == "ahp" and len(draws) == 1
