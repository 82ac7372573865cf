"""Load and fault tests of the respondent POST through the real server (issue 6).

``python -m feedback_app serve --workers 4`` runs in a subprocess on this run's database
(SQLite, or PostgreSQL when TEST_DATABASE_URL is set) and 50 client threads answer
through it the way a browser does: GET the form (session cookie, CSRF token and
submission key from the HTML), then POST it.

- burst: every acknowledged post (302 to the thank-you page) is stored, nothing else is,
  no 5xx and no "database is locked" in the server log;
- fault: a worker, and then the whole server, is killed with SIGKILL mid-burst; clients
  re-send a post whose answer they did not get (same submission key, as a browser's
  retry would) until the server is back. Every post acknowledged before the kill is
  stored, every acknowledged post is stored exactly once, and SQLite passes
  ``PRAGMA integrity_check``;
- race: 50 simultaneous posts to one single-use link store exactly one response.

Short by design (well under a minute per database); ``bench/`` holds the long runs.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from feedback_app import create_app
from feedback_app.db import db, make_engine
from feedback_app.definitions import load_agencies, sync_questionnaires
from feedback_app.links import create_links
from feedback_app.models import Answer, AnswerFeature, Response, ShareLink
from feedback_app.rounds import create_round, find_version
from tests.live_http import Form, form_body, free_port, open_form, request

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SECRET = "load-test-secret"
CLIENTS = 50
WORKERS = 4
STARTUP_SECONDS = 90
BURST_SECONDS = 120  # hard limit on one burst, retries included
BURST_POSTS = 4  # per client: 200 submissions
FAULT_POSTS = 2  # per client, in each fault test: 100 submissions
KILL_AFTER = 30  # acknowledged posts before the kill
CONNECTION_ERRORS = (ConnectionError, http.client.HTTPException, socket.timeout, OSError)

ANSWERS = [
    {"what_helped": "My social worker listened to me and came back when she said she would",
     "what_did_not_help": "Having to tell my story again to new people",
     "what_could_be_better": "Tell children what is going on",
     "knew_about_cp_plan": "No", "part_of_safety_planning": "A bit"},
    {"what_helped": "My teacher checked I had breakfast", "knows_social_worker_name": "Yes"},
    {"what_helped": "Nothing", "what_did_not_help": "Nobody asked me what I thought",
     "knew_about_cp_plan": "I'm not sure"},
    {"what_could_be_better": "More time to talk and the same worker all the way through",
     "part_of_safety_planning": "No", "knows_social_worker_name": "No"},
]


# ---------------------------------------------------------------- the server



def _is_queue_worker(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"\0worker\0" in handle.read()
    except OSError:
        return False


def _children(pid: int) -> list[int]:
    """Pids whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return found


