"""Learned sentiment models and imported coding on the command line:
``feedback-app coding import``, ``model train|list|use`` and ``analyse-text``."""

from __future__ import annotations

import csv
from datetime import date

from sqlalchemy import select

from feedback_app.db import db
from feedback_app.models import AnswerFeature, Coding, SentimentModelVersion

# words the lexicon rules have never seen, so only a learned model can read them
CODED_ROWS = (
    [(f"The blorf was zingy on visit {n}", "positive", "") for n in range(15)]
    + [(f"The blorf was grumbo on visit {n}", "Negative", "") for n in range(15)]
    + [(f"The blorf came on visit {n}", "neutral", "") for n in range(15)]
)


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def import_coding(runner, tmp_path, rows=CODED_ROWS):
    source = write_csv(tmp_path / "coded.csv", ["answer", "sentiment", "themes"], rows)
    return runner.invoke(args=["coding", "import", str(source), "--text-column", "answer",
                               "--sentiment-column", "sentiment", "--themes-column", "themes", "--coder", "Sam"])


def analyse_text(runner, tmp_path, texts):
    source = write_csv(tmp_path / "in.csv", ["comment"], [[t] for t in texts])
    out = tmp_path / "out.csv"
    result = runner.invoke(args=["analyse-text", "--input", str(source), "--column", "comment", "--output", str(out)])
    assert result.exit_code == 0, result.output
    with open(out, encoding="utf-8-sig") as handle:
        return [row["sentiment_label"] for row in csv.DictReader(handle)], result.output


def test_a_bad_coding_file_is_refused_whole_with_every_problem_listed(app, runner, tmp_path):
    rows = [("Fine", "positive", "feeling_safe"), ("", "negative", ""), ("Meh", "so-so", "no_such_theme; practical_needs")]
    result = import_coding(runner, tmp_path, rows)
    assert result.exit_code != 0
    assert "3 problem(s)" in result.output
    assert "row 3: the text is empty" in result.output
    assert "row 4: unknown sentiment 'so-so'" in result.output
    assert "row 4: unknown theme key 'no_such_theme'" in result.output
    with app.app_context():
        assert db.session.scalars(select(Coding)).all() == []


def test_a_missing_column_is_named(runner, tmp_path):
    source = write_csv(tmp_path / "c.csv", ["text"], [["Fine"]])
    result = runner.invoke(args=["coding", "import", str(source), "--text-column", "answer", "--sentiment-column", "s"])
    assert result.exit_code != 0
    assert "no column 'answer'" in result.output and "no column 's'" in result.output


def test_training_on_imported_coding_changes_what_analyse_text_says(app, runner, tmp_path):
    result = runner.invoke(args=["model", "list"])
    assert "sentiment comes from the lexicon rules" in result.output
    before, output = analyse_text(runner, tmp_path, ["It was zingy", "It was grumbo"])
    assert before == ["neutral", "neutral"] and "lexicon rules" in output

    result = import_coding(runner, tmp_path)
    assert result.exit_code == 0, result.output
    assert "Imported 45 coded answers" in result.output
    result = runner.invoke(args=["model", "train"])
    assert result.exit_code == 0, result.output
    assert "Model version 1 trained on 0 development rows and 45 coded answers" in result.output
    assert "cross-validation on 45 coded answers: macro-F1" in result.output

    after, output = analyse_text(runner, tmp_path, ["It was zingy", "It was grumbo"])
    assert after == ["positive", "negative"] and "model version 1" in output

    listing = runner.invoke(args=["model", "list"]).output
    assert "*   1" in listing
    result = runner.invoke(args=["model", "use", "0"])
    assert "lexicon rules" in result.output
    assert analyse_text(runner, tmp_path, ["It was zingy"])[0] == ["neutral"]
    assert runner.invoke(args=["model", "use", "7"]).exit_code != 0
    assert runner.invoke(args=["model", "use", "1"]).exit_code == 0
    assert analyse_text(runner, tmp_path, ["It was zingy"])[0] == ["positive"]


def test_training_with_nothing_to_learn_from_says_so(runner, tmp_path):
    result = runner.invoke(args=["model", "train"])
    assert result.exit_code != 0
    assert "cannot train" in result.output and "coded answers: 0" in result.output
    result = runner.invoke(args=["model", "train", "--development-data", str(tmp_path / "missing.csv")])
    assert "no development data at" in result.output


def test_development_data_is_learned_from_and_scored_on_a_time_split(app, runner, tmp_path):
    header = ["FFT question", "FFT answer", "Comment sentiment", "Date"]
    rows = []
    for month, year in ((3, 2022), (9, 2022)):
        for n in range(12):
            when = f"15/{month:02d}/{year}"
            rows += [["Why?", f"Staff were zingy and kind {n}", 1, when],
                     ["Why?", f"It was grumbo and slow {n}", 5, when],
                     ["Why?", f"Ambulance came at noon {n}", 3, when]]
    source = write_csv(tmp_path / "fft.csv", header, rows)
    app.config["SENTIMENT_DEVELOPMENT_DATA"] = str(source)
    result = runner.invoke(args=["model", "train"])
    assert result.exit_code == 0, result.output
    assert "trained on 72 development rows and 0 coded answers" in result.output
    assert "time split (from 2022-07-01, n=36): macro-F1 1.000" in result.output
    assert "too few coded answers" in result.output


