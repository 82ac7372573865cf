"""``feedback-app worker``: the task queue's consumer, and the one ``serve`` starts beside gunicorn."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess  # nosec B404: starts this app's own worker command, no shell
import sys
import threading
import time
from typing import Iterator

import click
from flask import current_app, has_app_context
from flask.cli import with_appcontext

from ..tasks import SWEEP_LOCK, task_queue

#: seconds between a worker's checks that the ``serve`` that started it is still there
PARENT_CHECK_SECONDS = 2.0


def _stop_when_parent_goes(parent: int) -> None:
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)  # the consumer's own graceful stop

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


@click.command("worker")
@click.option("--workers", default=1, show_default=True, type=int,
              help="Tasks run at once (more than 1: one process each, for several cores).")
@click.option("--parent", type=int, hidden=True, help="Stop when this process (serve) is gone.")
@with_appcontext
def worker_command(workers: int, parent: int | None) -> None:
    """Run the task queue: text features of new answers, codebook re-analysis, and a
    periodic sweep of answers whose features are missing or stale. Stops on Ctrl+C.

    Several workers, on one host or many (with REDIS_URL), may run at once. Each starts
    with a sweep, so work a stopped worker left is picked up at once.
    """
    if workers < 1:
        raise click.BadParameter("must be at least 1", param_hint="--workers")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(name)s: %(message)s")
    queue = task_queue(current_app)
    if queue.huey.immediate:
        raise click.ClickException("QUEUE_IMMEDIATE is on: tasks run where they are queued, there is nothing to consume.")
    if parent:
        _stop_when_parent_goes(parent)
    queue.sweep()  # catch up with what was pending when the last worker stopped
    click.echo(f"Worker consuming {type(queue.huey).__name__} with {workers} "
               f"{'processes' if workers > 1 else 'thread'} (Ctrl+C stops).")
    sys.stdout.flush()
    consumer = queue.huey.create_consumer(
        workers=workers, worker_type="process" if workers > 1 else "thread", periodic=True,
        initial_delay=0.05, backoff=1.5, max_delay=1.0, extra_locks=SWEEP_LOCK, check_worker_health=True,
    )
    consumer.run()


@contextlib.contextmanager
def worker_beside_server() -> Iterator[subprocess.Popen | None]:
    """Run ``feedback-app worker`` in a child process while the block runs (``serve``).

    Nothing is started outside an app context or when ``SERVE_STARTS_WORKER`` is off
    (workers run on their own, e.g. on other hosts). The worker stops when the block ends
    and, should ``serve`` be killed outright, by itself within seconds.
    """
    if not has_app_context() or not current_app.config.get("SERVE_STARTS_WORKER") \
            or current_app.config.get("QUEUE_IMMEDIATE"):
        yield None
        return
    process = subprocess.Popen(  # nosec B603: a fixed argument list, no shell, nothing from input
        [sys.executable, "-m", "feedback_app", "worker", "--parent", str(os.getpid())])
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


COMMANDS = (worker_command,)
