"""Issue 13 item 2: the tallies the comparison page reads always equal a count from scratch.

A mixed sequence of what changes the figures (submissions analysed at once or later,
re-analysis, analysts' codes, excluding and including a burst, erasing a round, merging
two themes) is applied in a random order; after every step the stored tallies must
equal :func:`feedback_app.tallies.recount`.
"""

from __future__ import annotations

import html
import math
import random
from collections import Counter
import re
from datetime import date

import pytest
from sqlalchemy import delete, select, update

from feedback_app.bursts import set_excluded
from feedback_app.choice_tallies import advance_choice_mark, choice_counts, choices_mark, response_counts
from feedback_app.coding.coding import save_coding
from feedback_app.db import db
from feedback_app.insights.codebook_edits import apply_edit
from feedback_app.models import Answer, AnswerFeature, AnswerTally, Response, Round, TallyState
from feedback_app.privacy import plan_purge, purge
from feedback_app.tallies import rebuild_tallies, recount, stored, tallies_current
from feedback_app.text_analysis import analyse_stale_in_batches, current_codebook

from tests.test_insights import store_answers

TEXTS = [
    "There was no food at home and I was hungry",
    "My social worker listened to me",
    "I felt safe at school with my teacher",
    "Nobody told me about the plan",
    "Mum could not pay for clothes or food",
    "My worker kept changing so I had to tell my story again",
    "School was a safe place",
    "",
]


def assert_tallies_equal_a_recount(app) -> None:
    with app.app_context():
        codebook, _saved = current_codebook(db.session)
        assert tallies_current(db.session, codebook), "the tallies are not current"
        expected, now = recount(db.session, codebook), stored(db.session)
        db.session.rollback()
    tallies, terms, themes, features = expected
    got_tallies, got_terms, got_themes, got_features = now
    assert got_features == features
    assert got_themes == themes
    assert got_terms == terms
    assert got_tallies.keys() == tallies.keys()
    for key, values in tallies.items():  # sums of polarities: equal up to the order of adding
        assert all(math.isclose(a, b, abs_tol=1e-9) for a, b in zip(got_tallies[key], values)), key


def _agencies_by_reading_every_response(questionnaire_id: int) -> list[str]:
    """The agencies as ``questionnaire_agencies`` read them before issue 13 (every response)."""
    from feedback_app.models import QuestionnaireVersion

    return list(db.session.scalars(
        select(Response.agency).distinct().join(Round, Round.id == Response.round_id)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == Round.version_id)
        .where(QuestionnaireVersion.questionnaire_id == questionnaire_id, Response.agency.is_not(None))
        .order_by(Response.agency)))


def assert_cheap_counts_equal_full_ones(app, rounds) -> None:
    """What the cold page counts cheaply (issue 13) equals what the full counts give: the
    stale count from the analysed mark and by feature versions (also under a codebook the
    features were not computed with: every one outdated), the provenance from the feature
    tallies, the agencies by index seeks."""
    from feedback_app.coding.coding import analysis_provenance
    from feedback_app.insights.data import question_round_groups, questionnaire_agencies, tallied_provenance
    from feedback_app.tallies import analysed_mark
    from feedback_app.text_analysis import stale_answer_count

    with app.app_context():
        mark = analysed_mark(db.session)
        for codebook_hash in (None, "another-codebook"):
            assert (stale_answer_count(db.session, codebook_hash, analysed_below=mark)
                    == stale_answer_count(db.session, codebook_hash)), (codebook_hash, mark)
        for chosen in ([r.id for r in rounds], [rounds[-1].id], [rounds[0].id, rounds[1].id]):
            assert (tallied_provenance(db.session, "what_did_not_help", chosen)
                    == analysis_provenance(db.session, "what_did_not_help", chosen)), chosen
        questionnaire_id = db.session.get(Round, rounds[0].id).version.questionnaire_id
        assert questionnaire_agencies(db.session, questionnaire_id) == _agencies_by_reading_every_response(
            questionnaire_id)
        for agency in (None, "Police", "Health"):  # closed answers: tallies below the mark, live above
            ids = [r.id for r in rounds]
            assert choice_counts(db.session, "age_band", ids, agency) == _choices_by_reading_every_answer(
                ids, agency), (agency, choices_mark(db.session))
            counted = Counter(r.round_id for r in db.session.scalars(select(Response).where(
                Response.excluded.is_(False))) if agency is None or r.agency == agency)
            assert response_counts(db.session, ids, agency) == dict(counted), (agency, choices_mark(db.session))
        for agency in ("Police", "Health"):  # a free-text question's answers per round, for the agency check
            answered = [a.response for a in db.session.scalars(select(Answer).join(Response).where(
                Answer.question_key == "what_did_not_help", Response.excluded.is_(False)))]
            expected = [(r.label, sum(1 for x in answered if x.round_id == r.id and x.agency == agency),
                         sum(1 for x in answered if x.round_id == r.id)) for r in rounds]
            assert [tuple(g) for g in question_round_groups(db.session, "what_did_not_help", agency, ids)] == [
                e for e in expected if e[2]], agency
        db.session.rollback()


