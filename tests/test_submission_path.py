"""The respondent's post stays cheap (issue 13): one write transaction, the link read once,
and the questionnaire's form class built once per version, never shared wrongly."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from feedback_app.agencies import configured_agencies
from feedback_app.db import db
from feedback_app.links import find_link
from feedback_app.models import SafeguardingFlag
from feedback_app.respond.forms import form_class_for, new_form


def test_a_post_is_one_write_transaction_and_reads_nothing_before_it(app, respondent, make_round, make_link):
    link = make_link(make_round("children", 2))
    _page, key = respondent.open_form(link.token)
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    autocommitted: list[str] = []

    def listener(conn, _cursor, statement, *_args):
        statements.append(statement)
        if getattr(conn.connection.dbapi_connection, "autocommit", False):
            autocommitted.append(statement)
    committed = lambda _conn: statements.append("COMMIT")  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    event.listen(engine, "commit", committed)
    try:
        posted = respondent.answer(link.token, {"what_helped": "my teacher", "what_did_not_help": "nothing"},
                                   submission_key=key)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
        event.remove(engine, "commit", committed)
    assert posted.status_code == 302
    writes = [s for s in statements if s.startswith(("WITH", "INSERT", "UPDATE", "DELETE"))]
    assert writes, "the post stored nothing"
    link_reads = [s for s in statements if s.startswith("SELECT") and "FROM share_links" in s]
    assert not link_reads  # the process knows the link (from the form's GET); the write checks it
    # The link's claim comes first and serialises the posts through it: no lock of the throttle's own.
    assert not [s for s in statements if "pg_advisory" in s]
    # Issue 13, round 7: the throttle is kept on the link's row, counted by the claim itself.
    assert not [s for s in statements if "throttle_counters" in s]
    claims = [s for s in statements if "UPDATE share_links" in s]
    assert len(claims) == 1 and "throttle_until_us" in claims[0]
    if engine.dialect.name == "postgresql":
        # The claim, its throttle, the response and its answers: one statement, then the commit
        # (as many round trips as a bare insert; what follows is the queued task, run in the
        # request by the tests' immediate queue).
        (write,) = claims
        assert "INSERT INTO responses" in write and "INSERT INTO answers" in write
        assert statements[statements.index(write) + 1] == "COMMIT"  # nothing more in that transaction
        # ... and, with nothing else to write, the statement is its own transaction (no BEGIN or
        # COMMIT round trip to the server: the driver's commit finds no transaction to end)
        assert autocommitted == [write]
        with engine.connect() as connection:  # the pool's connections go back to transactions
            assert connection.connection.dbapi_connection.autocommit is False
        assert not [s for s in statements[:statements.index(write)] if s.startswith(("INSERT", "UPDATE"))]
    if engine.dialect.name == "sqlite":
        # The link's claim (with its throttle) and the response: one BEGIN IMMEDIATE (what follows
        # it here is the queued task, run in the request by the tests' immediate queue).
        start = statements.index("BEGIN IMMEDIATE")
        end = next((i for i in range(start + 1, len(statements)) if statements[i].startswith("BEGIN")), len(statements))
        first_write = " ".join(statements[start:end])
        for table in ("UPDATE share_links", "INSERT INTO responses", "INSERT INTO answers"):
            assert table in first_write
        assert not any(s.startswith(("INSERT", "UPDATE")) for s in statements[:start])
        # Before it, no read at all (it was seven until round 4, three until round 5): the link's
        # identity and its version's questions are kept per process, and its claim in the write
        # checks that it still takes answers.
        assert not [s for s in statements[:start] if s.startswith("SELECT")]
        assert "rounds.status" in first_write and "share_links.revoked_at IS NULL" in first_write
        assert len([s for s in statements[start:end] if s.startswith("INSERT INTO answers")]) == 1


def test_the_form_class_is_built_once_per_version_agencies_and_fixed_agency(app, make_round, make_link):
    link = make_link(make_round("practitioners"))
    with app.test_request_context():
        version = find_link(db.session, link.token).round.version
        agencies = configured_agencies()
        open_form = form_class_for(version, agencies)
        assert form_class_for(version, agencies) is open_form
        police = form_class_for(version, agencies, "Police")
        assert police is not open_form
        assert hasattr(open_form, "q_agency") and not hasattr(police, "q_agency")
        assert form_class_for(version, agencies[:1]) is not open_form  # other agencies: other choices
        with pytest.raises(TypeError):  # a shared class never makes a form without this request's questions
            open_form()
        form = new_form(version, agencies, "Police")
        assert [question.key for question, _field in form.question_fields()] == [
            question.key for question in version.questions if question.type != "agency"]


def test_a_post_with_a_disclosure_keeps_its_flag_in_the_response_transaction(app, respondent, make_round, make_link):
    # Issue 13, round 7: only a post with nothing else to write is one autocommitted statement; a
    # possible disclosure's flag goes in the same transaction as the response, never after it.
    link = make_link(make_round("children", 2))
    _page, key = respondent.open_form(link.token)
    with app.app_context():
        engine = db.engine
    seen: list[tuple[str, bool]] = []

    def listener(conn, _cursor, statement, *_args):
        seen.append((statement, bool(getattr(conn.connection.dbapi_connection, "autocommit", False))))

    committed = lambda _conn: seen.append(("COMMIT", False))  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    event.listen(engine, "commit", committed)
    try:
        posted = respondent.answer(link.token, {"what_did_not_help": "my dad hits me"}, submission_key=key)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
        event.remove(engine, "commit", committed)
    assert posted.status_code == 302
    statements = [s for s, _auto in seen]
    response = next(i for i, s in enumerate(statements) if "INSERT INTO responses" in s)
    flag = next(i for i, s in enumerate(statements) if s.startswith("INSERT INTO safeguarding_flags"))
    assert response < flag < statements.index("COMMIT", response)  # one transaction: the flag before its commit
    assert not any(auto for _s, auto in seen[response:flag + 1])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SafeguardingFlag)) == 1


def test_the_page_and_the_post_share_one_form_class(app, respondent, make_round, make_link):
    # The form page, a post the form must check (a choice it does not offer) and a complete post
    # offer the same agencies (none, for a form with no agency question), so the process keeps
    # one form class for the version, not one per way in.
    from feedback_app.respond import forms

    link = make_link(make_round("children", 2))
    with app.test_request_context():
        version_id = find_link(db.session, link.token).round.version_id

    def kept() -> set[tuple]:
        return {key for key in forms._form_classes._items if key[0] == version_id}

    for key in kept():  # kept by earlier tests in this process (the same ids in a new database)
        forms._form_classes.drop(key)

    _page, key = respondent.open_form(link.token)
    assert len(kept()) == 1
    wrong = respondent.answer(link.token, {"knew_about_cp_plan": "Perhaps"}, submission_key=key)
    assert wrong.status_code == 400 and "There is a problem" in wrong.get_data(as_text=True)  # the form's own errors
    assert respondent.answer(link.token, {"what_helped": "my teacher"}, submission_key=key).status_code == 302
    assert len(kept()) == 1


def _posts_stored(app, key: str) -> int:
    from feedback_app.models import Response

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Response).where(Response.submission_key == key))


@pytest.mark.parametrize("answers, flags", [
    ({"what_helped": "my nan", "what_did_not_help": "my dad hits me"}, 1),  # a transaction: the response and its flag
    ({"what_helped": "my nan", "what_did_not_help": "nothing"}, 0),  # one autocommitted statement
])
def test_a_post_whose_pooled_connection_was_killed_is_stored_once_on_a_fresh_one(app, respondent, make_round,
                                                                                 make_link, caplog, answers, flags):
    # Issue 13, round 8: the post takes its connection without the pool's pre-ping; a dead one
    # (the database restarted, the connection killed between posts) costs the respondent nothing.
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("SQLite has no connection to lose")
    from sqlalchemy import create_engine, text

    link = make_link(make_round("children", 2))
    _page, first = respondent.open_form(link.token)
    _page, second = respondent.open_form(link.token)  # both forms fetched before the kill
    assert respondent.answer(link.token, {"what_helped": "my teacher"}, submission_key=first).status_code == 302
    killer = create_engine(app.config["DATABASE_URL"])
    with killer.connect() as connection:
        killed = connection.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    killer.dispose()
    assert killed >= 1  # the app's pooled connections
    with caplog.at_level("INFO", logger="feedback_app.submission"):
        posted = respondent.answer(link.token, answers, submission_key=second)
    assert posted.status_code == 302 and "/thanks" in posted.headers["Location"]
    assert "pooled connection dead" in caplog.text  # the post met the dead connection (no ping caught it)
    assert _posts_stored(app, second) == 1
    with app.app_context():  # a disclosure's flag came with it
        assert db.session.scalar(select(func.count()).select_from(SafeguardingFlag)) == flags
        assert find_link(db.session, link.token).response_count == 2


def test_a_post_stored_before_its_connection_died_is_thanked_and_kept_once(app, respondent, make_round, make_link,
                                                                           monkeypatch):
    # The other half of the retry's safety: the first attempt was stored, but its answer was lost
    # with the connection. The second attempt meets the submission key: a repeat, not a second response.
    from sqlalchemy.exc import OperationalError

    from feedback_app import submission

    link = make_link(make_round("children", 2))
    _page, key = respondent.open_form(link.token)
    real_store, attempts = submission.store_response, []

    def stored_then_lost(session, *args, **kwargs):
        attempts.append(kwargs["claim"])
        result = real_store(session, *args, **kwargs)
        if len(attempts) == 1:
            raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"),
                                   connection_invalidated=True)
        return result

    monkeypatch.setattr(submission, "store_response", stored_then_lost)
    posted = respondent.answer(link.token, {"what_helped": "my teacher"}, submission_key=key)
    assert posted.status_code == 302 and "/thanks" in posted.headers["Location"]
    assert len(attempts) == 2
    assert _posts_stored(app, key) == 1
    with app.app_context():
        assert find_link(db.session, link.token).response_count == 1  # the link counted it once


def test_a_post_whose_error_is_not_a_lost_connection_is_not_stored_again(app, respondent, make_round, make_link,
                                                                         monkeypatch):
    from sqlalchemy.exc import OperationalError

    from feedback_app import submission

    link = make_link(make_round("children", 2))
    _page, key = respondent.open_form(link.token)
    attempts = []

    def failing(*_args, **_kwargs):
        attempts.append(1)
        raise OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(submission, "store_response", failing)
    with pytest.raises(OperationalError):
        respondent.answer(link.token, {"what_helped": "my teacher"}, submission_key=key)
    assert len(attempts) == 1
