"""Two coordinators, each with a study the security tests attack from the other side.

Each side: a study with the seed hierarchy, three experts, round 1 closed with every
expert's answers, comments, reasons and a proposal, and round 2 open with a draft of
the first expert. ``Side`` holds the ids the route generator puts into URLs.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select

from tests.conftest import PASSWORD, login
from webapp.extensions import db


@dataclass
class Side:
    username: str
    study_id: int = 0
    round_id: int = 0          # round 1: closed, answered by everyone
    open_round_id: int = 0     # round 2: open
    ahp_round_id: int = 0      # an AHP round on the first level, closed, with a judgment of the first expert
    g1_round_id: int = 0       # a G1 round on the first level, closed, answered by the first expert
    zero_round_id: int = 0     # round 0 (open proposals), closed, with a proposal and a comment of the first expert
    zero_proposal_id: int = 0  # that proposal
    node_id: int = 0           # an indicator of the study
    expert_id: int = 0         # the first expert
    group_id: int = 0          # the study's first stakeholder group (the first expert belongs to it)
    proposal_id: int = 0
    version: int = 0           # a published weight set (from round 1)
    evaluation_id: int = 0     # an evaluation using it
    api_key: str = ""          # the study's key for the published-weights API (the study is private)
    object_id: int = 0         # its evaluated object, scored by its evaluator
    evaluator_id: int = 0
    evaluator_token: str = ""  # the evaluator's link token
    token: str = ""            # the first expert's invitation token
    experts: list[tuple[int, str]] = field(default_factory=list)  # (id, token)
    identities: list[dict] = field(default_factory=list)           # name, e-mail … per expert


def build_side(app, make_coordinator, make_study, make_expert, username: str) -> Side:
    from webapp.models import Expert, Node, Round, Study
    from webapp.services import ahp_answers, ahp_rounds, g1bwm_answers, evaluations, evaluators, round_lifecycle, round_scope, round_zero, weight_sets
    from webapp.services.answers import add_proposal, save_answers, submit_response

    side = Side(username)
    owner = make_coordinator(username, display_name=f"Coordinator {username}")
    side.study_id = make_study(owner, title=f"Study of {username}")
    for i in range(3):
        expert_id, token = make_expert(
            side.study_id, name=f"Name{username}{i}x", email=f"mail{username}{i}x@example.org",
            organisation=f"Org{username}{i}x", familiarity="familiar",
            basis={"practice": "high", "theory": "medium", "literature": "medium", "intuition": "low"})
        side.experts.append((expert_id, token))
    side.expert_id, side.token = side.experts[0]
    with app.app_context():
        study = db.session.get(Study, side.study_id)
        side.group_id = study.groups[0].id
        db.session.get(Expert, side.expert_id).group_id = side.group_id
        zero = round_zero.create_round_zero(study)  # round 0 comes before round 1 opens
        round_lifecycle.open_round(zero)
        first_expert = db.session.get(Expert, side.experts[0][0])
        zero_proposal = round_zero.propose(first_expert, zero, kind="add", text=f"Zero{username}x",
                                           description="what", parent_node_id=study.root.id)
        round_zero.save_comment(first_expert, zero, f"ZeroComment{username}x")
        round_zero.submit(first_expert, zero)
        round_lifecycle.close_round(zero)
        side.zero_round_id, side.zero_proposal_id = zero.id, zero_proposal.id
        first = round_scope.create_delphi_round(study, rated_level=1, allow_proposals=True)
        round_lifecycle.open_round(first)
        for k, (expert_id, _token) in enumerate(side.experts):
            expert = db.session.get(Expert, expert_id)
            side.identities.append({"name": expert.name, "email": expert.email, "organisation":
                                    expert.organisation, "pseudonym": expert.pseudonym})
            answers = [{"node_id": item.node_id, "value": 1 + (k + j) % 5,
                        "comment": f"Comment{username}{k}x{j}"} for j, item in enumerate(first.items)]
            save_answers(expert, first, answers)
            if k == 0:
                proposal = add_proposal(expert, first, kind="add", text=f"Proposal{username}{k}x",
                                        rationale="why")
            submit_response(expert, first)
        round_lifecycle.close_round(first)
        db.session.flush()
        side.proposal_id = proposal.id
        side.round_id = first.id
        weight_set = weight_sets.publish(study, first, label=f"Label{username}x")
        side.version = weight_set.version
        evaluation = evaluations.create_evaluation(
            study, weight_set_id=weight_set.id, title=f"Evaluation{username}x", kind="self_assessment")
        side.evaluation_id = evaluation.id
        (evaluated,) = evaluations.add_objects(evaluation, [f"Platform{username}x"])
        invitation = evaluators.add_evaluator(evaluation, f"Evaluator{username}x", [evaluated.id])
        leaf = evaluations.tree_of(evaluation).leaves[0]
        evaluators.save_scores(invitation.evaluator, evaluated, {leaf: "80"}, {leaf: f"Evidence{username}x"})
        side.object_id, side.evaluator_id = evaluated.id, invitation.evaluator.id
        side.evaluator_token = invitation.token
        side.api_key = weight_sets.rotate_api_key(study)
        pairwise = ahp_rounds.create_ahp_round(study, levels=[1])
        round_lifecycle.open_round(pairwise)
        (block, children), = ahp_rounds.round_blocks(pairwise)
        ahp_answers.save_judgments(db.session.get(Expert, side.expert_id), pairwise, [
            {"block": block.id, "row": children[0].id, "col": children[1].id, "value": 3}])
        round_lifecycle.close_round(pairwise)  # one round at a time: round 2 (Delphi) opens next
        side.ahp_round_id = pairwise.id
        ordered = ahp_rounds.create_ahp_round(study, levels=[1], options={"method": "g1"})
        round_lifecycle.open_round(ordered)
        (block, children), = ahp_rounds.round_blocks(ordered)
        g1bwm_answers.save_blocks(db.session.get(Expert, side.expert_id), ordered, [
            {"block": block.id, "order": [c.id for c in children], "ratios": [1.2] * (len(children) - 1)}])
        round_lifecycle.close_round(ordered)
        side.g1_round_id = ordered.id
        second = round_scope.create_delphi_round(study, rated_level=1)
        round_lifecycle.open_round(second)
        save_answers(db.session.get(Expert, side.expert_id), second,
                     [{"node_id": second.items[0].node_id, "value": 3}])
        side.open_round_id = second.id
        side.node_id = db.session.scalar(select(Node.id).where(Node.study_id == study.id, Node.code == "A1.1"))
        db.session.commit()
        assert db.session.get(Round, side.round_id).status.value == "closed"
    return side


@dataclass
class World:
    alice: Side
    bob: Side


def build_world(app, make_coordinator, make_study, make_expert) -> World:
    return World(alice=build_side(app, make_coordinator, make_study, make_expert, "alice"),
                 bob=build_side(app, make_coordinator, make_study, make_expert, "bob"))


# --- clients -----------------------------------------------------------------------------------

def coordinator_client(app, side: Side):
    client = app.test_client()
    response = login(client, side.username, PASSWORD)
    assert response.status_code == 302, response.data[:300]
    return client


def expert_client(app, side: Side, k: int = 0):
    client = app.test_client()
    response = client.get(f"/i/{side.experts[k][1]}")
    assert response.status_code == 302, response.data[:300]
    return client


def evaluator_client(app, side: Side):
    client = app.test_client()
    response = client.get(f"/evaluate/i/{side.evaluator_token}")
    assert response.status_code == 302, response.data[:300]
    return client


# --- "nothing changed" -------------------------------------------------------------------------

IGNORED_TABLES = {"login_attempt"}


def fingerprint(app) -> str:
    """A digest of every row of every table (but the login throttle's)."""
    digest = hashlib.sha256()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if table.name in IGNORED_TABLES:
                continue
            rows = sorted(repr(tuple(row)) for row in db.session.execute(select(table)).all())
            digest.update(table.name.encode())
            for row in rows:
                digest.update(row.encode())
        db.session.rollback()
    return digest.hexdigest()