def _choices_by_reading_every_answer(round_ids, agency) -> dict:
    counts: dict = {}
    for answer in db.session.scalars(select(Answer).join(Response).where(
            Answer.question_key == "age_band", Response.round_id.in_(round_ids), Response.excluded.is_(False))):
        if agency is None or answer.response.agency == agency:
            n, first = counts.get((answer.response.round_id, answer.value), (0, answer.response_id))
            counts[(answer.response.round_id, answer.value)] = (n + 1, min(first, answer.response_id))
    return counts


def _answers(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Answer.id).where(Answer.question_key == "what_did_not_help")))


def _submit(app, rng, rounds, background: bool) -> None:
    round_ = rng.choice(rounds)
    values = [{"what_did_not_help": rng.choice(TEXTS)} for _ in range(rng.randint(1, 4))]
    for answers in values:  # a closed answer too, now and then (the choice tallies)
        if rng.random() < 0.6:
            answers["age_band"] = rng.choice(["8 to 11", "12 to 15", "16 or over"])
    if background:  # stored without features; the worker analyses them later
        from feedback_app.responses import store_response

        with app.app_context(), db.write_session() as session:
            for answers in values:
                store_response(session, round_.id, answers, agency=rng.choice(["Police", "Health", None]))
    else:
        store_answers(app, round_, values, agency=rng.choice(["Police", "Health", None]))


def _code(app, rng) -> None:
    ids = _answers(app)
    if not ids:
        return
    themes = rng.choice([None, [], ["practical_needs"], ["being_listened_to", "feeling_safe"]])
    sentiment = rng.choice([None, "negative", "positive"]) if themes is not None else "neutral"
    with app.app_context():
        known = {t.key for t in current_codebook(db.session)[0].themes}
        themes = None if themes is None else [t for t in themes if t in known]
        save_coding(db.session, rng.choice(ids), sentiment, themes, "analyst@example.org", known)


def _exclude(app, rng, rounds) -> None:
    round_ = rng.choice(rounds)
    with app.app_context():
        ids = list(db.session.scalars(select(Response.id).where(Response.round_id == round_.id)))
        if not ids:
            return
        burst = rng.sample(ids, min(len(ids), 3))
        db.session.execute(update(Response).where(Response.id.in_(burst)).values(burst_id=min(burst)))
        db.session.commit()
        set_excluded(db.session, round_.id, min(burst), rng.random() < 0.7)


def _reanalyse(app) -> None:
    with app.app_context():
        analyse_stale_in_batches(db.session, batch_size=3)


def _recompute(app) -> None:
    with app.app_context():
        analyse_stale_in_batches(db.session, batch_size=4, recompute=True)


