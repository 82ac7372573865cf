"""``feedback-app serve`` runs the app on gunicorn and prepares a fresh database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.live_http import free_port

ROOT = Path(__file__).resolve().parent.parent



@pytest.mark.slow
def test_serve_creates_the_database_syncs_and_answers(tmp_path):
    port = free_port()
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}", SECRET_KEY="serve-test",
               PYTHONPATH=str(ROOT))
    env.pop("TEST_DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "feedback_app", "serve", "--port", str(port), "--workers", "2"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        body = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.3)
        assert body == '{"database":"ok","status":"ok"}\n'
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login", timeout=5) as response:
            assert "Sign in" in response.read().decode()
            assert response.headers["Server"].startswith("gunicorn")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert "Published action-plan-summary v1" in output
    assert "Serving on http://127.0.0.1:" in output
