"""What a process keeps to answer a respondent's post quickly (issue 13) is never trusted over
the database: a link switched off, a round closed, a link expired or used up, a round moved to
another version, all take effect on the next post, although the process knew the link before.

Each change here is written through its own session, as another process (an admin's request on
another gunicorn worker, a command) would write it: nothing tells this process's caches.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from feedback_app.db import db
from feedback_app.definitions import published_by_id
from feedback_app.links import link_identity
from feedback_app.models import Response, Round, SafeguardingFlag, ShareLink, utcnow
from feedback_app.rounds import find_version

DISCLOSURE = "grandad smacks me really hard"


def _responses(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Response))


def _elsewhere(app, statement) -> None:
    """Write ``statement`` as another process would: its own transaction, no cache told."""
    with app.app_context():
        with db.write_session() as session:
            session.execute(statement)
            session.commit()


@pytest.fixture
def known_link(app, respondent, make_round, make_link):
    """A link whose form this process has served (so it keeps the link's identity), one
    response already stored through it, and the submission key of a second form."""
    link = make_link(make_round("children", 2))
    assert respondent.answer(link.token, {"what_helped": "my teacher"}).status_code == 302
    _page, key = respondent.open_form(link.token)
    with app.test_request_context():
        assert link_identity(db.session, link.token) is not None  # kept by this process
    return link, key


@pytest.mark.parametrize("change, heading", [
    (lambda link: update(ShareLink).where(ShareLink.id == link.id).values(revoked_at=utcnow()),
     "This link has been switched off"),
    (lambda link: update(Round).where(Round.id == link.round_id).values(status="closed"),
     "This questionnaire has closed"),
    (lambda link: update(Round).where(Round.id == link.round_id).values(closes_on=date.today() - timedelta(days=2)),
     "This questionnaire has closed"),
    (lambda link: update(ShareLink).where(ShareLink.id == link.id).values(expires_at=utcnow() - timedelta(minutes=1)),
     "This link has expired"),
    (lambda link: update(ShareLink).where(ShareLink.id == link.id).values(max_responses=1),
     "This questionnaire has all the answers it needs"),
], ids=["revoked", "round-closed", "round-ended", "expired", "cap-reached"])
def test_a_change_made_by_another_process_refuses_the_next_post(app, respondent, known_link, change, heading):
    link, key = known_link
    _elsewhere(app, change(link))
    posted = respondent.answer(link.token, {"what_helped": "school", "what_did_not_help": DISCLOSURE},
                               submission_key=key)
    assert posted.status_code == 410
    assert heading in posted.get_data(as_text=True)
    assert _responses(app) == 1  # only the one stored before the change
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SafeguardingFlag)) == 0


def test_a_single_use_link_used_by_another_process_refuses_a_second_form(app, respondent, make_round, make_link):
    link = make_link(make_round("children", 2), "single-use")
    _page, first = respondent.open_form(link.token)
    _page, second = respondent.open_form(link.token)  # two tabs: both forms served while unused
    assert respondent.answer(link.token, {"what_helped": "school"}, submission_key=first).status_code == 302
    posted = respondent.answer(link.token, {"what_helped": "again"}, submission_key=second)
    assert posted.status_code == 410 and "already been used" in posted.get_data(as_text=True)
    again = respondent.answer(link.token, {"what_helped": "school"}, submission_key=first)
    assert again.status_code == 302 and again.location.endswith(f"/r/{link.token}/thanks")  # a repeat: thanks
    assert _responses(app) == 1


def test_a_link_reopened_by_another_process_takes_answers_again(app, respondent, known_link):
    link, key = known_link
    _elsewhere(app, update(Round).where(Round.id == link.round_id).values(status="closed"))
    assert respondent.answer(link.token, {"what_helped": "school"}, submission_key=key).status_code == 410
    _elsewhere(app, update(Round).where(Round.id == link.round_id).values(status="open"))
    assert respondent.answer(link.token, {"what_helped": "school"}, submission_key=key).status_code == 302
    assert _responses(app) == 2


def test_a_round_moved_to_another_version_is_answered_with_that_versions_questions(app, respondent, known_link):
    """Not something the app does (a round keeps its version), but a restored backup could:
    the identity the process kept no longer matches, so the post is read afresh."""
    link, key = known_link
    with app.app_context():
        practitioners = find_version(db.session, "practitioners").id
    _elsewhere(app, update(Round).where(Round.id == link.round_id).values(version_id=practitioners))
    posted = respondent.answer(link.token, {"what_helped": "school"}, submission_key=key)
    # Rebuilt from the practitioners' questions (the children's answer is none of them): shown again.
    assert posted.status_code == 400 and 'name="q_howe_model_barriers"' in posted.get_data(as_text=True)
    assert _responses(app) == 1
    with app.test_request_context():
        assert link_identity(db.session, link.token).version_id == practitioners  # read again, kept again


def test_each_published_version_is_kept_with_its_own_questions(app, make_round):
    with app.test_request_context():
        versions = [find_version(db.session, "children", number) for number in (1, 2)]
        for version in versions:
            kept = published_by_id(db.session, version.id, version.content_hash)
            assert kept.content_hash == version.content_hash
            assert [q.key for q in kept.questions] == [q.key for q in version.questions]
        first, second = (published_by_id(db.session, v.id, v.content_hash) for v in versions)
        assert [q.key for q in first.questions] != [q.key for q in second.questions]
        # Asked for an id with a content hash it has not kept (another database's), it reads the database.
        assert published_by_id(db.session, versions[0].id, "another database's hash") == first
