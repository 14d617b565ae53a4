"""Benchmark of a whole AHP round on the server: 500 experts x the seed's 16 blocks.

Prints, in one run:

(a) the numerical part, ``webapp.services.ahp_analysis.analyze_round`` on the
    experts' signed judgments: each expert's priorities, CR and GCI, AIJ and
    AIP group weights (with the aggregated CR), S* per block and for the
    hierarchy, global weights and the bootstrap (1,000 resamples over experts,
    intervals and outrank probabilities) -- target under 150 ms;
(b) the same work by a per-expert Python loop (numpy.linalg.eig on one matrix
    at a time; the bootstrap one resample at a time) as the baseline ratio,
    after checking that both give the same weights;
(c) the dashboard's server time: GET of the AHP dashboard page (SQLite file
    database with the 500 submitted questionnaires, loading, analysis and
    rendering) -- target under 500 ms.

BLAS threads: OpenBLAS is pinned to one thread (``OPENBLAS_NUM_THREADS=1``) as in
bench/weighting_bench.py: on the shared 2-core machine its spinning threads slow small
matrix products many times over. Run with ``OPENBLAS_NUM_THREADS=2`` to compare.

Run:  .venv/bin/python bench/ahp_round_bench.py [--repeat 7] [--experts 500] [--no-dashboard]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import numpy as np  # noqa: E402

import ahp  # noqa: E402
from webapp.services import ahp_settings  # noqa: E402
from webapp.services.ahp_analysis import Block, analyze_round, pair_index  # noqa: E402

SEED = ROOT / "webapp" / "data" / "seed-indicators.json"
RESAMPLES = 1000
RI = ahp.RI_TABLES["saaty"]


def panel(tree: ahp.Hierarchy, k: int, rng) -> list[Block]:
    """Realistic judgments: a true weight vector per block, log-normal noise, signed Saaty values."""
    blocks = []
    for parent, kids in tree.groups():
        n = len(kids)
        true = rng.dirichlet(np.full(n, 2.0))
        pairs = pair_index(n)
        ratio = np.array([[true[i] / true[j] for i, j in pairs]]) * np.exp(rng.normal(0, 0.6, (k, len(pairs))))
        r = ahp.round_to_scale(ratio)
        blocks.append(Block(parent, tuple(kids), np.where(r >= 1, np.round(r), -np.round(1 / r))))
    return blocks


def parents_of(tree):
    return {c: tree.parent(c) for c in tree.codes}


# ---------------------------------------------------------------- baseline
def eig(a):
    vals, vecs = np.linalg.eig(a)
    t = np.argmax(vals.real)
    w = np.abs(vecs[:, t].real)
    return w / w.sum(), vals[t].real


def loop_round(tree, blocks, weights, resamples, seed):
    """One expert (and one resample) at a time."""
    k = len(weights)
    local_aij, local_aip, logs_of = {}, {}, {}
    for b in blocks:
        n = len(b.children)
        mats, vecs = [], []
        for e in range(k):                                   # per expert
            a = np.ones((n, n))
            for m, (i, j) in enumerate(pair_index(n)):
                v = b.values[e, m]
                a[i, j] = v if v > 0 else 1 / -v
                a[j, i] = 1 / a[i, j]
            w, lam = eig(a)
            _cr = (lam - n) / (n - 1) / RI[n] if n > 2 else 0.0
            g = np.exp(np.log(a).mean(axis=1))
            g /= g.sum()
            _gci = float((np.log(a * g[None, :] / g[:, None]) ** 2).sum() / ((n - 1) * (n - 2))) if n > 2 else 0.0
            mats.append(a)
            vecs.append(w)
        wsum = sum(weights)
        logs = sum(weights[e] * np.log(mats[e]) for e in range(k)) / wsum
        aij, _ = eig(np.exp(logs))
        aip = np.exp(sum(weights[e] * np.log(vecs[e]) for e in range(k)) / wsum)
        aip /= aip.sum()
        vec = np.array(vecs)
        h_alpha = float(np.mean([-(v * np.log(v)).sum() for v in vec]))
        mean = vec.mean(axis=0)
        h_beta = -(mean * np.log(mean)).sum() - h_alpha
        top, rest = 9 / (n + 8), 1 / (n + 8)
        inv_cor = math.exp(-top * math.log(top) - (n - 1) * rest * math.log(rest)) / n
        _s = (math.exp(-h_beta) - inv_cor) / (1 - inv_cor)
        local_aij.update(zip(b.children, aij))
        local_aip.update(zip(b.children, aip))
        logs_of[b.parent] = [np.log(x) for x in mats]
    draws = np.random.default_rng(seed).integers(0, k, size=(resamples, k))
    w = np.asarray(weights)
    stacked = {p: np.array(v) for p, v in logs_of.items()}
    samples = []
    for row in draws:                                          # per resample (numpy over the drawn experts)
        local = {}
        for b in blocks:
            agg = np.tensordot(w[row], stacked[b.parent][row], axes=1) / w[row].sum()
            local.update(zip(b.children, eig(np.exp(agg))[0]))
        glob = {tree.root: 1.0}
        for code in tree.codes[1:]:
            glob[code] = glob[tree.parent(code)] * local.get(code, 1.0)
        samples.append([glob[c] for c in tree.codes[1:]])
    return local_aij, local_aip, np.percentile(np.array(samples), [2.5, 97.5], axis=0)


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) * 1e3, float(np.median(times)) * 1e3


# --------------------------------------------------------------- dashboard
def dashboard_time(k, repeat):
    import os
    from datetime import timedelta

    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import Judgment, Response, ResponseStatus, utcnow
    from webapp.services import ahp_rounds, round_lifecycle, studies
    from webapp.services.accounts import create_coordinator
    from webapp.services.hierarchy_io import parse_json, validate_tree

    tmp = tempfile.mkdtemp()
    os.environ["CONCORDIA_INSTANCE_PATH"] = tmp
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3",
                      "SCHEDULER_ENABLED": False})
    rng = np.random.default_rng(7)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        owner = create_coordinator("bench", "bench-password-123")
        study = studies.create_study(owner, title="Bench")
        studies.import_hierarchy(study, validate_tree(parse_json(SEED.read_bytes())))
        experts = [studies.add_expert(study, name=f"Expert {i}").expert for i in range(k)]
        rnd = ahp_rounds.create_ahp_round(study, options={"bootstrap": {"resamples": RESAMPLES}})
        round_lifecycle.open_round(rnd)
        blocks = ahp_rounds.round_blocks(rnd)
        now = utcnow() - timedelta(minutes=1)
        for e in experts:
            resp = Response(expert=e, round=rnd, status=ResponseStatus.submitted, submitted_at=now)
            db.session.add(resp)
            for parent, kids in blocks:
                n = len(kids)
                true = np.linspace(1, 2, n)
                for i, j in pair_index(n):
                    r = float(ahp.round_to_scale(true[i] / true[j] * math.exp(rng.normal(0, 0.6))))
                    v = int(round(r)) if r >= 1 else -int(round(1 / r))
                    db.session.add(Judgment(response=resp, parent_node_id=parent.id, row_node_id=kids[i].id,
                                            col_node_id=kids[j].id, value=v))
        db.session.commit()
        study_id, round_id, owner_name = study.id, rnd.id, owner.username
    import re

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    client.post("/login", data={"username": owner_name, "password": "bench-password-123", "csrf_token": token})
    url = f"/studies/{study_id}/rounds/{round_id}/ahp-dashboard"
    first = client.get(url)
    assert first.status_code == 200, first.status_code

    def cold():
        ahp_rounds._CACHE.clear()  # the round's analysis computed afresh, as on its first view
        client.get(url)

    return best(cold, repeat), best(lambda: client.get(url), repeat)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--experts", type=int, default=500)
    ap.add_argument("--no-dashboard", action="store_true")
    args = ap.parse_args()
    tree = ahp.Hierarchy.from_dict(json.loads(SEED.read_text(encoding="utf-8")))
    rng = np.random.default_rng(20261201)
    blocks = panel(tree, args.experts, rng)
    weights = np.ones(args.experts)
    settings = ahp_settings.normalize({"bootstrap": {"resamples": RESAMPLES, "seed": 0}})
    names = [f"E{i:03d}" for i in range(args.experts)]
    parents = parents_of(tree)

    out = analyze_round(blocks, parents, names, weights, settings)
    t0 = time.perf_counter()
    aij, aip, pct = loop_round(tree, blocks, list(weights), RESAMPLES, 0)
    loop_ms = (time.perf_counter() - t0) * 1e3
    np.testing.assert_allclose([out.local_aij[c] for c in aij], list(aij.values()), atol=1e-10)
    np.testing.assert_allclose([out.local_aip[c] for c in aip], list(aip.values()), atol=1e-10)
    codes = list(tree.codes[1:])
    np.testing.assert_allclose([out.bootstrap.intervals[c] for c in codes], pct.T, atol=1e-10)

    full = best(lambda: analyze_round(blocks, parents, names, weights, settings), args.repeat)
    nob = best(lambda: analyze_round(blocks, parents, names, weights, settings, bootstrap=False), args.repeat)
    stacks = {b.parent: ahp.from_upper(np.where(b.values > 0, b.values, -1 / b.values), len(b.children))
              for b in blocks}
    ref = best(lambda: tree.analyze(stacks), args.repeat)
    print(f"experts {args.experts}, blocks {len(blocks)}, bootstrap {RESAMPLES} resamples")
    print(f"(0) reference, ahp.Hierarchy.analyze alone (bench/ahp_bench.py (b), README: 12 ms unloaded): "
          f"{ref[0]:.1f} ms -- the machine's load factor for this run")
    print(f"(a) numerical, vectorised:  best {full[0]:7.1f} ms  median {full[1]:7.1f} ms  (target < 150 ms)"
          f"  [without bootstrap {nob[0]:.1f} ms]")
    print(f"(b) per-expert loop:        {loop_ms:7.1f} ms  -> {loop_ms / full[0]:.0f}x slower (same weights and intervals)")
    if not args.no_dashboard:
        cold, warm = dashboard_time(args.experts, args.repeat)
        print(f"(c) dashboard page (GET), first view: best {cold[0]:7.1f} ms  median {cold[1]:7.1f} ms"
              f"  (target < 500 ms)")
        print(f"    again (analysis cached):  best {warm[0]:7.1f} ms  median {warm[1]:7.1f} ms")


if __name__ == "__main__":
    main()
