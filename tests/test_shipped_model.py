"""The shipped default sentiment model, and analysis pages naming the model behind their figures (issue 14)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from analysis.learning import SHIPPED_MODEL_PATH, SentimentModel, shipped_model_bytes, stored_model_id
from feedback_app.db import db
from feedback_app.models import AnswerFeature
from tests.test_insights import store_answers, two_rounds  # noqa: F401  (a fixture)
from tests.test_learning_cli import analyse_text, import_coding

DEVELOPMENT_FILE = Path(__file__).resolve().parents[2] / "shared" / "data" / "fft-feedback-dev.csv"
SHIPPED_NAME = stored_model_id(SHIPPED_MODEL_PATH.read_bytes())


def test_the_shipped_model_is_small_loads_and_reads_plain_feedback():
    data = shipped_model_bytes()
    assert data is not None and len(data) < 2 * 1024 * 1024
    model = SentimentModel.loads(data)
    assert model.n_development > 3000 and model.n_coded == 0
    assert model.predict(["The crew were kind, caring and professional", "They were rude and two hours late", ""]) == [
        "positive", "negative", "neutral"]


def test_the_relabel_keeps_every_other_field_and_adds_learned_themes_to_the_codebook_s():
    """Issue 13, round 9: ``relabel`` makes each answer's features field by field (not with
    ``dataclasses.replace``); it must give what ``replace`` gave, for every field there is."""
    import dataclasses

    from analysis.features import TextFeatures
    from feedback_app.coding.models_store import analyser_version, relabel

    assert [f.name for f in dataclasses.fields(TextFeatures)] == [
        "polarity", "subjectivity", "label", "themes", "noun_phrases", "analyser_version", "codebook_hash"]
    model = SentimentModel.loads(shipped_model_bytes())
    model.theme_classifiers = {"practical_needs": (np.where(np.arange(len(model.words.vocabulary_)
                                                                      + len(model.chars.vocabulary_)) % 7 == 0, 1.0, 0.0), -0.5)}
    items = [(TextFeatures(0.5, 0.6, "positive", ["school"], ["the crew"], "1.0", "h" * 16), "The crew were kind", "positive"),
             (TextFeatures(-0.4, 0.3, "negative", [], [], "1.0", "h" * 16), "Nothing", "negative"),
             (TextFeatures(0.0, 0.0, "neutral", ["school"], [], "1.0", "h" * 16), "   ", "positive")]
    labels, learned = model.labels_and_themes([t for _, t, _ in items], [n for _, _, n in items])
    version = analyser_version(3)
    expected = [dataclasses.replace(f, label=label if text.strip() else f.label, analyser_version=version,
                                    themes=f.themes + [k for k in extra if k not in f.themes] if text.strip() else f.themes)
                for (f, text, _), label, extra in zip(items, labels, learned)]
    assert relabel(items, 3, model) == expected
    assert any(extra for extra in learned)  # the learned theme is added where it is found


def test_without_a_chosen_model_the_shipped_one_labels_and_model_use_switches(app, runner, tmp_path, make_round):
    app.config["SENTIMENT_DEFAULT_MODEL"] = "shipped"
    assert f"sentiment comes from the shipped model ({SHIPPED_NAME})" in runner.invoke(args=["model", "list"]).output
    _labels, output = analyse_text(runner, tmp_path, ["Staff were lovely"])
    assert SHIPPED_NAME in output

    # the name is part of the analyser version stored with each answer (PostgreSQL refuses a longer one)
    from feedback_app.coding.models_store import analyser_version

    assert len(analyser_version(SHIPPED_NAME)) <= AnswerFeature.__table__.c.analyser_version.type.length
    round_ = make_round("children", 1)
    store_answers(app, round_, [{"what_did_not_help": "My social worker was kind and listened"}])
    with app.app_context():
        assert db.session.scalars(select(AnswerFeature.analyser_version)).one() == f"1.0+{SHIPPED_NAME}"
    # choosing the rules makes the shipped model's features stale, and the task queue re-analyses
    # them (here the queue runs its tasks at once); "shipped" goes back to it
    output = runner.invoke(args=["model", "use", "0"]).output
    assert "the lexicon rules" in output and "re-analyses them in the background" in output
    with app.app_context():
        assert db.session.scalars(select(AnswerFeature.analyser_version)).one() == "1.0"
    assert "Every answer is up to date" in runner.invoke(args=["analyse", "--workers", "1"]).output
    assert "sentiment comes from the lexicon rules" in runner.invoke(args=["model", "list"]).output
    result = runner.invoke(args=["model", "use", "shipped"])
    assert f"the shipped model ({SHIPPED_NAME})" in result.output, result.output
    with app.app_context():
        assert db.session.scalars(select(AnswerFeature.analyser_version)).one() == f"1.0+{SHIPPED_NAME}"


def test_without_the_queue_a_model_change_leaves_stale_answers_for_analyse(app, runner, make_round):
    app.config.update(ANALYSE_IN_BACKGROUND=False, SENTIMENT_DEFAULT_MODEL="shipped")
    store_answers(app, make_round("children", 1), [{"what_did_not_help": "My social worker was kind and listened"}])
    assert "run `feedback-app analyse`" in runner.invoke(args=["model", "use", "0"]).output
    assert "Analysed 1 answers" in runner.invoke(args=["analyse", "--workers", "1"]).output
    assert runner.invoke(args=["model", "use", "latest"]).exit_code != 0


def test_the_rules_setting_keeps_the_lexicon_rules_when_no_model_is_chosen(app, runner, tmp_path):
    app.config["SENTIMENT_DEFAULT_MODEL"] = "rules"
    assert "sentiment comes from the lexicon rules" in runner.invoke(args=["model", "list"]).output


@pytest.mark.skipif(not DEVELOPMENT_FILE.exists(), reason="the FFT development file is not on this machine")
def test_the_shipped_model_is_reproduced_from_the_development_file(runner, tmp_path):
    import pandas as pd

    output = tmp_path / "model.npz"
    result = runner.invoke(args=["model", "build-default", "--development-data", str(DEVELOPMENT_FILE),
                                 "--output", str(output)])
    assert result.exit_code == 0, result.output
    rebuilt, shipped = SentimentModel.loads(output.read_bytes()), SentimentModel.loads(shipped_model_bytes())
    assert rebuilt.words.vocabulary_ == shipped.words.vocabulary_
    assert np.allclose(rebuilt.classifier.coef_, shipped.classifier.coef_, atol=1e-3)
    texts = list(pd.read_csv(DEVELOPMENT_FILE)["FFT answer"].dropna().astype(str)[:500])
    assert rebuilt.predict(texts) == shipped.predict(texts)


def provenance_of(page: str) -> str:
    return re.search(r'<p class="muted" id="provenance">(.*?)</p>', page, re.S).group(1)


def test_theme_pages_and_the_report_say_which_model_and_how_many_coded_answers(app, runner, client, login,
                                                                            tmp_path, two_rounds):  # noqa: F811
    _first, second = two_rounds
    login("analyst")
    theme = f"/analysis/children/what_did_not_help/themes/practical_needs?round={second.id}"
    assert "Sentiment from the lexicon rules" in provenance_of(client.get(theme).get_data(as_text=True))
    import_coding(runner, tmp_path)
    assert runner.invoke(args=["model", "train", "--no-evaluation"]).exit_code == 0
    assert runner.invoke(args=["analyse", "--workers", "1"]).exit_code == 0
    said = "Sentiment from sentiment model version 1 (trained on 0 development comments and 45 coded answers)"
    for path in (theme, theme.replace("?", "/answers?"), "/analysis/children/what_did_not_help"):
        assert said in provenance_of(client.get(path).get_data(as_text=True)), path
    report = client.get("/analysis/children/report.html").get_data(as_text=True)
    assert said in report
