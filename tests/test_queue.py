"""The task queue (issue 13): features off the request path, a sweep that loses nothing.

Every test runs on the default queue (SQLite in the instance folder) and, when
``TEST_REDIS_URL`` names a Redis server (``.ci/run`` starts one), on Redis too. Tests of
what the app does run queued tasks by hand; the kill test runs real ``feedback-app worker``
processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from feedback_app.db import db
from feedback_app.models import Answer, AnswerFeature, Response, SafeguardingFlag

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL")
BACKENDS = ["sqlite"] + (["redis"] if REDIS_URL else [])


@pytest.fixture(params=BACKENDS)
def queue_config(request) -> dict:
    """Settings of a real (not immediate) queue of its own, on SQLite or Redis."""
    config = {"QUEUE_IMMEDIATE": False, "QUEUE_NAME": f"test-{uuid.uuid4().hex[:12]}"}
    if request.param == "redis":
        config["REDIS_URL"] = REDIS_URL
    return config


@pytest.fixture
def queued_app(make_app, database_url, queue_config):
    """An app whose tasks wait in the queue until something runs them."""
    from feedback_app.tasks import task_queue

    app = make_app(database_url, **queue_config)
    yield app
    task_queue(app).huey.flush()


def run_queued(app) -> int:
    """Run every task waiting in ``app``'s queue, as a worker would; returns how many ran."""
    from feedback_app.tasks import task_queue

    huey = task_queue(app).huey
    ran = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        ran += 1
    return ran


def counts(app) -> tuple[int, int, int]:
    """(free-text answers, answers with features, safeguarding flags)."""
    with app.app_context():
        answers = db.session.scalar(select(func.count()).select_from(Answer)
                                    .where(Answer.question_key.in_(["what_helped", "what_did_not_help"])))
        features = db.session.scalar(select(func.count()).select_from(AnswerFeature))
        flags = db.session.scalar(select(func.count()).select_from(SafeguardingFlag))
    return answers, features, flags


@pytest.fixture
def link(queued_app, make_round, make_link):
    return make_link(make_round("children", 2))


def answer(queued_app, token: str, answers: dict[str, str]):
    """Post ``answers`` through the link ``token`` as a respondent's browser would."""
    import re

    client = queued_app.test_client()
    page = client.get(f"/r/{token}/questions").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
    data = {f"q_{name}": value for name, value in answers.items()} | {"submission_key": key}
    return client.post(f"/r/{token}/questions", data=data)


def test_a_disclosure_is_flagged_in_the_request_and_the_features_follow_from_the_worker(queued_app, link):
    response = answer(queued_app, link.token, {"what_did_not_help": "grandad smacks me really hard",
                                               "what_helped": "my teacher listened"})
    assert response.status_code == 302
    assert counts(queued_app) == (2, 0, 1)  # flagged at once; sentiment and themes not yet
    assert run_queued(queued_app) == 1
    assert counts(queued_app) == (2, 2, 1)
    with queued_app.app_context():
        labels = {f.answer_id: f.label for f in db.session.scalars(select(AnswerFeature))}
        assert all(labels.values())


def test_a_lost_task_only_delays_the_sweep_analyses_the_answers(queued_app, link):
    from feedback_app.tasks import task_queue

    answer(queued_app, link.token, {"what_helped": "my social worker came every week"})
    answer(queued_app, link.token, {"what_helped": "the food bank", "what_did_not_help": "nothing"})
    task_queue(queued_app).huey.flush()  # the tasks are lost (a worker killed, a queue wiped)
    assert counts(queued_app)[:2] == (3, 0)
    task_queue(queued_app).sweep()
    assert run_queued(queued_app) == 1
    assert counts(queued_app)[:2] == (3, 3)


def test_a_task_run_twice_changes_nothing(queued_app, link):
    from feedback_app.tasks import task_queue

    answer(queued_app, link.token, {"what_helped": "my teacher listened"})
    with queued_app.app_context():
        response_id = db.session.scalar(select(Response.id))
    task_queue(queued_app).analyse_responses([response_id])  # delivered twice
    assert run_queued(queued_app) == 2
    with queued_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AnswerFeature)) == 1


def test_a_submission_is_stored_even_when_the_queue_cannot_take_the_task(queued_app, link, monkeypatch, caplog):
    from feedback_app.tasks import task_queue

    def broken(*_args):
        raise ConnectionError("queue unavailable")

    monkeypatch.setattr(task_queue(queued_app).huey, "enqueue", broken)
    response = answer(queued_app, link.token, {"what_helped": "my teacher listened"})
    assert response.status_code == 302
    assert counts(queued_app)[:2] == (1, 0)
    assert "the periodic sweep will do it" in caplog.text


def test_features_are_computed_inline_when_background_analysis_is_off(make_app, database_url, make_round, make_link):
    app = make_app(database_url, ANALYSE_IN_BACKGROUND=False, QUEUE_IMMEDIATE=False)
    token = make_link(make_round("children", 2)).token
    answer(app, token, {"what_helped": "my teacher listened"})
    assert counts(app)[:2] == (1, 1)