def _merge(app, rng) -> None:
    with app.app_context():
        codebook = current_codebook(db.session)[0]
        keys = [t.key for t in codebook.themes]
        if "practical_needs" in keys and "feeling_safe" in keys and rng.random() < 0.5:
            apply_edit(db.session, "merge", None, into="practical_needs", merged="feeling_safe")
        else:
            apply_edit(db.session, "add_pattern", None, key="being_listened_to", pattern="teacher", kind="pattern")
        assert not tallies_current(db.session, current_codebook(db.session)[0]) or not current_codebook(
            db.session)[0].merged
        analyse_stale_in_batches(db.session)  # the sweep after an edit: recounted under the merge


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_tallies_equal_a_recount_after_any_mix_of_changes(app, make_round, seed):
    rng = random.Random(seed)
    rounds = [make_round("children", 1, label=f"Round {n}", opens_on=date(2020 + n, 1, 1),
                         closes_on=date(2020 + n, 12, 31)) for n in range(3)]
    steps = ["submit"] * 6 + ["later"] * 3 + ["code"] * 4 + ["exclude"] * 4 + ["reanalyse", "recompute", "merge"]
    steps += ["mark"] * 3 + ["choices"] * 3
    rng.shuffle(steps)
    steps.append("erase")
    for step in steps:
        if step == "mark":  # as the sweep does: answers below the mark all have features
            from feedback_app.tallies import advance_analysed_mark

            with app.app_context():
                advance_analysed_mark(db.session)
        elif step == "choices":  # the choice tallies' mark, two responses per transaction
            with app.app_context():
                advance_choice_mark(db.session, batch=2)
        elif step in ("submit", "later"):
            _submit(app, rng, rounds, background=step == "later")
        elif step == "code":
            _code(app, rng)
        elif step == "exclude":
            _exclude(app, rng, rounds)
        elif step == "reanalyse":
            _reanalyse(app)
        elif step == "recompute":
            _recompute(app)
        elif step == "merge":
            _merge(app, rng)
        else:
            with app.app_context():
                purge(db.session, plan_purge(db.session, date(2021, 6, 1)))  # the first round is erased
        assert_tallies_equal_a_recount(app)
        assert_cheap_counts_equal_full_ones(app, rounds)
    with app.app_context():
        assert db.session.scalar(select(AnswerTally.answers).where(AnswerTally.theme == "").limit(1)) is not None
        assert db.session.get(Round, rounds[0].id) is not None


def test_a_database_upgraded_with_answers_is_counted_by_a_rebuild(app, make_round):
    round_ = make_round("children", 1, label="Round", opens_on=date(2021, 1, 1), closes_on=date(2021, 12, 31))
    store_answers(app, round_, [{"what_did_not_help": text} for text in TEXTS])
    with app.app_context():
        codebook = current_codebook(db.session)[0]
        # As migration 0018 leaves a database that already had answers: tables empty, not built.
        db.session.execute(update(TallyState).values(built_at=None, merged=None, analyser=None))
        db.session.query(AnswerTally).delete()
        db.session.commit()
        assert not tallies_current(db.session, codebook)
        rebuilt = rebuild_tallies(db.session, codebook)
        assert rebuilt.answers == len([t for t in TEXTS if t])
    assert_tallies_equal_a_recount(app)


def test_the_rebuild_command_recounts_the_tallies(app, runner, make_round):
    round_ = make_round("children", 1, label="Round", opens_on=date(2021, 1, 1), closes_on=date(2021, 12, 31))
    store_answers(app, round_, [{"what_did_not_help": text} for text in TEXTS])
    with app.app_context():
        db.session.query(AnswerTally).delete()  # a broken database
        db.session.commit()
    result = runner.invoke(args=["rebuild-tallies", "--check"])
    assert result.exit_code == 1
    assert "tallies differ from a count from scratch" in result.output
    result = runner.invoke(args=["rebuild-tallies"])
    assert result.exit_code == 0, result.output
    assert "7 answers counted" in result.output
    assert_tallies_equal_a_recount(app)
    result = runner.invoke(args=["rebuild-tallies", "--check"])
    assert result.exit_code == 0, result.output
    assert "0 tallies differ from a count from scratch; the pages read the tallies." in result.output


# ---------------------------------------------------------------- the page from tallies equals the page from rows


def _main(page: str) -> str:
    """The page's main content, without per-request tokens."""
    main = page.split("<main")[1].split("</main>")[0]
    return re.sub(r'name="csrf_token"[^>]*', "", main)


