"""Publishing: weight-set/1 payload from a closed Delphi round, versions, withdrawal, preview, diff."""
from __future__ import annotations

import hashlib
import json
import math

import pytest
from sqlalchemy import func, select

from tests.publish.support import build_full, expected_weights, parent_codes
from tests.webapp.test_dashboard_support import alice, build_round
from webapp.extensions import db


@pytest.fixture
def full(app, coordinator_client):
    return build_full(app, alice(app))


def _objects(app, full):
    from webapp.models import Round, Study, User

    return (db.session.get(Study, full.study_id), db.session.get(Round, full.round_id),
            db.session.get(User, alice(app)))


def test_delphi_weights_are_mean_ratings_normalised_per_sibling_group(app, full):
    from webapp.services import weight_sets

    local, global_ = expected_weights(full.ratings, parent_codes(app, full.study_id))
    with app.app_context():
        study, rnd, user = _objects(app, full)
        ws = weight_sets.publish(study, rnd, by=user)
        db.session.commit()
        doc = ws.document
    nodes = {n["code"]: n for n in doc["nodes"]}
    assert len(nodes) == 1 + 4 + 16 + 43
    root = doc["nodes"][0]
    assert root["parent"] is None and root["level"] == 0
    assert root["local_weight"] == 1 and root["global_weight"] == 1
    for code, want in local.items():
        assert nodes[code]["local_weight"] == pytest.approx(want, abs=1e-12)
        assert nodes[code]["global_weight"] == pytest.approx(global_[code], abs=1e-12)
        parent = nodes[nodes[code]["parent"]]
        assert nodes[code]["global_weight"] == pytest.approx(parent["global_weight"] * nodes[code]["local_weight"],
                                                             abs=1e-15)
        assert nodes[code]["cr"] is None and nodes[code]["s_star"] is None
    leaves = [n for n in doc["nodes"] if not any(m["parent"] == n["code"] for m in doc["nodes"])]
    assert len(leaves) == 64 - len({n["parent"] for n in doc["nodes"] if n["parent"]}) > 43
    assert math.fsum(n["global_weight"] for n in leaves) == pytest.approx(1, abs=1e-9)
    assert doc["method"]["kind"] == "delphi" and "mean_i" in doc["method"]["formula"]
    assert doc["panel"]["experts_used"] == 6 and doc["panel"]["experts_invited"] == 6
    assert doc["panel"]["rounds"] == {"delphi": 1, "ahp": 0}
    assert doc["provenance"]["round_ids"] == [full.round_id]
    assert doc["provenance"]["responses_used"] == 6


def test_first_level_round_by_hand(app, coordinator_client):
    """test_dashboard_support ROUND1: means A 17/4, B 17/4, C 12/4, D 7/3 (no opinion left out)."""
    from webapp.models import Round, Study
    from webapp.services import round_lifecycle, weight_sets

    built = build_round(app, alice(app))
    with app.app_context():
        round_lifecycle.close_round(db.session.get(Round, built.round_id))
        ws = weight_sets.publish(db.session.get(Study, built.study_id), db.session.get(Round, built.round_id))
        db.session.commit()
        nodes = {n["code"]: n for n in ws.document["nodes"]}
    total = 17 / 4 + 17 / 4 + 3 + 7 / 3
    assert set(nodes) == {"T", "A", "B", "C", "D"} or len(nodes) == 5
    for code, mean in {"A": 17 / 4, "B": 17 / 4, "C": 3.0, "D": 7 / 3}.items():
        assert nodes[code]["local_weight"] == pytest.approx(mean / total, abs=1e-15)
        assert nodes[code]["level"] == 1