def test_a_codebook_edit_re_analyses_in_the_background_with_progress_on_the_page(queued_app, link):
    for n in range(3):
        answer(queued_app, link.token, {"what_helped": f"a free bus pass for my mum {n}"})
    run_queued(queued_app)
    from feedback_app.staff import create_user

    client, password = queued_app.test_client(), "correct horse battery staple"
    with queued_app.app_context():
        create_user(db.session, "analyst@example.org", password, "analyst")
    client.post("/auth/login", data={"email": "analyst@example.org", "password": password})
    page = client.post("/analysis/codebook/add_theme", follow_redirects=True, data={
        "key": "bus_pass", "name": "Bus pass", "description": "", "pattern": "bus pass"}).get_data(as_text=True)
    assert "being re-analysed in the background" in page
    assert "3 stored answers are not analysed yet or were analysed with another codebook" in page
    run_queued(queued_app)
    page = client.get("/analysis/codebook").get_data(as_text=True)
    assert "Re-analysis with codebook version 1 finished: 3 answers analysed" in page
    with queued_app.app_context():
        assert all("bus_pass" in themes for themes in db.session.scalars(select(AnswerFeature.themes)))


def test_the_progress_line_counts_what_is_done(queued_app):
    from feedback_app.tasks import PROGRESS_KEY, reanalysis_line, task_queue

    with queued_app.app_context():
        task_queue().huey.put(PROGRESS_KEY, {"done": 1500, "total": 12000, "version": 4,
                                             "started": "2026-11-29T10:00:00+00:00", "finished": None})
        assert reanalysis_line(10500) == ("Re-analysing in the background with codebook version 4: "
                                          "1,500 of 12,000 answers done (12%).")


# ---------------------------------------------------------------- a real worker, killed


def pending_answers(app, count: int) -> None:
    """``count`` stored free-text answers with no features (as a killed worker would leave them)."""
    from feedback_app.models import Round

    with app.app_context():
        round_id = db.session.scalar(select(Round.id))
        with db.write_session() as session:
            responses = [Response(round_id=round_id, source="test") for _ in range(count)]
            session.add_all(responses)
            session.flush()
            session.add_all(Answer(response_id=r.id, question_key="what_helped",
                                   value=f"My social worker listened to me and helped with food, week {n}")
                            for n, r in enumerate(responses))
            session.commit()


def start_worker(app, folder: Path, log_name: str) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=app.config["DATABASE_URL"], SECRET_KEY="queue-test", PYTHONPATH=str(ROOT),
               QUEUE_NAME=app.config["QUEUE_NAME"], QUEUE_SWEEP_MINUTES="1")
    if app.config.get("REDIS_URL"):
        env["REDIS_URL"] = app.config["REDIS_URL"]
    env.pop("TEST_DATABASE_URL", None)
    with open(folder / log_name, "w", encoding="utf-8") as log:
        return subprocess.Popen([sys.executable, "-m", "feedback_app", "worker"], cwd=folder, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def analysed(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AnswerFeature))


def wait_for(condition, seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} not within {seconds} s:\n{log.read_text(encoding='utf-8')[-3000:]}")


@pytest.mark.slow
def test_a_worker_killed_mid_batch_loses_nothing_the_next_sweep_completes_the_work(queued_app, make_round, tmp_path):
    make_round("children", 2)
    total = 3000
    pending_answers(queued_app, total)
    first = start_worker(queued_app, tmp_path, "first.log")
    try:
        # its start-up sweep has written at least one batch, and is part-way through the rest
        wait_for(lambda: analysed(queued_app) > 0, 120, "a first batch", tmp_path / "first.log")
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    left = total - analysed(queued_app)
    assert 0 < left < total, "the worker was meant to be killed mid-sweep"
    second = start_worker(queued_app, tmp_path, "second.log")
    try:
        wait_for(lambda: analysed(queued_app) == total, 180, "every answer analysed", tmp_path / "second.log")
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=30)
    with queued_app.app_context():
        per_answer = db.session.execute(select(AnswerFeature.answer_id, func.count())
                                        .group_by(AnswerFeature.answer_id).having(func.count() > 1)).all()
        assert per_answer == []  # idempotent: no answer analysed into two rows


# ---------------------------------------------------------------- junk bursts: the worker's check (issue 13)

JUNK = "this survey is rubbish rubbish rubbish buy cheap watches now at the shop"


def marked_in_bursts(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Response).where(Response.burst_id.is_not(None)))


def post_a_burst(app, token: str, size: int = 6) -> None:
    for n in range(size):
        assert answer(app, token, {"what_helped": f"{JUNK} {'!' * n}"}).status_code == 302


def test_a_burst_is_marked_by_the_worker_after_the_thank_you_page(queued_app, link):
    post_a_burst(queued_app, link.token)
    assert marked_in_bursts(queued_app) == 0  # the request only stored and screened them
    assert run_queued(queued_app) == 6
    assert marked_in_bursts(queued_app) == 6


def test_a_burst_whose_tasks_were_lost_is_marked_by_the_sweep(queued_app, link):
    from feedback_app.tasks import task_queue

    post_a_burst(queued_app, link.token)
    task_queue(queued_app).huey.flush()  # every task lost
    task_queue(queued_app).sweep()
    assert run_queued(queued_app) == 1
    assert marked_in_bursts(queued_app) == 6
    assert counts(queued_app)[:2] == (6, 6)


def test_a_burst_is_marked_in_the_request_when_background_analysis_is_off(make_app, database_url, make_round,
                                                                          make_link):
    app = make_app(database_url, ANALYSE_IN_BACKGROUND=False, QUEUE_IMMEDIATE=False)
    post_a_burst(app, make_link(make_round("children", 2)).token)
    assert marked_in_bursts(app) == 6