def test_the_comparison_page_from_tallies_equals_the_page_from_every_answer(app, client, login, monkeypatch):
    from feedback_app.insights import views
    from feedback_app.insights.cache import PAGE_CACHE
    from feedback_app.insights.data import question_catalogue, questionnaire_agencies
    from feedback_app.models import Questionnaire

    result = app.test_cli_runner().invoke(args=["demo", "--scale", "1500"])
    assert result.exit_code == 0, result.output
    login("analyst")
    with app.app_context():
        pages = []
        for questionnaire in db.session.scalars(select(Questionnaire)):
            agencies = questionnaire_agencies(db.session, questionnaire.id)
            for question in question_catalogue(db.session, questionnaire.id):
                if question.free_text:
                    base = f"/analysis/{questionnaire.slug}/{question.key}"
                    pages += [base] + [f"{base}?agency={agency}" for agency in agencies[:2]]
        db.session.rollback()
    assert len(pages) > 10
    tallied_pages, compared, reads = {}, 0, []
    real = views.load_tallied
    monkeypatch.setattr(views, "load_tallied", lambda *args, **kwargs: reads.append(1) or real(*args, **kwargs))
    monkeypatch.setattr(views, "load_answers", None)  # the tallied pages read no answers
    PAGE_CACHE.clear()
    for url in pages:
        tallied_pages[url] = client.get(url).get_data(as_text=True)
    assert len(reads) == len(pages)
    pictures = sorted({src for page in tallied_pages.values() for src in re.findall(r'src="([^"]+\.png[^"]*)"', page)})
    assert pictures, "no word clouds on the pages"
    tallied_pictures = {src: client.get(html.unescape(src)).data for src in pictures[:12]}
    themes = sorted({link for page in tallied_pages.values()
                     for link in re.findall(r'href="(/analysis/[^"]+/themes/[a-z_]+(?:\?[^"]*)?)"', page)})
    assert themes, "no theme pages linked"
    theme_pages = {link: client.get(html.unescape(link)).get_data(as_text=True) for link in themes[:15]}
    lists = [re.sub(r"(/themes/[a-z_]+)", r"\1/answers", html.unescape(link), count=1)
             for link in themes[:4] + [link for link in themes if link.startswith("/analysis/practitioners/")][:6]]
    monkeypatch.setattr(views, "ANSWERS_PER_PAGE", 5)  # pages of 5 answers: second pages to compare
    lists += [f"{link}{'&' if '?' in link else '?'}page=2" for link in lists]
    theme_pages.update({link: client.get(link).get_data(as_text=True) for link in lists})
    assert any("Quotes are withheld" not in page and "<blockquote" in page for page in theme_pages.values())
    PAGE_CACHE.clear()
    monkeypatch.undo()
    monkeypatch.setattr(views, "ANSWERS_PER_PAGE", 5)
    monkeypatch.setattr(views, "tallies_current", lambda *args: False)  # every answer read, as before
    for url in pages:
        from_rows = client.get(url).get_data(as_text=True)
        assert _main(tallied_pages[url]) == _main(from_rows), url
        compared += "Share of answers mentioning each theme" in from_rows
    for link, page in theme_pages.items():  # the same quotes and pages of answers, from the theme's answers
        assert _main(client.get(html.unescape(link)).get_data(as_text=True)) == _main(page), link
    for src, png in tallied_pictures.items():  # the same pictures, drawn from word counts
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and client.get(html.unescape(src)).data == png, src
    PAGE_CACHE.clear()
    assert compared > 5  # pages with figures, not only empty ones


def test_concurrent_feature_writers_lose_no_counts(app, make_round):
    """Two workers writing features of different answers of one round at once (the same
    tallies): every count arrives (PostgreSQL row locks serialise the upserts)."""
    import threading

    from analysis.features import TextFeatures
    from feedback_app.responses import store_response
    from feedback_app.text_analysis import write_features

    round_ = make_round("children", 1, label="Round", opens_on=date(2021, 1, 1), closes_on=date(2021, 12, 31))
    with app.app_context(), db.write_session() as session:
        for n in range(40):
            store_response(session, round_.id, {"what_did_not_help": f"No food at home on day {n}"}, agency="Police")
    ids = _answers(app)
    errors = []

    def worker(part: list[int]) -> None:
        try:
            with app.app_context():
                for answer_id in part:
                    with db.write_session() as session:
                        write_features(session, [(answer_id, TextFeatures(-0.5, 0.5, "negative", ["practical_needs"],
                                                                          ["food"]))])
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(ids[i::2],)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert_tallies_equal_a_recount(app)
    with app.app_context():
        counted = db.session.scalar(select(AnswerTally.answers).where(AnswerTally.theme == "practical_needs"))
    assert counted == 40


