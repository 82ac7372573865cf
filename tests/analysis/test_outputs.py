"""Emerging phrases, word clouds and charts."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis.codebook import Codebook, add_pattern
from analysis.compare import sentiment_by_round, theme_prevalence
from analysis.emerging import emerging_phrases, log_odds_z
from analysis.wordclouds import cache_key, whats_new_cloud_png, word_cloud_png
from analysis.charts import choice_chart_svg, sentiment_chart_svg, theme_share_chart_svg
from analysis.compare import choice_distribution
from analysis.wordclouds import cloud_words

PNG = b"\x89PNG\r\n\x1a\n"
CB = Codebook.from_dict({"themes": [{"key": "school", "name": "School", "patterns": ["school*"]}]})


@pytest.fixture
def vaping_answers(make_answers):
    """'vape shop' first appears in round 3 (6 of 18 answers)."""
    base = ["School was a safe place to talk", "My teacher was kind to me",
            "My school helped with my uniform", "I liked the school breakfast club"]
    items = [(r, base[i % 4], 0.3, "positive", []) for r in (1, 2, 3) for i in range(12)]
    items += [(3, "My brother sends me to the vape shop for him", -0.3, "negative", []) for _ in range(6)]
    return make_answers(items)


def test_emerging_phrase_appears_the_round_it_first_appears(vaping_answers):
    r3 = emerging_phrases(vaping_answers, 3, CB)
    assert "vape shop" in list(r3.phrase)
    row = r3.set_index("phrase").loc["vape shop"]
    assert row["count"] == 6 and row["earlier_count"] == 0 and row["z"] > 1.96
    assert emerging_phrases(vaping_answers, 2, CB).empty
    assert emerging_phrases(vaping_answers, 1, CB).empty  # nothing earlier to compare


def test_emerging_phrase_not_reported_when_a_theme_covers_it(vaping_answers):
    covered = add_pattern(CB, "school", "vap*")
    assert "vape shop" not in list(emerging_phrases(vaping_answers, 3, covered).phrase)


def test_emerging_respects_min_count(vaping_answers):
    assert emerging_phrases(vaping_answers, 3, CB, min_count=7).empty


def test_log_odds_symmetry():
    z = log_odds_z({"a": 10, "b": 10}, {"a": 10, "b": 10})
    assert z["a"] == pytest.approx(0.0)
    assert log_odds_z({}, {"a": 1}) == {}


def test_word_clouds_are_deterministic_png():
    texts = ["My social worker kept changing", "There was no food at home", "School felt safe"] * 3
    a, b = word_cloud_png(texts), word_cloud_png(list(texts))
    assert a.startswith(PNG) and a == b
    assert word_cloud_png([]).startswith(PNG)
    assert whats_new_cloud_png(["vape shop vape"] * 4, texts).startswith(PNG)


def test_cache_key():
    assert cache_key(["a", "b"]) == cache_key(["a", "b"])
    assert cache_key(["a", "b"]) != cache_key(["ab"])
    assert cache_key(["a"], "whats_new") != cache_key(["a"])


def test_theme_share_chart_omits_suppressed_points(rising_theme_answers):
    prev = theme_prevalence(rising_theme_answers)
    svg = theme_share_chart_svg(prev, theme_names={"continuity_of_social_worker": "Continuity of social worker"})
    assert svg.startswith("<svg") and svg.count("<title>") == 1 and 'role="img"' in svg
    # Regression (issue 10): inline style is refused by the pages' CSP and drew black boxes
    assert "style=" not in svg and "<style" not in svg and 'fill="#ffffff"' in svg
    assert "Continuity of social worker" in svg and "Round 2 (2021)" in svg
    # the suppressed round-1 point is a gap: the line has one plotted point only
    line = [l for l in svg.splitlines() if "line2d" in l]
    assert line  # chart drew lines
    assert svg == theme_share_chart_svg(prev, theme_names={"continuity_of_social_worker": "Continuity of social worker"})


def test_sentiment_chart(make_answers):
    items = [(1, "good", 0.5, "positive", []) for _ in range(10)] + [(2, "ok", 0.0, "neutral", [])]
    svg = sentiment_chart_svg(sentiment_by_round(make_answers(items)))
    assert "<title>Tone of answers to what_didnt_help, by round</title>" in svg
    assert "fewer than 5 answers" in svg


def test_charts_refuse_mixed_questions(make_answers):
    a = make_answers([(1, "x", 0.1, "positive", ["t"])] * 6, question_key="q1")
    b = make_answers([(1, "x", 0.1, "positive", ["t"])] * 6, question_key="q2")
    with pytest.raises(ValueError, match="question_key"):
        theme_share_chart_svg(theme_prevalence(pd.concat([a, b])))


def test_suppressed_share_is_never_plotted_even_if_present(rising_theme_answers):
    prev = theme_prevalence(rising_theme_answers)
    leaked = prev.copy()
    mask = (leaked.theme == "continuity_of_social_worker")
    leaked.loc[mask, "suppressed"] = True
    leaked.loc[mask, "share"] = 0.99  # a share that must not be drawn
    svg = theme_share_chart_svg(leaked)
    assert "continuity_of_social_worker" not in svg
    assert "continuity_of_social_worker" in theme_share_chart_svg(prev)


def test_chart_labels_are_plain_text_never_maths(rising_theme_answers):
    """Regression (issue 10): a theme renamed to contain $...$ made the page and report fail."""
    prev = theme_prevalence(rising_theme_answers)
    names = {"continuity_of_social_worker": "Cost $x^{2$ and $5 bus fares", "being_listened_to": "_hidden?"}
    svg = theme_share_chart_svg(prev, theme_names=names, title="Costs $a$ and $b")
    assert "Cost $x^{2$ and $5 bus fares" in svg and "Costs $a$ and $b" in svg and "_hidden?" in svg


def test_ids_differ_between_charts_on_one_page(make_answers):
    one = sentiment_chart_svg(sentiment_by_round(make_answers([(1, "good", 0.5, "positive", [])] * 6)))
    two = sentiment_chart_svg(sentiment_by_round(make_answers([(1, "bad", -0.5, "negative", [])] * 6)))
    ids = lambda svg: set(__import__("re").findall(r' id="([^"]+)"', svg))  # noqa: E731
    assert ids(one) and not ids(one) & ids(two)


def test_choice_chart_draws_a_bar_per_option_and_no_withheld_bar(make_answers):
    frame = make_answers([(1, v, float("nan"), None, []) for v in ["yes"] * 12 + ["no"] * 9 + ["partly"] * 2],
                         question_key="plan")
    svg = choice_chart_svg(choice_distribution(frame, options=["yes", "partly", "no"]), 1,
                           option_labels={"yes": "Yes $1"})
    assert "Yes $1" in svg and "52% (12)" in svg and ">fewer than 5<" in svg and ">withheld<" in svg and "39%" not in svg
    assert "style=" not in svg


def test_word_clouds_show_words_as_written_not_stems():
    """Regression (issue 10): clouds showed broken stems such as "clothe"."""
    words = cloud_words(["We had no clothes", "clean clothes at last", "my social workers changed", "a worker"])
    assert {words.shown_as(lemma) for lemma in words.uses} >= {"clothes", "worker", "clean"}
    assert "clothe" not in {words.shown_as(lemma) for lemma in words.uses}


def test_word_cloud_leaves_out_words_fewer_than_the_threshold_used():
    texts = ["the clothes were clean"] * 5 + ["we moved to Ashbourne"]
    assert word_cloud_png(texts, min_answers=5) != word_cloud_png(texts, min_answers=1)
    assert word_cloud_png(["Ashbourne"], min_answers=5) == word_cloud_png([], min_answers=5)
