"""Publishing from a real closed AHP round (the demo's AHP-stage study): the frozen weights are
the round's group weights from ``ahp/`` on the experts' judgments, the group matrices ride along,
and the XMCDA file carries them and validates against the official XSD."""
from __future__ import annotations

import math

import numpy as np
from sqlalchemy import select

import ahp
from webapp.extensions import db


def test_a_closed_ahp_round_publishes_its_group_weights(app, runner):
    import xmcda
    from lxml import etree
    from xmcda.schemas import XMCDA_4_0_0, _validate

    from webapp.models import Round, RoundKind, RoundStatus, Study
    from webapp.services import ahp_rounds, weight_sets, weight_xmcda
    from webapp.services.demo_ahp import DEMO_AHP_TITLE

    assert runner.invoke(args=["load-demo"]).exit_code == 0
    with app.app_context():
        study = db.session.scalar(select(Study).where(Study.title == DEMO_AHP_TITLE))
        rnd = next(r for r in study.rounds if r.kind is RoundKind.ahp and r.status is RoundStatus.closed)
        weight_set = weight_sets.publish(study, rnd)
        doc = weight_set.payload
        analysis = ahp_rounds.analysis_of(rnd)
        nodes = {n["code"]: n for n in doc["nodes"]}
        assert doc["method"]["aggregation"] and doc["panel"]["rounds"]["ahp"] >= 1
        leaves = [n for n in doc["nodes"] if not any(m["parent"] == n["code"] for m in doc["nodes"])]
        assert math.isclose(sum(n["global_weight"] for n in leaves), 1.0, abs_tol=1e-9)
        checked = 0
        for parent, block in analysis.blocks.items():
            if block.aij is None:
                continue
            use = block.included
            # independent path: the weighted geometric mean of the included experts' matrices,
            # then its principal eigenvector by numpy (not ahp.priorities)
            group = np.exp(np.tensordot(block.weights[use] / block.weights[use].sum(),
                                        np.log(block.matrices[use]), axes=1))
            values, vectors = np.linalg.eig(group)
            v = np.abs(np.real(vectors[:, np.argmax(np.real(values))]))
            v /= v.sum()
            got = [nodes[c]["local_weight"] for c in block.children]
            assert np.allclose(got, v, atol=1e-9), parent
            matrix = np.array(doc["block_matrices"][parent]["matrix"])
            assert np.allclose(matrix, group, rtol=1e-12)
            assert math.isclose(nodes[parent]["cr"], ahp.consistency(group).cr, abs_tol=1e-9)
            checked += 1
        assert checked >= 2
        xmcda.set_version(XMCDA_4_0_0)
        data = weight_xmcda.to_xmcda(doc)
        ok, log = _validate(etree.fromstring(data), XMCDA_4_0_0)
        assert ok, str(log)
        assert data.count(b"<criteriaMatrix") == len(doc["block_matrices"]) >= 2
