"""Where an autosave and a questionnaire page spend their CPU, measured in one process.

The real app (a migrated SQLite file in WAL mode, the seed hierarchy's 63 indicators, an
open round 1, experts signed in through their invitation links) and the bare Flask +
SQLAlchemy upsert app of ``bench/load.py`` (``bench/bare_app.py``, same pragmas) are
driven through Flask's test client in the same process, **alternating** in small blocks,
so a busy machine slows both alike: the ratio of their CPU times is what counts.

Prints, as the median over blocks of process CPU per request (``time.process_time``):

- autosave (``POST /api/v1/rounds/<id>/answers``, one rating, CSRF header, JSON reply)
  vs the bare upsert, and their ratio (issue 16's target: at most 2x);
- the round-1 questionnaire page (``GET /expert/rounds/<id>``, no feedback, gzip
  accepted as browsers do) (target: under 20 ms);

and, with ``--profile save|page``, the cProfile of that request (top functions by
cumulative time).

    .venv/bin/python bench/save_profile.py [--n 400] [--block 20] [--profile save] [--pg ADMIN_URL]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import load_setup as setup  # noqa: E402

META_CSRF = re.compile(rb'<meta name="csrf-token" content="([^"]+)"')


class Real:
    """The real app with a few signed-in experts taking turns."""

    def __init__(self, work: Path, url: str, n_experts: int = 4):
        self.study = setup.populate(url, work / "instance", n_experts)
        os.environ.update(setup.concordia_env(url, work / "instance"))
        from webapp import create_app

        self.app = create_app()
        self.clients, self.tokens = [], []
        for token in self.study.tokens:
            client = self.app.test_client()
            client.get(f"/i/{token}")
            page = client.get(f"/expert/rounds/{self.study.round_id}").data
            self.clients.append(client)
            self.tokens.append(META_CSRF.search(page).group(1).decode())
        with self.app.app_context():
            from sqlalchemy import select

            from webapp.extensions import db
            from webapp.models import RoundItem
            self.nodes = list(db.session.scalars(select(RoundItem.node_id).where(
                RoundItem.round_id == self.study.round_id).order_by(RoundItem.id)))
        self.i = 0

    def save(self):
        self.i += 1
        k = self.i % len(self.clients)
        node = self.nodes[(self.i // len(self.clients)) % len(self.nodes)]
        body = json.dumps({"answers": [{"node_id": node, "value": 1 + self.i % 5, "no_opinion": False}]})
        r = self.clients[k].post(f"/api/v1/rounds/{self.study.round_id}/answers", data=body,
                                 headers={"Content-Type": "application/json", "Accept": "application/json",
                                          "X-CSRF-Token": self.tokens[k]})
        assert r.status_code == 200, r.data

    def page(self):
        self.i += 1
        r = self.clients[self.i % len(self.clients)].get(f"/expert/rounds/{self.study.round_id}",
                                                         headers={"Accept-Encoding": "gzip, deflate"})
        assert r.status_code == 200, r.status_code


class Bare:
    def __init__(self, url: str):
        setup.create_bare_schema(url)
        os.environ["BARE_DATABASE_URL"] = url
        from bench.bare_app import create_app

        self.client = create_app().test_client()
        self.i = 0

    def save(self):
        self.i += 1
        body = json.dumps({"answers": [{"node_id": 1 + (self.i // 4) % 63, "value": 1 + self.i % 5}]})
        r = self.client.post(f"/save/{self.i % 4}", data=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 200


def cpu_per_call(fn, block: int) -> float:
    start = time.process_time()
    for _ in range(block):
        fn()
    return (time.process_time() - start) / block


def alternate(fns: dict, n: int, block: int) -> dict:
    """Median CPU seconds per call of each function, run in alternating blocks."""
    samples = {name: [] for name in fns}
    for _ in range(max(1, n // block)):
        for name, fn in fns.items():
            samples[name].append(cpu_per_call(fn, block))
    return {name: statistics.median(v) for name, v in samples.items()}


def profile(fn, n: int, top: int = 35) -> str:
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        fn()
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=400, help="requests per kind (default 400)")
    parser.add_argument("--block", type=int, default=20, help="requests per alternating block")
    parser.add_argument("--pages", type=int, default=60, help="questionnaire page views")
    parser.add_argument("--profile", choices=["save", "page"], help="also print a cProfile of this request")
    parser.add_argument("--pg", metavar="ADMIN_URL",
                        help="PostgreSQL instead of SQLite: an admin URL (postgresql://postgres@127.0.0.1:PORT/"
                             "postgres) where a throwaway database is created for each app and dropped at the end")
    args = parser.parse_args(argv)
    work = setup.workdir()
    kind = "postgresql" if args.pg else "sqlite"
    databases = [setup.fresh_database(kind, work, name, args.pg) for name in ("concordia", "bare")]
    try:
        real, bare = Real(work, databases[0].url), Bare(databases[1].url)
        for _ in range(20):  # warm caches (templates, statements) on both
            real.save()
            bare.save()
        real.page()
        print(f"{kind}, python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}, "
              f"{args.n} saves per app in blocks of {args.block}", flush=True)
        saves = alternate({"real": real.save, "bare": bare.save}, args.n, args.block)
        print(f"autosave CPU per request: Concordia {saves['real'] * 1000:.2f} ms, "
              f"bare upsert {saves['bare'] * 1000:.2f} ms -> ratio {saves['real'] / saves['bare']:.2f}x")
        pages = alternate({"page": real.page, "bare": bare.save}, args.pages, max(1, args.pages // 10))
        print(f"questionnaire page (round 1, 63 items, gzip) CPU: {pages['page'] * 1000:.1f} ms "
              f"(bare upsert in the same blocks {pages['bare'] * 1000:.2f} ms)")
        print(f"load average at the end {os.getloadavg()[0]:.1f}", flush=True)
        if args.profile:
            print(profile(real.save if args.profile == "save" else real.page,
                          200 if args.profile == "save" else 20))
    finally:
        for database in databases:
            database.close()
        setup.cleanup(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
