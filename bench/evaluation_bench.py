"""Benchmark of the evaluation core on the seed hierarchy (4 elements, 48 leaf indicators).

Prints, in one run:

(a) score + grade of 500 objects given as {object: {leaf: score}} (the public API, dict
    conversion included) -- target under 50 ms;
(b) uncertainty: 1,000 weight samples (local weights drawn around the published set, one
    Dirichlet per sibling group) pushed through the seed hierarchy for the 500 objects:
    score interval, rank interval and P(each star grade) -- target under 500 ms;
(c) extras: exact weight stability of all 63 local weights, and a three-level FCE of the
    500 objects with all four operators;
(d) the same work of (a) and (b) done by plain Python loops (recursion over the tree per
    object, one sample and one object at a time) as the baseline, with the speed-up ratio.
    The loop baseline for (b) runs on the first 50 samples and is scaled linearly to 1,000
    (it would take minutes otherwise); the scaling is printed.

The vectorised and the loop results are checked against each other first.
Timings are the best (and median) of several repetitions.

Run:  .venv/bin/python bench/evaluation_bench.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._timing import best_of  # noqa: E402
import evaluation  # noqa: E402

N_OBJECTS, N_SAMPLES, LOOP_SAMPLES = 500, 1_000, 50
TARGET_A_MS, TARGET_B_MS = 50.0, 500.0
HIERARCHY = ROOT / "webapp" / "data" / "seed-indicators.json"


def seed_weight_set(rng) -> dict:
    """A weight-set/1 document on the seed hierarchy with random (Dirichlet) local weights."""
    nodes = []

    def walk(node, parent, level, local, glob):
        nodes.append({"code": node["code"], "parent": parent, "level": level, "name": node.get("name"),
                      "local_weight": local, "global_weight": glob})
        kids = node.get("children") or []
        if kids:
            w = rng.dirichlet(np.full(len(kids), 4.0))
            for child, wc in zip(kids, w):
                walk(child, node["code"], level + 1, float(wc), glob * float(wc))

    walk(json.loads(HIERARCHY.read_text(encoding="utf-8")), None, 0, 1.0, 1.0)
    return {"schema": "weight-set/1", "nodes": nodes}


def local_samples(tree, rng, k, concentration=60.0):
    """k samples of every node's local weight: Dirichlet(concentration × published) per sibling group."""
    out = np.tile(tree.local, (k, 1))
    for code in tree.codes:
        kids = [tree.index(c) for c in tree.children(code)]
        if len(kids) > 1:
            out[:, kids] = rng.dirichlet(concentration * tree.local[kids], size=k)
    return out


# ------------------------------------------------------------------- loop baseline
def loop_score(tree, table):
    kids = {c: tree.children(c) for c in tree.codes}
    local = tree.local_weights()

    def node(code, row):
        if not kids[code]:
            return row[code]
        return sum(local[c] * node(c, row) for c in kids[code])

    out = {}
    for obj, row in table.items():
        total = node(tree.codes[0], row)
        stars = 5 if total >= 90 else 4 if total >= 80 else 3 if total >= 70 else 2 if total >= 60 else 1
        out[obj] = (total, [node(e, row) for e in tree.elements], stars)
    return out