def test_checksum_is_sha256_of_the_canonical_payload_and_versions_never_change(app, full):
    from webapp.models import ImmutableRow, WeightSet
    from webapp.services import weight_sets

    with app.app_context():
        study, rnd, user = _objects(app, full)
        v1 = weight_sets.publish(study, rnd, by=user, label="first")
        db.session.commit()
        text1, sum1 = v1.payload_text, v1.checksum
        doc = v1.document
        rest = {k: v for k, v in doc.items() if k != "checksum"}
        canonical = json.dumps(rest, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        assert hashlib.sha256(canonical.encode()).hexdigest() == doc["checksum"] == sum1
        v2 = weight_sets.publish(study, rnd, by=user, label="again")
        db.session.commit()
        assert (v1.version, v2.version) == (1, 2)
        assert db.session.get(WeightSet, v1.id).payload_text == text1
        v1.label = "changed"
        with pytest.raises(ImmutableRow):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(ImmutableRow):
            db.session.delete(db.session.get(WeightSet, v1.id))
            db.session.flush()
        db.session.rollback()
        assert db.session.get(WeightSet, v1.id).payload_text == text1
        assert [ws.version for ws in weight_sets.versions_of(study)] == [2, 1]


def test_withdraw_marks_and_dates_and_latest_skips_it(app, full):
    from webapp.models import AuditEvent
    from webapp.services import weight_sets
    from webapp.services.weight_sets import PublishError

    with app.app_context():
        study, rnd, user = _objects(app, full)
        v1 = weight_sets.publish(study, rnd, by=user)
        v2 = weight_sets.publish(study, rnd, by=user)
        weight_sets.withdraw(v2, by=user, reason="wrong round")
        db.session.commit()
        assert v2.is_withdrawn and v2.withdrawn_at is not None and v2.withdrawal.reason == "wrong round"
        assert weight_sets.latest_version(study).version == 1
        events_before = db.session.scalar(select(func.count(AuditEvent.id)))
        with pytest.raises(PublishError):
            weight_sets.withdraw(v2, by=user)
        db.session.rollback()
        assert db.session.scalar(select(func.count(AuditEvent.id))) == events_before
        weight_sets.withdraw(v1, by=user)
        db.session.commit()
        assert weight_sets.latest_version(study) is None
        assert v1.payload_text  # still there
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.study_id == study.id)).all()
        assert actions.count("weights.publish") == 2 and actions.count("weights.withdraw") == 2


def test_preview_is_exactly_what_is_frozen_and_diff_shows_changes(app, full):
    from webapp.models import Rating, Response, WeightSet
    from webapp.services import frozen_reports, weight_sets
    from webapp.services.weight_sets import PublishError

    with app.app_context():
        study, rnd, user = _objects(app, full)
        first = weight_sets.preview(study, rnd)
        assert first.previous is None and first.payload["version"] == 1
        assert all(row.change == "added" for row in first.diff)
        ws = weight_sets.publish(study, rnd, by=user, expected_digest=first.digest)
        db.session.commit()
        frozen = ws.payload
        assert {k: v for k, v in frozen.items() if k not in ("published_at", "label")} == \
            {k: v for k, v in first.payload.items() if k not in ("published_at", "label")}
        # an answer changes behind the coordinator's back: the old preview no longer publishes
        rating = db.session.scalars(select(Rating).join(Response).where(Response.round_id == rnd.id)
                                    .where(Rating.value.is_not(None))).first()
        code = rating.node.code
        rating.value = 1 if rating.value != 1 else 5
        # A closed round's answers are frozen (services/frozen_reports.py) and cannot change through
        # the app; an edit behind its back is only seen once the frozen report is forgotten, as a
        # reopening does.
        frozen_reports.thaw(rnd)
        db.session.commit()
        count = db.session.scalar(select(func.count(WeightSet.id)))
        with pytest.raises(PublishError):
            weight_sets.publish(study, rnd, by=user, expected_digest=first.digest)
        db.session.rollback()
        assert db.session.scalar(select(func.count(WeightSet.id))) == count
        second = weight_sets.preview(study, rnd)
        assert second.previous.version == 1 and second.payload["version"] == 2
        changes = {row.code: row.change for row in second.diff}
        assert changes[code] == "changed"
        row = next(r for r in second.diff if r.code == code)
        assert row.delta == pytest.approx(row.after["global_weight"] - row.before["global_weight"])


