"""Benchmark of the delphi statistics on 1,000 experts x 60 items x 2 rounds.

Times one full analysis of a two-round study -- item statistics of both rounds,
Kendall's W of both rounds, a consensus rule on both rounds, stability between
the rounds and the stopping decision -- with the vectorised ``delphi`` functions
and with a plain per-item Python loop (numpy/scipy called once per item or per
expert), in the same run. Reports the best of several repetitions.

Run:  .venv/bin/python bench/delphi_bench.py [--repeat 30]
Target: the vectorised analysis under 30 ms on the 2-core reference machine.
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
from pathlib import Path

import numpy as np
import scipy
from scipy import stats as st

# Run from anywhere: make the repository root importable (the editable install
# may have registered delphi/ as a namespace package before it had __init__.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._timing import best_of  # noqa: E402
import delphi  # noqa: E402

N_EXPERTS, N_ITEMS = 1000, 60
TARGET_MS = 30.0


def make_rounds(seed: int = 20261126):
    """Two rounds of 1-5 ratings; round 2 drifts toward the item's mode; ~8% of
    experts skip one to three items in each round."""
    rng = np.random.default_rng(seed)
    centre = rng.integers(2, 6, N_ITEMS)
    r1 = np.clip(centre + rng.integers(-2, 2, (N_EXPERTS, N_ITEMS)), 1, 5).astype(float)
    move = rng.random((N_EXPERTS, N_ITEMS)) < 0.3
    r2 = np.where(move, np.clip(np.round((r1 + centre) / 2), 1, 5), r1)
    for r in (r1, r2):
        skippers = rng.choice(N_EXPERTS, size=N_EXPERTS * 8 // 100, replace=False)
        for i in skippers:
            r[i, rng.choice(N_ITEMS, size=rng.integers(1, 4), replace=False)] = np.nan
    return r1, r2


# ----------------------------------------------------------------- vectorised
def analyse(r1, r2, rule):
    s1, s2 = delphi.item_stats(r1), delphi.item_stats(r2)
    w1, w2 = delphi.kendall_w(r1), delphi.kendall_w(r2)
    c1, c2 = rule.evaluate(s1), rule.evaluate(s2)
    stab = delphi.stability(r1, r2)
    decision = delphi.stopping([s1, s2], rule, max_rounds=3, stability=stab)
    return s1, s2, w1, w2, c1, c2, stab, decision


# --------------------------------------------------------- per-item baseline
def loop_item_stats(r, scale_max=5, agree_at=4):
    rows = []
    for j in range(r.shape[1]):
        x = r[:, j][~np.isnan(r[:, j])]
        mean = x.mean()
        sd = x.std(ddof=1)
        q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75])
        rows.append((x.size, mean, sd, sd / mean, med, q1, q3, q3 - q1,
                     np.mean(x >= agree_at), np.mean(x == scale_max)))
    return np.array(rows)


def loop_kendall_w(r):
    x = r[~np.isnan(r).any(axis=1)]
    m, n = x.shape
    rank_sums = np.zeros(n)
    ties = 0.0
    for row in x:                                   # one expert at a time
        ranks = st.rankdata(row)
        rank_sums += ranks
        _, t = np.unique(row, return_counts=True)
        ties += float(np.sum(t**3 - t))
    s = np.sum((rank_sums - m * (n + 1) / 2) ** 2)
    w = 12 * s / (m * m * (n**3 - n) - m * ties)
    chi2 = m * (n - 1) * w
    return w, chi2, st.chi2.sf(chi2, n - 1)


def loop_consensus(stats_rows):
    return [row[1] > 3.5 and row[3] < 0.25 for row in stats_rows]


def loop_stability(r1, r2, alpha=0.05):
    out = []
    for j in range(r1.shape[1]):
        ok = ~np.isnan(r1[:, j]) & ~np.isnan(r2[:, j])
        d = r2[ok, j] - r1[ok, j]
        if not np.any(d != 0):
            p = 1.0
        else:
            p = st.wilcoxon(d, zero_method="wilcox", correction=True,
                            method="asymptotic").pvalue
        out.append((np.mean(d != 0), p, p >= alpha))
    return out


def loop_analyse(r1, r2):
    s1, s2 = loop_item_stats(r1), loop_item_stats(r2)
    w1, w2 = loop_kendall_w(r1), loop_kendall_w(r2)
    c1, c2 = loop_consensus(s1), loop_consensus(s2)
    stab = loop_stability(r1, r2)
    return s1, s2, w1, w2, c1, c2, stab


# ------------------------------------------------------------------ checks and main
def check_same(vec, loop):
    s1, _, w1, _, c1, _, stab, _ = vec
    ls1, _, lw1, _, lc1, _, lstab = loop
    cols = np.column_stack([s1.n, s1.mean, s1.sd, s1.cv, s1.median, s1.q1, s1.q3, s1.iqr,
                            s1.agreement, s1.full_score])
    np.testing.assert_allclose(cols, ls1, rtol=1e-12)
    np.testing.assert_allclose([w1.w, w1.chi2, w1.p], lw1, rtol=1e-10)
    assert c1.reached.tolist() == lc1
    np.testing.assert_allclose(stab.p, [p for _, p, _ in lstab], rtol=1e-12)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=30, help="repetitions (best is reported)")
    args = ap.parse_args()

    r1, r2 = make_rounds()
    rule = delphi.ConsensusRule.preset("cn-standard")
    vec = analyse(r1, r2, rule)
    check_same(vec, loop_analyse(r1, r2))

    print(f"delphi benchmark: {N_EXPERTS} experts x {N_ITEMS} items x 2 rounds "
          f"(numpy {np.__version__}, scipy {scipy.__version__}, Python "
          f"{platform.python_version()}, best of {args.repeat})")
    print(f"  Kendall's W used {vec[2].m_used} / {N_EXPERTS} experts (complete rows)")
    parts = [
        ("item_stats x2", lambda: (delphi.item_stats(r1), delphi.item_stats(r2))),
        ("kendall_w x2", lambda: (delphi.kendall_w(r1), delphi.kendall_w(r2))),
        ("consensus x2", lambda: (rule.evaluate(vec[0]), rule.evaluate(vec[1]))),
        ("stability", lambda: delphi.stability(r1, r2)),
        ("stopping", lambda: delphi.stopping([vec[0], vec[1]], rule, max_rounds=3,
                                             stability=vec[6])),
    ]
    for name, fn in parts:
        best, med = best_of(fn, args.repeat)
        print(f"  {name:<16} {best:8.2f} ms  (median {med:.2f})")
    v_best, v_med = best_of(lambda: analyse(r1, r2, rule), args.repeat)
    l_best, l_med = best_of(lambda: loop_analyse(r1, r2), max(3, args.repeat // 5))
    print(f"  {'total delphi':<16} {v_best:8.2f} ms  (median {v_med:.2f})")
    print(f"  {'per-item loop':<16} {l_best:8.2f} ms  (median {l_med:.2f})")
    print(f"  speed-up {l_best / v_best:.1f}x; target < {TARGET_MS:.0f} ms: "
          f"{'met' if v_best < TARGET_MS else 'NOT met'}")
    return 0 if v_best < TARGET_MS and math.isfinite(v_best) else 1


if __name__ == "__main__":
    raise SystemExit(main())
