"""``feedback-app demo``: four years of made-up rounds that show every page working."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date

import pytest
from sqlalchemy import func, select

from feedback_app import demo
from feedback_app.db import db
from feedback_app.models import (
    Answer,
    AnswerFeature,
    Question,
    QuestionnaireVersion,
    Questionnaire,
    Response,
    Round,
    RoundStatus,
    SafeguardingFlag,
)

EXPECTED_ROUNDS = {"children": 5, "parents": 5, "practitioners": 8, "champions": 24,
                   "action-plan-summary": 12, "multi-agency-audit": 2}


@pytest.fixture
def loaded(app):
    """The app with the demo loaded through the command line; returns the command's output."""
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return result.output


def _rounds_by_slug(app) -> dict[str, list[Round]]:
    with app.app_context():
        rows = db.session.execute(
            select(Questionnaire.slug, Round).join(QuestionnaireVersion, QuestionnaireVersion.id == Round.version_id)
            .join(Questionnaire).order_by(Round.opens_on)
        ).all()
        found = defaultdict(list)
        for slug, round_ in rows:
            found[slug].append(round_)
        db.session.expunge_all()
        return found


def _theme_shares(app, slug: str, key: str, theme: str) -> list[float]:
    """Share of the answers to ``key`` in each round of ``slug`` (in date order) tagged with ``theme``."""
    shares = []
    with app.app_context():
        for round_ in _rounds_by_slug(app)[slug]:
            themes = db.session.scalars(
                select(AnswerFeature.themes).join(Answer, Answer.id == AnswerFeature.answer_id)
                .join(Response, Response.id == Answer.response_id)
                .where(Response.round_id == round_.id, Answer.question_key == key)
            ).all()
            shares.append(sum(theme in found for found in themes) / len(themes))
    return shares


def test_demo_makes_every_questionnaires_rounds_from_july_2019_to_june_2023(app, loaded):
    rounds = _rounds_by_slug(app)
    assert {slug: len(found) for slug, found in rounds.items()} == EXPECTED_ROUNDS
    for slug, found in rounds.items():
        assert all(r.status == RoundStatus.CLOSED for r in found), slug
        if slug in ("action-plan-summary", "multi-agency-audit"):
            # The agencies' evidence: twelve quarters and two half-year audits up to June 2023.
            assert found[-1].opens_on in (date(2023, 4, 1), date(2023, 1, 1)), slug
        else:
            assert found[0].opens_on == date(2019, 7, 1) and found[-1].closes_on == date(2023, 6, 30), slug
    # The children's questionnaire moves to version 2 in 2021: versioning at work.
    with app.app_context():
        versions = [db.session.get(Round, r.id).version.version for r in rounds["children"]]
    assert versions == [1, 1, 2, 2, 2]
    assert "Loaded 3," in loaded and "responses" in loaded


def test_demo_prints_staff_accounts_that_can_sign_in(app, client, loaded):
    password = re.search(r"password: (\S+)", loaded).group(1)
    assert demo.DEMO_ADMIN in loaded and demo.DEMO_ANALYST in loaded and "/auth/login" in loaded
    signed_in = client.post("/auth/login", data={"email": demo.DEMO_ADMIN, "password": password})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/admin/"
    assert "Neglect Champion feedback 2023 May–Jun" in client.get("/admin/").get_data(as_text=True)


def test_every_agency_has_comfortably_more_than_the_threshold_on_the_main_questions(app, loaded):
    threshold = app.config["SUPPRESSION_THRESHOLD"]
    with app.app_context():
        rows = db.session.execute(
            select(Questionnaire.slug, Response.round_id, Response.agency, Answer.question_key, func.count())
            .join(Answer, Answer.response_id == Response.id).join(Round, Round.id == Response.round_id)
            .join(QuestionnaireVersion, QuestionnaireVersion.id == Round.version_id).join(Questionnaire)
            .group_by(Questionnaire.slug, Response.round_id, Response.agency, Answer.question_key)
        ).all()
        # A question skip logic shows to some respondents only is not a main question: its
        # small per-agency counts are withheld, as they should be.
        gated = {q.key for q in db.session.scalars(select(Question)) if (q.settings or {}).get("show_if")}
    smallest = defaultdict(lambda: 10**9)
    for slug, _round, _agency, key, count in rows:
        if key not in gated:
            smallest[slug] = min(smallest[slug], count)
    for slug in ("children", "parents", "practitioners", "champions"):
        assert smallest[slug] >= threshold + 3, slug
    # Action-plan returns are one per agency per quarter, as the framework asks.
    assert smallest["action-plan-summary"] == 1


