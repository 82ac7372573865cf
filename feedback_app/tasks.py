"""The task queue (issue 13): text features computed off the respondent's request path.

Huey runs the tasks: ``SqliteHuey`` in a file of the instance folder by default (no other
service to run), ``RedisHuey`` when ``REDIS_URL`` is set (several hosts). Huey delivers a
task at most once, so the database stays the truth: a free-text answer whose features are
missing or stale is *pending*, every task only analyses what is still pending, and a
periodic sweep analyses whatever a lost task (a killed worker, a full disk) left behind.
A lost task only delays.

Screening for possible disclosures stays in the request (``submission.derive_text_features``);
the junk-burst check, sentiment, themes, phrases and embeddings are computed by
``feedback-app worker`` when ``ANALYSE_IN_BACKGROUND`` is on. A codebook edit of any size queues a sweep, whose
progress the codebook page shows (:func:`reanalysis_line`).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.exceptions import TaskLockedException

from .bursts import check_submission, unchecked_responses
from .db import db
from .tallies import advance_analysed_mark, analysed_mark, ensure_tallies
from .text_analysis import analyse_stale_in_batches, current_codebook, stale_answer_count

log = logging.getLogger(__name__)

QUEUE_FILE = "queue.sqlite3"
EXTENSION = "feedback_queue"
#: answers analysed and written in one transaction by the sweep
BATCH_SIZE = 500
#: the key under which the sweep records its progress in the queue's own storage
PROGRESS_KEY = "reanalysis-progress"
SWEEP_LOCK = "sweep"
#: rounds of "find the stale answers, analyse them" one sweep makes (a codebook saved
#: while it runs makes more stale); a bound, so an answer that cannot be analysed never loops
SWEEP_ROUNDS = 3


def queue_name(config: dict) -> str:
    """``QUEUE_NAME``, else one derived from ``DATABASE_URL``: apps on different databases
    that share a Redis server or an instance folder never take each other's tasks."""
    if config.get("QUEUE_NAME"):
        return str(config["QUEUE_NAME"])
    return "feedback-" + hashlib.sha256(str(config.get("DATABASE_URL")).encode("utf-8")).hexdigest()[:16]


def make_huey(config: dict, instance_path: str) -> Huey:
    """The Huey instance ``config`` asks for: Redis at ``REDIS_URL``, else SQLite in the instance folder."""
    options = {"results": False, "immediate": bool(config.get("QUEUE_IMMEDIATE")), "utc": True}
    if config.get("REDIS_URL"):
        return RedisHuey(queue_name(config), url=config["REDIS_URL"], **options)
    os.makedirs(instance_path, exist_ok=True)
    # fsync off: a task lost to a power cut only delays (the sweep finds its answers pending), and
    # queueing costs 0.1 ms instead of 5 ms of a respondent's request.
    return SqliteHuey(queue_name(config), filename=os.path.join(instance_path, QUEUE_FILE), fsync=False, **options)


# ---------------------------------------------------------------- the work


def features_of_responses(response_ids: list[int]) -> int:
    """Check ``response_ids`` for junk bursts, then compute and store the missing or stale
    features of their free-text answers (commits); returns how many answers were analysed.
    Screening is not repeated: it ran in the request.

    Bursts come first: a response whose features are stored has had its burst check, which
    is how the sweep (:func:`check_unchecked_bursts`) finds checks a lost task skipped.
    """
    for response_id in response_ids:
        check_submission(response_id)
    return analyse_stale_in_batches(db.session, response_ids=response_ids).analysed


def check_unchecked_bursts() -> int:
    """Run the burst check of every recent response a lost task may have skipped
    (``bursts.unchecked_responses``); returns how many were checked."""
    response_ids = unchecked_responses(db.session)
    db.session.commit()  # end the read transaction: each check is its own short write
    for response_id in response_ids:
        check_submission(response_id)
    return len(response_ids)


# ---------------------------------------------------------------- the tasks


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def sweep(huey: Huey, batch_size: int = BATCH_SIZE) -> int:
    """Analyse every pending answer in batches, recording progress in the queue's storage.

    One sweep runs at a time (a queue lock); a sweep that finds another running returns 0
    at once. A codebook saved while it runs makes more answers stale, so it looks again, up
    to ``SWEEP_ROUNDS`` times. Returns the number of answers analysed.
    """
    try:
        with huey.lock_task(SWEEP_LOCK):
            check_unchecked_bursts()  # before their features, which mark them checked
            ensure_tallies(db.session, current_codebook(db.session)[0])  # issue 13 item 2: built, under its merges
            advance_analysed_mark(db.session)  # issue 13: the stale counts below look above the mark only
            progress = {"done": 0, "total": 0, "version": None, "started": _now(), "finished": None}

            def advance(analysed: int) -> None:
                progress["done"] += analysed
                huey.put(PROGRESS_KEY, dict(progress))

            for _round in range(SWEEP_ROUNDS):
                stale = stale_answer_count(db.session, analysed_below=analysed_mark(db.session))
                saved = current_codebook(db.session)[1]
                db.session.commit()  # end the read transaction before the long computation
                if not stale:
                    break
                progress.update(total=progress["done"] + stale, version=saved.version if saved else None)
                huey.put(PROGRESS_KEY, dict(progress))
                analyse_stale_in_batches(db.session, batch_size=batch_size, progress=advance)
            if progress["total"]:
                huey.put(PROGRESS_KEY, dict(progress, finished=_now()))
            return progress["done"]
    except TaskLockedException:
        return 0


