"""Benchmark of the ahp core: a stack of matrices and a whole panel on the seed hierarchy.

Prints, in one run:

(a) priorities + consistency (lambda_max, CI, CR, GCI) of 10,000 random 5 x 5
    Saaty matrices -- target under 50 ms;
(b) a whole panel on the seed hierarchy: 500 experts' complete judgments for
    every sibling group -> each expert's priorities, CR and GCI, the AIJ and AIP
    group weights (with the AIJ matrix's CR), S* per group and for the
    hierarchy, local and global weights -- target under 150 ms;
(c) the same work done by a plain per-matrix Python loop (numpy.linalg.eig on
    one matrix at a time) as the baseline, with the speed-up ratio.

The vectorised and the loop results are checked against each other first.
Timings are the best (and median) of several repetitions.

Run:  .venv/bin/python bench/ahp_bench.py [--repeat 20] [--hierarchy PATH]
The hierarchy is webapp/data/seed-indicators.json if present, else
../shared/reference/seed-indicators.json, else the copy in tests/ahp/data/.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
from pathlib import Path

import numpy as np

# Run from anywhere: make the repository root importable (the editable install
# registered ahp/ as a namespace package before it had an __init__.py).
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._timing import best_of  # noqa: E402
import ahp  # noqa: E402

N_MATRICES, N_SIZE = 10_000, 5
N_EXPERTS = 500
TARGET_A_MS, TARGET_B_MS = 50.0, 150.0
RI = ahp.RI_TABLES["saaty"]
HIERARCHY_CANDIDATES = [
    ROOT / "webapp" / "data" / "seed-indicators.json",
    ROOT.parent / "shared" / "reference" / "seed-indicators.json",
    ROOT / "tests" / "ahp" / "data" / "seed-indicators.json",
]


# ------------------------------------------------------------------- data
def random_stack(rng, count: int, n: int) -> np.ndarray:
    """Every upper judgment drawn uniformly from the 17 Saaty values (badly inconsistent)."""
    return ahp.from_upper(rng.choice(ahp.SAATY_VALUES, (count, n * (n - 1) // 2)), n)


def panel_judgments(rng, hierarchy: ahp.Hierarchy, k: int) -> dict:
    """A realistic panel: a shared 'true' weight vector per group, each expert's
    judgments w_i/w_j times log-normal noise, rounded to the Saaty scale."""
    out = {}
    for parent, kids in hierarchy.groups():
        n = len(kids)
        true = rng.dirichlet(np.full(n, 2.0))
        iu, ju = np.triu_indices(n, 1)
        ratio = true[iu] / true[ju] * np.exp(rng.normal(0.0, 0.6, (k, iu.size)))
        out[parent] = ahp.from_upper(ahp.round_to_scale(ratio), n)
    return out


# -------------------------------------------------------------- vectorised
def vector_stack(a):
    return ahp.priorities(a), ahp.consistency(a)


def vector_panel(hierarchy, judgments):
    return hierarchy.analyze(judgments)


# ------------------------------------------------------- per-matrix loop
def loop_eigen(a):
    vals, vecs = np.linalg.eig(a)
    top = np.argmax(vals.real)
    w = np.abs(vecs[:, top].real)
    return w / w.sum(), vals[top].real


def loop_consistency(a):
    n = a.shape[0]
    w, lam = loop_eigen(a)
    ci = max((lam - n) / (n - 1), 0.0) if n > 2 else 0.0
    cr = ci / RI[n] if n > 2 else 0.0
    g = np.exp(np.log(a).mean(axis=1))
    g /= g.sum()
    gci = 0.0
    if n > 2:
        e = np.log(a * g[None, :] / g[:, None])
        gci = float((e * e).sum() / ((n - 1) * (n - 2)))
    return w, lam, ci, cr, gci


def loop_stack(stack):
    return [loop_consistency(a) for a in stack]


def loop_s_star(vectors, m=9.0):
    k, n = vectors.shape
    h_alpha = sum(-(v * np.log(v)).sum() for v in vectors) / k
    mean = vectors.mean(axis=0)
    h_beta = -(mean * np.log(mean)).sum() - h_alpha
    top, rest = m / (n + m - 1), 1 / (n + m - 1)
    inv_cor = math.exp(-top * math.log(top) - (n - 1) * rest * math.log(rest)) / n
    return (math.exp(-h_beta) - inv_cor) / (1 - inv_cor)


def loop_panel(hierarchy, judgments):
    local_aij, local_aip, groups = {}, {}, {}
    for parent, kids in hierarchy.groups():
        stack = judgments[parent]
        k, n = stack.shape[0], stack.shape[1]
        rows = [loop_consistency(a) for a in stack]          # one expert at a time
        individual = np.array([r[0] for r in rows])
        log_sum = np.zeros((n, n))
        for a in stack:                                        # AIJ: geometric mean
            log_sum += np.log(a)
        aij_matrix = np.exp(log_sum / k)
        aij_w, *_, aij_cr, _ = loop_consistency(aij_matrix)
        aip = np.exp(np.log(individual).mean(axis=0))
        aip /= aip.sum()
        groups[parent] = (individual, [r[3] for r in rows], aij_w, aij_cr, aip, loop_s_star(individual))
        local_aij.update(zip(kids, aij_w))
        local_aip.update(zip(kids, aip))
    def globals_(local):
        glob = {hierarchy.root: 1.0}
        for code in hierarchy.codes[1:]:
            glob[code] = local.get(code, 1.0) * glob[hierarchy.parent(code)]
        del glob[hierarchy.root]
        return glob
    return groups, globals_(local_aij), globals_(local_aip)


# ------------------------------------------------------------------ checks
def check_stack(vec, loop):
    w, r = vec
    np.testing.assert_allclose(w, [x[0] for x in loop], atol=1e-12)
    np.testing.assert_allclose(r.lambda_max, [x[1] for x in loop], atol=1e-10)
    np.testing.assert_allclose(r.cr, [x[3] for x in loop], atol=1e-10)
    np.testing.assert_allclose(r.gci, [x[4] for x in loop], atol=1e-10)


def check_panel(vec, loop):
    groups, g_aij, g_aip = loop
    for parent, (individual, crs, aij_w, aij_cr, aip, s_star) in groups.items():
        g = vec.groups[parent]
        np.testing.assert_allclose(g.individual, individual, atol=1e-12)
        np.testing.assert_allclose(g.consistency.cr, crs, atol=1e-10)
        np.testing.assert_allclose(g.aij, aij_w, atol=1e-12)
        np.testing.assert_allclose(g.aij_consistency.cr, aij_cr, atol=1e-10)
        np.testing.assert_allclose(g.aip, aip, atol=1e-12)
        np.testing.assert_allclose(g.consensus.s_star, s_star, atol=1e-12)
    np.testing.assert_allclose([vec.global_aij[c] for c in g_aij], list(g_aij.values()), atol=1e-12)
    np.testing.assert_allclose([vec.global_aip[c] for c in g_aip], list(g_aip.values()), atol=1e-12)


# ------------------------------------------------------------------ checks and main
def find_hierarchy(path: str | None) -> Path:
    if path:
        return Path(path)
    for candidate in HIERARCHY_CANDIDATES:
        if candidate.exists():
            return candidate
    raise SystemExit("no seed-indicators.json found; pass --hierarchy PATH")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20, help="repetitions (best is reported)")
    ap.add_argument("--hierarchy", help="hierarchy/1 JSON file (default: the seed)")
    args = ap.parse_args()

    rng = np.random.default_rng(20261126)
    stack = random_stack(rng, N_MATRICES, N_SIZE)
    path = find_hierarchy(args.hierarchy)
    hierarchy = ahp.Hierarchy.from_dict(json.loads(path.read_text(encoding="utf-8")))
    judgments = panel_judgments(rng, hierarchy, N_EXPERTS)

    check_stack(vector_stack(stack), loop_stack(stack))
    panel = vector_panel(hierarchy, judgments)
    check_panel(panel, loop_panel(hierarchy, judgments))

    sizes = sorted(len(k) for _, k in hierarchy.groups())
    print(f"ahp benchmark (numpy {np.__version__}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, best of {args.repeat}; loop baselines best of "
          f"{max(3, args.repeat // 5)})")

    a_best, a_med = best_of(lambda: vector_stack(stack), args.repeat)
    la_best, la_med = best_of(lambda: loop_stack(stack), max(3, args.repeat // 5))
    print(f"(a) {N_MATRICES:,} random {N_SIZE}x{N_SIZE} Saaty matrices: priorities + consistency")
    print(f"    vectorised      {a_best:8.2f} ms  (median {a_med:.2f})   target < {TARGET_A_MS:.0f} ms: "
          f"{'met' if a_best < TARGET_A_MS else 'NOT met'}")
    print(f"    per-matrix loop {la_best:8.2f} ms  (median {la_med:.2f})   speed-up {la_best / a_best:.1f}x")

    b_best, b_med = best_of(lambda: vector_panel(hierarchy, judgments), args.repeat)
    lb_best, lb_med = best_of(lambda: loop_panel(hierarchy, judgments), max(3, args.repeat // 5))
    crs = np.concatenate([g.consistency.cr for g in panel.groups.values()])
    print(f"(b) panel on {path.name}: {len(hierarchy.groups())} sibling groups (sizes {sizes}), "
          f"{N_EXPERTS} experts = {crs.size:,} matrices")
    print(f"    {np.mean(crs <= 0.10):.0%} of expert matrices have CR <= 0.10; hierarchy S* "
          f"{panel.s_star:.3f}; leaf global weights sum to "
          f"{sum(panel.global_aij[c] for c in hierarchy.leaves()):.12f}")
    print(f"    vectorised      {b_best:8.2f} ms  (median {b_med:.2f})   target < {TARGET_B_MS:.0f} ms: "
          f"{'met' if b_best < TARGET_B_MS else 'NOT met'}")
    print(f"(c) per-matrix loop {lb_best:8.2f} ms  (median {lb_med:.2f})   speed-up {lb_best / b_best:.1f}x")
    ok = a_best < TARGET_A_MS and b_best < TARGET_B_MS
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