def test_the_sweep_counts_tallies_that_were_never_built(app, make_round):
    """A database upgraded with answers (migration 0018 leaves its tallies unbuilt) is counted
    by the worker's next sweep, even when no answer is stale."""
    from feedback_app.tasks import task_queue

    round_ = make_round("children", 1, label="Round", opens_on=date(2021, 1, 1), closes_on=date(2021, 12, 31))
    store_answers(app, round_, [{"what_did_not_help": text} for text in TEXTS])
    with app.app_context():
        db.session.execute(update(TallyState).values(built_at=None, merged=None, analyser=None))
        db.session.query(AnswerTally).delete()
        db.session.commit()
    task_queue(app).sweep()
    assert_tallies_equal_a_recount(app)


def test_the_report_from_tallies_equals_the_report_from_every_answer(app, monkeypatch):
    """Issue 13 item 2: the report reads counts and a bounded sample of quotes, not every
    answer (closed questions' answers counted per round and value in SQL), and says exactly
    what it said when it read them all."""
    from feedback_app.insights import report
    from feedback_app.insights.data import question_catalogue
    from feedback_app.models import Questionnaire

    result = app.test_cli_runner().invoke(args=["demo", "--scale", "1500"])
    assert result.exit_code == 0, result.output
    counted: list = []
    real = report.load_choice_counts
    monkeypatch.setattr(report, "load_answers", None)  # no answer read row by row
    monkeypatch.setattr(report, "load_choice_counts", lambda *args: counted.append(args[2]) or real(*args))
    with app.app_context(), app.test_request_context():
        slugs = list(db.session.scalars(select(Questionnaire.slug)))
        closed = {question.key for questionnaire in db.session.scalars(select(Questionnaire))
                  for question in question_catalogue(db.session, questionnaire.id) if not question.free_text}
        tallied = {slug: report.build_report(db.session, slug, generated_on=date(2026, 11, 30)) for slug in slugs}
        assert counted and set(counted) <= closed  # closed questions counted in SQL
        monkeypatch.undo()
        monkeypatch.setattr(report, "tallies_current", lambda *args: False)
        for slug in slugs:
            from_rows = report.build_report(db.session, slug, generated_on=date(2026, 11, 30))
            assert tallied[slug] == from_rows, slug
        db.session.rollback()
    shown = "".join(tallied.values())
    assert "<blockquote" in shown and "data:image/png;base64," in shown and "Word cloud" in shown


def test_the_analysed_mark_stops_at_the_first_answer_without_features(app, make_round):
    """The stale count reads the answers above the mark (issue 13): the mark moves up to the
    first analysable answer still without features, never past it, and past every answer
    once all are analysed (on PostgreSQL one advance later: ids may commit out of order)."""
    from feedback_app.responses import store_response
    from feedback_app.tallies import advance_analysed_mark, analysed_mark
    from feedback_app.text_analysis import stale_answer_count

    round_ = make_round("children", 1, label="Round", opens_on=date(2021, 1, 1), closes_on=date(2021, 12, 31))
    store_answers(app, round_, [{"what_did_not_help": text} for text in TEXTS[:3]])
    with app.app_context(), db.write_session() as session:  # stored without features, as with the queue
        store_response(session, round_.id, {"what_did_not_help": "Nobody rang back"}, agency="Police")
    store_answers(app, round_, [{"what_did_not_help": text} for text in TEXTS[3:5]])
    with app.app_context():
        ids = sorted(_answers(app))
        for _ in range(2):
            advance_analysed_mark(db.session)
        assert analysed_mark(db.session) == ids[3]  # the pending answer
        assert stale_answer_count(db.session, analysed_below=analysed_mark(db.session)) == 1
        db.session.commit()  # end this read: the analysis below is another session's
        _reanalyse(app)  # analyses it (its advance, before the analysis, found the mark where it was)
        for _ in range(2):
            advance_analysed_mark(db.session)
        assert analysed_mark(db.session) == ids[-1] + 1
        assert stale_answer_count(db.session, analysed_below=analysed_mark(db.session)) == 0


