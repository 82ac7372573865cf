from __future__ import annotations

import pytest

from analysis.evaluation import (
    baseline_labels,
    classification_report,
    collapse_fft_sentiment,
    load_labelled_feedback,
    parse_fft_date,
    predict_labels,
)
from analysis.sentiment import Sentiment, sentiment


@pytest.mark.parametrize(
    "text, label",
    [
        ("The social worker was really helpful and listened to me.", "positive"),
        ("My social worker was rude and ignored what I said.", "negative"),
        ("Nothing.", "positive"),
        ("No improvements needed", "positive"),
        ("Nothing bad to say", "positive"),
        ("Can't fault them", "positive"),
        ("I was not listened to", "negative"),
        ("Nobody listened to me", "negative"),
        ("They didn't help at all", "negative"),
        ("More staff would be better", "negative"),
        ("Could be more helpful", "negative"),
        ("There was nothing they could have done better.", "positive"),
        ("We waited 3 hours and nobody came", "negative"),
        ("The visit was on a Tuesday.", "neutral"),
    ],
)
def test_labels_on_feedback_language(text, label):
    assert sentiment(text).label == label


def test_negation_flips_a_domain_cue():
    assert sentiment("the worker was helpful").polarity > 0
    assert sentiment("the worker was not helpful").polarity < 0


def test_but_clause_carries_more_weight():
    later_bad = sentiment("The staff were friendly but we waited for hours")
    later_good = sentiment("We waited for hours but the staff were friendly")
    assert later_bad.polarity < later_good.polarity


def test_clearly_mixed_answer_is_neutral():
    assert sentiment("The paramedics were brilliant. The wait was horrendous and nobody called back.").label == "neutral"


def test_nothing_means_negative_for_what_helped_questions():
    assert sentiment("Nothing", nothing_means="negative").label == "negative"
    assert sentiment("Nothing", nothing_means="neutral").label == "neutral"


@pytest.mark.parametrize("empty", ["", "   ", None, float("nan"), 3])
def test_empty_or_non_text_is_neutral_zero(empty):
    assert sentiment(empty) == Sentiment(0.0, 0.0, "neutral")


def test_ranges():
    s = sentiment("Absolutely brilliant, thank you so much, best ever!!!")
    assert -1.0 <= s.polarity <= 1.0 and 0.0 <= s.subjectivity <= 1.0


def test_classification_report_counts():
    r = classification_report(["positive", "negative", "neutral", "positive"],
                              ["positive", "neutral", "neutral", "negative"])
    assert r.confusion.loc["positive", "positive"] == 1
    assert r.confusion.loc["negative", "neutral"] == 1
    assert r.per_class.loc["neutral", "recall"] == 1.0
    assert r.per_class.loc["neutral", "precision"] == 0.5
    assert r.macro_f1 == pytest.approx((2 / 3 + 2 / 3 + 0) / 3)
    with pytest.raises(ValueError):
        classification_report(["positive"], [])


def test_fft_helpers():
    assert [collapse_fft_sentiment(s) for s in (1, 2, 3, 4, 5, float("nan"))] == [
        "positive", "positive", "neutral", "negative", "negative", None]
    assert parse_fft_date("30/09/2021").month == 9
    assert parse_fft_date("9/14/2022").day == 14
    assert parse_fft_date("01/02/2022").month == 2
    assert parse_fft_date("not a date") is None


def test_beats_textblob_baseline_on_fft_dev(fft_dev_csv):
    """Same run, same rows: our macro-F1 must beat plain TextBlob by >= 0.05."""
    frame = load_labelled_feedback(fft_dev_csv)
    assert len(frame) > 3000
    base = classification_report(frame["label"], baseline_labels(frame["text"])).macro_f1
    ours = classification_report(frame["label"], predict_labels(frame["text"])).macro_f1
    assert ours >= base + 0.05, (ours, base)
