from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.compare import (
    ANSWERS_WEIGHT,
    choice_change,
    choice_distribution,
    compare_rounds,
    lines_of_enquiry,
    representative_quotes,
    scale_by_round,
    scale_change,
    sentiment_by_round,
    theme_prevalence,
    theme_sentiment,
)


def test_prevalence_counts_and_suppression(rising_theme_answers):
    prev = theme_prevalence(rising_theme_answers)
    row = prev[(prev.round_id == 1) & (prev.theme == "continuity_of_social_worker")].iloc[0]
    assert row.n_responses == 40
    assert row.suppressed and pd.isna(row.n_theme) and math.isnan(row.share)
    assert row.n_theme_display == "fewer than 5"
    row2 = prev[(prev.round_id == 2) & (prev.theme == "continuity_of_social_worker")].iloc[0]
    assert not row2.suppressed and row2.n_theme == 22 and row2.share == pytest.approx(22 / 40)
    # a theme absent in a round shows zero, not suppressed
    row3 = prev[(prev.round_id == 2) & (prev.theme == "school_safe_place")].iloc[0]
    assert row3.n_theme == 0 and row3.share == 0.0 and not row3.suppressed


def test_custom_threshold(rising_theme_answers):
    prev = theme_prevalence(rising_theme_answers, min_count=3)
    row = prev[(prev.round_id == 1) & (prev.theme == "continuity_of_social_worker")].iloc[0]
    assert row.n_theme == 4 and not row.suppressed
    with pytest.raises(ValueError, match="min_count"):
        theme_prevalence(rising_theme_answers, min_count=0)


def test_significant_rise_is_flagged_with_p_value(rising_theme_answers):
    comp = compare_rounds(rising_theme_answers, min_count=3)
    row = comp[comp.theme == "continuity_of_social_worker"].iloc[0]
    assert (row.round_from, row.round_to) == (1, 2)
    assert row.n_theme_from == 4 and row.n_theme_to == 22
    assert row.difference == pytest.approx(22 / 40 - 4 / 40)
    assert row.test == "chi-square"
    assert row.p_value < 0.001 and row.significant and row.direction == "rose"


def test_comparison_with_small_count_is_suppressed_whole(rising_theme_answers):
    comp = compare_rounds(rising_theme_answers)  # round 1 has 4 < 5
    row = comp[comp.theme == "continuity_of_social_worker"].iloc[0]
    assert row.suppressed and row.direction == "suppressed" and not row.significant
    assert pd.isna(row.n_theme_from) and pd.isna(row.n_theme_to)
    assert math.isnan(row.share_from) and math.isnan(row.share_to)
    assert math.isnan(row.difference) and math.isnan(row.p_value)
    assert row.n_theme_from_display == "fewer than 5"


def test_new_theme_and_fisher(make_answers):
    items = [(1, "fine", 0.1, "positive", []) for _ in range(20)]
    items += [(2, "no food", -0.3, "negative", ["practical_needs"]) for _ in range(8)]
    items += [(2, "fine", 0.1, "positive", []) for _ in range(12)]
    comp = compare_rounds(make_answers(items))
    row = comp[comp.theme == "practical_needs"].iloc[0]
    assert row.test == "fisher" and row.significant and row.direction == "new"
    assert row.n_theme_from == 0


def test_no_clear_change(make_answers):
    items = [(r, "x", 0.0, "neutral", ["a"] if i < 10 else []) for r in (1, 2) for i in range(40)]
    row = compare_rounds(make_answers(items)).iloc[0]
    assert row.direction == "no clear change" and not row.significant and row.p_value > 0.5


def test_question_keys_are_never_pooled(make_answers):
    a = make_answers([(1, "x", 0.1, "positive", ["t"]) for _ in range(6)], question_key="what_helped")
    b = make_answers([(1, "y", -0.1, "negative", []) for _ in range(6)], question_key="what_didnt_help")
    prev = theme_prevalence(pd.concat([a, b], ignore_index=True), themes=["t"])
    assert set(prev.question_key) == {"what_helped", "what_didnt_help"}
    assert prev.set_index("question_key").loc["what_helped", "share"] == 1.0
    assert prev.set_index("question_key").loc["what_didnt_help", "share"] == 0.0


def test_themes_as_json_strings(make_answers):
    df = make_answers([(1, "x", 0.0, "neutral", []) for _ in range(6)])
    df["themes"] = ['["a"]'] * 6
    assert theme_prevalence(df).iloc[0].n_theme == 6


