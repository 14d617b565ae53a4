"""Set-up and checks for bench/load.py: fresh databases, the study and panel,
gunicorn processes on 127.0.0.1, their CPU time, and the verification of what
was stored against what the clients were told was saved."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Database:
    url: str            # SQLAlchemy URL
    drop: callable = None

    def close(self):
        if self.drop:
            self.drop()


def fresh_database(kind: str, workdir: Path, name: str, pg_admin: str | None) -> Database:
    if kind == "sqlite":
        return Database(f"sqlite:///{workdir}/{name}.sqlite3")
    import psycopg

    dbname = f"concordia_bench_{name}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')

    def drop():
        with psycopg.connect(pg_admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')

    base = pg_admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return Database(f"{base}/{dbname}", drop)


@dataclass
class Study:
    round_id: int
    items: int
    tokens: list[str]
    expert_ids: list[int]


def populate(url: str, instance: Path, n_experts: int) -> Study:
    """Migrate a fresh database; a study on the seed hierarchy, ``n_experts`` experts
    with their self-assessment done, and an open round 1 asking every indicator."""
    os.environ["CONCORDIA_INSTANCE_PATH"] = str(instance)
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.extensions import db
    from webapp.services import accounts, round_lifecycle, round_scope, studies
    from webapp.services.demo import seed_hierarchy_bytes
    from webapp.services.hierarchy_io import parse_json, validate_tree

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        owner = accounts.create_coordinator("bench", "bench-password-1")
        study = studies.create_study(owner, title="Load benchmark")
        studies.import_hierarchy(study, validate_tree(parse_json(seed_hierarchy_bytes())))
        basis = {"practice": "high", "theory": "medium", "literature": "medium", "intuition": "low"}
        tokens, ids = [], []
        for i in range(n_experts):
            inv = studies.add_expert(study, name=f"Expert {i}", stakeholder_group="academia",
                                     familiarity="familiar", basis=basis, field="testing", years_experience=10)
            tokens.append(inv.token)
            ids.append(inv.expert.id)
        rnd = round_scope.create_delphi_round(study, title="Round 1")
        round_lifecycle.open_round(rnd)
        db.session.commit()
        result = Study(rnd.id, len(rnd.items), tokens, ids)
        db.session.remove()
        db.engine.dispose()
    return result


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path
    base_cpu: float = 0.0
    worker_pids: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    pids.append(int(entry))
        return pids

    def cpu_seconds(self) -> float:
        """User + system CPU of the master and its workers (reaped workers included)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in [self.process.pid] + self.workers():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # utime, stime, cutime, cstime (fields 14-17; index 11-14 after the name)
            total += sum(int(v) for v in fields[11:15]) / ticks
        return total

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def database_cpu_seconds(kind: str) -> float | None:
    """User + system CPU of this machine's PostgreSQL processes (live ones, and the
    backends the postmaster has reaped), or None for SQLite (in the server's own
    processes). The cluster ``--pg`` names is taken to run on this machine."""
    if kind != "postgresql":
        return None
    ticks, total = os.sysconf("SC_CLK_TCK"), 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if "(postgres)" in stat:
            total += sum(int(v) for v in stat.rsplit(")", 1)[1].split()[11:15]) / ticks
    return total


def stolen_cpu_seconds() -> float | None:
    """CPU time the virtual machine's host gave to others while this machine's vCPUs
    wanted it ("steal" in ``/proc/stat``, all CPUs), or None where it is not told. A run
    with much of it had fewer than the machine's cores: its figures are not comparable."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def start_gunicorn(app_spec: str, env: dict, workdir: Path, workers: int, name: str) -> Server:
    port = free_port()
    log = workdir / f"{name}.log"
    full_env = os.environ | env | {"CONCORDIA_BIND": f"127.0.0.1:{port}", "CONCORDIA_WORKERS": str(workers),
                                   "PYTHONPATH": str(ROOT)}
    with log.open("w") as out:
        process = subprocess.Popen([str(GUNICORN), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
                                    "--access-logfile", str(workdir / f"{name}.access.log"), app_spec],
                                   cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, port, log)
    health = "/api/v1/health" if app_spec.startswith("webapp") else "/health"
    deadline = time.monotonic() + 60
    ready = 0
    while ready < workers * 2:  # every worker booted (requests spread over them)
        try:
            urllib.request.urlopen(server.url + health, timeout=10)
            ready += 1
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
    server.base_cpu = server.cpu_seconds()
    return server


def concordia_env(url: str, instance: Path) -> dict:
    return {"CONCORDIA_DATABASE_URL": url, "CONCORDIA_INSTANCE_PATH": str(instance),
            "CONCORDIA_SECRET_KEY": "bench-" + "k" * 40}


def create_bare_schema(url: str) -> None:
    sys.path.insert(0, str(ROOT))
    from bench.bare_app import make_engine, metadata

    engine = make_engine(url)
    metadata.create_all(engine)
    engine.dispose()


@dataclass
class Verification:
    checked_answers: int = 0
    lost: int = 0          # acknowledged, not stored
    wrong_value: int = 0   # stored, but not the last acknowledged value
    duplicates: int = 0
    submissions: int = 0
    half_submissions: int = 0  # submitted but with missing answers, or acknowledged but not submitted

    @property
    def ok(self) -> bool:
        return not (self.lost or self.wrong_value or self.duplicates or self.half_submissions)


def verify(url: str, study: Study, acknowledged: dict[int, dict[int, int]], submitted: set[int]) -> Verification:
    """``acknowledged``: expert index -> {node id: last value the server acknowledged};
    ``submitted``: indexes of experts whose submission was acknowledged."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    out = Verification()
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT r.expert_id, g.node_id, g.value, g.no_opinion, r.status FROM rating g "
            "JOIN response r ON r.id = g.response_id WHERE r.round_id = :rid"), {"rid": study.round_id}).all()
        status = dict(conn.execute(text("SELECT expert_id, status FROM response WHERE round_id = :rid"),
                                   {"rid": study.round_id}).all())
    engine.dispose()
    stored: dict[tuple[int, int], list[int]] = {}
    for expert_id, node_id, value, _no_opinion, _status in rows:
        stored.setdefault((expert_id, node_id), []).append(value)
    out.duplicates = sum(len(v) - 1 for v in stored.values())
    for index, answers in acknowledged.items():
        expert_id = study.expert_ids[index]
        for node_id, value in answers.items():
            out.checked_answers += 1
            values = stored.get((expert_id, node_id))
            if not values:
                out.lost += 1
            elif values[-1] != value:
                out.wrong_value += 1
    for index in range(len(study.expert_ids)):
        expert_id = study.expert_ids[index]
        is_submitted = status.get(expert_id) == "submitted"
        if index in submitted:
            out.submissions += 1
            whole = is_submitted and sum(
                1 for (e, _n), v in stored.items() if e == expert_id and v[-1] is not None) == study.items
            out.half_submissions += 0 if whole else 1
    return out


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="concordia-load-"))


def keep_logs(work: Path, into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    for log in work.glob("*.log"):
        shutil.copy2(log, into / log.name)


def cleanup(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
