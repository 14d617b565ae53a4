"""Benchmark of the weighting library: objective and subjective methods.

Prints, in one run:

(a) every objective method (entropy, coefficient of variation, mean square
    deviation, CRITIC, scatter degree, maximum deviation, PCA) on one
    1,000 x 64 data matrix, each and all together -- target: all together
    under 100 ms; baseline: the same formulas written as plain per-column /
    per-pair Python loops (CRITIC's correlations pair by pair, as pyrepo-mcda
    does; the maximum deviation's pairs column by column);
(b) every subjective method on 1,000 experts' answers for each of the seed's
    16 sibling groups (G1, ratio scoring, binomial, least squares on a
    pairwise matrix, BWM, Delphi ratings, and the group's weighted geometric
    mean): one stacked call per group against a per-expert loop (BWM: block-diagonal LPs of
    128 answers).  BWM's
    per-expert loop (one linprog per answer) is timed on the first 100 experts
    of each group and scaled to 1,000 -- it would take minutes in full.

Results of the vectorised and the loop versions are checked against each other
first.  Timings are the best (and median) of several repetitions.

BLAS threads: OpenBLAS is pinned to one thread (``OPENBLAS_NUM_THREADS=1``,
set before numpy loads, unless already set).  On this shared 2-core machine its
spinning worker threads made a 64 x 64 Gram product or eigendecomposition 20-50x
slower (CRITIC 64 ms, PCA 40 ms instead of 2 ms); matrices this small gain nothing
from threads.  Run with ``OPENBLAS_NUM_THREADS=2`` to see the difference.

Run:  .venv/bin/python bench/weighting_bench.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from scipy.optimize import linprog  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._timing import best_of  # noqa: E402
import ahp  # noqa: E402  (only to read the seed hierarchy's sibling groups)
import weighting as W  # noqa: E402

M, N = 1_000, 64
K = 1_000
TARGET_OBJECTIVE_MS = 100.0
HIERARCHY = ROOT / "webapp" / "data" / "seed-indicators.json"
G1_VALUES = np.array([1.0, 1.2, 1.4, 1.6, 1.8])
SAATY = np.array([1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9])


# ------------------------------------------------------------------ data
def data_matrix(rng):
    """Positive data with a common factor (indicators of one construct), 10 % cost columns."""
    f = rng.normal(size=(M, 1))
    x = 50 + 10 * f + rng.normal(scale=6, size=(M, N)) * rng.uniform(0.5, 2, N)
    d = np.where(rng.random(N) < 0.1, -1.0, 1.0)
    x = np.where(d < 0, 100 - x, x)  # cost columns run the other way
    return np.clip(x, 0.5, None), d


def panel(rng, sizes):
    out = []
    for n in sizes:
        true = rng.dirichlet(np.full(n, 2.0))
        noisy = true * np.exp(rng.normal(0, 0.3, (K, n)))
        order = np.argsort(-noisy, axis=1)
        ranked = np.take_along_axis(noisy, order, 1)
        ratios = G1_VALUES[np.clip(np.rint((ranked[:, :-1] / ranked[:, 1:] - 1) / 0.2), 0, 4).astype(int)]
        iu = np.triu_indices(n, 1)
        a = np.ones((K, n, n))
        up = SAATY[np.clip(np.rint(np.log(noisy[:, iu[0]] / noisy[:, iu[1]]) / np.log(9) * 4) + 4, 0, 8)
                   .astype(int)]
        a[:, iu[0], iu[1]] = up
        a[:, iu[1], iu[0]] = 1 / up
        best, worst = order[:, 0], order[:, -1]
        bo = np.clip(np.rint(noisy[np.arange(K), best][:, None] / noisy), 1, 9)
        ow = np.clip(np.rint(noisy / noisy[np.arange(K), worst][:, None]), 1, 9)
        bo[np.arange(K), best] = 1
        ow[np.arange(K), worst] = 1
        ow[np.arange(K), best] = bo[np.arange(K), worst]
        ratings = np.clip(np.rint(1 + 4 * noisy / noisy.max(1, keepdims=True)), 1, 5)
        out.append(dict(n=n, order=order, ratios=ratios, a=a, best=best, worst=worst, bo=bo, ow=ow,
                        ratings=ratings))
    return out


# ------------------------------------------------------- vectorised calls
OBJECTIVE = {
    "entropy": lambda x, d: W.entropy(x, d).weights,
    "coefficient_of_variation": lambda x, d: W.coefficient_of_variation(x).weights,
    "mean_square_deviation": lambda x, d: W.mean_square_deviation(x, d).weights,
    "critic": lambda x, d: W.critic(x, d).weights,
    "scatter_degree": lambda x, d: W.scatter_degree(x, d).weights,
    "max_deviation": lambda x, d: W.max_deviation(x, d).weights,
    "pca": lambda x, d: W.pca(x, d).weights,
}


def subjective(groups, bwm=True):
    out = []
    for g in groups:
        r = dict(g1=W.g1(g["order"], g["ratios"]).weights,
                 ratio=W.ratio_scoring(g["order"], g["ratios"]).weights,
                 binomial=W.binomial(g["order"]).weights,
                 lsq=W.least_squares(g["a"]).weights,
                 ratings=W.from_ratings(g["ratings"]).weights)
        r["group"] = W.aggregate(r["g1"]).weights
        if bwm:
            r["bwm"] = W.bwm(g["best"], g["worst"], g["bo"], g["ow"]).weights
        out.append(r)
    return out


# ------------------------------------------------------- plain loops
def loop_minmax(x, d):
    y = np.empty_like(x)
    for j in range(x.shape[1]):
        lo, hi = x[:, j].min(), x[:, j].max()
        y[:, j] = (x[:, j] - lo) / (hi - lo) if d[j] > 0 else (hi - x[:, j]) / (hi - lo)
    return y


def loop_zscore(x, d):
    y = np.empty_like(x)
    for j in range(x.shape[1]):
        y[:, j] = d[j] * (x[:, j] - x[:, j].mean()) / x[:, j].std(ddof=1)
    return y


def loop_entropy(x, d):
    y = loop_minmax(x, d)
    m, n = y.shape
    div = np.empty(n)
    for j in range(n):
        col = y[:, j] + 0.01 if y[:, j].min() <= 0 else y[:, j]
        p = col / col.sum()
        div[j] = 1 + sum(pi * np.log(pi) for pi in p if pi > 0) / np.log(m)
    return div / div.sum()


def loop_cv(x, d):
    v = np.array([x[:, j].std(ddof=1) / x[:, j].mean() for j in range(x.shape[1])])
    return v / v.sum()


def loop_msd(x, d):
    y = loop_minmax(x, d)
    s = np.array([y[:, j].std(ddof=1) for j in range(y.shape[1])])
    return s / s.sum()


def loop_critic(x, d):
    y = loop_minmax(x, d)
    n = y.shape[1]
    c = np.empty(n)
    for j in range(n):
        conflict = sum(1 - np.corrcoef(y[:, j], y[:, k])[0, 1] for k in range(n))
        c[j] = y[:, j].std(ddof=1) * conflict
    return c / c.sum()


def loop_scatter(x, d):
    z = loop_zscore(x, d)
    vals, vecs = np.linalg.eig(z.T @ z)
    u = np.abs(vecs[:, np.argmax(vals.real)].real)
    return u / u.sum()


def loop_max_deviation(x, d):
    y = loop_minmax(x, d)
    dev = np.array([np.abs(y[:, j][:, None] - y[:, j][None, :]).sum() for j in range(y.shape[1])])
    return dev / dev.sum()


def loop_pca(x, d):
    z = loop_zscore(x, d)
    vals, vecs = np.linalg.eig(np.corrcoef(z.T))
    idx = np.argsort(-vals.real)
    vals, vecs = vals.real[idx], vecs.real[:, idx]
    k = int(np.searchsorted(np.cumsum(vals) / vals.sum(), 0.85 - 1e-12) + 1)
    s = sum(vals[i] * vecs[:, i] * np.sign(vecs[:, i].sum()) for i in range(k)) / vals[:k].sum()
    return s / s.sum()


LOOPS = {"entropy": loop_entropy, "coefficient_of_variation": loop_cv, "mean_square_deviation": loop_msd,
         "critic": loop_critic, "scatter_degree": loop_scatter, "max_deviation": loop_max_deviation,
         "pca": loop_pca}


def loop_chain(order, ratios):
    n = len(order)
    k = [1.0] * n
    for i in range(n - 2, -1, -1):
        k[i] = ratios[i] * k[i + 1]
    w = np.empty(n)
    s = sum(k)
    for pos, idx in enumerate(order):
        w[idx] = k[pos] / s
    return w


def loop_binomial(order):
    from math import comb
    n = len(order)
    coef = sorted((comb(n - 1, i) / 2 ** (n - 1) for i in range(n)), reverse=True)
    w = np.empty(n)
    for pos, idx in enumerate(order):
        w[idx] = coef[pos]
    return w


def loop_lsq(a):
    n = a.shape[0]
    b = np.zeros((n + 1, n + 1))
    for k in range(n):
        for l in range(n):
            if k == l:
                b[k, k] = sum(a[i, k] ** 2 for i in range(n) if i != k) + n - 1
            else:
                b[k, l] = -(a[k, l] + a[l, k])
        b[k, n] = -1
        b[n, k] = 1
    rhs = np.zeros(n + 1)
    rhs[n] = 1
    return np.linalg.solve(b, rhs)[:n]


def loop_bwm(best, worst, bo, ow):
    n = len(bo)
    rows = []
    for j in range(n):
        for s in (1, -1):
            r = np.zeros(n + 1)
            r[best] += s
            r[j] -= s * bo[j]
            r[n] = -1
            rows.append(r)
            r = np.zeros(n + 1)
            r[j] += s
            r[worst] -= s * ow[j]
            r[n] = -1
            rows.append(r)
    res = linprog(np.r_[np.zeros(n), 1.0], A_ub=np.array(rows), b_ub=np.zeros(len(rows)),
                  A_eq=np.r_[np.ones(n), 0][None, :], b_eq=[1.0], bounds=(0, None), method="highs")
    return res.x[:n]


def loop_subjective(groups, bwm_limit=None):
    out = []
    for g in groups:
        r = dict(g1=np.array([loop_chain(o, q) for o, q in zip(g["order"], g["ratios"])]),
                 binomial=np.array([loop_binomial(o) for o in g["order"]]),
                 lsq=np.array([loop_lsq(a) for a in g["a"]]))
        r["ratio"] = np.array([loop_chain(o, q) for o, q in zip(g["order"], g["ratios"])])
        means = np.array([np.mean(g["ratings"][:, j]) for j in range(g["n"])])
        r["ratings"] = means / means.sum()
        logs = np.zeros(g["n"])
        for v in r["g1"]:
            logs += np.log(v)
        gm = np.exp(logs / len(r["g1"]))
        r["group"] = gm / gm.sum()
        if bwm_limit:
            r["bwm"] = np.array([loop_bwm(g["best"][i], g["worst"][i], g["bo"][i], g["ow"][i])
                                 for i in range(bwm_limit)])
        out.append(r)
    return out


# ------------------------------------------------------------------ checks and main
def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    rng = np.random.default_rng(20261201)
    x, d = data_matrix(rng)
    h = ahp.Hierarchy.from_dict(json.loads(HIERARCHY.read_text(encoding="utf-8")))
    sizes = [len(kids) for _, kids in h.groups()]
    groups = panel(rng, sizes)

    # correctness first
    for name, fn in OBJECTIVE.items():
        np.testing.assert_allclose(fn(x, d), LOOPS[name](x, d), rtol=1e-8, atol=1e-12, err_msg=name)
    vec, loop = subjective(groups), loop_subjective(groups, bwm_limit=20)
    for v, lp in zip(vec, loop):
        for key in lp:
            ref = lp[key]
            got = v[key][: len(ref)] if key == "bwm" else v[key]
            if key == "bwm":  # compare the optimum, the LP may pick another optimal vertex
                continue
            np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12, err_msg=key)

    print(f"weighting benchmark  ({platform.python_version()}, numpy {np.__version__}, "
          f"{platform.machine()}, OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, "
          f"best/median of {args.repeat})")
    print(f"(a) objective methods on a {M:,} x {N} matrix")
    total_v = total_l = 0.0
    for name, fn in OBJECTIVE.items():
        tv, mv = best_of(lambda: fn(x, d), args.repeat)
        tl, _ = best_of(lambda: LOOPS[name](x, d), max(2, args.repeat // 5))
        total_v += tv
        total_l += tl
        print(f"    {name:26s} {tv:8.2f} ms (median {mv:7.2f})   loop {tl:9.1f} ms   x{tl / tv:6.1f}")
    tall, mall = best_of(lambda: [fn(x, d) for fn in OBJECTIVE.values()], args.repeat)
    verdict = "OK" if tall < TARGET_OBJECTIVE_MS else "OVER TARGET"
    print(f"    all together               {tall:8.2f} ms (median {mall:7.2f})   loop {total_l:9.1f} ms   "
          f"x{total_l / tall:6.1f}   target < {TARGET_OBJECTIVE_MS:.0f} ms: {verdict}")

    print(f"(b) subjective methods, {K:,} experts x {len(sizes)} seed groups (sizes {sorted(sizes)})")
    tv, mv = best_of(lambda: subjective(groups, bwm=False), args.repeat)
    tl, _ = best_of(lambda: loop_subjective(groups), 2)
    print(f"    G1, ratio, binomial, LSQ, ratings, aggregate  {tv:8.1f} ms (median {mv:7.1f})   "
          f"loop {tl:9.1f} ms   x{tl / tv:6.1f}")
    tb, _ = best_of(lambda: [W.bwm(g["best"], g["worst"], g["bo"], g["ow"]) for g in groups], 2)
    t0 = time.perf_counter()
    loop_subjective(groups, bwm_limit=100)
    tlb = (time.perf_counter() - t0) * 1e3 - tl
    tlb_full = tlb * K / 100
    print(f"    BWM (exact LP, block LPs of 128 answers)       {tb:8.1f} ms = {tb / K / len(sizes) * 1e3:.0f} us "
          f"per answer   loop (linprog per answer, 100/group scaled) {tlb_full:9.0f} ms   x{tlb_full / tb:6.1f}")


if __name__ == "__main__":
    main()
