"""A live Concordia under gunicorn on a free 127.0.0.1 port, and expert clients
that autosave with the page's retry rules (``static/js/questionnaire.js``),
for the fault tests. Only local traffic."""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
META_CSRF = re.compile(rb'<meta name="csrf-token" content="([^"]+)"')
SECRET = "fault-tests-" + "s" * 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    db_url: str
    workdir: Path
    workers: int = 2
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        env = os.environ | {
            "CONCORDIA_DATABASE_URL": self.db_url, "CONCORDIA_INSTANCE_PATH": str(self.workdir / "instance"),
            "CONCORDIA_SECRET_KEY": SECRET, "CONCORDIA_BIND": f"127.0.0.1:{self.port}",
            "CONCORDIA_WORKERS": str(self.workers)}
        log = (self.workdir / f"server{self.starts}.log").open("w")
        self.process = subprocess.Popen(
            [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "webapp:create_app()"], cwd=ROOT, env=env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("GET", "/api/v1/health")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(self.log_text())
            time.sleep(0.1)

    def kill9(self) -> None:
        """SIGKILL to the master and every worker at once (no graceful anything)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def log_text(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.workdir.glob("server*.log")))


class Refused(Exception):
    """The server refused for good (400 refused, 401/403/404): the page stops sending."""

    def __init__(self, status, body):
        super().__init__(f"{status} {body}")
        self.status, self.body = status, body


@dataclass
class Expert:
    """One browser tab of an expert."""

    server: LiveServer
    round_id: int
    cookies: dict = field(default_factory=dict)
    csrf: str = ""
    retry_delay: float = 0.2     # the page waits 2 s (doubling to 30 s); tests go faster
    deadline: float = 120.0      # seconds a client keeps retrying
    statuses: list = field(default_factory=list)   # every HTTP status seen (None: no answer)
    acked: dict = field(default_factory=dict)      # node id -> last acknowledged value
    lock: threading.Lock = field(default_factory=threading.Lock)

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            conn.close()
        except (OSError, http.client.HTTPException):
            self.statuses.append(None)
            return None, {}, b""
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        self.statuses.append(response.status)
        return response.status, response.headers, data

    def enter(self, token: str) -> "Expert":
        status, _, _ = self._retrying("GET", f"/i/{token}")
        assert status == 302, status
        return self.load()

    def load(self) -> "Expert":
        status, _, page = self._retrying("GET", f"/expert/rounds/{self.round_id}")
        assert status == 200, status
        self.csrf = META_CSRF.search(page).group(1).decode()
        return self

    def tab(self) -> "Expert":
        """A second tab of the same browser: same cookies, its own page."""
        return Expert(self.server, self.round_id, cookies=self.cookies, csrf=self.csrf,
                      retry_delay=self.retry_delay, deadline=self.deadline)

    def _retrying(self, method, path, body=None, headers=None):
        give_up = time.monotonic() + self.deadline
        delay = self.retry_delay
        while True:
            status, headers_out, data = self.request(method, path, body, headers)
            if status is not None and status < 500:
                return status, headers_out, data
            if time.monotonic() > give_up:
                raise TimeoutError(f"{method} {path}: no answer for {self.deadline} s")
            time.sleep(delay)
            delay = min(delay * 2, 2.0)

    def save(self, node_id: int, value: int) -> dict:
        """Autosave one rating as the page does; returns the server's answer once acknowledged."""
        body = json.dumps({"answers": [{"node_id": node_id, "value": value, "no_opinion": False}]})
        token_retried = False
        while True:
            status, _, data = self._retrying(
                "POST", f"/api/v1/rounds/{self.round_id}/answers", body,
                {"Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": self.csrf})
            answer = json.loads(data or b"{}") if data[:1] in (b"{", b"") else {}
            if status == 200 and answer.get("ok"):
                with self.lock:
                    self.acked[node_id] = value
                return answer
            if status == 400 and answer.get("error") == "csrf" and not token_retried:
                token_retried = True
                _, _, fresh = self._retrying("GET", "/api/v1/csrf-token")
                self.csrf = json.loads(fresh)["csrf_token"]
                continue
            raise Refused(status, answer)

    def submit(self, values: dict[int, int]) -> str:
        """Post the whole form with action=submit; returns where the server redirected."""
        form = {"csrf_token": self.csrf, "action": "submit"} | {f"rate_{n}": str(v) for n, v in values.items()}
        status, headers, data = self._retrying("POST", f"/expert/rounds/{self.round_id}", urlencode(form),
                                               {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 302, (status, data[:500])
        return headers.get("Location", "")


def server_errors(experts) -> list:
    return [s for e in experts for s in e.statuses if s is not None and s >= 500]
