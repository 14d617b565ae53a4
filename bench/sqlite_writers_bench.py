"""SQLite writers under contention: SQLite's busy handler alone vs the app's write queue.

Several processes (as gunicorn's workers are) write to one SQLite database in WAL mode
through engines set up exactly as the app sets up its own (``install_sqlite_pragmas``,
with and without ``write_queue``). Each "request" spends some CPU outside the database
(``--work-ms``, the rest of a request), then runs a short write transaction: an upsert
of one answer, a little CPU inside the transaction (``--inside-ms``) and the commit.
The time from the transaction's first statement to its commit is what a writer waits
for the lock plus its own work.

The two set-ups run one after the other on fresh databases in the same run, twice each
alternating (off, on, off, on), and the script prints the percentiles of the
transaction time and the total throughput for each. Speed is compared within one run:
the figures go in the README, no test times anything.

    .venv/bin/python bench/sqlite_writers_bench.py [--processes 6] [--requests 400]
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Column, Integer, MetaData, Table, UniqueConstraint, create_engine  # noqa: E402
from sqlalchemy.dialects.sqlite import insert  # noqa: E402

from webapp.models.base import install_sqlite_pragmas  # noqa: E402

metadata = MetaData()
answer = Table("answer", metadata, Column("id", Integer, primary_key=True),
               Column("expert_id", Integer, nullable=False), Column("node_id", Integer, nullable=False),
               Column("value", Integer), UniqueConstraint("expert_id", "node_id"))


def _engine(path: Path, queued: bool):
    engine = create_engine(f"sqlite:///{path}")
    install_sqlite_pragmas(engine, 15000, write_queue=queued)
    return engine


_LOOPS_PER_MS = [0]


def _calibrate() -> None:
    n, start = 200_000, time.process_time()
    _loop(n)
    _LOOPS_PER_MS[0] = int(n / ((time.process_time() - start) * 1000))


def _loop(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


def _spin(ms: float) -> None:
    """About ``ms`` of CPU, with no system calls (as a request's Python work)."""
    _loop(int(ms * _LOOPS_PER_MS[0]))


def _writer(path: str, queued: bool, index: int, requests: int, work_ms: float, inside_ms: float, out):
    _calibrate()
    engine = _engine(Path(path), queued)
    stmt = insert(answer)
    stmt = stmt.on_conflict_do_update(index_elements=["expert_id", "node_id"], set_={"value": stmt.excluded.value})
    times = []
    with engine.connect() as conn:
        for i in range(requests):
            _spin(work_ms)
            start = time.perf_counter()
            conn.execute(stmt, {"expert_id": index, "node_id": i % 63, "value": i % 5 + 1})
            _spin(inside_ms)
            conn.commit()
            times.append(time.perf_counter() - start)
    engine.dispose()
    out.put(times)


def run(queued: bool, processes: int, requests: int, work_ms: float, inside_ms: float) -> dict:
    folder = Path(tempfile.mkdtemp())
    path = folder / "writers.sqlite3"
    engine = _engine(path, queued)
    metadata.create_all(engine)
    engine.dispose()
    out = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=_writer, args=(str(path), queued, i, requests, work_ms, inside_ms, out))
               for i in range(processes)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    times = [t for _ in workers for t in out.get()]
    for w in workers:
        w.join()
    seconds = time.perf_counter() - start
    times.sort()
    pct = lambda q: 1000 * times[min(len(times) - 1, int(q * len(times)))]  # noqa: E731
    return {"p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99), "max": 1000 * times[-1],
            "mean": 1000 * statistics.fmean(times), "per_s": len(times) / seconds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=6)
    parser.add_argument("--requests", type=int, default=400, help="write transactions per process")
    parser.add_argument("--work-ms", type=float, default=3.0, help="CPU per request outside the transaction")
    parser.add_argument("--inside-ms", type=float, default=0.3, help="CPU inside the transaction")
    args = parser.parse_args(argv)
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
          f"{args.processes} processes x {args.requests} write transactions, {args.work_ms} ms CPU outside "
          f"and {args.inside_ms} ms inside each")
    results = {False: [], True: []}
    for queued in (False, True, False, True):
        results[queued].append(run(queued, args.processes, args.requests, args.work_ms, args.inside_ms))
    for queued, label in ((False, "busy handler alone"), (True, "write queue")):
        r = {k: statistics.median(x[k] for x in results[queued]) for k in results[queued][0]}
        print(f"  {label:19} transaction p50 {r['p50']:6.1f} ms  p95 {r['p95']:7.1f} ms  p99 {r['p99']:7.1f} ms  "
              f"max {r['max']:7.1f} ms  mean {r['mean']:6.1f} ms  {r['per_s']:6.0f} transactions/s")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
