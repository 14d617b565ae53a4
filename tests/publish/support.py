"""Studies with closed Delphi rounds to publish from (shared by the publish tests).

``build_full`` : the seed hierarchy (4 + 16 + 43 indicators), six experts rating every
indicator on 1–5 (fixed seed, some "no opinion"), round closed.
``build_first_level`` : test_dashboard_support's round 1 (A–D, four submitted answers), closed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

from webapp.extensions import db


@dataclass
class Full:
    study_id: int
    round_id: int
    ratings: dict  # code -> list of values (None = no opinion), one per submitted expert


def build_full(app, owner_id: int, *, seed: int = 7, title: str = "发布研究 · Publish study",
               experts: int = 6) -> Full:
    from webapp.models import User
    from webapp.services import round_lifecycle, round_scope, studies
    from webapp.services.answers import save_answers, submit_response
    from webapp.services.demo import seed_hierarchy_bytes
    from webapp.services.hierarchy_io import parse_json, validate_tree

    rng = np.random.default_rng(seed)
    with app.app_context():
        study = studies.create_study(db.session.get(User, owner_id), title=title)
        studies.import_hierarchy(study, validate_tree(parse_json(seed_hierarchy_bytes())))
        panel = [studies.add_expert(study, name=f"Secret Name {i}", email=f"x{i}@example.org",
                                    pseudonym=f"E{i:02d}").expert for i in range(1, experts + 1)]
        db.session.flush()
        rnd = round_scope.create_delphi_round(study)
        round_lifecycle.open_round(rnd)
        ratings: dict[str, list] = {item.node.code: [] for item in rnd.items}
        for expert in panel:
            answers = []
            for item in rnd.items:
                value = None if rng.random() < 0.05 else int(rng.integers(1, 6))
                ratings[item.node.code].append(value)
                answers.append({"node_id": item.node_id, "value": value, "no_opinion": value is None})
            # every indicator needs at least one rating
            save_answers(expert, rnd, answers)
            submit_response(expert, rnd)
        round_lifecycle.close_round(rnd)
        db.session.commit()
        return Full(study.id, rnd.id, ratings)


def parent_codes(app, study_id: int) -> dict:
    """code -> parent code (None for the goal), from the database."""
    from webapp.models import Node

    with app.app_context():
        nodes = db.session.scalars(select(Node).where(Node.study_id == study_id)).all()
        by_id = {n.id: n.code for n in nodes}
        return {n.code: by_id.get(n.parent_id) for n in nodes}


def expected_weights(ratings: dict, parents: dict) -> tuple[dict, dict]:
    """Independent computation: mean over given ratings, normalised per sibling group; globals by products."""
    mean = {code: np.mean([v for v in values if v is not None]) for code, values in ratings.items()}
    local = {}
    for code in ratings:
        siblings = [c for c in ratings if parents[c] == parents[code]]
        local[code] = mean[code] / sum(mean[c] for c in siblings)
    root = next(c for c, p in parents.items() if p is None)

    def global_of(code):
        return 1.0 if code == root else local[code] * global_of(parents[code])

    return local, {code: global_of(code) for code in ratings}
