"""The comparison figures from tallies (counts and sums per round and theme) equal the
figures from the answers they count (issue 13 item 2)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.compare import (
    TALLY_COLUMNS,
    prevalence_from_tallies,
    sentiment_by_round,
    sentiment_from_tallies,
    theme_prevalence,
    theme_sentiment,
)

ROUND_COLUMNS = ["question_key", "round_id", "round_label", "round_order"]


def tallies_of(answers: pd.DataFrame, by_theme: bool) -> pd.DataFrame:
    """What the tallies hold for ``answers``: per round (and theme) the answers, labels and polarity sums."""
    frame = answers.explode("themes").rename(columns={"themes": "theme"}) if by_theme else answers
    frame = frame.assign(**{label: (frame["label"] == label).astype(int) for label in ("positive", "neutral", "negative")},
                         polarity_count=frame["polarity"].notna().astype(int),
                         polarity_sum=frame["polarity"].fillna(0.0),
                         polarity_squares=frame["polarity"].fillna(0.0) ** 2, answers=1)
    keys = ROUND_COLUMNS + (["theme"] if by_theme else [])
    return frame.groupby(keys, as_index=False)[list(TALLY_COLUMNS)].sum()


@pytest.mark.parametrize("min_count", [1, 5, 25])
def test_theme_shares_from_tallies_equal_those_from_answers(rising_theme_answers, min_count):
    expected = theme_prevalence(rising_theme_answers, min_count=min_count)
    got = prevalence_from_tallies(tallies_of(rising_theme_answers, False),
                                  tallies_of(rising_theme_answers, True)[["round_id", "theme", "answers"]],
                                  min_count=min_count)
    pd.testing.assert_frame_equal(got, expected)
    assert (got["n_theme_display"] == "fewer than 5").any() == (min_count == 5)


@pytest.mark.parametrize("min_count", [1, 5, 25])
def test_tone_from_sums_equals_tone_from_answers(rising_theme_answers, min_count):
    pd.testing.assert_frame_equal(sentiment_from_tallies(tallies_of(rising_theme_answers, False), min_count),
                                  sentiment_by_round(rising_theme_answers, min_count), check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(
        sentiment_from_tallies(tallies_of(rising_theme_answers, True), min_count, by_theme=True),
        theme_sentiment(rising_theme_answers, min_count), check_exact=False, rtol=1e-9)