def _write_development_file(tmp_path, per_month: int = 12):
    header = ["FFT question", "FFT answer", "Comment sentiment", "Date"]
    rows = []
    for month, year in ((3, 2022), (9, 2022)):
        for n in range(per_month):
            when = f"15/{month:02d}/{year}"
            rows += [["Why?", f"Staff were zingy and kind {n}", 1, when],
                     ["Why?", f"It was grumbo and slow {n}", 5, when],
                     ["Why?", f"Ambulance came at noon {n}", 3, when]]
    return write_csv(tmp_path / "fft.csv", header, rows)


def test_training_says_how_much_the_coded_answers_weighed_and_why(app, runner, tmp_path):
    app.config["SENTIMENT_DEVELOPMENT_DATA"] = str(_write_development_file(tmp_path, per_month=40))
    assert import_coding(runner, tmp_path).exit_code == 0
    result = runner.invoke(args=["model", "train"])
    assert result.exit_code == 0, result.output
    assert ("each coded answer weighed as much as 5.33 development rows: fewer than 50 coded answers take the "
            "weight that makes them together at least as heavy as the 240 development rows, and at least 3 each"
            ) in result.output

    more = [(f"The blorf was zingy at home {n}", "positive", "") for n in range(15)]
    assert import_coding(runner, tmp_path, more).exit_code == 0  # 60 coded answers now
    result = runner.invoke(args=["model", "train", "--no-evaluation"])
    assert result.exit_code == 0, result.output
    assert "chosen by 5-fold cross-validation on the coded answers (macro-F1 " in result.output
    assert "a naive Bayes model of the same words and characters blended in at a share of 0." in result.output
    assert ("the development rows' own model not mixed in: the coded answers read unlike the development rows "
            "(telling them from the development rows: AUC ") in result.output
    listing = runner.invoke(args=["model", "list"]).output
    assert "chosen by 5-fold cross-validation" in listing and "fewer than 50 coded answers take" in listing
    assert "own model not mixed in: fewer than 50 coded answers" in listing


def test_coded_answers_like_the_development_rows_are_mixed_with_their_model(app, runner, tmp_path):
    app.config["SENTIMENT_DEVELOPMENT_DATA"] = str(_write_development_file(tmp_path, per_month=40))
    like = [(text, label, "") for n in range(20) for text, label in (
        (f"Staff were zingy and kind {n}", "positive"), (f"It was grumbo and slow {n}", "negative"),
        (f"Ambulance came at noon {n}", "neutral"))]
    assert import_coding(runner, tmp_path, like).exit_code == 0
    result = runner.invoke(args=["model", "train", "--no-evaluation"])
    assert result.exit_code == 0, result.output
    # 240 development rows, 60 coded answers: half of 240 / (240 + 3 x 60)
    assert ("the development rows' own model mixed in at a share of 0.29, less as more answers are coded: the coded "
            "answers read like the development rows and its model labels them about as well") in result.output


def test_a_new_model_makes_answers_stale_and_re_analysis_uses_it(app, runner, tmp_path, make_round):
    """Without the task queue ``analyse`` re-analyses; with it, see ``test_shipped_model.py``."""
    from tests.test_insights import store_answers

    app.config["ANALYSE_IN_BACKGROUND"] = False
    round_ = make_round("children", 1, opens_on=date(2024, 1, 1))
    store_answers(app, round_, [{"what_did_not_help": "The blorf was zingy"}])
    with app.app_context():
        feature = db.session.scalars(select(AnswerFeature)).one()
        assert (feature.label, feature.analyser_version) == ("neutral", "1.0")
    import_coding(runner, tmp_path)
    runner.invoke(args=["model", "train"])
    result = runner.invoke(args=["analyse", "--workers", "1"])
    assert "Analysed 1 answers" in result.output, result.output
    with app.app_context():
        feature = db.session.scalars(select(AnswerFeature)).one()
        assert (feature.label, feature.analyser_version) == ("positive", "1.0+m1")
        assert db.session.scalar(select(SentimentModelVersion.in_use)) is True
    assert "Every answer is up to date" in runner.invoke(args=["analyse"]).output
    # a new answer is labelled by the model as it arrives
    store_answers(app, round_, [{"what_did_not_help": "The blorf was grumbo"}])
    with app.app_context():
        labels = sorted(f.label for f in db.session.scalars(select(AnswerFeature)))
    assert labels == ["negative", "positive"]


def test_a_theme_with_enough_coded_answers_gets_a_classifier_that_adds_to_the_patterns(app, runner, tmp_path):
    app.config["THEME_MODEL_MIN_EXAMPLES"] = 20
    rows = ([(f"My tummy rumbled on day {n}", "negative", "practical_needs") for n in range(20)]
            + [(f"The blorf came on visit {n}", "neutral", "") for n in range(20)]
            + [(f"It was zingy {n}", "positive", "being_listened_to") for n in range(5)])
    assert import_coding(runner, tmp_path, rows).exit_code == 0
    result = runner.invoke(args=["model", "train", "--no-evaluation"])
    assert "themes with a learned classifier: practical_needs" in result.output, result.output
    source = write_csv(tmp_path / "in.csv", ["comment"], [["my tummy rumbled all week"], ["the blorf came"]])
    out = tmp_path / "out.csv"
    assert runner.invoke(args=["analyse-text", "--input", str(source), "--column", "comment",
                               "--output", str(out)]).exit_code == 0
    with open(out, encoding="utf-8-sig") as handle:
        themes = [row["themes"] for row in csv.DictReader(handle)]
    assert themes == ["practical_needs", ""]