def test_every_free_text_answer_was_analysed_and_screened(app, loaded):
    from feedback_app.text_analysis import current_codebook, stale_answers

    with app.app_context():
        codebook, _saved = current_codebook(db.session)
        missing = stale_answers(db.session, codebook.version_hash())
        featured = db.session.scalar(select(func.count()).select_from(AnswerFeature))
        flags = db.session.scalars(select(SafeguardingFlag)).all()
    assert missing == [] and featured > 10_000
    # A young carer's answer in the last children's round is waiting in the queue; older ones were dealt with.
    assert flags and any(flag.status.value == "new" for flag in flags)
    assert all(flag.status.value == "acknowledged" for flag in flags if flag.flagged_at.year < 2023)


def test_themes_rise_and_fall_and_one_appears_only_in_the_last_round(app, loaded):
    changing_worker = _theme_shares(app, "children", "what_did_not_help", "continuity_of_social_worker")
    assert changing_worker[0] > changing_worker[-1] + 0.15, changing_worker
    listened = _theme_shares(app, "children", "what_helped", "being_listened_to")
    assert listened[-1] > listened[0] + 0.1, listened
    young_carers = _theme_shares(app, "children", "what_did_not_help", "young_carers")
    assert young_carers[:-1] == [0.0] * 4 and young_carers[-1] > 0.1, young_carers
    covid = _theme_shares(app, "practitioners", "intervention_barriers", "covid_19")
    assert covid[0] == 0.0 and max(covid[1:5]) > 0.1 and covid[-1] == 0.0, covid


def test_scale_makes_about_that_many_responses(app):
    result = app.test_cli_runner().invoke(args=["demo", "--scale", "6000"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Response))
    assert 5400 <= total <= 6600, total


def test_the_demo_is_labelled_by_the_sentiment_model_in_use(app):
    """With the shipped model in use, the demo's answers are not stale the moment they are loaded."""
    from feedback_app.text_analysis import stale_answer_count

    app.config["SENTIMENT_DEFAULT_MODEL"] = "shipped"
    result = app.test_cli_runner().invoke(args=["demo", "--scale", "600"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        versions = set(db.session.scalars(select(AnswerFeature.analyser_version)))
        assert stale_answer_count(db.session) == 0
    assert len(versions) == 1 and versions.pop().startswith("1.0+ship-")


def test_demo_refuses_a_database_with_real_responses(app, respondent, make_round, make_link):
    link = make_link(make_round("practitioners"))
    assert respondent.answer(link.token, {"agency": "Police", "role": "Other"}).status_code == 302
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: This database holds 1 real responses, so the demo will not add made-up ones")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
        assert db.session.scalar(select(func.count()).select_from(Round)) == 1


def test_loading_twice_says_it_is_already_loaded(app, loaded):
    again = app.test_cli_runner().invoke(args=["demo"])
    assert again.exit_code == 0
    assert again.output.startswith("The demo data is already loaded (3,")


def test_another_kind_of_data_is_one_more_seeder(app, monkeypatch):
    calls = []
    monkeypatch.setattr(demo, "SEEDERS", list(demo.SEEDERS))
    demo.register_seeder("indicators", "Made-up performance indicators",
                         lambda context: calls.append(context.scale) or "Indicators: 12 quarters")
    result = app.test_cli_runner().invoke(args=["demo", "--scale", "400"])
    assert result.exit_code == 0, result.output
    assert "  Indicators: 12 quarters\n" in result.output
    assert calls and calls[0] < 1


def test_demo_answers_are_screened_as_their_audience_with_the_example_bank(app, monkeypatch):
    """Regression: the demo screened every answer as a child's, with the rules' default bank,
    unlike a real answer (``text_analysis.derive``): practitioners' commentary was judged
    by the children's screen, and the app's own bank (the one staff see) was never used."""
    from feedback_app.text_analysis import concern_bank

    screened = []
    real_screen = demo.screen

    def recording_screen(text, rules=None, **options):
        screened.append((options.get("audience", "children"), options.get("bank")))
        return real_screen(text, rules, **options)

    monkeypatch.setattr(demo, "screen", recording_screen)
    result = app.test_cli_runner().invoke(args=["demo", "--scale", "400"])
    assert result.exit_code == 0, result.output
    audiences = {audience for audience, _bank in screened}
    assert {"children", "parents", "practitioners", "champions"} <= audiences, audiences
    assert all(bank is concern_bank() for _audience, bank in screened)
