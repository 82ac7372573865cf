"""Text features in the app: computed on arrival, recomputed when stale, and for any CSV."""

from __future__ import annotations

import csv
from datetime import datetime, timezone

from sqlalchemy import delete, func, select, update

from feedback_app.db import db
from feedback_app.models import Answer, AnswerFeature


def test_analyse_recomputes_only_stale_answers(app, runner, respondent, make_round, make_link):
    link = make_link(make_round("children", 2))
    respondent.answer(link.token, {"what_helped": "My social worker listened to me", "what_could_be_better": "More visits"})
    result = runner.invoke(args=["analyse"])
    assert result.exit_code == 0, result.output
    assert "Every answer is up to date." in result.output
    with app.app_context():
        db.session.execute(update(AnswerFeature).values(analyser_version="0.0"))
        db.session.commit()
    result = runner.invoke(args=["analyse", "--workers", "1"])
    assert "Analysed 2 answers" in result.output
    with app.app_context():
        versions = set(db.session.scalars(select(AnswerFeature.analyser_version)))
    from analysis import ANALYSER_VERSION

    assert versions == {ANALYSER_VERSION}
    result = runner.invoke(args=["analyse", "--recompute", "--workers", "2"])
    assert "Analysed 2 answers on 2 process(es)." in result.output


