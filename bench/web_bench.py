"""Queries and server time of the heaviest pages at 8, 100 and 1,000 experts (seed hierarchy).

Builds one study per panel size on the seed standard's indicator system (63 indicators
below the goal): round 1 asked about every indicator, answered by the whole panel and
closed; round 2 open with half the panel submitted. Then requests, through the Flask test
client on a SQLite file,

- the study page (``/studies/<id>``),
- the round-2 dashboard (``/studies/<id>/rounds/<r2>/dashboard``: the open round, read live, beside
  the closed round 1 from its frozen report), viewed again (its figures remembered by the digest of
  the answers) and "cold" (its answers read and every figure computed: the first view after a
  new submission),
- the round-1 dashboard (closed: everything from its frozen report),
- an expert's round-2 questionnaire (``/expert/rounds/<r2>``, with round 1's feedback), and the
  feedback alone (``feedback.feedback_for``, the part that used to grow with the panel),
- one autosave of a single answer (``POST /api/v1/rounds/<r2>/answers``),

and prints the SQL statements per request, the HTML size and the best server time of several
requests, with each size's ratio to the 8-expert baseline measured in the same run, and the
machine's load average (the figures are only comparable within one run).

Run:  .venv/bin/python bench/web_bench.py [--sizes 8 100 1000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import event, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import (  # noqa: E402
    Expert,
    Rating,
    Response,
    ResponseStatus,
    Round,
    RoundItem,
    User,
    hash_token,
    utcnow,
)
from webapp.services import accounts, round_lifecycle, round_scope, studies  # noqa: E402
from webapp.services.demo import seed_hierarchy_bytes  # noqa: E402
from webapp.services.delphi_items import FIGURES  # noqa: E402
from webapp.services.round_data import OPEN_ANSWERS  # noqa: E402
from webapp.services.feedback import feedback_for  # noqa: E402
from webapp.services.hierarchy_io import parse_json, validate_tree  # noqa: E402

PASSWORD = "benchmark password 1"
BASIS = {"practice": "high", "theory": "medium", "literature": "medium", "intuition": "low"}


def build(app, n_experts: int, seed: int = 20261201) -> dict:
    """The two-round study; ratings are written in bulk (the services would take minutes at 1,000)."""
    rng = np.random.default_rng(seed)
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "bench"))
        study = studies.create_study(owner, title=f"Bench {n_experts}")
        studies.import_hierarchy(study, validate_tree(parse_json(seed_hierarchy_bytes())))
        tokens = [studies.add_expert(study, name=f"X{i}", familiarity="familiar", basis=dict(BASIS)).token
                  for i in range(n_experts)]
        db.session.flush()
        experts = sorted(study.experts, key=lambda e: e.id)
        now = utcnow()
        ids = {}
        for number, share in ((1, 1.0), (2, 0.5)):
            rnd = round_scope.create_delphi_round(study)
            round_lifecycle.open_round(rnd)
            nodes = [item.node_id for item in rnd.items]
            answering = experts[: max(2, int(len(experts) * share))]
            db.session.execute(insert(Response), [
                {"expert_id": e.id, "round_id": rnd.id, "status": ResponseStatus.submitted, "created_at": now,
                 "updated_at": now, "submitted_at": now} for e in answering])
            response_ids = dict(db.session.execute(select(Response.expert_id, Response.id)
                                                   .where(Response.round_id == rnd.id)).all())
            values = rng.integers(1, 6, size=(len(answering), len(nodes)))
            db.session.execute(insert(Rating), [
                {"response_id": response_ids[e.id], "node_id": node, "value": int(values[i, j]),
                 "no_opinion": False, "comment": "", "reason": "", "updated_at": now}
                for i, e in enumerate(answering) for j, node in enumerate(nodes)])
            if number == 1:
                round_lifecycle.close_round(rnd)
            ids[number] = rnd.id
            ids["items"] = len(nodes)
        db.session.commit()
        # The expert who opens the questionnaire has not submitted round 2 (the last one).
        return {"study": study.id, "round1": ids[1], "round2": ids[2], "token": tokens[-1], "items": ids["items"]}


def forget_figures() -> None:
    """What a new submission changes: the open round's answers and every figure, computed again."""
    FIGURES.clear()
    OPEN_ANSWERS.clear()


