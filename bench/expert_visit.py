"""CPU per request of one expert's whole visit, measured in one process (issue 16).

Each expert of a fresh round 1 (the seed hierarchy's 63 indicators, SQLite in WAL mode, the
app as ``bench/load.py`` serves it) opens the invitation link, the study page, the questionnaire
(gzip, as browsers ask), autosaves five answers, looks at the study page again, submits every
answer through the form post (WTForms-validated, as without JavaScript) and lands on the thanks
page. Visits alternate in small blocks with the bare Flask + SQLAlchemy upsert of
``bench/bare_app.py``, so a busy machine slows both alike; printed: the median CPU
(``time.process_time``) per request kind, and its ratio to the bare upsert of the same blocks.

    .venv/bin/python bench/expert_visit.py [--experts 120] [--block 5]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import load_setup as setup  # noqa: E402
from bench.save_profile import META_CSRF, Bare, cpu_per_call  # noqa: E402

DATA_NODE = re.compile(rb'data-node="(\d+)"')
GZIP = {"Accept-Encoding": "gzip, deflate"}
KINDS = ("open link", "study page", "questionnaire", "study page again", "submit", "thanks")


class Visits:
    def __init__(self, work: Path, n_experts: int):
        url = f"sqlite:///{work}/concordia.sqlite3"
        self.study = setup.populate(url, work / "instance", n_experts)
        os.environ.update(setup.concordia_env(url, work / "instance"))
        from webapp import create_app

        self.app = create_app()
        self.tokens = iter(self.study.tokens)

    def visit(self) -> dict[str, float]:
        client, cost, rid = self.app.test_client(), {}, self.study.round_id

        def timed(kind, call):
            start = time.process_time()
            response = call()
            cost[kind] = time.process_time() - start
            return response

        token = next(self.tokens)
        timed("open link", lambda: client.get(f"/i/{token}", headers=GZIP))
        timed("study page", lambda: client.get("/expert/", headers=GZIP))
        timed("questionnaire", lambda: client.get(f"/expert/rounds/{rid}", headers=GZIP))
        page = client.get(f"/expert/rounds/{rid}").data
        csrf = META_CSRF.search(page).group(1).decode()
        nodes = list(dict.fromkeys(int(n) for n in DATA_NODE.findall(page)))
        for node in nodes[:5]:
            body = json.dumps({"answers": [{"node_id": node, "value": 3, "no_opinion": False}]})
            client.post(f"/api/v1/rounds/{rid}/answers", data=body, headers={
                "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf})
        timed("study page again", lambda: client.get("/expert/", headers=GZIP))
        form = {"csrf_token": csrf, "action": "submit"} | {f"rate_{n}": "3" for n in nodes}
        response = timed("submit", lambda: client.post(f"/expert/rounds/{rid}", data=form, headers=GZIP))
        assert response.status_code == 302, response.status_code
        timed("thanks", lambda: client.get(f"/expert/rounds/{rid}/thanks", headers=GZIP))
        return cost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=120)
    parser.add_argument("--block", type=int, default=5, help="visits per block (alternating with the bare app)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="concordia-visit-"))
    visits, bare = Visits(work, args.experts), Bare(f"sqlite:///{work}/bare.sqlite3")
    for _ in range(args.block):   # warm up: templates compiled, caches filled
        visits.visit()
        bare.save()
    samples = {kind: [] for kind in KINDS}
    baseline = []
    for _ in range((args.experts - args.block) // args.block):
        block = [visits.visit() for _ in range(args.block)]
        for kind in KINDS:
            samples[kind].append(sum(c[kind] for c in block) / len(block))
        baseline.append(cpu_per_call(bare.save, 20))
    base = statistics.median(baseline)
    print(f"python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}, "
          f"{len(baseline) * args.block} visits in blocks of {args.block}")
    for kind in KINDS:
        median = statistics.median(samples[kind])
        print(f"{kind:17} {1000 * median:6.1f} ms CPU  ({median / base:4.1f}x the bare upsert)")
    print(f"bare upsert       {1000 * base:6.2f} ms CPU; load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