def test_analyse_text_adds_columns_and_a_concern_flag(runner, tmp_path):
    source = tmp_path / "baseline.csv"
    source.write_text(
        "id,comment\n1,The social worker was kind and listened\n2,grandad smacks me really hard\n3,=HYPERLINK(\"http://x\")\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    result = runner.invoke(args=["analyse-text", "--input", str(source), "--column", "comment", "--id-column", "id", "--output", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["id"] for row in rows] == ["1", "2", "3"]
    assert rows[0]["sentiment_label"] == "positive"
    assert rows[1]["concern"] == "yes" and rows[0]["concern"] == "no"
    assert set(rows[0]) >= {"polarity", "themes", "noun_phrases", "concern"}


def test_analyse_text_names_a_missing_column(runner, tmp_path):
    source = tmp_path / "x.csv"
    source.write_text("id,text\n1,hello\n", encoding="utf-8")
    result = runner.invoke(args=["analyse-text", "--input", str(source), "--column", "comment", "--output", str(tmp_path / "o.csv")])
    assert result.exit_code == 1
    assert "Error: x.csv has no column 'comment'; its columns are: id, text." in result.output


def test_a_codebook_change_re_analyses_stale_answers_at_once(app, respondent, make_round, make_link):
    from analysis.codebook import add_theme

    from feedback_app.text_analysis import current_codebook, refresh_stale_features, save_codebook

    link = make_link(make_round("children", 2))
    respondent.answer(link.token, {"what_did_not_help": "the trampoline was broken"})
    with app.app_context():
        codebook, _ = current_codebook(db.session)
        edited = add_theme(codebook, {"key": "play_equipment", "name": "Play equipment", "description": "Toys and equipment", "patterns": ["trampoline"]})
        save_codebook(db.session, edited, "new theme", "analyst@example.org")
        assert refresh_stale_features(db.session) == (1, 0)
        themes = db.session.scalar(select(AnswerFeature.themes))
    assert "play_equipment" in themes


def test_the_codebook_page_counts_as_stale_exactly_what_analyse_analyses(app, client, login, runner, respondent,
                                                                         make_round, make_link):
    """Missing features and features from another analyser are stale for both the page
    and ``analyse`` (the page used to count only another codebook version)."""
    link = make_link(make_round("children", 2))
    respondent.answer(link.token, {"what_helped": "My social worker listened to me",
                                   "what_could_be_better": "More visits", "what_did_not_help": "Waiting"})
    with app.app_context():
        ids = sorted(db.session.scalars(select(AnswerFeature.answer_id)))
        assert len(ids) == 3
        db.session.execute(delete(AnswerFeature).where(AnswerFeature.answer_id == ids[0]))  # never analysed
        db.session.execute(update(AnswerFeature).where(AnswerFeature.answer_id == ids[1])
                           .values(analyser_version="0.0"))  # by an older analyser
        db.session.commit()
    login("analyst")
    page = client.get("/analysis/codebook").get_data(as_text=True)
    assert "2 stored answers are not analysed yet or were analysed with another codebook" in page
    result = runner.invoke(args=["analyse", "--workers", "1"])
    assert "Analysed 2 answers on 1 process(es)." in result.output
    page = client.get("/analysis/codebook").get_data(as_text=True)
    assert "are not analysed yet" not in page


def test_analyse_answers_now_gives_stored_answers_features_and_screening(app, respondent, make_round, make_link):
    from feedback_app.models import SafeguardingFlag
    from feedback_app.text_analysis import analyse_answers_now

    link = make_link(make_round("children", 2))
    respondent.answer(link.token, {"what_helped": "My social worker listened to me",
                                   "what_did_not_help": "grandad smacks me really hard"})
    with app.app_context():
        db.session.execute(delete(SafeguardingFlag))
        db.session.execute(delete(AnswerFeature))  # as if stored by a path that does not analyse
        db.session.commit()
        ids = list(db.session.scalars(select(Answer.id).order_by(Answer.id)))
        assert analyse_answers_now(db.session, answer_ids=ids) == 1  # one answer flagged
        assert len(db.session.scalars(select(AnswerFeature)).all()) == 2
        assert analyse_answers_now(db.session, answer_ids=ids) == 0  # already analysed: nothing to do
        assert db.session.scalar(select(func.count()).select_from(SafeguardingFlag)) == 1


def _stored_features(app) -> dict[int, tuple]:
    with app.app_context():
        rows = db.session.scalars(select(AnswerFeature).order_by(AnswerFeature.answer_id)).all()
        return {r.answer_id: (r.analyser_version, r.codebook_hash, r.polarity, r.subjectivity, r.label,
                              list(r.themes), list(r.noun_phrases)) for r in rows}


def test_analysing_identical_texts_once_and_on_two_processes_stores_what_each_answer_got_on_arrival(
        app, respondent, make_round, make_link):
    """Issue 13: identical texts are analysed once per run and batches run on every core; each
    answer must still get the features the plain one-answer path gave it on arrival, and the
    same "Nothing" must keep its two readings (a complaint under "what helped", else not)."""
    from feedback_app.text_analysis import analyse_stale_in_batches

    link = make_link(make_round("children", 1))
    texts = ["Nothing", "My social worker listened to me and came back", "Nothing",
             "Nobody rang back when they said they would", "My social worker listened to me and came back"]
    for first, second in zip(texts, reversed(texts)):
        respondent.answer(link.token, {"what_helped": first, "what_could_be_better": second, "what_did_not_help": first})
    on_arrival = _stored_features(app)
    assert len(on_arrival) == 15
    labels_of_nothing = {on_arrival[a.id][4] for a in _answers_with(app, "Nothing")}
    assert labels_of_nothing == {"negative", "positive"}
    for workers, batch_size in ((1, 500), (2, 2), (2, 1)):
        with app.app_context():
            db.session.execute(delete(AnswerFeature))
            db.session.commit()
            run = analyse_stale_in_batches(db.session, workers=workers, batch_size=batch_size, recompute=True)
        assert run.analysed == 15
        assert _stored_features(app) == on_arrival, (workers, batch_size)


def test_the_lexicons_are_loaded_once_before_the_workers_fork(app, respondent, make_round, make_link, monkeypatch):
    """Issue 13, round 8: ``analyse`` on several processes loads the lexicons in the parent first,
    so the forked workers inherit them instead of each loading its own (``feedback-app analyse``
    never warms up as the web server does)."""
    from feedback_app import text_analysis

    link = make_link(make_round("children", 1))
    for text in ("My social worker listened", "Nobody rang back", "School checked I had breakfast"):
        respondent.answer(link.token, {"what_helped": text})
    calls: list[str] = []
    real_features, real_map = text_analysis.text_features, text_analysis.map_batches
    monkeypatch.setattr(text_analysis, "text_features", lambda text, *a, **k: calls.append(text) or real_features(text, *a, **k))
    monkeypatch.setattr(text_analysis, "map_batches", lambda *a, **k: calls.append("fork") or real_map(*a, **k))
    monkeypatch.setattr(text_analysis, "SMALLEST_BATCH", 1)  # three batches of one text, so a worker forks
    with app.app_context():
        text_analysis.analyse_stale_in_batches(db.session, workers=2, batch_size=1, recompute=True)
    assert calls[:2] == ["warm up", "fork"]


def _answers_with(app, value: str) -> list[Answer]:
    with app.app_context():
        return list(db.session.scalars(select(Answer).where(Answer.value == value)))


def test_same_text_groups_keep_apart_what_reads_differently():
    from feedback_app.text_analysis import PendingAnswer, same_text_groups

    pending = [PendingAnswer(1, "Nothing", "negative"), PendingAnswer(2, "Nothing", "positive"),
               PendingAnswer(3, "Nothing", "negative"), PendingAnswer(4, "Nothing", "negative", 2),
               PendingAnswer(5, "nothing", "negative")]
    groups = same_text_groups(pending)
    assert [(first.answer_id, ids) for first, ids in groups.items()] == [(1, [1, 3]), (2, [2]), (4, [4]), (5, [5])]


def test_analyse_uses_every_core_unless_told_and_refuses_no_workers(app, runner, respondent, make_round, make_link):
    import os

    link = make_link(make_round("children", 2))
    respondent.answer(link.token, {"what_helped": "My social worker listened to me", "what_could_be_better": "More visits"})
    result = runner.invoke(args=["analyse", "--recompute"])
    assert f"Analysed 2 answers on {os.cpu_count()} process(es)." in result.output
    result = runner.invoke(args=["analyse", "--recompute", "--workers", "0"])
    assert result.exit_code == 2 and "--workers" in result.output


def test_a_recompute_writes_only_what_differs_and_keeps_the_tallies_equal_to_a_recount(
        app, respondent, make_round, make_link):
    """Issue 13: a recompute leaves features stored exactly as computed alone, updates only the
    versions of features whose tallied values come out the same, and replaces the rest; the
    stored features end as the full rewrite leaves them and the tallies equal a recount."""
    from feedback_app.tallies import rebuild_tallies
    from feedback_app.text_analysis import analyse_stale_in_batches, current_codebook
    from tests.test_tallies import assert_tallies_equal_a_recount

    link = make_link(make_round("children", 1))
    for text in ["My social worker listened to me", "Nobody rang back", "School was a safe place",
                 "There was no food at home", "My worker kept changing"]:
        respondent.answer(link.token, {"what_helped": text, "what_could_be_better": text + " and more"})
    with app.app_context():
        codebook = current_codebook(db.session)[0]
        rebuild_tallies(db.session, codebook)
    computed = _stored_features(app)
    ids = sorted(computed)
    old_time = datetime(2020, 1, 1, tzinfo=timezone.utc)
    with app.app_context():  # as a new analyser would find them: versions, labels and themes differ
        db.session.execute(update(AnswerFeature).values(computed_at=old_time))
        db.session.execute(update(AnswerFeature).where(AnswerFeature.answer_id.in_(ids[0:3]))
                           .values(analyser_version="0.9+old", codebook_hash="0" * 16))
        db.session.execute(update(AnswerFeature).where(AnswerFeature.answer_id.in_(ids[0:2])).values(subjectivity=0.123))
        db.session.execute(update(AnswerFeature).where(AnswerFeature.answer_id.in_(ids[3:5]))
                           .values(analyser_version="0.9+old", label="neutral", polarity=0.5))
        db.session.execute(update(AnswerFeature).where(AnswerFeature.answer_id == ids[5]).values(themes=["school"]))
        db.session.execute(delete(AnswerFeature).where(AnswerFeature.answer_id == ids[6]))
        db.session.commit()
        rebuild_tallies(db.session, codebook)  # the tallies as they stood under those features
        run = analyse_stale_in_batches(db.session, batch_size=4, recompute=True)
        times = dict(db.session.execute(select(AnswerFeature.answer_id, AnswerFeature.computed_at)).all())
    assert run.analysed == len(ids)
    assert _stored_features(app) == computed
    kept = {i for i in ids if times[i].replace(tzinfo=timezone.utc) == old_time}
    assert kept == set(ids[7:])  # only the untouched ones were left alone
    assert_tallies_equal_a_recount(app)


def _squares_plus(batch: list[int], offset: int) -> list[int]:
    return [n * n + offset for n in batch]


def test_the_stored_form_of_features_is_what_the_feature_row_reads_back_as():
    """Issue 13, round 9: ``write_features`` compares stored rows with :func:`stored_form`, made
    straight from the features; it must equal the row's values as written (``feature_values``,
    JSON as SQLAlchemy writes it) in ``STORED_FEATURE`` order, or every row would be rewritten."""
    import numpy as np

    from analysis.features import TextFeatures
    from feedback_app.tallies import STORED_FEATURE
    from feedback_app.text_analysis import _as_stored, feature_values, stored_form

    for features in (TextFeatures(0.25, 0.5, "positive", ["school"], ["my social worker"], "1.0+m3", "a" * 16),
                     TextFeatures(np.float64(-0.1), np.float32(0.75), "negative", [], [], "1.0", "b" * 16),
                     TextFeatures(0.0, 0.0, "neutral", ["a", "b"], ["caf\u00e9 \"quoted\"", "\u2019s"], "1.0", "c" * 16)):
        written = _as_stored(feature_values(7, features))
        assert stored_form(features) == tuple(written[name] for name in STORED_FEATURE)
        assert all(type(a) is type(b) for a, b in zip(stored_form(features), (written[n] for n in STORED_FEATURE)))


def test_a_recompute_writes_whole_transactions_and_the_rest_before_waiting_for_the_workers(
        app, respondent, make_round, make_link, monkeypatch):
    """Issue 13, round 9: the answers of several batches go into one write of ``WRITE_ANSWERS``
    (fewer, larger transactions), and what is left is written as soon as the last batch is in,
    before ``map_batches`` ends (it then waits for its workers to exit), not after."""
    from feedback_app import text_analysis

    link = make_link(make_round("children", 1))
    for n in range(5):
        respondent.answer(link.token, {"what_helped": f"My social worker listened, visit {n}",
                                       "what_could_be_better": f"Nobody rang back on day {n}"})
    events: list[object] = []
    real_write, real_map = text_analysis.write_features, text_analysis.map_batches

    def recording_map(*args, **kwargs):
        yield from real_map(*args, **kwargs)
        events.append("map_batches ended")

    monkeypatch.setattr(text_analysis, "write_features", lambda session, part: events.append(len(part)) or real_write(session, part))
    monkeypatch.setattr(text_analysis, "map_batches", recording_map)
    monkeypatch.setattr(text_analysis, "WRITE_ANSWERS", 4)
    with app.app_context():
        run = text_analysis.analyse_stale_in_batches(db.session, workers=2, batch_size=1, recompute=True)
    assert run.analysed == 10
    assert events == [4, 4, 2, "map_batches ended"]


def test_several_processes_hand_over_batches_promptly_and_restore_the_switch_interval():
    """Issue 13, round 9: while ``map_batches`` runs here beside its workers, this process switches
    threads every ``HANDOFF_INTERVAL`` (its pool's threads hand batches over without waiting 5 ms
    for the GIL), and the interval it had is restored after, when stopped early too."""
    import sys

    from analysis import features

    before = sys.getswitchinterval()
    seen = list(features.map_batches(_switch_interval, [[1], [2], [3], [4]], workers=2))
    assert features.HANDOFF_INTERVAL in {interval for batch in seen for interval in batch}
    assert sys.getswitchinterval() == before
    stopped = features.map_batches(_switch_interval, [[1], [2], [3], [4]], workers=2)
    next(stopped)
    stopped.close()
    assert sys.getswitchinterval() == before


def _switch_interval(batch: list[int]) -> list[float]:
    import sys

    return [sys.getswitchinterval() for _ in batch]


def test_batches_taken_as_they_finish_give_every_result_and_leave_no_worker_running():
    """Issue 13: the recompute writes each batch as soon as a worker finishes it, and the
    workers exit as the last result comes in; every result arrives, and none is left running
    when the last one is taken, or when the caller stops early."""
    import multiprocessing

    from analysis.features import map_batches

    batches = [[1, 2], [3], [4, 5], [6], [7, 8, 9]]
    done = list(map_batches(_squares_plus, batches, 1, workers=2, ordered=False))
    assert sorted(map(tuple, done)) == sorted(tuple(_squares_plus(batch, 1)) for batch in batches)
    assert multiprocessing.active_children() == []
    assert list(map_batches(_squares_plus, batches, 1, workers=2)) == [_squares_plus(b, 1) for b in batches]
    stopped = map_batches(_squares_plus, batches, 1, workers=2, ordered=False)
    next(stopped)
    stopped.close()
    assert multiprocessing.active_children() == []
