"""The learned sentiment model (analysis.learning) on small made-up data."""

from __future__ import annotations

import pytest

from analysis.learning import (
    DEFAULT_BAYES_SHARE,
    LabelledText,
    SentimentModel,
    MIN_CODED_TO_CHOOSE,
    bootstrap_interval,
    choose_coded_weight,
    cross_validated_coded_f1,
    development_model_share,
    learning_curve,
    macro_f1,
    per_class_f1,
    rule_features,
    train_sentiment_model,
)
from analysis.sentiment import sentiment

# "zingy" and "grumbo" are words the lexicon rules have never seen
CODED = (
    [LabelledText(f"the blorf was zingy on visit {n}", "positive") for n in range(20)]
    + [LabelledText(f"the blorf was grumbo on visit {n}", "negative") for n in range(20)]
    + [LabelledText(f"the blorf came on visit {n}", "neutral") for n in range(20)]
)


def test_the_model_learns_words_the_rules_do_not_know():
    assert sentiment("It was zingy").label == "neutral"
    model = train_sentiment_model([], CODED)
    assert model.predict(["It was zingy", "It was grumbo"]) == ["positive", "negative"]
    assert (model.n_development, model.n_coded) == (0, 60)


def test_coded_answers_outweigh_development_rows_that_disagree():
    development = ([LabelledText(f"the blorf was zingy on day {n}", "negative") for n in range(20)]
                   + [LabelledText(f"the blorf was lovely on day {n}", "positive") for n in range(20)] + CODED[20:])
    coded = CODED[:20]
    # the weight alone (the development rows' own model mixed in is tested below)
    assert train_sentiment_model(development, coded, coded_weight=5.0, development_share=0.0).predict(
        ["zingy"]) == ["positive"]
    assert train_sentiment_model(development, coded, coded_weight=0.2, development_share=0.0).predict(
        ["zingy"]) == ["negative"]


def _development_saying_zingy_is_bad() -> list[LabelledText]:
    """1,000 development rows: "zingy" is bad here."""
    return ([LabelledText("the blorf was zingy", "negative")] * 150
            + [LabelledText("the blorf was lovely", "positive")] * 425
            + [LabelledText("the blorf came", "neutral")] * 425)


def test_few_coded_answers_take_the_rule_weight_and_say_so():
    development = _development_saying_zingy_is_bad()
    coded = CODED[:MIN_CODED_TO_CHOOSE - 11] + CODED[20:30]
    model = train_sentiment_model(development, coded)
    assert model.params["weight_choice"] == {"by": "rule", "n_coded": len(coded), "n_development": 1000}
    assert model.params["coded_weight"] == pytest.approx(1000 / len(coded))


#: the partnership's 60 coded answers, worded like the development file but saying "zingy" is good
CODED_LIKE_DEVELOPMENT = ([LabelledText("the blorf was zingy", "positive")] * 40
                          + [LabelledText("the blorf was grumbo", "negative")] * 10
                          + [LabelledText("the blorf came", "neutral")] * 10)


def test_coded_answers_unlike_the_development_file_choose_the_heavy_weight():
    """Development says "zingy" is bad; the partnership's 60 coded answers say it is good.
    Only the weight that makes them as heavy as the development file (1000 / 60) learns that
    in cross-validation, so it is chosen, and the model says "zingy" is positive."""
    model = train_sentiment_model(_development_saying_zingy_is_bad(), CODED_LIKE_DEVELOPMENT)
    choice = model.params["weight_choice"]
    assert choice["by"] == "cross-validation" and choice["folds"] == 5
    assert set(choice["macro_f1"]) == {"3", f"{1000 / 60:g}"}
    assert choice["macro_f1"][f"{1000 / 60:g}"] > choice["macro_f1"]["3"]
    assert model.params["coded_weight"] == pytest.approx(1000 / 60)
    assert model.predict(["the blorf was zingy"]) == ["positive"]
    # not mixed with the development rows' own model: they say "zingy" far more often ...
    assert model.params["development_mix"]["why"] == "the coded answers read unlike the development rows"
    assert model.params["development_share"] == 0


def test_coded_answers_the_development_model_labels_far_worse_are_not_mixed_with_it(monkeypatch):
    import analysis.learning

    monkeypatch.setattr(analysis.learning, "MIX_MAX_AUC", 1.0)  # however they read
    model = train_sentiment_model(_development_saying_zingy_is_bad(), CODED_LIKE_DEVELOPMENT)
    mix = model.params["development_mix"]
    assert mix["why"] == "the development rows' model labels the coded answers worse"
    assert mix["development_f1"] < mix["coded_cv_f1"] - 0.15 and model.params["development_share"] == 0
    assert model.predict(["the blorf was zingy"]) == ["positive"]
    assert train_sentiment_model(_development_saying_zingy_is_bad(), CODED_LIKE_DEVELOPMENT, coded_weight=3.0).predict(
        ["the blorf was zingy"]) == ["negative"]


