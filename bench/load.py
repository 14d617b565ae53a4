"""Load benchmark: N simulated experts against gunicorn on 127.0.0.1, with a bare
Flask + SQLAlchemy upsert app as the baseline in the same run.

Each expert opens the invitation link, loads the home page and the questionnaire,
autosaves every rating of the seed hierarchy (63 indicators) one by one exactly as
``webapp/static/js/questionnaire.js`` does — one request in flight; a 400 "csrf"
fetches a fresh token and retries once; "refused" and 401/403/404 stop; anything
else (5xx, a dropped connection) is retried after 2 s, doubling up to 30 s — then
changes a few ratings again, and submits the form (retried the same way). The
baseline's experts make the same saves, one upsert per request. Afterwards the
database is checked: every acknowledged answer is stored exactly once with its
last acknowledged value, and every acknowledged submission is whole.

    .venv/bin/python bench/load.py --quick                       # 20 experts, < 2 minutes
    .venv/bin/python bench/load.py --db sqlite --experts 50 200 1000 --think 0 --think 1-3
    .venv/bin/python bench/load.py --db postgresql --pg postgresql://postgres@127.0.0.1:54336/postgres

Only 127.0.0.1 is ever contacted; every run is bounded (--max-seconds).
Not a timed test: it prints figures for the README.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import load_setup as setup  # noqa: E402
from bench.load_client import Client  # noqa: E402

REVISE_SHARE = 0.1  # share of ratings changed again before submitting
META_CSRF = re.compile(rb'<meta name="csrf-token" content="([^"]+)"')
DATA_NODE = re.compile(rb'class="q-item[^"]*"[^>]*data-node="(\d+)"|data-node="(\d+)"')


class Stats:
    def __init__(self):
        self.latency = defaultdict(list)   # kind -> seconds
        self.errors = defaultdict(int)     # kind -> failed attempts (5xx, dropped, unexpected)
        self.retries = 0
        self.lock = threading.Lock()
        self.save_window = [float("inf"), 0.0]  # first autosave sent, last one answered (perf_counter)
        self.save_ends = []   # perf_counter at each autosave's answer, beside latency["autosave"]

    def add(self, kind, seconds, ok):
        with self.lock:
            self.latency[kind].append(seconds)
            if kind == "autosave":
                end = time.perf_counter()
                self.save_ends.append(end)
                self.save_window[0] = min(self.save_window[0], end - seconds)
                self.save_window[1] = max(self.save_window[1], end)
            if not ok:
                self.errors[kind] += 1


def backoff(delay):
    time.sleep(delay)
    return min(delay * 2, 30.0)


def think(rng, think_range):
    if think_range:
        time.sleep(rng.uniform(*think_range))


RAMP = [0.0]  # seconds over which the experts' first visits are spread (--ramp)


def concordia_expert(index, token, port, round_id, stats, think_range, deadline, acked, submitted):
    rng = random.Random(index)
    time.sleep(rng.uniform(0, RAMP[0]))  # a panel does not open its links in the same second
    c = Client(port, stats)
    c.request("open link", "GET", f"/i/{token}")
    c.request("home", "GET", "/expert/")
    status, _, page = c.request("questionnaire", "GET", f"/expert/rounds/{round_id}", ok=(200,))
    if status != 200:
        return
    csrf = META_CSRF.search(page).group(1).decode()
    nodes = list(dict.fromkeys(int(a or b) for a, b in DATA_NODE.findall(page)))
    plan = [(n, rng.randint(1, 5)) for n in nodes]
    plan += [(n, rng.randint(1, 5)) for n in rng.sample(nodes, max(1, int(len(nodes) * REVISE_SHARE)))]
    mine = acked.setdefault(index, {})
    final = {}
    for node_id, value in plan:
        if time.monotonic() > deadline:
            return
        think(rng, think_range)
        final[node_id] = value
        body = json.dumps({"answers": [{"node_id": node_id, "value": value, "no_opinion": False}]})
        delay, token_retried = 2.0, False
        while time.monotonic() < deadline:
            status, _, data = c.request("autosave", "POST", f"/api/v1/rounds/{round_id}/answers", body,
                                        {"Content-Type": "application/json", "Accept": "application/json",
                                         "X-CSRF-Token": csrf}, ok=(200,))
            answer = _json(data)
            if status == 200 and answer.get("ok"):
                mine[node_id] = value
                break
            if status == 400 and answer.get("error") == "csrf" and not token_retried:
                token_retried = True
                _, _, fresh = c.request("csrf token", "GET", "/api/v1/csrf-token", ok=(200,))
                csrf = _json(fresh).get("csrf_token", csrf)
                continue
            if status in (400, 401, 403, 404):
                return  # refused for good: the page stops sending
            stats.retries += 1
            delay = backoff(delay)
    form = {"csrf_token": csrf, "action": "submit"} | {f"rate_{n}": str(v) for n, v in final.items()}
    delay = 2.0
    while time.monotonic() < deadline:
        status, headers, _ = c.request("submit", "POST", f"/expert/rounds/{round_id}", urlencode(form),
                                       {"Content-Type": "application/x-www-form-urlencoded"}, ok=(302,))
        if status == 302:
            if headers.get("Location", "").endswith("/thanks"):
                submitted.add(index)
                mine.update(final)
            return
        if status is not None and status < 500:
            return
        stats.retries += 1
        delay = backoff(delay)


def bare_expert(index, port, items, stats, think_range, deadline, _acked, _submitted):
    rng = random.Random(index)
    time.sleep(rng.uniform(0, RAMP[0]))  # the same arrivals as Concordia's experts
    c = Client(port, stats)
    nodes = list(range(1, items + 1))
    plan = [(n, rng.randint(1, 5)) for n in nodes]
    plan += [(n, rng.randint(1, 5)) for n in rng.sample(nodes, max(1, int(len(nodes) * REVISE_SHARE)))]
    for node_id, value in plan:
        think(rng, think_range)
        body = json.dumps({"answers": [{"node_id": node_id, "value": value}]})
        delay = 2.0
        while time.monotonic() < deadline:
            status, _, _ = c.request("autosave", "POST", f"/save/{index}", body,
                                     {"Content-Type": "application/json"}, ok=(200,))
            if status == 200:
                break
            stats.retries += 1
            delay = backoff(delay)


def _json(data):
    try:
        return json.loads(data or b"{}")
    except ValueError:
        return {}


def drive(target, n, args_of, max_seconds):
    stats = Stats()
    acked, submitted = {}, set()
    deadline = time.monotonic() + max_seconds
    threading.stack_size(512 * 1024)
    # The experts are threads of one process: a thread whose response has arrived waits
    # for the GIL before it can read it and close, while a gunicorn worker waits for that
    # close (it drains the connection). 1 ms instead of Python's 5 ms between GIL hand-offs
    # keeps the generator's own queueing out of the figures, alike for the baseline.
    switch = sys.getswitchinterval()
    sys.setswitchinterval(0.001)
    threads = [threading.Thread(target=target, args=args_of(i, stats, deadline, acked, submitted), daemon=True)
               for i in range(n)]
    start, client_cpu = time.perf_counter(), time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()) + 5)
    elapsed = time.perf_counter() - start
    sys.setswitchinterval(switch)
    stats.client_cpu = time.process_time() - client_cpu  # the load generator shares the machine's cores
    return stats, acked, submitted, elapsed, time.monotonic() > deadline


def summary(name, stats, elapsed, cpu, timed_out, db_cpu=None):
    total = sum(len(v) for v in stats.latency.values())
    saves = len(stats.latency.get("autosave", []))
    window = max(stats.save_window[1] - stats.save_window[0], 1e-9)
    out = {"name": name, "seconds": round(elapsed, 1), "requests": total, "requests_per_s": total / elapsed,
           "saves_per_s": saves / elapsed, "save_phase_saves_per_s": saves / window, "errors": sum(stats.errors.values()), "retries": stats.retries,
           "server_cpu_s": cpu, "cpu_ms_per_request": 1000 * cpu / max(total, 1), "timed_out": timed_out,
           "client_cpu_s": getattr(stats, "client_cpu", 0.0), "database_cpu_s": db_cpu,
           "database_cpu_ms_per_request": None if db_cpu is None else 1000 * db_cpu / max(total, 1),
           "kinds": {}}
    for kind, values in stats.latency.items():
        ms = np.array(values) * 1000
        p50, p95, p99 = np.percentile(ms, [50, 95, 99])
        out["kinds"][kind] = {"n": len(values), "p50": p50, "p95": p95, "p99": p99, "errors": stats.errors[kind]}
    out["save_timeline"] = save_timeline(stats)
    if stats.save_ends:  # wall clock, to line the windows up with the servers' logs (--logs)
        first = min(stats.save_ends) + time.time() - time.perf_counter()
        out["save_timeline_start"] = time.strftime("%H:%M:%S", time.localtime(first))
    return out


TIMELINE_STEP = 20.0  # seconds


def save_timeline(stats) -> list[dict]:
    """Autosaves by the window of the run in which they were answered: count, p50 and
    p95 — where a tail comes from (the peak of the load, or a moment such as a worker's
    restart or a checkpoint)."""
    ends = np.array(stats.save_ends)
    if not ends.size:
        return []
    ms = np.array(stats.latency["autosave"]) * 1000
    window = ((ends - ends.min()) // TIMELINE_STEP).astype(int)
    out = []
    for w in range(window.max() + 1):
        picked = ms[window == w]
        if picked.size:
            p50, p95 = np.percentile(picked, [50, 95])
            out.append({"from_s": w * TIMELINE_STEP, "saves": int(picked.size), "p50": p50, "p95": p95})
    return out


def print_summary(s):
    print(f"  {s['name']}: {s['requests']} requests in {s['seconds']} s = {s['requests_per_s']:.0f} req/s, "
          f"{s['saves_per_s']:.0f} saves/s ({s['save_phase_saves_per_s']:.0f}/s from the first save to the last), errors {s['errors']}, retries {s['retries']}, "
          f"server CPU {s['cpu_ms_per_request']:.1f} ms/request (server {s['server_cpu_s'] / s['seconds']:.2f} "
          f"cores, load generator {s['client_cpu_s'] / s['seconds']:.2f} cores"
          + ("" if s.get("database_cpu_s") is None else
             f", PostgreSQL {s['database_cpu_ms_per_request']:.1f} ms/request, {s['database_cpu_s'] / s['seconds']:.2f} cores")
          + ")"
          f"{'  (TIMED OUT)' if s['timed_out'] else ''}")
    for kind, k in s["kinds"].items():
        print(f"    {kind:<14} n={k['n']:<6} p50 {k['p50']:7.1f} ms  p95 {k['p95']:7.1f} ms  "
              f"p99 {k['p99']:7.1f} ms  errors {k['errors']}")
    if len(s.get("save_timeline", [])) > 1:
        print(f"    autosave by {TIMELINE_STEP:.0f} s from the first ({s.get('save_timeline_start')}): "
              + ", ".join(f"{w['saves'] / TIMELINE_STEP:.0f}/s p95 {w['p95']:.0f}" for w in s["save_timeline"]))


def run_one(db_kind, n, think_range, args):
    work = setup.workdir()
    results = {"db": db_kind, "experts": n, "think": think_range, "workers": args.workers}
    servers, databases = [], []
    try:
        main_db = setup.fresh_database(db_kind, work, "concordia", args.pg)
        databases.append(main_db)
        study = setup.populate(main_db.url, work / "instance", n)
        if args.baseline_only:
            return _run_bare(db_kind, n, think_range, args, work, study, results, servers, databases)
        env = setup.concordia_env(main_db.url, work / "instance")
        if not args.write_queue:
            env["CONCORDIA_SQLITE_WRITE_QUEUE"] = "0"
        server = setup.start_gunicorn("webapp:create_app()", env, work, args.workers, "concordia")
        servers.append(server)
        db_cpu = setup.database_cpu_seconds(db_kind)
        stats, acked, submitted, elapsed, timed_out = drive(
            concordia_expert, n, lambda i, st, dl, ak, sb: (i, study.tokens[i], server.port, study.round_id, st,
                                                           think_range, dl, ak, sb), args.max_seconds)
        cpu = server.cpu_seconds() - server.base_cpu
        db_cpu = db_cpu and setup.database_cpu_seconds(db_kind) - db_cpu
        server.stop()
        results["concordia"] = summary("Concordia", stats, elapsed, cpu, timed_out, db_cpu)
        check = setup.verify(main_db.url, study, acked, submitted)
        results["verification"] = check.__dict__ | {"ok": check.ok, "experts_submitted": len(submitted)}

        if not args.baseline:
            return results
        _run_bare(db_kind, n, think_range, args, work, study, results, servers, databases)
        c, b = results["concordia"], results["bare"]
        results["save_throughput_ratio"] = c["saves_per_s"] / b["saves_per_s"]
        results["save_phase_ratio"] = c["save_phase_saves_per_s"] / b["save_phase_saves_per_s"]
        results["save_cpu_ratio"] = c["cpu_ms_per_request"] / b["cpu_ms_per_request"]
    finally:
        for s in servers:
            s.stop()
        for d in databases:
            d.close()
        if args.logs:
            setup.keep_logs(work, args.logs / f"{db_kind}-{n}")
        setup.cleanup(work)
    return results


def _run_bare(db_kind, n, think_range, args, work, study, results, servers, databases):
    """The baseline: the same experts' saves against the bare upsert app, same gunicorn configuration."""
    bare_db = setup.fresh_database(db_kind, work, "bare", args.pg)
    databases.append(bare_db)
    setup.create_bare_schema(bare_db.url)
    bare = setup.start_gunicorn("bench.bare_app:create_app()", {"BARE_DATABASE_URL": bare_db.url}, work,
                                args.workers, "bare")
    servers.append(bare)
    db_cpu = setup.database_cpu_seconds(db_kind)
    stats, _, _, elapsed, timed_out = drive(
        bare_expert, n, lambda i, st, dl, ak, sb: (i, bare.port, study.items, st, think_range, dl, ak, sb),
        args.max_seconds)
    cpu = bare.cpu_seconds() - bare.base_cpu
    db_cpu = db_cpu and setup.database_cpu_seconds(db_kind) - db_cpu
    bare.stop()
    results["bare"] = summary("bare Flask + SQLAlchemy upsert", stats, elapsed, cpu, timed_out, db_cpu)
    return results


