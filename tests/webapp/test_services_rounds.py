"""The round lifecycle and answers, without HTTP."""
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

import delphi
from webapp.extensions import db
from webapp.models import (
    ItemDecision,
    Rating,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
    Study,
    StudyStatus,
    utcnow,
)
from webapp.services import between_rounds, round_lifecycle, round_scope
from webapp.services.answers import AnswerError, save_answers, submit_response
from webapp.services.delphi_items import round_report, stop_decision
from webapp.services.feedback import feedback_for
from webapp.services.round_lifecycle import RoundError


@pytest.fixture
def study(app, make_study, make_expert):
    study_id = make_study()
    experts = [make_expert(study_id, name=f"Expert {i}")[0] for i in range(4)]
    with app.app_context():
        yield db.session.get(Study, study_id), experts


def experts_of(study):
    return sorted(study.experts, key=lambda e: e.pseudonym)


def answer_all(expert, rnd, values, **extra):
    answers = [{"node_id": item.node_id, "value": v, **extra} for item, v in zip(rnd.items, values)]
    save_answers(expert, rnd, answers)


def test_round_one_asks_about_every_indicator_below_the_goal(study):
    s, _ = study
    rnd = round_scope.create_delphi_round(s)
    assert rnd.number == 1 and rnd.status is RoundStatus.draft
    assert len(rnd.items) == 63
    codes = [i.node.code for i in rnd.items]
    # level by level: the 4 elements, the 16 second-level, then the 43 third-level indicators
    assert codes[:6] == ["A", "B", "C", "D", "A1", "A2"]
    assert codes[20:23] == ["A1.1", "A1.2", "A1.3"] and codes[-1] == "D4.3"
    with pytest.raises(RoundError):  # one draft or open round at a time
        round_scope.create_delphi_round(s, rated_level=1)


def test_a_level_only_round(study):
    s, _ = study
    rnd = round_scope.create_delphi_round(s, rated_level=1)
    assert [i.node.code for i in rnd.items] == ["A", "B", "C", "D"]


def test_open_starts_the_study_and_close_is_once(study):
    s, _ = study
    rnd = round_scope.create_delphi_round(s, rated_level=1)
    round_lifecycle.open_round(rnd)
    assert rnd.status is RoundStatus.open and s.status is StudyStatus.running
    assert round_lifecycle.close_round(rnd) is True
    assert rnd.status is RoundStatus.closed
    with pytest.raises(RoundError):
        round_lifecycle.close_round(rnd)


def test_answers_submit_and_closing_keeps_drafts_as_drafts(study):
    s, _ = study
    e1, e2, e3, _e4 = experts_of(s)
    rnd = round_scope.create_delphi_round(s, rated_level=1)
    round_lifecycle.open_round(rnd)
    answer_all(e1, rnd, [5, 4, 3, 2])
    submit_response(e1, rnd)
    answer_all(e2, rnd, [4, 4, 4, 4])          # a draft, never submitted
    save_answers(e3, rnd, [{"node_id": rnd.items[0].node_id, "value": 5}])
    with pytest.raises(AnswerError):           # incomplete: 3 indicators missing
        submit_response(e3, rnd)
    round_lifecycle.close_round(rnd)
    statuses = dict(db.session.execute(select(Response.expert_id, Response.status)).all())
    assert statuses[e1.id] is ResponseStatus.submitted
    assert statuses[e2.id] is ResponseStatus.draft
    with pytest.raises(AnswerError):
        answer_all(e2, rnd, [1, 1, 1, 1])
    with pytest.raises(AnswerError):
        submit_response(e2, rnd)
    assert db.session.scalar(select(func.sum(Rating.value)).join(Response).where(Response.expert_id == e2.id)) == 16


def test_submitted_answers_cannot_change(study):
    s, _ = study
    e1 = experts_of(s)[0]
    rnd = round_scope.create_delphi_round(s, rated_level=1)
    round_lifecycle.open_round(rnd)
    answer_all(e1, rnd, [5, 4, 3, 2])
    submit_response(e1, rnd)
    with pytest.raises(AnswerError):
        answer_all(e1, rnd, [1, 1, 1, 1])


def test_the_deadline_holds_without_any_scheduler(study):
    s, _ = study
    e1 = experts_of(s)[0]
    now = utcnow()
    rnd = round_scope.create_delphi_round(s, rated_level=1, closes_at=now + timedelta(hours=1))
    round_lifecycle.open_round(rnd, now=now)
    answer_all(e1, rnd, [5, 4, 3, 2])
    late = now + timedelta(hours=1, seconds=1)
    with pytest.raises(AnswerError):
        submit_response(e1, rnd, now=late)
    db.session.refresh(rnd)
    assert rnd.status is RoundStatus.closed  # the late request closed it lazily