def test_sentiment_by_round(make_answers):
    items = [(1, "good", 0.5, "positive", []) for _ in range(10)]
    items += [(1, "bad", -0.5, "negative", []) for _ in range(3)]
    items += [(2, "ok", 0.0, "neutral", []) for _ in range(4)]
    s = sentiment_by_round(make_answers(items))
    r1 = s[s.round_id == 1].iloc[0]
    assert r1.n_responses == 13 and r1.n_neutral == 0
    assert pd.isna(r1.n_negative) and math.isnan(r1.share_negative) and r1.n_negative_display == "fewer than 5"
    # Regression (issue 10): "10 positive" beside 13 answers would give negative = 3 away,
    # so the next-smallest cell is withheld too (secondary suppression).
    assert pd.isna(r1.n_positive) and math.isnan(r1.share_positive) and r1.n_positive_display == "withheld"
    assert r1.ci_low < r1.mean_polarity < r1.ci_high
    r2 = s[s.round_id == 2].iloc[0]
    assert r2.suppressed and math.isnan(r2.mean_polarity) and r2.n_responses_display == "fewer than 5"


def test_theme_sentiment(rising_theme_answers):
    ts = theme_sentiment(rising_theme_answers)
    row = ts[(ts.round_id == 2) & (ts.theme == "continuity_of_social_worker")].iloc[0]
    assert row.n_negative == 22 and row.share_negative == 1.0


def test_choice_distribution(choice_answers):
    cd = choice_distribution(choice_answers, options={"plan_sufficient": ["yes", "partly", "no"]})
    r1 = cd[cd.round_id == 1].set_index("option")
    assert list(r1.index) == ["yes", "partly", "no"]
    assert r1.loc["partly", "suppressed"] and r1.loc["partly", "count_display"] == "fewer than 5"
    # partly (1) and no (2) are withheld; 10 answers minus "yes 7" would tell that 3 people
    # chose one of them, so "yes" is withheld as well (withheld cells must add up to 5).
    assert r1.loc["yes", "suppressed"] and pd.isna(r1.loc["yes", "count"]) and math.isnan(r1.loc["yes", "share"])
    assert r1.iloc[0].n_responses == 10
    r2 = cd[cd.round_id == 2].set_index("option")
    assert "yes" not in r2.index
    assert r2.loc["tools", "count"] == 5 and r2.loc["tools", "share"] == pytest.approx(5 / 7)
    assert pd.isna(r2.loc["training", "count"])


def test_representative_quotes_are_typical_and_deterministic(make_answers):
    items = [(1, f"My social worker kept changing every few months {i}", -0.3, "negative", ["c"]) for i in range(5)]
    items += [(1, "Lunch was nice", 0.9, "positive", ["c"])]
    items += [(1, "Unrelated", 0.0, "neutral", ["other"]) for _ in range(5)]
    df = make_answers(items)
    q = representative_quotes(df, "c", 1, n=3)
    assert len(q) == 3 and "Lunch was nice" not in list(q.value)
    assert list(q.typicality) == sorted(q.typicality, reverse=True)
    pd.testing.assert_frame_equal(q, representative_quotes(df.sample(frac=1, random_state=3), "c", 1, n=3))
    assert representative_quotes(df, "c", 1, min_count=10).empty


def test_quotes_require_a_question_key_when_mixed(make_answers):
    a = make_answers([(1, "x", 0.0, "neutral", ["t"])], question_key="q1")
    b = make_answers([(1, "y", 0.0, "neutral", ["t"])], question_key="q2")
    with pytest.raises(ValueError, match="question_key"):
        representative_quotes(pd.concat([a, b]), "t", 1)


def test_lines_of_enquiry(rising_theme_answers):
    comp = compare_rounds(rising_theme_answers, min_count=3)
    lines = lines_of_enquiry(comp, theme_sentiment(rising_theme_answers),
                             theme_names={"continuity_of_social_worker": "Continuity of social worker"})
    assert any("Continuity of social worker" in l and "rose" in l and "p < 0.001" in l for l in lines)
    assert any("most negative tone" in l for l in lines)
    assert lines_of_enquiry(compare_rounds(rising_theme_answers), sentiment_by_round(rising_theme_answers))[0]
    assert lines_of_enquiry(comp.iloc[0:0], sentiment_by_round(rising_theme_answers).iloc[0:0]) == []


def test_missing_columns_raise():
    with pytest.raises(ValueError, match="missing column"):
        theme_prevalence(pd.DataFrame({"value": ["x"]}))


def test_secondary_suppression_hides_the_next_smallest_cell_of_a_single_choice_question(make_answers):
    """Regression (issue 10): with 13 answers, "Schools 10 (77%)" next to "Police fewer than 5"
    gave Police = 3."""
    frame = make_answers([(1, "Schools", float("nan"), None, []) for _ in range(10)]
                         + [(1, "Police", float("nan"), None, []) for _ in range(3)], question_key="agency")
    table = choice_distribution(frame, options=["Schools", "Police", "Health"]).set_index("option")
    assert list(table["count_display"]) == ["withheld", "fewer than 5", "0"]
    assert table["share"].isna().tolist() == [True, True, False]
    assert table.iloc[0].n_responses_display == "13"


