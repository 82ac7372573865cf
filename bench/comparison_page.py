"""Server time and peak memory of the analysis comparison page and of the report, by data size.

Data: one children v2 questionnaire with 8 rounds; N responses each answering the
free-text question ``what_helped`` (stored with its features: themes from the shipped
codebook with shares that drift across rounds, polarity, label, noun phrases, all
current so nothing is stale) and the closed question ``knew_about_cp_plan``. N is the
number of answers the comparison page ``/analysis/children/what_helped`` aggregates;
the report (``feedback_app.insights.report.build_report``) reads both questions (2N answers).
Rows are bulk-inserted, not posted; the texts are FFT comments.

Each measurement runs in a fresh subprocess (the same app a gunicorn worker builds),
signed in through the login form: server time of the page through the Flask test client
(the first request, the median of the warm ones, then the median "cold" request right
after one new analysed answer, which changes the page cache's key) and of
``build_report`` (``--report``); peak memory is the subprocess's ru_maxrss after the warm
calls and after the cold ones (imports included; the start-up figure is printed too) and
the tracemalloc peak of one warm call. Ratios are against a bare ``SELECT count(*) FROM
answers`` timed in the same process, and against the smallest size's warm time.

Issue 13 item 2: the page reads the tallies kept with the features. Bulk-inserted rows
pass by the writers that keep them, so after each size the tallies are rebuilt (in a
subprocess, timed and printed, as ``feedback-app rebuild-tallies`` would); the new answer
of a cold measurement has its features written through ``text_analysis.write_features``,
which updates the tallies in the same transaction, as the worker does. ``--rows`` leaves
the tallies unbuilt, so the page reads every answer as it did before.

Data is bulk-inserted rather than made with ``feedback-app demo --scale N``: the demo
spreads N responses over every questionnaire and analyses each distinct text, so it
takes minutes per 100k and gives no exact count of answers to one question over 8 rounds.

    python bench/comparison_page.py                      # 10k and 100k on SQLite
    python bench/comparison_page.py --sizes 10000,100000,1000000 --db postgresql --report
    python bench/comparison_page.py --sizes 100000 --profile
    python bench/comparison_page.py --closed             # the closed question's page too (counted in SQL)
    python bench/comparison_page.py --rows                # the same, every answer read (before the tallies)
    python bench/comparison_page.py --sizes 1000000 --keep /tmp/bench-1m --profile   # build once, reuse after

``--keep FOLDER`` (SQLite) keeps the database in FOLDER after the run and, when FOLDER
already holds one, reuses it (migrated to the current head, its tallies rebuilt), growing
it only up to the largest size asked for: a profile at 1M need not rebuild 1M rows.

Target: under 300 ms and under 400 MB.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

ROUNDS = 8
SLUG, TEXT_KEY, CLOSED_KEY = "children", "what_helped", "knew_about_cp_plan"
TIME_TARGET_MS, MEMORY_TARGET_MB = 300, 400
CHUNK = 20000


# ---------------------------------------------------------------- data


def _phrase_vocabulary(texts: list[str], codebook) -> list[str]:
    from analysis.noun_phrases import noun_phrases

    rng = random.Random(1)
    phrases: set[str] = set()
    for text in rng.sample(texts, min(400, len(texts))):
        phrases.update(noun_phrases(text))
    return sorted(phrases) or ["social worker", "school nurse", "family support"]


def current_analyser(url: str) -> str:
    """The analyser version features get now (it names the sentiment model in use: the
    shipped one unless a trained one is), so that the bulk-inserted features are current,
    as the worker leaves them, not all stale."""
    from sqlalchemy.orm import Session

    from feedback_app.coding.models_store import analyser_version
    from feedback_app.db import make_engine
    from feedback_app.text_analysis import sentiment_model

    engine = make_engine(url)
    try:
        with Session(bind=engine) as session:
            return analyser_version(sentiment_model(session)[0])
    finally:
        engine.dispose()


def grow(url: str, round_ids: list[int], start: int, stop: int) -> float:
    """Insert responses ``start``..``stop``-1 (ids are explicit) spread over the rounds; returns seconds."""
    from sqlalchemy import insert

    from analysis.codebook import load_codebook
    from feedback_app.db import make_engine
    from feedback_app.models import Answer, AnswerFeature, Response

    codebook = load_codebook()
    version_hash = codebook.version_hash()
    keys = codebook.keys
    analyser = current_analyser(url)
    texts = harness.fft_texts()
    phrases = _phrase_vocabulary(texts, codebook)
    rng = random.Random(start)
    # Each round has its own theme weights and mean tone, so there is something to compare.
    weights = [[rng.random() ** 3 for _ in keys] for _ in round_ids]
    tone = [rng.uniform(-0.2, 0.3) for _ in round_ids]
    agencies = ["Police", "Schools", "Health", "Children's social care", None]
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    engine = make_engine(url)
    began = time.perf_counter()
    try:
        with engine.connect() as connection:  # after the answers a cold measurement added
            from sqlalchemy import func, select

            response_base = (connection.scalar(select(func.max(Response.id))) or 0) - start
            answer_base = (connection.scalar(select(func.max(Answer.id))) or 0) - 2 * start
        for low in range(start, stop, CHUNK):
            high = min(low + CHUNK, stop)
            responses, answers, features = [], [], []
            for n in range(low + 1, high + 1):
                r, rid = n % len(round_ids), response_base + n
                responses.append({"id": rid, "round_id": round_ids[r], "agency": rng.choice(agencies),
                                  "source": "web", "submission_key": None, "submitted_at": when})
                text_id, closed_id = answer_base + 2 * n - 1, answer_base + 2 * n
                answers.append({"id": text_id, "response_id": rid, "question_key": TEXT_KEY,
                                "value": rng.choice(texts)})
                answers.append({"id": closed_id, "response_id": rid, "question_key": CLOSED_KEY,
                                "value": rng.choice(["Yes", "No", "I'm not sure"])})
                polarity = max(-1.0, min(1.0, rng.gauss(tone[r], 0.35)))
                label = "positive" if polarity > 0.1 else "negative" if polarity < -0.1 else "neutral"
                count = rng.choice((0, 1, 1, 1, 2, 2, 3))
                themes = sorted(set(rng.choices(keys, weights=weights[r], k=count)), key=keys.index)
                features.append({"answer_id": text_id, "analyser_version": analyser,
                                 "codebook_hash": version_hash, "polarity": polarity,
                                 "subjectivity": rng.random(), "label": label, "themes": themes,
                                 "noun_phrases": rng.sample(phrases, rng.choice((0, 1, 2, 3))),
                                 "computed_at": when})
            with engine.begin() as connection:
                connection.execute(insert(Response), responses)
                connection.execute(insert(Answer), answers)
                connection.execute(insert(AnswerFeature), features)
        if engine.dialect.name == "postgresql":
            from sqlalchemy import text

            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ANALYZE"))
                for table in ("responses", "answers"):  # explicit ids leave the sequences behind
                    connection.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
        else:
            with engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    return time.perf_counter() - began


# ---------------------------------------------------------------- measuring (in a subprocess)


def sign_in(app, client) -> None:
    """Sign ``client`` in as an analyst through the login form (a bare ``user_id`` in the
    session cookie is refused: it needs the session version and start time too)."""
    from feedback_app.db import db
    from feedback_app.models import Role, StaffUser
    from feedback_app.staff import create_user

    email, password = "analyst@example.org", "correct horse battery staple"
    with app.app_context():
        if db.session.query(StaffUser).filter_by(email=email).one_or_none() is None:
            create_user(db.session, email, password, Role.ANALYST)
    response = client.post("/auth/login", data={"email": email, "password": password})
    assert response.status_code == 302, f"sign-in failed: {response.status_code}"
    response = client.get("/analysis/")
    assert response.status_code == 200, f"/analysis/ answered {response.status_code}"


def add_one_answer(url: str) -> None:
    """One more analysed response in the newest round, its features written as the worker
    writes them (``text_analysis.write_features``, which keeps the tallies in the same
    transaction)."""
    from sqlalchemy import func, insert, select
    from sqlalchemy.orm import Session

    from analysis.codebook import load_codebook
    from analysis.features import TextFeatures
    from feedback_app.db import make_engine
    from feedback_app.models import Answer, Response
    from feedback_app.text_analysis import write_features

    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            rid = connection.scalar(select(func.max(Response.id))) + 1
            round_id = connection.scalar(select(Response.round_id).order_by(Response.id.desc()).limit(1))
            aid = connection.scalar(select(func.max(Answer.id))) + 1
            now = datetime.now(timezone.utc)
            connection.execute(insert(Response), [{"id": rid, "round_id": round_id, "agency": "Police",
                                                   "source": "web", "submission_key": None, "submitted_at": now}])
            connection.execute(insert(Answer), [{"id": aid, "response_id": rid, "question_key": TEXT_KEY,
                                                 "value": "My social worker listened to me"}])
        with Session(bind=engine) as session:
            write_features(session, [(aid, TextFeatures(0.3, 0.5, "positive", [], ["social worker"],
                                                        analyser_version=current_analyser(url),
                                                        codebook_hash=load_codebook().version_hash()))])
    finally:
        engine.dispose()


def rebuild(url: str, folder: Path, rows: bool) -> float:
    """Count the tallies from the bulk-inserted answers (as ``feedback-app rebuild-tallies``
    does; rows inserted in bulk pass by the writers that keep them), or with ``rows`` mark
    them not built (the pages then read every answer). Returns seconds."""
    from sqlalchemy import update

    from feedback_app.db import db
    from feedback_app.models import TallyState
    from feedback_app.tallies import advance_analysed_mark, rebuild_tallies
    from feedback_app.text_analysis import current_codebook

    app = harness.make_app(url, folder)
    began = time.perf_counter()
    try:
        with app.app_context():
            if rows:
                db.session.execute(update(TallyState).values(built_at=None))
                db.session.commit()
            else:
                rebuild_tallies(db.session, current_codebook(db.session)[0])
                # The worker's next sweep moves the analysed mark again: on PostgreSQL the
                # rebuild's own advance only proposes it (answer ids may commit out of order).
                advance_analysed_mark(db.session)
    finally:
        app.extensions["feedback_db"].engine.dispose()
    return time.perf_counter() - began


def count_baseline_ms(url: str, repeats: int) -> float:
    """Median time of a bare ``SELECT count(*) FROM answers`` on the app's engine."""
    from sqlalchemy import text

    from feedback_app.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            times = []
            for _ in range(1 + repeats):
                started = time.perf_counter()
                connection.execute(text("SELECT count(*) FROM answers")).scalar()
                times.append(1000 * (time.perf_counter() - started))
    finally:
        engine.dispose()
    return statistics.median(times[1:])