@pytest.mark.parametrize("bad", [
    {"value": 6}, {"value": 0}, {"value": 3.5}, {"value": "4"}, {"value": True},
    {"value": 4, "no_opinion": True}, {"comment": "x" * 4001},
])
def test_bad_answers_are_refused_whole(study, bad):
    s, _ = study
    e1 = experts_of(s)[0]
    rnd = round_scope.create_delphi_round(s, rated_level=1)
    round_lifecycle.open_round(rnd)
    good = {"node_id": rnd.items[0].node_id, "value": 3}
    with pytest.raises(AnswerError):
        save_answers(e1, rnd, [good, {"node_id": rnd.items[1].node_id, **bad}])
    db.session.rollback()
    assert db.session.scalar(select(func.count(Rating.id))) == 0


def test_an_indicator_outside_the_questionnaire_is_refused(study):
    s, _ = study
    e1 = experts_of(s)[0]
    rnd = round_scope.create_delphi_round(s, rated_level=1)
    round_lifecycle.open_round(rnd)
    leaf = next(n for n in s.nodes if n.code == "A1.1")
    with pytest.raises(AnswerError):
        save_answers(e1, rnd, [{"node_id": leaf.id, "value": 3}])


def test_report_matches_delphi_on_the_submitted_matrix(study):
    s, _ = study
    values = {0: [5, 4, 3, 2], 1: [4, 4, 3, 1], 2: [5, 5, 2, 2], 3: [3, 4, 4, 1]}
    rnd = round_scope.create_delphi_round(s, rated_level=1)
    round_lifecycle.open_round(rnd)
    for k, expert in enumerate(experts_of(s)):
        answer_all(expert, rnd, values[k])
        submit_response(expert, rnd)
    report = round_report(rnd)
    matrix = np.array([values[k] for k in range(4)], dtype=float)
    expected = delphi.item_stats(matrix, scale_max=5, agree_at=4)
    np.testing.assert_allclose([i.stats["mean"] for i in report.items], expected.mean)
    np.testing.assert_allclose([i.stats["iqr"] for i in report.items], expected.iqr)
    assert report.concordance.w == pytest.approx(delphi.kendall_w(matrix).w)
    assert report.answered == 4 and report.response_rate == 1.0
    assert [i.counts for i in report.items][0] == [0, 0, 1, 1, 2]  # item A: 5,4,5,3


def test_round_two_carries_what_round_one_leaves_and_gives_feedback(study):
    s, _ = study
    experts = experts_of(s)
    rnd1 = round_scope.create_delphi_round(s, rated_level=1)
    round_lifecycle.open_round(rnd1)
    for k, expert in enumerate(experts):
        answer_all(expert, rnd1, [5, 4, 1 + k, 3], comment="")
        submit_response(expert, rnd1)
    round_lifecycle.close_round(rnd1)
    b_item = next(i for i in rnd1.items if i.node.code == "B")
    between_rounds.set_item_decision(b_item, "drop")
    assert b_item.decision is ItemDecision.drop
    rnd2 = round_scope.create_delphi_round(s, rated_level=1, drop_consensus_items=True)
    codes = [i.node.code for i in rnd2.items]
    # A (all 5s: mean 5, CV 0) reached the cn-standard consensus and leaves; B was dropped.
    assert codes == ["C", "D"]
    round_lifecycle.open_round(rnd2)
    fb = feedback_for(experts[0], rnd2)
    c_node = rnd2.items[0].node_id
    assert fb[c_node].own_value == 1 and fb[c_node].median == pytest.approx(2.5)
    assert fb[c_node].counts == [1, 1, 1, 1, 0]
    assert fb[c_node].outside_iqr(1) is True and fb[c_node].outside_iqr(2) is False


def test_stop_decision_after_the_round_limit(study):
    s, _ = study
    s.max_rounds = 1
    rnd = round_scope.create_delphi_round(s, rated_level=1)
    round_lifecycle.open_round(rnd)
    for k, expert in enumerate(experts_of(s)):
        answer_all(expert, rnd, [5, 4, 1 + k, 3])
        submit_response(expert, rnd)
    decision = stop_decision(rnd)
    assert decision.stop is True and decision.reason == "max_rounds"


