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
    output_path = tmp_path / "commands.out"
    with output_path.open("w") as output_file:
        # output to a file, not a pipe: reading a pipe blocks while the background
        # server still holds it open, which hung the suite when start-up was slow
        process = subprocess.Popen(["bash", "-c", "\n".join(script)], cwd=ROOT, stdout=output_file,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)
    logs = ""
    try:
        # migrations, translations and three gunicorn workers on a loaded 2-core machine
        deadline = time.monotonic() + 300
        served = False
        while not served and process.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as r:
                    served = r.status == 200
            except OSError:
                time.sleep(0.3)
        # the scheduler starts beside the workers; give it time to announce itself
        while served and process.poll() is None and time.monotonic() < deadline:
            logs = "".join(p.read_text() for p in tmp_path.glob("*.log"))
            if "sweeping every" in logs:
                break
            time.sleep(0.3)
    finally:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=30)
    output = output_path.read_text()
    assert served, output
    assert "coordinator alice created" in output, output
    assert "sweeping every" in logs, logs + output