def measure(url: str, folder: Path, what: str, repeats: int, profile: bool) -> dict:
    """Time ``what`` (page or report) in this fresh process: the first call, warm calls, then
    one call after a new analysed answer (cold); peak memory and optional profile."""
    import tracemalloc

    from feedback_app.db import db
    from feedback_app.insights.report import build_report

    app = harness.make_app(url, folder, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    sign_in(app, client)  # imports, templates, first connection
    cache = folder / f"clouds-{time.monotonic_ns()}"

    def page(key: str = TEXT_KEY) -> None:
        response = client.get(f"/analysis/{SLUG}/{key}")
        assert response.status_code == 200, response.status_code

    def closed() -> None:
        page(CLOSED_KEY)

    def report() -> None:
        with app.app_context():
            html = build_report(db.session, SLUG, min_count=5, cache_folder=cache)
        assert "<html" in html

    def timed() -> float:
        started = time.perf_counter()
        call()
        return 1000 * (time.perf_counter() - started)

    call = {"page": page, "closed": closed, "report": report}[what]
    baseline = harness.maxrss_mb()
    first = timed()
    warm = [timed() for _ in range(repeats)]
    warm_peak = harness.maxrss_mb()
    tracemalloc.start()
    call()
    traced_warm = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    cold = []
    for _ in range(max(1, repeats // 3)):
        add_one_answer(url)
        cold.append(timed())
    result = {"first_ms": first, "warm_ms": statistics.median(warm), "cold_ms": statistics.median(cold),
              "count_ms": count_baseline_ms(url, repeats), "baseline_mb": baseline, "warm_maxrss_mb": warm_peak,
              "maxrss_mb": harness.maxrss_mb(), "traced_warm_mb": traced_warm}
    if profile:
        import cProfile
        import io
        import pstats

        out = io.StringIO()
        for kind in ("cold", "warm"):
            if kind == "cold":
                add_one_answer(url)  # a warm page is cached: profile a cold one, then the same page warm
            profiler = cProfile.Profile()
            profiler.runcall(call)
            out.write(f"\n---- profile of one {kind} call\n")
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(r"feedback_app|analysis/|pandas/core/(frame|groupby)|"
                                                       r"sqlalchemy/engine/(result|base)|matplotlib|wordcloud|"
                                                       r"jinja2/environment", 30)
            stats.sort_stats("tottime").print_stats(15)
        result["profile"] = out.getvalue()
    return result


def run_rebuild(url: str, folder: Path, rows: bool) -> float:
    """:func:`rebuild` in a subprocess (so that its memory is not this process's, which the
    measuring subprocesses would inherit in their peak RSS figure)."""
    command = [sys.executable, __file__, "--rebuild", "--url", url, "--folder", str(folder)] + (["--rows"] if rows else [])
    done = subprocess.run(command, capture_output=True, text=True, timeout=7200, cwd=harness.ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"rebuilding the tallies failed:\n{done.stderr[-3000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def run_measure(url: str, folder: Path, what: str, repeats: int, profile: bool) -> dict:
    command = [sys.executable, __file__, "--measure", what, "--url", url, "--folder", str(folder),
               "--repeats", str(repeats)] + (["--profile"] if profile else [])
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600, cwd=harness.ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"measuring {what} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report_line(what: str, result: dict, first_warm: float | None) -> str:
    """One size's figures, with ratios against this run's baselines (a bare count of the
    answers at this size, and the warm time at the smallest size)."""
    count = max(result["count_ms"], 0.01)
    ok = (result["warm_ms"] < TIME_TARGET_MS and result["cold_ms"] < 1000
          and result["maxrss_mb"] < MEMORY_TARGET_MB)
    growth = f"  warm x{result['warm_ms'] / first_warm:.2f} of the smallest size's" if first_warm else ""
    return (f"  {what:<6} first {result['first_ms']:7.0f} ms  warm {result['warm_ms']:7.1f} ms  "
            f"cold after a new answer {result['cold_ms']:7.0f} ms  | bare count(*) {result['count_ms']:.1f} ms: "
            f"warm x{result['warm_ms'] / count:.1f}, cold x{result['cold_ms'] / count:.1f}{growth}\n"
            f"         maxrss warm {result['warm_maxrss_mb']:4.0f} MB, after cold {result['maxrss_mb']:4.0f} MB "
            f"(start-up {result['baseline_mb']:.0f} MB; x{result['maxrss_mb'] / result['baseline_mb']:.2f} of it)  "
            f"tracemalloc peak of a warm call {result['traced_warm_mb']:.1f} MB  "
            f"{'meets' if ok else 'MISSES'} {TIME_TARGET_MS} ms warm / 1 s cold / {MEMORY_TARGET_MB} MB")


STATE_FILE = "bench-state.json"


def migrate_only(url: str, folder: Path) -> None:
    """Bring a kept database to the current migration head."""
    from feedback_app import migrate
    from feedback_app.db import db

    app = harness.make_app(url, folder)
    try:
        with app.app_context():
            migrate.upgrade(db.engine)
    finally:
        app.extensions["feedback_db"].engine.dispose()


def _save_state(folder: Path, state: dict) -> None:
    (folder / STATE_FILE).write_text(json.dumps(state))


@contextmanager
def _database(args) -> Iterator[tuple[str, Path, dict]]:
    """The database to measure: a throwaway one, or with ``--keep`` the kept one (made when
    absent, migrated to the head when present), with its state (round ids, answers grown)."""
    if not args.keep:
        with harness.throwaway_database(args.db) as (url, folder):
            yield url, folder, {"round_ids": harness.prepare(url, folder, rounds=ROUNDS), "have": 0}
        return
    if args.db != "sqlite":
        raise SystemExit("--keep works with --db sqlite only")
    folder = Path(args.keep).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    if (folder / STATE_FILE).exists():
        state = json.loads((folder / STATE_FILE).read_text())
        migrate_only(url, folder)
        print(f"reusing {folder} ({state['have']:,} answers)")
    else:
        state = {"round_ids": harness.prepare(url, folder, rounds=ROUNDS), "have": 0}
        _save_state(folder, state)
    yield url, folder, state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="Answers to the compared question (1000000 takes ~10 min).")
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--repeats", type=int, default=6, help="Warm calls after the first (cold: a third as many).")
    parser.add_argument("--report", action="store_true", help="Measure the report too (sizes up to --skip-report-above).")
    parser.add_argument("--skip-report-above", type=int, default=100000,
                        help="Sizes above this measure the page only.")
    parser.add_argument("--profile", action="store_true", help="Print a cProfile of one cold call per size.")
    parser.add_argument("--rows", action="store_true",
                        help="Leave the tallies unbuilt: the page reads every answer, as before issue 13 item 2.")
    parser.add_argument("--keep", metavar="FOLDER",
                        help="SQLite: keep the database in FOLDER, and reuse the one there (see above).")
    parser.add_argument("--closed", action="store_true",
                        help=f"Measure the closed question's page ({CLOSED_KEY}) too.")
    parser.add_argument("--measure", choices=["page", "closed", "report"], help=argparse.SUPPRESS)
    parser.add_argument("--rebuild", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rebuild:
        print(rebuild(args.url, Path(args.folder), args.rows))
        return
    if args.measure:
        result = measure(args.url, Path(args.folder), args.measure, args.repeats, args.profile)
        print(json.dumps(result))
        return

    sizes = sorted(int(s) for s in args.sizes.split(","))
    kinds = ("page",) + (("closed",) if args.closed else ()) + (("report",) if args.report else ())
    print(f"comparison page{' and report' if args.report else ''}, {ROUNDS} rounds, {args.db}, "
          f"{'every answer read (--rows)' if args.rows else 'from the tallies'}; {harness.machine()}")
    rows = []
    with _database(args) as (url, folder, state):
        round_ids, have = state["round_ids"], state["have"]
        for size in sizes:
            if size < have:
                print(f"\n{size:,}: skipped (the kept database already has {have:,} answers)")
                continue
            took = grow(url, round_ids, have, size)
            state["have"] = size
            _save_state(folder, state)
            counted = run_rebuild(url, folder, args.rows)
            print(f"\n{size:,} answers to {TEXT_KEY} ({2 * size:,} answer rows): inserted {size - have:,} "
                  f"responses in {took:.1f} s" + (f", tallies rebuilt in {counted:.1f} s" if not args.rows else ""))
            have = size
            for what in kinds:
                if what == "report" and size > args.skip_report_above:
                    continue
                result = run_measure(url, folder, what, args.repeats, args.profile)
                smallest = next((r["warm_ms"] for _n, w, r in rows if w == what), None)
                print(report_line(what, result, smallest))
                if result.get("profile"):
                    print(result["profile"])
                rows.append((size, what, result))
    print("\ngrowth:")
    for what in kinds:
        for measure_name in ("warm_ms", "cold_ms"):
            points = [(size, r[measure_name]) for size, w, r in rows if w == what]
            for (n1, t1), (n2, t2) in zip(points, points[1:]):
                exponent = math.log(t2 / t1) / math.log(n2 / n1)
                print(f"  {what:<6} {measure_name[:4]} {n1:>9,} -> {n2:>9,} answers: x{t2 / t1:.2f} time "
                      f"(~ n^{exponent:.2f})")
    print(f"\n{harness.machine()}")


if __name__ == "__main__":
    main()