def test_a_new_analysed_basis_starts_the_mark_again(app, make_round, monkeypatch):
    """When what counts as analysable changes (a language the analysers now read), the mark
    counted under the old basis is dropped at the first advance, on PostgreSQL too: an
    answer below it that now needs features is counted as stale (issue 13)."""
    from feedback_app import text_analysis
    from feedback_app.tallies import advance_analysed_mark, analysed_mark
    from feedback_app.text_analysis import stale_answer_count

    round_ = make_round("children", 1, label="Round", opens_on=date(2021, 1, 1), closes_on=date(2021, 12, 31))
    store_answers(app, round_, [{"what_did_not_help": text} for text in TEXTS[:4]])
    with app.app_context():
        for _ in range(2):
            advance_analysed_mark(db.session)
        first = min(_answers(app))
        assert analysed_mark(db.session) > first
        # As if the first answer became analysable under a new basis and has no features yet.
        db.session.execute(delete(AnswerFeature).where(AnswerFeature.answer_id == first))
        db.session.commit()
        monkeypatch.setattr(text_analysis, "analysed_basis", lambda: "languages=cy,en;types=text")
        advance_analysed_mark(db.session)
        assert analysed_mark(db.session) <= first
        assert stale_answer_count(db.session, analysed_below=analysed_mark(db.session)) == 1


def test_answers_stored_after_an_erasure_are_counted_as_stale(app, make_round):
    """SQLite gives a new answer the id after the largest left: erasing the newest answers
    must not leave the analysed mark above ids that come back (issue 13)."""
    from feedback_app.responses import store_response
    from feedback_app.tallies import advance_analysed_mark, analysed_mark
    from feedback_app.text_analysis import stale_answer_count

    current = make_round("children", 1, label="Now", opens_on=date(2023, 1, 1), closes_on=date(2099, 12, 31))
    old = make_round("children", 1, label="Old", opens_on=date(2020, 1, 1), closes_on=date(2020, 12, 31))
    store_answers(app, current, [{"what_did_not_help": text} for text in TEXTS[:2]])
    store_answers(app, old, [{"what_did_not_help": text} for text in TEXTS[2:6]])  # the newest ids
    with app.app_context():
        for _ in range(2):
            advance_analysed_mark(db.session)
        purge(db.session, plan_purge(db.session, date(2021, 6, 1)))
    with app.app_context(), db.write_session() as session:  # stored without features, as with the queue
        store_response(session, current.id, {"what_did_not_help": "Nobody rang back"}, agency="Police")
    with app.app_context():
        assert stale_answer_count(db.session, analysed_below=analysed_mark(db.session)) == 1
        assert stale_answer_count(db.session) == 1
        # The choice tallies too: the new response reuses an erased id, and is counted.
        assert response_counts(db.session, [current.id]) == {current.id: 3}
        assert choices_mark(db.session) > 0  # only the erased rounds' counts were dropped


def test_an_exclusion_keeps_the_choice_counts_exact_without_counting_again(app, make_round):
    """Excluding a burst takes its answers out of the choice tallies in the same transaction,
    and including it puts them back; the mark stays (no recount of every response), and a
    count whose first response was excluded names the next one (issue 13)."""
    from feedback_app.responses import store_response

    round_ = make_round("children", 1, label="Round", opens_on=date(2021, 1, 1), closes_on=date(2099, 12, 31))
    with app.app_context(), db.write_session() as session:
        for band in ("8 to 11", "8 to 11", "12 to 15", "8 to 11"):
            store_response(session, round_.id, {"age_band": band}, agency="Police")
    with app.app_context():
        ids = sorted(db.session.scalars(select(Response.id)))
        db.session.commit()  # end this read: the advance writes in a session of its own
        advance_choice_mark(db.session)
        mark = choices_mark(db.session)
        db.session.commit()
        db.session.execute(update(Response).where(Response.id.in_(ids[:3])).values(burst_id=ids[0]))
        db.session.commit()
        set_excluded(db.session, round_.id, ids[0], True)
        assert choices_mark(db.session) == mark
        assert choice_counts(db.session, "age_band", [round_.id]) == {(round_.id, "8 to 11"): (1, ids[3])}
        assert response_counts(db.session, [round_.id], "Police") == {round_.id: 1}
        set_excluded(db.session, round_.id, ids[0], False)
        assert choice_counts(db.session, "age_band", [round_.id]) == {
            (round_.id, "8 to 11"): (3, ids[0]), (round_.id, "12 to 15"): (1, ids[2])}
        assert response_counts(db.session, [round_.id]) == {round_.id: 4}