def test_choice_change_test_pools_withheld_options(make_answers):
    first = [(1, v, float("nan"), None, []) for v in ["yes"] * 30 + ["no"] * 10 + ["partly"] * 6 + ["dont_know"] * 2]
    second = [(2, v, float("nan"), None, []) for v in ["yes"] * 10 + ["no"] * 30 + ["partly"] * 7 + ["dont_know"] * 3]
    table = choice_distribution(make_answers(first + second, question_key="q"), options=["yes", "partly", "no"])
    change = choice_change(table).iloc[0]
    assert not change.suppressed and change.significant and change.p_value < 0.001
    assert change.test == "chi-square"
    small = choice_distribution(make_answers(first + second[:4], question_key="q"))
    assert choice_change(small).iloc[0].suppressed


def test_scale_mean_and_interval_per_round(make_answers):
    frame = make_answers([(1, str(v), float("nan"), None, []) for v in [1, 2, 2, 3, 3, 3]]
                         + [(2, "5", float("nan"), None, []) for _ in range(3)], question_key="confidence")
    scale = scale_by_round(frame).set_index("round_id")
    assert scale.loc[1, "mean"] == pytest.approx(14 / 6) and scale.loc[1, "ci_low"] < 14 / 6 < scale.loc[1, "ci_high"]
    assert scale.loc[2, "suppressed"] and math.isnan(scale.loc[2, "mean"])
    assert scale_change(frame).iloc[0].suppressed
    rising = make_answers([(1, str(v), float("nan"), None, []) for v in [1, 2, 2, 3] * 5]
                          + [(2, str(v), float("nan"), None, []) for v in [3, 4, 4, 5] * 5], question_key="c")
    change = scale_change(rising).iloc[0]
    assert change.direction == "rose" and change.p_value < 0.001 and change.test == "Mann-Whitney"


@pytest.mark.parametrize("audience, ending", [
    ("children", "what are children telling us?"),
    ("practitioners", "what is getting in the way for practitioners?"),
    ("auditors", "what does the audit evidence show about practice?"),
])
def test_lines_about_tone_end_in_words_that_fit_who_answered(rising_theme_answers, audience, ending):
    lines = lines_of_enquiry(compare_rounds(rising_theme_answers), theme_sentiment(rising_theme_answers),
                             audience=audience)
    tone = [line for line in lines if "most negative tone" in line]
    assert tone and all(line.endswith(ending) for line in tone)
    assert not any("children and families" in line for line in lines)


def test_a_multiple_choice_change_is_tested_option_by_option(make_answers):
    """An answer choosing several options counts in several columns, so one table of the
    round's options is not a test (and once crashed the report): each option chosen or not,
    out of the round's answers, the smallest p-value adjusted for the number of options."""
    both = '["Schools", "Police"]'
    first = ([(1, both, float("nan"), None, [])] * 40 + [(1, '["Health"]', float("nan"), None, [])] * 10
             + [(1, '["Police", "Housing"]', float("nan"), None, [])] * 3)
    second = ([(2, '["Schools"]', float("nan"), None, [])] * 40 + [(2, '["Health", "Police"]', float("nan"), None, [])] * 10
              + [(2, '["Housing"]', float("nan"), None, [])] * 2)
    table = choice_distribution(make_answers(first + second, question_key="q"))
    change = choice_change(table, multiple=True).iloc[0]
    assert not change.suppressed and change.significant  # Police: 43 of 53 chose it, then 10 of 52
    assert change.test == "chi-square per option, Bonferroni"
    # Shown counts adding up to more than the answers are tested the same way even unflagged.
    assert choice_change(table).iloc[0].test == change.test
    same = choice_distribution(make_answers(first + [(2, v, *rest) for _r, v, *rest in first], question_key="q"))
    unchanged = choice_change(same, multiple=True).iloc[0]
    assert not unchanged.significant and unchanged.p_value == 1.0


def test_rows_standing_for_several_answers_summarise_as_those_answers(make_answers):
    """Answers counted per round and value (the report at a million answers) give the same
    spread, scale means and tests as one row per answer."""
    rows = ([(1, "yes", float("nan"), None, [])] * 30 + [(1, "no", float("nan"), None, [])] * 12
            + [(1, "4", float("nan"), None, [])] * 3 + [(2, "yes", float("nan"), None, [])] * 9
            + [(2, "no", float("nan"), None, [])] * 31 + [(2, "2", float("nan"), None, [])] * 2
            + [(2, "5", float("nan"), None, [])] * 7)
    each = make_answers(rows, question_key="q")
    counted = (each.groupby(["question_key", "round_id", "round_label", "round_order", "value"], sort=False)
               .size().rename(ANSWERS_WEIGHT).reset_index())
    assert len(counted) < len(each) / 10
    pd.testing.assert_frame_equal(choice_distribution(counted, options=["yes", "no"]),
                                  choice_distribution(each, options=["yes", "no"]))
    pd.testing.assert_frame_equal(choice_change(choice_distribution(counted)), choice_change(choice_distribution(each)))
    pd.testing.assert_frame_equal(scale_by_round(counted), scale_by_round(each))
    pd.testing.assert_frame_equal(scale_change(counted), scale_change(each))