def test_expired_rounds_are_swept_once(study):
    s, _ = study
    now = utcnow()
    rnd = round_scope.create_delphi_round(s, rated_level=1, closes_at=now + timedelta(minutes=5))
    round_lifecycle.open_round(rnd, now=now)
    later = now + timedelta(minutes=6)
    assert round_lifecycle.close_expired_rounds(now=later) == [rnd.id]
    assert round_lifecycle.close_expired_rounds(now=later) == []


def test_due_rounds_open(study):
    s, _ = study
    now = utcnow()
    rnd = round_scope.create_delphi_round(s, rated_level=1, opens_at=now + timedelta(minutes=1),
                              closes_at=now + timedelta(days=2))
    assert round_lifecycle.open_due_rounds(now=now) == []
    assert round_lifecycle.open_due_rounds(now=now + timedelta(minutes=2)) == [rnd.id]
    db.session.refresh(rnd)
    assert rnd.status is RoundStatus.open and s.status is StudyStatus.running


def test_two_workers_closing_the_same_expired_round_close_it_once(db_url, tmp_path, app, make_study, make_expert):
    """Two app instances on one database stand for two processes (scheduler and a web worker)."""
    from tests.conftest import make_app
    from webapp.models import AuditEvent

    study_id = make_study()
    make_expert(study_id)  # a round opens only with somebody to answer it
    now = utcnow()
    with app.app_context():
        s = db.session.get(Study, study_id)
        rnd = round_scope.create_delphi_round(s, rated_level=1, closes_at=now + timedelta(minutes=1))
        round_lifecycle.open_round(rnd, now=now)
        db.session.commit()
        round_id = rnd.id
    other = make_app(db_url, tmp_path)
    later = now + timedelta(minutes=2)
    results = []
    for instance in (app, other):
        with instance.app_context():
            results.append(round_lifecycle.close_if_expired(db.session.get(Round, round_id), now=later))
            db.session.commit()
    assert results == [True, False]
    with app.app_context():
        closes = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "round.close"))
        assert closes == 1
    with other.app_context():
        db.engine.dispose()


def test_a_round_on_another_scale_than_the_rule_is_refused(study):
    s, _ = study
    assert delphi.ConsensusRule.preset("cn-standard").scale == (1, 5)
    with pytest.raises(RoundError, match="written for the scale 1–5"):
        round_scope.create_delphi_round(s, rated_level=1, scale_min=1, scale_max=9)
    assert db.session.scalar(select(func.count(Round.id))) == 0
    s.consensus_rule = delphi.ConsensusRule.preset("iqr-agreement").to_dict()
    if delphi.ConsensusRule.preset("iqr-agreement").scale is None:
        assert round_scope.create_delphi_round(s, rated_level=1, scale_min=1, scale_max=9).scale_max == 9


def test_an_opened_round_keeps_its_own_rule_whatever_the_study_holds_later(study):
    """The rule is frozen onto the round when it opens: a later value in the study (here even one
    written for another scale, set behind the service's back) changes nothing in its report."""
    s, _ = study
    rnd = round_scope.create_delphi_round(s, rated_level=1)
    round_lifecycle.open_round(rnd)
    for k, expert in enumerate(experts_of(s)):
        answer_all(expert, rnd, [5, 4, 1 + k, 3])
        submit_response(expert, rnd)
    s.consensus_rule = delphi.ConsensusRule(mean_min=7, scale=(1, 9)).to_dict()
    report = round_report(rnd)
    assert report.rule == delphi.ConsensusRule.preset("cn-standard")
    assert report.consensus_error is None
    assert [item.consensus for item in report.items] == [True, True, False, False]
    assert report.items[0].stats["mean"] == pytest.approx(5.0)


def test_pairwise_judgments_lock_the_hierarchy_too(study):
    """An AHP answer counts as an answer: the tree can no longer be replaced."""
    from webapp.models import Judgment, RoundKind
    from webapp.services import studies
    from webapp.services.demo import seed_hierarchy_bytes
    from webapp.services.hierarchy_io import HierarchyError, parse_json, validate_tree

    s, _ = study
    assert not studies.has_answers(s)
    rnd = Round(study=s, number=1, kind=RoundKind.ahp, status=RoundStatus.open, scale_min=1, scale_max=9)
    db.session.add(rnd)
    response = Response(expert=experts_of(s)[0], round=rnd)
    db.session.add(response)
    a, b = [n for n in s.nodes if n.code in ("A", "B")]
    db.session.add(Judgment(response=response, parent_node_id=a.parent_id, row_node_id=a.id,
                            col_node_id=b.id, value=3))
    db.session.flush()
    assert studies.has_answers(s)
    with pytest.raises(HierarchyError):
        studies.import_hierarchy(s, validate_tree(parse_json(seed_hierarchy_bytes())))
