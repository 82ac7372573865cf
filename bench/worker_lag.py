"""Worker lag (issue 13): a burst of respondent posts, then how long until every feature is current.

``feedback-app serve`` (gunicorn plus the one queue worker it starts, exactly as shipped)
on a throwaway database; ``--posts`` respondents (default 2,000) post the children v2
form with three free-text FFT comments each, from ``--clients`` threads. The clock
starts at the first post; the lag is the time from the last post's answer to the moment
no free-text answer is pending (no features, or stale ones). The baseline measured in
the same run is the burst's own duration (first post to last), so the ratio says how
far the worker trails the respondents.

    python bench/worker_lag.py                       # SQLite, 2,000 posts
    python bench/worker_lag.py --db postgresql       # BENCH_POSTGRES_URL as for the others

Target: every feature current within 60 s of the last post.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from submission_throughput import drive, fetch_forms  # noqa: E402

TEXT_KEYS = ("what_helped", "what_did_not_help", "what_could_be_better")


def pending_count(engine) -> tuple[int, int]:
    """(free-text answers stored, of those still without current features)."""
    from sqlalchemy import func, select

    from feedback_app.models import Answer, AnswerFeature

    with engine.connect() as connection:
        answers = connection.scalar(select(func.count()).select_from(Answer).where(Answer.question_key.in_(TEXT_KEYS)))
        missing = connection.scalar(
            select(func.count()).select_from(Answer)
            .outerjoin(AnswerFeature, AnswerFeature.answer_id == Answer.id)
            .where(Answer.question_key.in_(TEXT_KEYS), AnswerFeature.answer_id.is_(None)))
    return answers, missing


def watch(engine, samples: list, stop: threading.Event) -> None:
    while not stop.is_set():
        samples.append((time.perf_counter(), *pending_count(engine)))
        stop.wait(0.5)


def bench_database(kind: str, args) -> None:
    from feedback_app.db import make_engine

    texts = harness.fft_texts()
    rng = random.Random(13)
    with harness.throwaway_database(kind) as (url, folder):
        round_id = harness.prepare(url, folder)[0]
        token = harness.make_link(url, folder, round_id)
        port = harness.free_port()
        env = {"DATABASE_URL": url, "SECRET_KEY": harness.SECRET, "LOCAL_HELP_NUMBER": "01234 000111",
               "LINK_SUBMISSIONS_PER_MINUTE": "100000000", "QUEUE_NAME": f"bench-{uuid.uuid4().hex[:12]}"}
        command = [sys.executable, "-m", "feedback_app", "serve", "--port", str(port), "--workers", str(args.workers)]
        engine = make_engine(url)
        with harness.Subprocess(command, env, folder, port) as server:
            forms = fetch_forms(port, token, args.posts, args.clients)
            jobs = [(form, {key: rng.choice(texts) for key in TEXT_KEYS} | {"knew_about_cp_plan": "No"})
                    for form in forms]

            def post(pair) -> int:
                form, answers = pair
                body, headers = harness.form_body(form, answers)
                return harness.request(port, "POST", f"/r/{token}/questions", body, headers)[0]

            samples: list = []
            stop = threading.Event()
            watcher = threading.Thread(target=watch, args=(engine, samples, stop), daemon=True)
            started = time.perf_counter()
            watcher.start()
            burst = drive("burst", jobs, args.clients, post)
            last_post = time.perf_counter()
            at_last_post = pending_count(engine)
            deadline = last_post + args.timeout
            while time.perf_counter() < deadline and pending_count(engine)[1]:
                time.sleep(0.25)
            current = time.perf_counter()
            final = pending_count(engine)
            stop.set()
            watcher.join(timeout=5)
            log = server.log()
        engine.dispose()
    lag = current - last_post
    burst_seconds = last_post - started
    peak = max((missing for _t, _a, missing in samples), default=0)
    print("  " + burst.line())
    print(f"  at the last post: {at_last_post[0]:,} free-text answers, {at_last_post[1]:,} pending; "
          f"most pending at once: {peak:,}")
    if final[1]:
        print(f"  !! {final[1]:,} still pending {args.timeout} s after the last post")
    print(f"  every feature current {lag:.1f} s after the last post "
          f"({'meets' if lag <= 60 and not final[1] else 'MISSES'} the 60 s target); "
          f"lag / burst duration: {lag / burst_seconds:.2f}x (burst {burst_seconds:.1f} s)")
    for phrase in ("database is locked", "Traceback"):
        if phrase in log:
            print(f"  !! server log contains {phrase!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    harness.add_server_load_options(parser, db="sqlite", posts=2000, posts_help="Posts in the burst.")
    parser.add_argument("--timeout", type=float, default=300, help="Seconds to wait for the worker after the burst.")
    args = parser.parse_args()
    print(f"worker lag: {args.posts} posts, {args.workers} gunicorn workers, {args.clients} clients, "
          f"the one worker `serve` starts; {harness.machine()}")
    for kind in args.db.split(","):
        print(f"\n{kind}")
        bench_database(kind.strip(), args)
        print(f"  {harness.machine()}")


if __name__ == "__main__":
    main()
