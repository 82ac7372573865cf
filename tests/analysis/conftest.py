"""Fixtures for the analysis tests (pure functions; no app, no database)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FFT_DEV_CSV = REPO_ROOT.parent / "shared" / "data" / "fft-feedback-dev.csv"


@pytest.fixture(scope="session")
def fft_dev_csv() -> Path:
    """Path of the FFT development file; skips the test when it is absent."""
    if not FFT_DEV_CSV.exists():
        pytest.skip(f"FFT development file not available at {FFT_DEV_CSV}")
    return FFT_DEV_CSV


@pytest.fixture(scope="session")
def codebook():
    from analysis.codebook import load_codebook

    return load_codebook()


def _answers(rows: list[tuple]) -> pd.DataFrame:
    cols = ["response_id", "round_id", "round_label", "round_order", "question_key",
            "agency", "value", "polarity", "label", "themes"]
    return pd.DataFrame(rows, columns=cols)


@pytest.fixture
def make_answers():
    """Build an answers frame from (round_id, value, polarity, label, themes) tuples."""

    def build(items, question_key="what_didnt_help", agency="Schools"):
        labels = {1: "Round 1 (2020)", 2: "Round 2 (2021)", 3: "Round 3 (2022)"}
        rows = []
        for i, (round_id, value, polarity, label, themes) in enumerate(items):
            rows.append((f"r{i}", round_id, labels.get(round_id, f"Round {round_id}"), int(round_id),
                         question_key, agency, value, polarity, label, list(themes)))
        return _answers(rows)

    return build


@pytest.fixture
def rising_theme_answers(make_answers):
    """Round 1: 4 of 40 answers mention changing social worker; round 2: 22 of 40."""
    items = []
    for i in range(40):
        if i < 4:
            items.append((1, "My social worker kept changing", -0.4, "negative", ["continuity_of_social_worker"]))
        else:
            items.append((1, "School was a safe place to talk", 0.5, "positive", ["school_safe_place"]))
    for i in range(40):
        if i < 22:
            items.append((2, "I had three different social workers this year", -0.3, "negative", ["continuity_of_social_worker"]))
        else:
            items.append((2, "My teacher listened to me", 0.6, "positive", ["being_listened_to"]))
    return make_answers(items)


@pytest.fixture
def choice_answers():
    rows = []
    for i, v in enumerate(["yes", "yes", "no", "yes", "partly", "yes", "no", "yes", "yes", "yes"]):
        rows.append((f"a{i}", 1, "Audit 2021", 1, "plan_sufficient", "Police", v, float("nan"), None, []))
    for i, v in enumerate([["tools", "training"], ["tools"], ["training"], ["tools", "tools"], ["tools"], ["tools"], ["supervision"]]):
        rows.append((f"b{i}", 2, "Audit 2022", 2, "support_needed", "Police", json.dumps(v), float("nan"), None, []))
    return _answers(rows)
