"""The G1/BWM bootstrap behind an evaluation's uncertainty: vectorised against a per-resample loop.

``evaluation_uncertainty.geometric_group_samples`` draws every resample's group weights of a block at
once (one (K × k) @ (k × n) product of multiplicities × expert weights with the log weights). The
baseline is what a straightforward port would do: for each resample, ``weighting.aggregate`` on the
drawn experts (a Python loop over K). Both run on the same synthetic panel in the same process (so the
ratio does not depend on machine load), and the results are checked to agree.

Panel: the seed hierarchy's shape (17 blocks of 2–6 indicators), m experts with random G1-like
weights and authority weights in [0.6, 0.95], K = 1,000 resamples.

Run:  .venv/bin/python bench/g1bwm_samples_bench.py [--experts 30] [--repeat 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BLOCK_SIZES = (4, 4, 3, 5, 2, 3, 4, 6, 3, 2, 4, 3, 5, 3, 2, 4, 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--experts", type=int, default=30)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    import weighting
    from webapp.services.evaluation_uncertainty import geometric_group_samples, resample_counts

    rng = np.random.default_rng(1)
    m, k = args.experts, args.resamples
    blocks = [rng.dirichlet(np.full(n, 2.0), size=m) for n in BLOCK_SIZES]
    alpha = rng.uniform(0.6, 0.95, size=m)

    def vectorised():
        counts = resample_counts(m, resamples=k, seed=7)
        return [geometric_group_samples(v, alpha, counts) for v in blocks]

    def loop():
        draws = np.random.default_rng(7).integers(0, m, size=(k, m))
        return [np.array([weighting.aggregate(v[d], weights=alpha[d]).weights for d in draws]) for v in blocks]

    for a, b in zip(vectorised(), loop()):
        np.testing.assert_allclose(a, b, atol=1e-12)
    times = {"vectorised": [], "loop": []}
    for _ in range(args.repeat):
        for name, run in (("vectorised", vectorised), ("loop", loop)):
            start = time.perf_counter()
            run()
            times[name].append((time.perf_counter() - start) * 1000)
    print(f"load average {os.getloadavg()[0]:.1f}; {m} experts, {len(BLOCK_SIZES)} blocks, {k} resamples; "
          f"{args.repeat} repetitions (results agree to 1e-12)")
    for name, values in times.items():
        print(f"{name:11s} best {min(values):9.1f} ms   median {statistics.median(values):9.1f} ms")
    print(f"loop / vectorised (best): {min(times['loop']) / min(times['vectorised']):.0f}x")


if __name__ == "__main__":
    main()
