"""``submit_response`` outcomes and the one import workflow (web upload and command alike)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update

from feedback_app.db import db
from feedback_app.definitions import load_agencies
from feedback_app.links import link_identity
from feedback_app.models import AnswerFeature, AuditEvent, Response, Round, SafeguardingFlag, ShareLink, utcnow
from feedback_app.respond.forms import new_submission_key
from feedback_app.responses import ClaimRefused, LinkClaim, LinkPace, epoch_us, store_response
from feedback_app.security import COMMAND_LINE
from feedback_app.submission import Outcome, import_responses, submit_response

DISCLOSURE = "grandad smacks me really hard"


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _submit(app, link: ShareLink, answers: dict[str, str], key: str | None):
    with app.test_request_context():
        return submit_response(db.session.get(ShareLink, link.id), answers, key)


def test_a_response_is_stored_with_its_features_and_flag_then_a_repeat_is_a_duplicate(app, make_round, make_link):
    link = make_link(make_round("children", 2))
    key = new_submission_key()
    first = _submit(app, link, {"what_helped": "my teacher", "what_did_not_help": DISCLOSURE}, key)
    assert (first.outcome, first.flags) == (Outcome.STORED, 1)
    again = _submit(app, link, {"what_helped": "my teacher"}, key)
    assert again.outcome == Outcome.DUPLICATE
    assert _count(app, Response) == 1
    assert _count(app, AnswerFeature) == 2
    assert _count(app, SafeguardingFlag) == 1


def test_a_used_link_is_closed(app, make_round, make_link):
    link = make_link(make_round("children", 2), "single-use")
    assert _submit(app, link, {"what_helped": "school"}, new_submission_key()).outcome == Outcome.STORED
    closed = _submit(app, link, {"what_helped": "school"}, new_submission_key())
    assert closed.outcome == Outcome.CLOSED
    assert closed.link_state.heading == "This link has already been used"


def test_a_link_filled_while_the_form_was_sent_is_closed_saying_it_was_used(app, make_round, make_link):
    link = make_link(make_round("children", 2), "single-use")
    with app.test_request_context():
        seen = db.session.get(ShareLink, link.id)
        assert seen.response_count == 0  # the request read the link while it had room
        with db.write_session() as other:  # another response takes the last place meanwhile
            other.execute(update(ShareLink).where(ShareLink.id == link.id).values(response_count=1))
            other.commit()
        result = submit_response(seen, {"what_helped": "school"}, new_submission_key())
    assert result.outcome == Outcome.CLOSED
    assert result.link_state.reason == "used"
    assert _count(app, Response) == 0


def test_too_many_posts_through_a_link_are_throttled(app, make_round, make_link):
    link = make_link(make_round("children", 2))
    app.config["LINK_SUBMISSIONS_PER_MINUTE"] = 1
    assert _submit(app, link, {"what_helped": "a"}, new_submission_key()).outcome == Outcome.STORED
    assert _submit(app, link, {"what_helped": "b"}, new_submission_key()).outcome == Outcome.THROTTLED
    assert _count(app, Response) == 1
    with app.app_context():
        assert db.session.get(ShareLink, link.id).response_count == 1  # the refused post took no place


def test_the_link_throttle_takes_the_limit_at_once_then_one_per_share_of_the_minute(app, make_round, make_link):
    """Issue 13, round 7: the throttle is a token bucket on the link's row. With a limit of 3 a
    minute an idle link takes 3 posts at once, then one each 20 seconds; a refused post uses no room."""
    link = make_link(make_round("children", 2))
    pace = LinkPace.per(3, timedelta(minutes=1))
    start = utcnow()

    def post(seconds: float) -> bool:
        with app.app_context():
            identity = link_identity(db.session, link.token)
            with db.write_session() as session:
                try:
                    store_response(session, identity.round_id, {"what_helped": "a"}, submission_key=new_submission_key(),
                                   claim=LinkClaim(identity, pace, start + timedelta(seconds=seconds)))
                except ClaimRefused:
                    session.rollback()
                    return False
                return True

    assert [post(0) for _ in range(4)] == [True, True, True, False]
    assert [post(10), post(19.9), post(20), post(20), post(39.9), post(40)] == [False, False, True, False, False, True]
    assert [post(160) for _ in range(4)] == [True, True, True, False]  # idle a minute: 3 at once again
    assert _count(app, Response) == 8
    with app.app_context():
        assert db.session.get(ShareLink, link.id).response_count == 8


def test_a_link_pace_is_the_limit_per_minute():
    pace = LinkPace.per(600, timedelta(minutes=1))
    assert (pace.interval_us, pace.tolerance_us) == (100_000, 59_900_000)
    now = utcnow()
    assert not pace.refuses(epoch_us(now) + 59_900_000, now) and pace.refuses(epoch_us(now) + 59_900_001, now)


def test_an_agency_link_answers_every_agency_question_for_its_agency(app, make_round, make_link):
    link = make_link(make_round("practitioners"), "agency", agency="Police")
    result = _submit(app, link, {"howe_model_barriers": "time"}, new_submission_key())
    with app.app_context():
        response = db.session.get(Response, result.response_id)
        assert response.agency == "Police"
        assert {answer.question_key: answer.value for answer in response.answers}["agency"] == "Police"


# ---------------------------------------------------------------- the import workflow


def test_the_command_imports_screens_and_audits(app, make_round, tmp_path):
    round_ = make_round("children", 2)
    path = tmp_path / "paper.csv"
    path.write_text(f"what_helped,what_did_not_help\nmy teacher,{DISCLOSURE}\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["responses", "import", str(round_.id), str(path)])
    assert result.exit_code == 0, result.output
    assert "1 answer(s) were flagged to the safeguarding queue" in result.output
    with app.app_context():
        event_ = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import")).one()
        assert (event_.actor, event_.detail) == (COMMAND_LINE, {"round_id": round_.id, "responses": 1, "flagged": 1})
    assert _count(app, SafeguardingFlag) == 1


def test_an_import_that_fails_while_screening_stores_nothing_and_audits_nothing(app, make_round, monkeypatch):
    round_ = make_round("children", 2)

    def refuse_flags(_connection, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT INTO SAFEGUARDING_FLAGS"):
            raise RuntimeError("the disk is full")

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", refuse_flags)
        try:
            with db.write_session() as write, pytest.raises(RuntimeError):
                import_responses(write, db.session.get(Round, round_.id),
                                 f"what_did_not_help\n{DISCLOSURE}\n".encode(), load_agencies(), actor="a@example.org")
        finally:
            event.remove(db.engine, "before_cursor_execute", refuse_flags)
    assert _count(app, Response) == 0
    assert _count(app, AuditEvent) == 0