def test_the_weight_choice_takes_the_better_cross_validated_weight():
    rows = _development_saying_zingy_is_bad() + CODED
    model = train_sentiment_model(rows[:1000], rows[1000:])
    texts, labels = [r.text for r in rows], [r.label for r in rows]
    weight, choice = choose_coded_weight(model._matrix(texts, "positive"), labels, 1000)
    scores = {float(k): v for k, v in choice["macro_f1"].items()}
    assert weight == pytest.approx(max(scores, key=lambda w: (scores[w], w)), rel=1e-4)
    assert SentimentModel.loads(model.dumps()).params["weight_choice"] == model.params["weight_choice"]


def test_empty_text_is_neutral_and_a_stored_model_predicts_the_same():
    model = train_sentiment_model([], CODED)
    again = SentimentModel.loads(model.dumps())
    texts = ["zingy blorf", "grumbo", "", "on visit"]
    assert again.predict(texts) == model.predict(texts)
    assert model.predict([""]) == ["neutral"]
    probabilities = model.predict_proba(["zingy"])[0]
    assert set(probabilities) == {"positive", "neutral", "negative"}
    assert probabilities["positive"] == max(probabilities.values())


def test_bad_training_data_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="no labelled text"):
        train_sentiment_model([], [LabelledText("   ", "positive")])
    with pytest.raises(ValueError, match="unknown sentiment label"):
        train_sentiment_model([], CODED + [LabelledText("hm", "mixed")])
    with pytest.raises(ValueError, match="two different labels"):
        train_sentiment_model([], CODED[:20])
    with pytest.raises(ValueError, match="not a sentiment model"):
        SentimentModel.loads(b"not a model")


def test_rule_features_carry_the_rules_reading():
    rows = rule_features(["Staff were kind and helpful", "Nothing", "I was kept waiting for hours"])
    assert rows.shape == (3, 7)
    positive, nothing, negative = rows
    assert positive[2] == 1 and nothing[2] == 1 and negative[3] == 1  # the rules' labels
    assert rule_features(["Nothing"], "negative")[0][3] == 1  # a bare "nothing" to "what helped?"


def test_f1_figures_on_a_known_confusion():
    truth = ["positive", "positive", "neutral", "negative"]
    guess = ["positive", "neutral", "neutral", "negative"]
    assert per_class_f1(truth, guess) == pytest.approx({"positive": 2 / 3, "neutral": 2 / 3, "negative": 1.0})
    assert macro_f1(truth, guess) == pytest.approx(7 / 9)
    low, high = bootstrap_interval(truth * 10, guess * 10, n=200)
    assert low <= macro_f1(truth, guess) <= high and low < high
    with pytest.raises(ValueError):
        bootstrap_interval([], [])


def test_cross_validation_on_coded_answers_needs_enough_of_them():
    assert cross_validated_coded_f1([], CODED[:9]) is None
    assert cross_validated_coded_f1([], CODED) > 0.9


def test_learning_curve_rises_when_the_new_source_speaks_differently():
    development = [LabelledText(f"the blorf was zingy on day {n}", "negative") for n in range(30)] + CODED[40:]
    curve = learning_curve(development, CODED[:40], steps=(0, 30), repeats=2)
    assert [point["n"] for point in curve] == [0, 30]
    assert curve[1]["mean"] > curve[0]["mean"]
    assert len(curve[1]["weights"]) == 2 and all(w >= 3 for w in curve[1]["weights"])
    # against the model without the development rows' own model mixed in: both curves, paired
    compared = learning_curve(development, CODED[:40], steps=(0, 30), repeats=2, against={"development_share": 0.0})
    assert [round(p["mean"], 6) for p in compared] == [round(p["mean"], 6) for p in curve]
    assert compared[0]["against"]["mean"] == compared[0]["mean"] and compared[0]["difference"] == 0
    assert compared[1]["difference"] == pytest.approx(compared[1]["mean"] - compared[1]["against"]["mean"])
    with pytest.raises(ValueError, match="none left to test"):
        learning_curve(development, CODED[:30], steps=(0, 30))


def test_theme_classifiers_learn_themes_with_enough_coded_examples_and_survive_storage():
    from analysis.learning import add_theme_classifiers

    model = train_sentiment_model([], CODED)
    coded = ([(f"my tummy rumbled on day {n}", ["practical_needs"]) for n in range(20)]
             + [(f"the blorf came on visit {n}", []) for n in range(20)]
             + [(f"nobody heard me on day {n}", ["being_listened_to"]) for n in range(5)])
    assert add_theme_classifiers(model, coded, min_examples=20) == ["practical_needs"]
    texts = ["my tummy rumbled", "the blorf came", "nobody heard me"]
    assert model.labels_and_themes(texts)[1] == [["practical_needs"], [], []]
    assert SentimentModel.loads(model.dumps()).labels_and_themes(texts)[1] == [["practical_needs"], [], []]
    assert train_sentiment_model([], CODED).labels_and_themes(texts)[1] == [[], [], []]
    # a recompute's relabel: the labels from the same count of the n-grams as the themes, as predict gives them
    nothing_means = ["positive", "negative", "positive"]
    for each in (model, train_sentiment_model([], CODED)):
        assert each.labels_and_themes(texts, nothing_means)[0] == each.predict(texts, nothing_means)
    assert model.labels_and_themes([], []) == ([], [])


