"""Security linting: bandit finds nothing in the package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_bandit_is_clean():
    bandit = str(Path(sys.executable).parent / "bandit")
    if not Path(bandit).exists():
        bandit = shutil.which("bandit") or bandit
    if not Path(bandit).exists():
        if os.environ.get("CI"):
            pytest.fail("bandit is not installed: install the test extra (pip install '.[test]')")
        pytest.skip("bandit is not installed")
    result = subprocess.run([bandit, "-q", "-r", "feedback_app", "analysis"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_vulture_finds_no_dead_code():
    """The same check as .ci/run: anything unused that is not an entry point listed in
    tests/vulture_whitelist.py is dead code to delete or wire up."""
    result = subprocess.run(
        [sys.executable, "-m", "vulture", "feedback_app", "analysis", "tests/vulture_whitelist.py", "--min-confidence", "60"],
        cwd=ROOT, capture_output=True, text=True,
    )
    if "No module named vulture" in result.stderr and not os.environ.get("CI"):
        pytest.skip("vulture is not installed (pip install '.[test]')")
    assert result.returncode == 0, result.stdout + result.stderr