def parse_think(text):
    if text in ("0", "none"):
        return None
    lo, hi = (float(v) for v in text.split("-"))
    return (lo, hi)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], nargs="+", default=["sqlite"])
    parser.add_argument("--pg", help="PostgreSQL admin URL (a throwaway cluster); fresh databases are made in it")
    parser.add_argument("--experts", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--think", action="append", help="think time per rating, '0' or e.g. '1-3' (seconds)")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--no-baseline", dest="baseline", action="store_false",
                        help="skip the bare-stack baseline (e.g. for think-time runs, bound by the think time)")
    parser.add_argument("--baseline-only", action="store_true",
                        help="run only the bare stack (e.g. to see whether a scenario is within the machine at all)")
    parser.add_argument("--no-write-queue", dest="write_queue", action="store_false",
                        help="SQLite: Concordia's writers race in SQLite's busy handler, without the app's "
                             "write queue (webapp/models/sqlite_writers.py), to compare")
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument("--ramp", type=float, default=0.0,
                        help="spread the experts' first visits uniformly over this many seconds")
    parser.add_argument("--quick", action="store_true", help="20 experts, SQLite, no think time (< 2 min)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--logs", type=Path, help="keep the servers' logs (gunicorn's, with worker restarts, "
                                                  "and the access logs) in this folder")
    args = parser.parse_args(argv)
    if args.quick:
        args.db, args.experts, args.think, args.max_seconds = ["sqlite"], [20], ["0"], 40
    if "postgresql" in args.db and not args.pg:
        parser.error("--db postgresql needs --pg ADMIN_URL")
    thinks = [parse_think(t) for t in (args.think or ["0"])]
    RAMP[0] = args.ramp
    all_results, failed = [], False
    for db_kind in args.db:
        for n in args.experts:
            for think_range in thinks:
                label = f"{db_kind}, {n} experts, think {'none' if not think_range else '%g-%g s' % think_range}" \
                    + (f", first visits over {args.ramp:g} s" if args.ramp else "") \
                    + ("" if args.write_queue or db_kind != "sqlite" else ", no write queue")
                print(f"== {label}, {args.workers} workers; load average {os.getloadavg()[0]:.1f}", flush=True)
                stolen, started = setup.stolen_cpu_seconds(), time.monotonic()
                r = run_one(db_kind, n, think_range, args)
                r["load_average_after"] = os.getloadavg()[0]
                if stolen is not None:   # of the machine's CPU over the run (baseline included)
                    r["stolen_share"] = (setup.stolen_cpu_seconds() - stolen) / (
                        (time.monotonic() - started) * (os.cpu_count() or 1))
                if args.baseline_only:
                    print_summary(r["bare"])
                    print(f"  load average at the end {r['load_average_after']:.1f}", flush=True)
                    all_results.append(r)
                    continue
                print_summary(r["concordia"])
                v = r["verification"]
                if "bare" in r:
                    print_summary(r["bare"])
                    print(f"  ratio to baseline: saves/s {r['save_throughput_ratio']:.2f} (save phase "
                          f"{r['save_phase_ratio']:.2f}), CPU per request "
                          f"{r['save_cpu_ratio']:.1f}x")
                print(f"  load average at the end {r['load_average_after']:.1f}"
                      + (f"; CPU taken by the host (steal) {r['stolen_share']:.1%}" if "stolen_share" in r else ""))
                print(f"  verified: {v['checked_answers']} acknowledged answers, lost {v['lost']}, wrong value "
                      f"{v['wrong_value']}, duplicates {v['duplicates']}; {v['submissions']} submissions, "
                      f"half-written {v['half_submissions']} -> {'OK' if v['ok'] else 'FAILED'}", flush=True)
                failed |= not v["ok"]
                all_results.append(r)
    if args.json:
        args.json.write_text(json.dumps(all_results, indent=1, default=float))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