def test_naive_bayes_is_blended_into_the_labels_fades_with_coding_and_survives_storage():
    model = train_sentiment_model(CODED, [])
    regression_alone = train_sentiment_model(CODED, [], bayes_share=0.0)
    texts = ["zingy blorf", "grumbo", "the blorf came on visit", "zingy but grumbo"]
    assert model.params["bayes_share"] == DEFAULT_BAYES_SHARE > 0
    # 60 development rows and 20 coded answers weighing 3 each: half the weight is the development file's
    assert train_sentiment_model(CODED, CODED[:20], coded_weight=3.0, development_share=0.0).params[
        "bayes_share"] == pytest.approx(DEFAULT_BAYES_SHARE / 2)
    assert train_sentiment_model([], CODED).bayes is None  # coded answers alone: the regression alone
    blended, alone = model.predict_proba(texts), regression_alone.predict_proba(texts)
    for probabilities, label in zip(blended, model.predict(texts)):
        assert sum(probabilities.values()) == pytest.approx(1.0)
        assert label == max(probabilities, key=probabilities.get)
    assert [p["positive"] for p in blended] != pytest.approx([p["positive"] for p in alone], abs=1e-3)
    stored = SentimentModel.loads(model.dumps())
    assert [p["positive"] for p in stored.predict_proba(texts)] == pytest.approx([p["positive"] for p in blended], rel=1e-4)
    assert stored.predict(texts) == model.predict(texts)
    # a model stored without naive Bayes (as before the blend) reads as the regression alone
    assert SentimentModel.loads(regression_alone.dumps()).bayes is None
    assert SentimentModel.loads(regression_alone.dumps()).predict(texts) == regression_alone.predict(texts)


def test_the_development_rows_own_model_is_mixed_in_and_fades_as_answers_are_coded():
    assert development_model_share(1771, 100) == pytest.approx(0.5 * 1771 / (1771 + 300))
    assert development_model_share(1771, 1000) < development_model_share(1771, 250) < development_model_share(1771, 100)
    assert development_model_share(1771, 0) == development_model_share(0, 100) == 0
    development = _development_saying_zingy_is_bad()
    # 50 coded answers worded (and mixed) like the development rows; 8 say "zingy" is good
    coded = ([LabelledText("the blorf was zingy", "positive")] * 8 + [LabelledText("the blorf was lovely", "positive")] * 21
             + [LabelledText("the blorf came", "neutral")] * 21)
    mixed = train_sentiment_model(development, coded, coded_weight=20.0)
    unmixed = train_sentiment_model(development, coded, coded_weight=20.0, development_share=0.0)
    development_only = train_sentiment_model(development, [])
    assert mixed.params["development_share"] == pytest.approx(development_model_share(1000, 50))
    assert mixed.params["development_mix"]["why"].startswith("the coded answers read like the development rows")
    assert mixed.params["development_mix"]["likeness_auc"] <= 0.6
    assert unmixed.params["development_share"] == 0 and unmixed.params["development_mix"]["why"] == "not asked for"
    assert "development_share" not in development_only.params  # the shipped model's stored bytes are unchanged
    zingy = ["the blorf was zingy"]
    positive = [m.predict_proba(zingy)[0]["positive"] for m in (development_only, mixed, unmixed)]
    assert positive[0] < positive[1] < positive[2]
    stored = SentimentModel.loads(mixed.dumps())
    assert stored.predict_proba(zingy)[0]["positive"] == pytest.approx(positive[1], rel=1e-3)
    assert stored.params["development_mix"] == mixed.params["development_mix"]


def test_coded_answers_unlike_the_development_rows_or_too_few_are_not_mixed_with_them():
    development = _development_saying_zingy_is_bad()
    unlike = train_sentiment_model(development, CODED[:50], coded_weight=3.0)  # "... on visit 7": another wording
    assert unlike.params["development_share"] == 0
    assert unlike.params["development_mix"]["why"] == "the coded answers read unlike the development rows"
    assert unlike.params["development_mix"]["likeness_auc"] > 0.6
    few = train_sentiment_model(development, [LabelledText("the blorf came", "neutral")] * 49, coded_weight=3.0)
    assert few.params["development_mix"] == {"why": "fewer than 50 coded answers"}
    assert train_sentiment_model([], CODED).params["development_mix"] == {"why": "no development rows"}


def test_two_naive_bayes_alone_parts_blend_without_dividing_by_zero():
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from analysis import learning

    def part(coef: float, bayes: float) -> "learning._Part":
        classifier = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), ["a", "a", "b", "b"])
        classifier.coef_ = classifier.coef_ * coef
        return learning._Part(classifier, np.full((2, 1), bayes), 1.0)

    mixed = part(1.0, -1.0).blended(part(3.0, -3.0), 0.25)
    assert mixed.bayes_share == 1.0
    assert np.all(np.isfinite(mixed.classifier.coef_)) and np.all(np.isfinite(mixed.classifier.intercept_))
    assert mixed.bayes == pytest.approx(np.full((2, 1), -1.5))  # 0.75 x -1 + 0.25 x -3