class Server:
    """``python -m feedback_app serve`` in its own process group, logging to a file."""

    def __init__(self, database_url: str, folder: Path, workers: int = WORKERS):
        self.database_url = database_url
        self.folder = folder
        self.workers = workers
        self.port = free_port()
        self.log_path = folder / "server.log"
        self.process: subprocess.Popen | None = None
        self._log = None

    def start(self) -> None:
        env = dict(os.environ, DATABASE_URL=self.database_url, SECRET_KEY=SECRET, PYTHONPATH=str(ROOT),
                   # gunicorn's control socket lives here: one per server, not one per user
                   XDG_RUNTIME_DIR=str(self.folder))
        env.pop("TEST_DATABASE_URL", None)
        self._log = open(self.log_path, "a", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "feedback_app", "serve", "--port", str(self.port), "--workers", str(self.workers)],
            cwd=self.folder, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"server exited:\n{self.log()}"
            try:
                status, _headers, _body = request(self.port, "GET", "/healthz", timeout=2)
            except CONNECTION_ERRORS:
                status = None
            if status == 200 and len(self.worker_pids()) == self.workers:
                return
            time.sleep(0.2)
        raise AssertionError(f"server not answering after {STARTUP_SECONDS} s:\n{self.log()}")

    def worker_pids(self) -> list[int]:
        """gunicorn's workers (not the task-queue worker ``serve`` starts beside them, issue 13)."""
        return [pid for pid in _children(self.process.pid) if not _is_queue_worker(pid)] if self.process else []

    def kill_worker(self) -> int:
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill(self) -> None:
        """SIGKILL the master and every worker at once."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._close_log()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


# ---------------------------------------------------------------- a respondent over HTTP


def post_form(port: int, token: str, form: Form, answers: dict[str, str]) -> tuple[int, str]:
    body, headers = form_body(form, answers)
    status, response_headers, _body = request(port, "POST", f"/r/{token}/questions", body, headers)
    return status, response_headers.get("location", "")


@dataclass
class Burst:
    """What the clients saw."""

    acked: dict[str, float] = field(default_factory=dict)  # submission key -> time acknowledged
    statuses: Counter = field(default_factory=Counter)
    retried: set[str] = field(default_factory=set)  # keys whose post was sent again after an error
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, key: str | None, status: int, location: str = "") -> None:
        with self.lock:
            self.statuses[status] += 1
            if key and status == 302 and location.endswith("/thanks"):
                self.acked[key] = time.monotonic()


def _with_retries(deadline: float, burst: Burst, action, key: str | None = None):
    """Run ``action`` until it gets an HTTP answer (the server may be down for a moment)."""
    while True:
        try:
            return action()
        except CONNECTION_ERRORS as error:
            if key:
                with burst.lock:
                    burst.retried.add(key)
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer before the deadline: {error!r}") from error
            time.sleep(0.2)


def run_burst(port_of, token: str, posts_per_client: int, during=None, clients: int = CLIENTS) -> Burst:
    """``clients`` threads each answer ``posts_per_client`` times; ``during(burst)`` runs meanwhile.

    ``port_of()`` gives the port to use (it changes when the server is restarted).
    """
    burst = Burst()
    deadline = time.monotonic() + BURST_SECONDS

    def client(index: int) -> None:
        try:
            for number in range(posts_per_client):
                answers = ANSWERS[(index + number) % len(ANSWERS)]
                form = _with_retries(deadline, burst, lambda: open_form(port_of(), token))
                status, location = _with_retries(
                    deadline, burst, lambda: post_form(port_of(), token, form, answers), form.submission_key)
                burst.record(form.submission_key, status, location)
        except BaseException as error:  # noqa: BLE001 - reported by the test, not lost in the thread
            with burst.lock:
                burst.failures.append(f"client {index}: {error!r}")

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    try:
        if during is not None:
            during(burst)
    finally:
        for thread in threads:
            thread.join(timeout=max(deadline - time.monotonic(), 0) + 30)
    assert not any(thread.is_alive() for thread in threads), "clients still running after the deadline"
    return burst


def wait_for_acks(burst: Burst, count: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while len(burst.acked) < count and time.monotonic() < deadline and not burst.failures:
        time.sleep(0.05)
    assert len(burst.acked) >= count, f"only {len(burst.acked)} acknowledged: {burst.failures[:3]}"


# ---------------------------------------------------------------- the database


@dataclass
class LoadDatabase:
    url: str
    folder: Path
    round_id: int

    def link(self, kind: str = "open", **options) -> tuple[int, str]:
        """A new link to the load round: (id, token)."""
        app = _app(self.url, self.folder)
        try:
            with app.app_context():
                from feedback_app.models import Round

                round_ = db.session.get(Round, self.round_id)
                link = create_links(db.session, round_, kind, load_agencies(), **options)[0]
                return link.id, link.token
        finally:
            app.extensions["feedback_db"].engine.dispose()

    def stored_keys(self, link_id: int) -> Counter:
        """How many responses each submission key has through the link."""
        engine = make_engine(self.url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    select(Response.submission_key, func.count()).where(Response.link_id == link_id)
                    .group_by(Response.submission_key)
                ).all()
                return Counter({key: n for key, n in rows})
        finally:
            engine.dispose()

    def scalar(self, query):
        engine = make_engine(self.url)
        try:
            with engine.connect() as connection:
                return connection.execute(query).scalar()
        finally:
            engine.dispose()

    def check_whole(self, link_id: int) -> None:
        """Each stored response has its answers, and each free-text answer its features."""
        responses = select(Response.id).where(Response.link_id == link_id)
        without_answers = self.scalar(
            select(func.count()).select_from(Response)
            .where(Response.link_id == link_id, ~Response.answers.any()))
        assert without_answers == 0
        text_answers = select(Answer.id).where(Answer.response_id.in_(responses),
                                               Answer.question_key.in_(["what_helped", "what_did_not_help"]))
        without_features = select(func.count()).select_from(Answer).where(
            Answer.id.in_(text_answers), ~select(AnswerFeature.answer_id)
            .where(AnswerFeature.answer_id == Answer.id).exists())
        deadline = time.monotonic() + 120  # the queue's worker computes them (issue 13)
        while self.scalar(without_features) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert self.scalar(without_features) == 0
        counted = self.scalar(select(ShareLink.response_count).where(ShareLink.id == link_id))
        assert counted == self.scalar(select(func.count()).select_from(Response).where(Response.link_id == link_id))

    def integrity(self) -> None:
        if not self.url.startswith("sqlite"):
            return
        engine = make_engine(self.url)
        try:
            with engine.connect() as connection:
                assert connection.execute(text("PRAGMA integrity_check")).scalars().all() == ["ok"]
                assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
        finally:
            engine.dispose()


def _app(url: str, folder: Path):
    return create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "TESTING": True, "LOCAL_HELP_NUMBER": "01234 000111"},
                      instance_path=str(folder / "instance"))


@pytest.fixture(scope="module")
def load_db(databases, tmp_path_factory):
    """One migrated database with the questionnaires published and an open children v2 round."""
    folder = tmp_path_factory.mktemp("load")
    url = databases.create(folder)
    app = _app(url, folder)
    try:
        with app.app_context():
            sync_questionnaires(db.session, None)
            round_ = create_round(db.session, find_version(db.session, "children", 2), "Load test",
                                  date(2020, 1, 1), date(2099, 12, 31))
            round_id = round_.id
    finally:
        app.extensions["feedback_db"].engine.dispose()
    yield LoadDatabase(url, folder, round_id)
    databases.drop(url)


@pytest.fixture(scope="module")
def server(load_db, tmp_path_factory):
    """One server for the module; the last test kills it and starts it again."""
    running = Server(load_db.url, tmp_path_factory.mktemp("server"))
    try:
        running.start()
        yield running
    finally:
        running.stop()


def _assert_clean_log(log: str) -> None:
    assert "database is locked" not in log
    assert "Traceback" not in log, log[-3000:]


# ---------------------------------------------------------------- the tests


def test_burst_of_50_clients_stores_exactly_what_was_acknowledged(server, load_db):
    link_id, token = load_db.link("open")
    started = time.monotonic()
    burst = run_burst(lambda: server.port, token, posts_per_client=BURST_POSTS)
    elapsed = time.monotonic() - started

    assert not burst.failures, burst.failures[:5]
    assert not burst.retried, "a connection failed without any fault being injected"
    assert burst.statuses == Counter({302: CLIENTS * BURST_POSTS}), burst.statuses
    stored = load_db.stored_keys(link_id)
    assert set(stored) == set(burst.acked)
    assert sum(stored.values()) == len(burst.acked) == CLIENTS * BURST_POSTS
    load_db.check_whole(link_id)
    _assert_clean_log(server.log())
    print(f"\nburst: {CLIENTS * BURST_POSTS} submissions in {elapsed:.1f} s ({CLIENTS * BURST_POSTS / elapsed:.0f}/s)")


def test_50_simultaneous_posts_to_a_single_use_link_store_one(server, load_db):
    link_id, token = load_db.link("single-use")
    forms = [open_form(server.port, token) for _ in range(CLIENTS)]
    barrier = threading.Barrier(CLIENTS, timeout=60)
    burst = Burst()

    def post(form: Form) -> None:
        try:
            barrier.wait()
            status, location = post_form(server.port, token, form, ANSWERS[0])
            burst.record(form.submission_key, status, location)
        except BaseException as error:  # noqa: BLE001 - reported below
            with burst.lock:
                burst.failures.append(repr(error))

    threads = [threading.Thread(target=post, args=(form,), daemon=True) for form in forms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    assert not burst.failures, burst.failures[:5]
    assert burst.statuses == Counter({302: 1, 410: CLIENTS - 1}), burst.statuses
    stored = load_db.stored_keys(link_id)
    assert set(stored) == set(burst.acked) and sum(stored.values()) == 1
    assert load_db.scalar(select(ShareLink.response_count).where(ShareLink.id == link_id)) == 1
    load_db.check_whole(link_id)
    _assert_clean_log(server.log())


def test_a_worker_killed_mid_burst_loses_no_acknowledged_response(server, load_db):
    link_id, token = load_db.link("open")
    killed = {}

    def kill_a_worker(burst: Burst) -> None:
        wait_for_acks(burst, KILL_AFTER)
        killed["at"] = time.monotonic()
        killed["acked"] = set(burst.acked)
        killed["pid"] = server.kill_worker()

    burst = run_burst(lambda: server.port, token, posts_per_client=FAULT_POSTS, during=kill_a_worker)

    assert not burst.failures, burst.failures[:5]
    assert not [s for s in burst.statuses if s >= 500], burst.statuses
    assert set(burst.statuses) == {302}, burst.statuses  # every post ended acknowledged, retries included
    stored = load_db.stored_keys(link_id)
    assert killed["acked"] <= set(stored)
    assert set(stored) == set(burst.acked)
    assert max(stored.values()) == 1
    assert len(burst.acked) == CLIENTS * FAULT_POSTS
    load_db.check_whole(link_id)
    load_db.integrity()
    deadline = time.monotonic() + 30
    while len(server.worker_pids()) < WORKERS and time.monotonic() < deadline:
        time.sleep(0.2)
    assert killed["pid"] not in server.worker_pids()
    assert len(server.worker_pids()) == WORKERS  # the master replaced the worker
    assert "database is locked" not in server.log()


def test_the_server_killed_mid_burst_and_restarted_loses_no_acknowledged_response(server, load_db):
    # Last in the module: it kills the shared server and leaves the restarted one running.
    link_id, token = load_db.link("open")
    killed = {}

    def kill_and_restart(burst: Burst) -> None:
        wait_for_acks(burst, KILL_AFTER)
        server.kill()  # master and workers at once, mid-request
        killed["acked"] = set(burst.acked)
        killed["at"] = len(burst.acked)
        down = time.monotonic()
        server.start()  # same port, same database
        killed["restart"] = time.monotonic() - down

    burst = run_burst(lambda: server.port, token, posts_per_client=FAULT_POSTS, during=kill_and_restart)

    assert not burst.failures, burst.failures[:5]
    assert not [s for s in burst.statuses if s >= 500], burst.statuses
    assert set(burst.statuses) == {302}, burst.statuses
    stored = load_db.stored_keys(link_id)
    assert killed["acked"] <= set(stored)  # acknowledged before the kill: stored
    assert set(stored) == set(burst.acked)  # after retries, exactly what was acknowledged
    assert max(stored.values()) == 1  # nothing twice, retried posts included
    assert len(burst.acked) == CLIENTS * FAULT_POSTS
    assert len(burst.acked) > killed["at"]  # it answered again after the restart
    load_db.check_whole(link_id)
    load_db.integrity()
    assert "database is locked" not in server.log()
    print(f"\nserver kill: {killed['at']} acknowledged before it, {len(burst.retried)} posts re-sent, "
          f"restarted in {killed['restart']:.1f} s")