def test_bad_sources_are_refused_and_nothing_is_stored(app, full):
    from webapp.models import WeightSet
    from webapp.services import weight_sets
    from webapp.services.weight_sets import PublishError

    with app.app_context():
        study, rnd, user = _objects(app, full)
        good = weight_sets.source_of(rnd)
        bad_sum = json.loads(json.dumps(good))
        first = next(iter(bad_sum["local_weights"]))
        bad_sum["local_weights"][first] += 0.01
        unknown = json.loads(json.dumps(good))
        unknown["local_weights"]["ZZ9"] = 0.5
        orphan = json.loads(json.dumps(good))
        for code in ("A", "B", "C", "D"):
            orphan["local_weights"].pop(code, None)
        nan = json.loads(json.dumps(good))
        nan["local_weights"][first] = float("nan")
        for source in (bad_sum, unknown, orphan, nan):
            with pytest.raises(PublishError):
                weight_sets.build_payload(study, source, version=1, published_at=rnd.closed_at)
        assert db.session.scalar(select(func.count(WeightSet.id))) == 0


def test_open_round_cannot_be_published(app, coordinator_client):
    from webapp.models import Round, Study, WeightSet
    from webapp.services import weight_sets
    from webapp.services.weight_sets import PublishError

    built = build_round(app, alice(app))
    with app.app_context():
        with pytest.raises(PublishError):
            weight_sets.publish(db.session.get(Study, built.study_id), db.session.get(Round, built.round_id))
        db.session.rollback()
        assert db.session.scalar(select(func.count(WeightSet.id))) == 0


def test_an_ahp_source_as_the_contract_gives_it(app, full, monkeypatch):
    """contracts.md "Publishable weights": CR and S* on the block heads, intervals on the nodes,
    pseudonyms kept for the coordinator only (a count is published), group matrices carried over."""
    from webapp.models import RoundKind
    from webapp.services import weight_files, weight_sets, weight_xmcda

    with app.app_context():
        study, rnd, user = _objects(app, full)
        base = weight_sets.source_of(rnd)
        heads = sorted({code.split(".")[0] if "." in code else code[0] for code in base["local_weights"]})
        source = {
            "kind": "ahp",
            "local_weights": base["local_weights"],
            "block_cr": {"SQ": 0.031, **{h: 0.05 for h in heads}},
            "block_s_star": {"SQ": 0.78},
            "global_intervals": {"A": [0.2, 0.3]},
            "method": {"priority_method": "eigen", "aggregation": "aij", "expert_weights": "equal",
                       "threshold": 0.1, "ri_table": "saaty"},
            "panel": {"experts_invited": 6, "experts_used": ["E01", "E02", "E03"], "rounds": {"delphi": 1, "ahp": 1}},
            "provenance": {"round_ids": [rnd.id], "round_numbers": [rnd.number], "responses_used": 3,
                           "settings": {"ahp": {"priority_method": "eigen"}}},
            "block_matrices": {"SQ": {"codes": ["A", "B", "C", "D"],
                                      "matrix": [[1, 2, 2, 1], [0.5, 1, 1, 0.5], [0.5, 1, 1, 0.5], [1, 2, 2, 1]]}},
        }
        monkeypatch.setitem(weight_sets.SOURCES, "ahp", lambda r: source)
        monkeypatch.setattr(rnd, "kind", RoundKind.ahp)
        ws = weight_sets.publish(study, rnd, by=user)
        doc = ws.document
        nodes = {n["code"]: n for n in doc["nodes"]}
        assert nodes["SQ"]["cr"] == 0.031 and nodes["SQ"]["s_star"] == 0.78
        assert nodes["A"]["cr"] == 0.05 and nodes["A"]["interval"] == [0.2, 0.3]
        assert nodes["A1.1"]["cr"] is None                 # a leaf heads no block
        assert doc["panel"]["experts_used"] == 3 and ws.experts_used == ["E01", "E02", "E03"]
        assert "E01" not in ws.payload_text
        assert doc["method"]["kind"] == "ahp" and doc["method"]["aggregation"] == "aij"
        xml = weight_xmcda.to_xmcda(doc)
        assert b'mcdaConcept="pairwiseComparisons"' in xml and b'mcdaConcept="consistencyRatio"' in xml
        assert weight_files.to_csv(doc).decode("utf-8-sig").splitlines()[1].split(",")[7] == "0.031"
        db.session.rollback()