class QueryCounter:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args, **_kwargs):
        self.count += 1


def measure(client, counter, method: str, path: str, repeat: int, before=None, **kwargs) -> tuple[int, float, int]:
    """SQL statements, best time (ms) and size of ``repeat`` requests (``before()`` runs before each)."""
    times, queries, size = [], 0, 0
    for _ in range(repeat):
        if before is not None:
            before()
        counter.count = 0
        start = time.perf_counter()
        response = getattr(client, method)(path, **kwargs)
        times.append(time.perf_counter() - start)
        queries, size = counter.count, len(response.data)
        assert response.status_code in (200, 302), (path, response.status_code)
    return queries, min(times) * 1000, size


def measure_feedback(app, counter, built: dict, repeat: int) -> tuple[int, float, int]:
    """``feedback_for`` alone, for the expert who opens the questionnaire (no template)."""
    times, queries = [], 0
    for _ in range(repeat):
        with app.test_request_context():
            expert = db.session.scalar(select(Expert).where(Expert.token_hash == hash_token(built["token"])))
            rnd = db.session.get(Round, built["round2"])
            counter.count = 0
            start = time.perf_counter()
            feedback_for(expert, rnd)
            times.append(time.perf_counter() - start)
            queries = counter.count
            db.session.remove()
    return queries, min(times) * 1000, 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 100, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="concordia-bench-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3", "SECRET_KEY": "bench",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "WTF_CSRF_ENABLED": True})
    with app.app_context():
        db.create_all()
        accounts.create_coordinator("bench", PASSWORD)
        db.session.commit()
        counter = QueryCounter(db.engine)
    print(f"Python {platform.python_version()}, SQLite file, best of {args.repeat} requests; "
          f"queries = SQL statements per request; load average at start {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    rows, base = [], {}
    for size in args.sizes:
        built = build(app, size)
        coordinator, expert = app.test_client(), app.test_client()
        token = coordinator.get("/api/v1/csrf-token").get_json()["csrf_token"]
        coordinator.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
        expert.get(f"/i/{built['token']}")
        with app.app_context():
            node = db.session.scalar(select(RoundItem.node_id).where(RoundItem.round_id == built["round2"]))
        csrf = expert.get("/api/v1/csrf-token").get_json()["csrf_token"]
        pages = {
            "study page": ("get", f"/studies/{built['study']}", {}),
            "dashboard r2": ("get", f"/studies/{built['study']}/rounds/{built['round2']}/dashboard", {}),
            "  r2 cold": ("get", f"/studies/{built['study']}/rounds/{built['round2']}/dashboard",
                          {"before": forget_figures}),
            "dashboard r1": ("get", f"/studies/{built['study']}/rounds/{built['round1']}/dashboard", {}),
            "questionnaire": ("get", f"/expert/rounds/{built['round2']}", {}, expert),
            "autosave": ("post", f"/api/v1/rounds/{built['round2']}/answers",
                         {"json": {"answers": [{"node_id": node, "value": 3}]}, "headers": {"X-CSRF-Token": csrf}},
                         expert),
        }
        for name, spec in pages.items():
            client = spec[3] if len(spec) > 3 else coordinator
            queries, ms, size_bytes = measure(client, counter, spec[0], spec[1], args.repeat, **spec[2])
            if size == args.sizes[0]:
                base[name] = ms
            rows.append((size, name, queries, ms, ms / base[name], size_bytes))
            if name == "questionnaire":
                queries, ms, _ = measure_feedback(app, counter, built, args.repeat)
                if size == args.sizes[0]:
                    base["feedback"] = ms
                rows.append((size, "  its feedback", queries, ms, ms / base["feedback"], 0))
    print(f"\n{'experts':>8}  {'page':<14} {'queries':>8} {'time ms':>9} {'× baseline':>11} {'HTML KB':>8}")
    for size, name, queries, ms, ratio, size_bytes in rows:
        html = f"{size_bytes / 1024:>8.0f}" if size_bytes else f"{'':>8}"
        print(f"{size:>8}  {name:<14} {queries:>8} {ms:>9.1f} {ratio:>10.1f}× {html}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
