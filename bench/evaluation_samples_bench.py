"""Time to draw an evaluation's weight samples on the demo's finished study, by source.

The results page of an evaluation draws 1,000 plausible weight sets from the panel behind its pinned
weight set: the Delphi round's expert bootstrap (v1) or the AHP round's bootstrap over experts (v2,
``ahp.bootstrap_weights`` on the round's judgments, then local = global / parent). Prints the best and
median of several repetitions of each and the AHP / Delphi ratio (same run, same machine load).

Run:  .venv/bin/python bench/evaluation_samples_bench.py [--repeat 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ["CONCORDIA_INSTANCE_PATH"] = tempfile.mkdtemp() + "/instance"
    os.environ.pop("CONCORDIA_DATABASE_URL", None)
    from flask_migrate import upgrade
    from sqlalchemy import select

    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import Evaluation, WeightSet
    from webapp.services import evaluations as svc
    from webapp.services.demo import load_demo
    from webapp.services.evaluation_uncertainty import ahp_samples, delphi_samples

    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        load_demo()
        db.session.commit()
        e = db.session.scalars(select(Evaluation)).one()
        v2 = db.session.scalar(select(WeightSet).where(WeightSet.study_id == e.study_id, WeightSet.version == 2))
        doc1, tree1 = svc.document_of(e), svc.tree_of(e)
        import evaluation as ev
        doc2 = v2.payload
        tree2 = ev.WeightTree.from_dict(doc2)
        times = {"delphi (v1)": [], "ahp (v2)": []}
        for _ in range(args.repeat):
            for name, run in (("delphi (v1)", lambda: delphi_samples(doc1, tree1, e.study_id)),
                              ("ahp (v2)", lambda: ahp_samples(doc2, tree2, e.study_id))):
                start = time.perf_counter()
                samples = run()
                times[name].append((time.perf_counter() - start) * 1000)
                assert samples is not None and samples.local.shape[0] >= 990
    print(f"load average {os.getloadavg()[0]:.1f}; {args.repeat} repetitions; 1,000 resamples each")
    for name, values in times.items():
        print(f"{name:12s} best {min(values):8.1f} ms   median {statistics.median(values):8.1f} ms")
    ratio = min(times["ahp (v2)"]) / min(times["delphi (v1)"])
    print(f"ahp / delphi (best): {ratio:.1f}x")


if __name__ == "__main__":
    main()