@dataclass
class TaskQueue:
    """One app's queue: its Huey instance and the tasks registered on it."""

    huey: Huey
    #: task: the features of the free-text answers of some responses
    analyse_responses: Any
    #: task: every pending answer, in batches, with progress (also run periodically)
    sweep: Any


def _in_app_context(app: Flask, function: Callable) -> Callable:
    @functools.wraps(function)
    def run(*args, **kwargs):
        with app.app_context():
            return function(*args, **kwargs)

    return run


def _build(app: Flask) -> TaskQueue:
    huey = make_huey(app.config, app.instance_path)

    @huey.on_startup()
    def _fresh_connections() -> None:  # a forked worker process must not share pooled connections
        app.extensions["feedback_db"].engine.dispose(close=False)

    def sweep_now() -> int:
        return sweep(huey)

    minutes = max(1, min(59, int(app.config.get("QUEUE_SWEEP_MINUTES") or 1)))
    huey.periodic_task(crontab(minute=f"*/{minutes}"), name="periodic_sweep")(_in_app_context(app, sweep_now))
    return TaskQueue(
        huey=huey,
        analyse_responses=huey.task(name="analyse_responses")(_in_app_context(app, features_of_responses)),
        sweep=huey.task(name="sweep")(_in_app_context(app, sweep_now)),
    )


_build_lock = threading.Lock()


def task_queue(app: Flask | None = None) -> TaskQueue:
    """The task queue of ``app`` (default: the current app), built on first use."""
    if app is None or app is current_app:  # the proxy, unwrapped: tasks run outside any context
        app = current_app._get_current_object()  # noqa: SLF001 - Flask's documented way
    queue = app.extensions.get(EXTENSION)
    if queue is None:
        with _build_lock:
            queue = app.extensions.get(EXTENSION)
            if queue is None:
                queue = app.extensions[EXTENSION] = _build(app)
    return queue


# ---------------------------------------------------------------- what the app calls


def in_background() -> bool:
    """Whether text features of new answers are left to the queue's worker."""
    return bool(current_app.config.get("ANALYSE_IN_BACKGROUND"))


def _enqueue(what: str, call: Callable[[], Any]) -> None:
    try:
        call()
    except Exception:  # noqa: BLE001 - the database keeps the work: the sweep does it later
        log.exception("could not queue %s; the periodic sweep will do it", what)


def after_submission(response_id: int) -> None:
    """What follows a just-stored response, after its commit: the burst check
    (``feedback_app/bursts.py``) and its text features.

    With ``ANALYSE_IN_BACKGROUND`` both are one task for the queue's worker; a queue that
    cannot take it (a full disk, Redis down) is logged, not raised: the answers stay pending
    and the sweep does both. Without it the features were computed in the request and the
    burst check runs here.
    """
    if in_background():
        _enqueue(f"response {response_id}", lambda: task_queue().analyse_responses([response_id]))
    else:
        check_submission(response_id)


def reanalyse_in_background() -> str:
    """Queue a sweep after a codebook edit; returns what to tell the analyst."""
    queue = task_queue()
    _enqueue("the re-analysis", queue.sweep)
    if queue.huey.immediate:
        progress = reanalysis_progress()
        done = progress["done"] if progress else 0
        return f"{done} answers were re-analysed with it." if done else "No answers needed re-analysing."
    return "The stored answers are being re-analysed in the background; this page shows how far it has got."


def reanalysis_progress() -> dict | None:
    """The newest sweep's progress (done, total, codebook version, started, finished), or None."""
    try:
        return task_queue().huey.get(PROGRESS_KEY, peek=True)
    except Exception:  # noqa: BLE001 - a queue that cannot be read shows no progress line
        log.exception("could not read the re-analysis progress")
        return None


def reanalysis_line(stale: int) -> str | None:
    """The codebook page's progress line, or None when there is nothing to say.

    ``stale`` is how many stored answers are still analysed with another codebook version.
    """
    progress = reanalysis_progress()
    if not progress or not progress.get("total"):
        return None
    version = f" with codebook version {progress['version']}" if progress.get("version") else ""
    if progress.get("finished") and not stale:
        return (f"Re-analysis{version} finished: {progress['done']:,} answers analysed "
                f"(finished {progress['finished'][:16].replace('T', ' ')} UTC).")
    if progress.get("finished"):
        return None  # stale answers and no sweep running: the page's own notice says so
    share = 100 * progress["done"] // max(progress["total"], 1)
    return (f"Re-analysing in the background{version}: {progress['done']:,} of "
            f"{progress['total']:,} answers done ({share}%).")