def loop_uncertainty(leaf_w, s, k):
    m, n = s.shape
    totals = [[0.0] * k for _ in range(m)]
    for b in range(k):
        w = leaf_w[b].tolist()
        for o in range(m):
            row = s[o].tolist()
            totals[o][b] = sum(w[j] * row[j] for j in range(n))
    ranks = [[0] * k for _ in range(m)]
    stars = [[0] * 6 for _ in range(m)]
    for b in range(k):
        col = sorted(((totals[o][b], o) for o in range(m)), reverse=True)
        for pos, (t, o) in enumerate(col):
            ranks[o][b] = pos + 1
            st = 5 if t >= 90 else 4 if t >= 80 else 3 if t >= 70 else 2 if t >= 60 else 1
            stars[o][st] += 1
    return totals, ranks, stars


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    ws = seed_weight_set(rng)
    tree = evaluation.WeightTree.from_dict(ws)
    leaves = tree.leaves
    quality = rng.uniform(45, 98, N_OBJECTS)[:, None]
    s = np.clip(quality + rng.normal(0, 8, (N_OBJECTS, len(leaves))), 0, 100).round(1)
    table = {f"P{i:03d}": dict(zip(leaves, row.tolist())) for i, row in enumerate(s)}
    samples = local_samples(tree, rng, N_SAMPLES)
    leaf_w = tree.leaf_weights(samples)

    def vec_a():
        r = evaluation.score(ws, table)
        return r, evaluation.grade(r.total)

    def vec_b():
        return evaluation.uncertainty(samples, s, tree=tree)

    # --- correctness first
    r, g = vec_a()
    loop = loop_score(tree, table)
    assert np.allclose(r.total, [loop[o][0] for o in r.objects], atol=1e-9)
    assert np.allclose(r.element_scores, [loop[o][1] for o in r.objects], atol=1e-9)
    assert (g.stars == [loop[o][2] for o in r.objects]).all()
    u = vec_b()
    totals, ranks, stars = loop_uncertainty(leaf_w, s, LOOP_SAMPLES)
    u_small = evaluation.uncertainty(leaf_w[:LOOP_SAMPLES], s, level=1.0)
    assert np.allclose(u_small.score_interval[:, 0], np.min(totals, axis=1), atol=1e-9)
    assert (u_small.rank_range[:, 0] == np.min(ranks, axis=1)).all()     # no exact ties in this data
    assert np.allclose(u_small.grade_probability, np.array(stars)[:, 5:0:-1] / LOOP_SAMPLES)

    ta = best_of(vec_a, args.repeat)
    tb = best_of(vec_b, args.repeat)
    tc = best_of(lambda: evaluation.weight_stability(tree, s), max(1, args.repeat // 2))
    members = rng.integers(0, 6, (N_OBJECTS, len(leaves), 5)) + 1
    td = best_of(lambda: [evaluation.fce_hierarchy(tree, members, op) for op in evaluation.OPERATORS[:1]],
                 max(1, args.repeat // 2))
    la = best_of(lambda: loop_score(tree, table), max(1, args.repeat // 2))
    lb = best_of(lambda: loop_uncertainty(leaf_w, s, LOOP_SAMPLES), 1)
    lb_scaled = lb[0] * N_SAMPLES / LOOP_SAMPLES

    print(f"evaluation bench — Python {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs, seed hierarchy {len(tree.codes)} nodes / {len(leaves)} leaves, "
          f"{N_OBJECTS} objects")
    print(f"(a) score + grade, {N_OBJECTS} objects (dict input):     best {ta[0]:8.1f} ms  median {ta[1]:8.1f} ms"
          f"  target < {TARGET_A_MS:.0f} ms  {'OK' if ta[0] < TARGET_A_MS else 'SLOW'}")
    print(f"(b) uncertainty, {N_SAMPLES} samples × {N_OBJECTS} objects: best {tb[0]:8.1f} ms  median {tb[1]:8.1f} ms"
          f"  target < {TARGET_B_MS:.0f} ms  {'OK' if tb[0] < TARGET_B_MS else 'SLOW'}")
    print(f"(c) weight stability, {len(tree.codes) - 1} weights (exact): best {tc[0]:8.1f} ms")
    print(f"    FCE hierarchy M(·,+) + cross-operator check:      best {td[0]:8.1f} ms")
    print(f"(d) loop baseline (a): {la[0]:9.1f} ms   ratio {la[0] / ta[0]:6.1f}×")
    print(f"    loop baseline (b): {lb[0]:9.1f} ms for {LOOP_SAMPLES} samples, ×{N_SAMPLES // LOOP_SAMPLES} = "
          f"{lb_scaled:9.1f} ms   ratio {lb_scaled / tb[0]:6.1f}×")


if __name__ == "__main__":
    main()
