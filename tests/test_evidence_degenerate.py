"""Analysis functions on degenerate inputs: a single word, identical answers, one round,
empty rounds, every count suppressed (issue 16, item 10). None may crash, and none may
report a change or a line of enquiry the numbers do not carry."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.codebook import load_codebook
from analysis.compare import (
    ANSWER_COLUMNS,
    choice_distribution,
    compare_rounds,
    lines_of_enquiry,
    representative_quotes,
    sentiment_by_round,
    theme_prevalence,
    theme_sentiment,
)
from analysis.emerging import emerging_phrases, log_odds_z, rank_emerging
from analysis.wordclouds import whats_new_cloud_png, word_cloud_png

PNG = b"\x89PNG"


def _answers(rounds: dict[int, list[str]], themes: list[str] | None = None, polarity: float = 0.5) -> pd.DataFrame:
    """An answers frame: one question, ``rounds`` maps round order to its answers."""
    rows = []
    response = 0
    for order, values in rounds.items():
        for value in values:
            response += 1
            rows.append({"response_id": response, "round_id": order + 1, "round_label": f"Round {order + 1}",
                         "round_order": order, "question_key": "what_helped", "agency": None, "value": value,
                         "polarity": polarity, "label": "positive" if polarity > 0 else "neutral",
                         "themes": json.dumps(themes or [])})
    return pd.DataFrame(rows, columns=list(ANSWER_COLUMNS))


def test_log_odds_z_when_every_answer_is_one_word_does_not_divide_by_zero():
    # The report crashed (ZeroDivisionError) when all answers of two rounds were "Improving".
    assert log_odds_z({"improving": 12}, {"improving": 7}) == {"improving": 0.0}
    assert log_odds_z({"improving": 1}, {"improving": 1}) == {"improving": 0.0}


def test_emerging_phrases_and_whats_new_cloud_of_one_repeated_word():
    answers = _answers({0: ["Improving"] * 6, 1: ["Improving"] * 9})
    codebook = load_codebook()
    assert emerging_phrases(answers, 2, codebook).empty
    assert rank_emerging({"improving": 9}, {"improving": 6}, codebook).empty
    assert whats_new_cloud_png(["Improving"] * 9, ["Improving"] * 6).startswith(PNG)


@pytest.mark.parametrize(
    "rounds",
    [
        {0: ["Improving"]},                                   # a single word, one round
        {0: ["Support helped"] * 8, 1: ["Support helped"] * 8},  # identical answers
        {0: ["Support helped"] * 8},                          # one round
        {0: [], 1: ["", "  "]},                                # empty rounds
        {0: ["Support helped"] * 3, 1: ["Support helped"] * 2},  # every count suppressed
    ],
    ids=["single-word", "identical", "one-round", "empty-rounds", "all-suppressed"],
)
def test_comparison_functions_survive_degenerate_rounds(rounds):
    answers = _answers(rounds, themes=["support"])
    prevalence = theme_prevalence(answers, min_count=5)
    comparison = compare_rounds(answers, min_count=5)
    sentiment = sentiment_by_round(answers, min_count=5)
    theme_sentiment(answers, min_count=5)
    for round_id in answers["round_id"].unique():
        quotes = representative_quotes(answers, "support", round_id, min_count=5)
        assert len(quotes) <= 1  # identical texts are quoted once; small groups not at all
    # Identical rounds, one round, small rounds: nothing changed that the numbers carry.
    assert not comparison.get("significant", pd.Series(dtype=bool)).astype(bool).any()
    assert not [line for line in lines_of_enquiry(comparison, sentiment) if " rose " in line or "appeared" in line]
    if len(prevalence):
        small = prevalence["n_responses"].isna() | (prevalence["n_responses"].fillna(0) < 5)
        assert prevalence.loc[small, "share"].isna().all()


def test_choice_distribution_of_nothing_and_of_one_answer():
    answers = _answers({0: ["Yes"]})
    choice_distribution(answers, min_count=5)
    choice_distribution(answers.iloc[0:0], min_count=5)


@pytest.mark.parametrize("texts", [[], ["Improving"], ["", None, 3], ["the the the"]])
def test_word_clouds_of_degenerate_texts_are_pictures(texts):
    assert word_cloud_png(texts).startswith(PNG)
    assert whats_new_cloud_png(texts, texts).startswith(PNG)
