"""Agreement between two coders: Cohen's kappa and Krippendorff's alpha on known cases."""

from __future__ import annotations

import pytest

from analysis.agreement import Code, agreement, cohen_kappa, krippendorff_alpha


def test_kappa_on_a_textbook_table():
    # 50 units: both yes 20, both no 15, first yes second no 5, first no second yes 10
    first = ["yes"] * 25 + ["no"] * 25
    second = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    # observed 0.7; expected 0.5*0.6 + 0.5*0.4 = 0.5; kappa 0.4
    assert cohen_kappa(first, second) == pytest.approx(0.4)
    assert cohen_kappa(["a", "b"], ["a", "b"]) == pytest.approx(1.0)
    assert cohen_kappa(["a", "a"], ["a", "a"]) is None
    assert cohen_kappa([], []) is None
    with pytest.raises(ValueError):
        cohen_kappa(["a"], [])


def test_alpha_matches_the_hand_computed_value():
    first = ["a", "a", "b", "b"]
    second = ["a", "b", "b", "b"]
    # pairable values 8; n_a=3, n_b=5; D_o = 2/8... alpha = 1 - (n-1) * o_ab*2 / (2 * n_a * n_b)
    expected = 1 - (8 - 1) * 2 / (2 * 3 * 5)
    assert krippendorff_alpha(first, second) == pytest.approx(expected)
    assert krippendorff_alpha(["a"], ["a"]) is None
    assert krippendorff_alpha(["a", "a"], ["a", "a"]) is None


def test_agreement_over_units_both_coded_lists_the_disagreements():
    first = {1: Code("positive", frozenset({"food"})), 2: Code("negative", frozenset()),
             3: Code("neutral", frozenset({"food", "school"})), 4: Code("positive")}
    second = {1: Code("positive", frozenset({"food"})), 2: Code("neutral", frozenset()),
              3: Code("neutral", frozenset({"food"})), 5: Code("negative")}
    result = agreement(first, second, ["food", "school"])
    assert result.n_units == 3
    assert [d.unit for d in result.disagreements] == [2, 3]
    assert result.theme_kappa["food"] == pytest.approx(1.0)
    # "school": observed 2/3, and chance alone gives 2/3 (the second coder never chose it)
    assert result.theme_kappa["school"] == pytest.approx(0.0)
    assert result.sentiment_kappa == pytest.approx(cohen_kappa(["positive", "negative", "neutral"],
                                                               ["positive", "neutral", "neutral"]))
    assert -1 <= result.theme_alpha <= 1 and result.sentiment_alpha is not None
