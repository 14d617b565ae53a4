"""The README's PostgreSQL path, run as written (but the install line, which
script/bootstrap has done) against the suite's throwaway PostgreSQL cluster."""
from __future__ import annotations

import os
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.ops.test_deploy import free_port

ROOT = Path(__file__).resolve().parents[2]
DOC_URL = "postgresql://concordia:secret@db.internal/concordia"


def readme_block() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Running it for real"):]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


@pytest.mark.postgres
def test_readme_postgresql_commands_run_as_written(db_url, tmp_path):
    lines = readme_block()
    assert lines[0].startswith("python3.11 -m venv .venv")
    assert any(DOC_URL in line for line in lines)
    port = free_port()
    url = db_url.replace("postgresql+psycopg://", "postgresql://", 1)
    script = ["set -euo pipefail", f"export CONCORDIA_INSTANCE_PATH={tmp_path}/instance"]
    for line in lines[1:]:
        line = line.replace(DOC_URL, url).replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        if "create-coordinator" in line:
            line = line.split("#")[0].strip() + " --password 'correct horse battery'"
        if "gunicorn" in line or "flask scheduler" in line:
            line = line.split("#")[0].strip() + f" > {tmp_path}/$RANDOM.log 2>&1 &"
        script.append(line)
    script.append("echo PIDS $(jobs -p)")
    script.append("wait")
    process = subprocess.Popen(["bash", "-c", "\n".join(script)], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, process.stdout.read()
                time.sleep(0.3)
        # the scheduler starts beside the workers; give it time to announce itself on a busy machine
        while "sweeping every" not in "".join(p.read_text() for p in tmp_path.glob("*.log")):
            if process.poll() is not None or time.monotonic() > deadline + 60:
                break
            time.sleep(0.3)
    finally:
        os.killpg(process.pid, 15)
        output = process.communicate(timeout=60)[0]
    assert "coordinator alice created" in output, output
    logs = "".join(p.read_text() for p in tmp_path.glob("*.log"))
    assert "sweeping every" in logs, logs
