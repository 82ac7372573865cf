"""Server time and peak memory of the analysis comparison page and of the report, by data size.

Data: one children v2 questionnaire with 8 rounds; N responses each answering the
free-text question ``what_helped`` (stored with its features: themes from the shipped
codebook with shares that drift across rounds, polarity, label, noun phrases, all
current so nothing is stale) and the closed question ``knew_about_cp_plan``. N is the
number of answers the comparison page ``/analysis/children/what_helped`` aggregates;
the report (``feedback_app.insights.report.build_report``) reads both questions (2N answers).
Rows are bulk-inserted, not posted; the texts are FFT comments.

Each measurement runs in a fresh subprocess (the same app a gunicorn worker builds):
server time of the page through the Flask test client as a signed-in analyst (first
request, then the median of 3 more) and of ``build_report`` (no word-cloud cache, then
with a warm cache); peak memory is the subprocess's ru_maxrss (imports included; the
baseline after start-up is printed too) and the tracemalloc peak of one call.

    python bench/comparison_page.py                      # 10k, 100k and 1M on SQLite
    python bench/comparison_page.py --sizes 10000,100000 --db postgresql
    python bench/comparison_page.py --sizes 100000 --profile

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
from datetime import datetime, timezone
from pathlib import Path

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


def grow(url: str, round_ids: list[int], start: int, stop: int) -> float:
    """Insert responses ``start``..``stop``-1 (ids are explicit) spread over the rounds; returns seconds."""
    from sqlalchemy import insert

    from analysis import ANALYSER_VERSION
    from analysis.codebook import load_codebook
    from feedback_app.db import make_engine
    from feedback_app.models import Answer, AnswerFeature, Response

    codebook = load_codebook()
    version_hash = codebook.version_hash()
    keys = codebook.keys
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
        for low in range(start, stop, CHUNK):
            high = min(low + CHUNK, stop)
            responses, answers, features = [], [], []
            for rid in range(low + 1, high + 1):
                r = rid % len(round_ids)
                responses.append({"id": rid, "round_id": round_ids[r], "agency": rng.choice(agencies),
                                  "source": "web", "submission_key": None, "submitted_at": when})
                text_id, closed_id = 2 * rid - 1, 2 * rid
                answers.append({"id": text_id, "response_id": rid, "question_key": TEXT_KEY,
                                "value": rng.choice(texts)})
                answers.append({"id": closed_id, "response_id": rid, "question_key": CLOSED_KEY,
                                "value": rng.choice(["Yes", "No", "I'm not sure"])})
                polarity = max(-1.0, min(1.0, rng.gauss(tone[r], 0.35)))
                label = "positive" if polarity > 0.1 else "negative" if polarity < -0.1 else "neutral"
                count = rng.choice((0, 1, 1, 1, 2, 2, 3))
                themes = sorted(set(rng.choices(keys, weights=weights[r], k=count)), key=keys.index)
                features.append({"answer_id": text_id, "analyser_version": ANALYSER_VERSION,
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


def measure(url: str, folder: Path, what: str, repeats: int, profile: bool) -> dict:
    """Time ``what`` (page or report) in this fresh process; peak memory and optional profile."""
    import tracemalloc

    from feedback_app.db import db
    from feedback_app.models import Role, StaffUser
    from feedback_app.insights.report import build_report
    from feedback_app.staff import create_user

    app = harness.make_app(url, folder, WTF_CSRF_ENABLED=False)
    with app.app_context():
        user = db.session.query(StaffUser).filter_by(email="analyst@example.org").one_or_none()
        user = user or create_user(db.session, "analyst@example.org", "correct horse battery staple", Role.ANALYST)
        user_id = user.id
    client = app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = user_id
    assert client.get("/analysis/").status_code == 200  # imports, templates, first connection
    cache = folder / f"clouds-{time.monotonic_ns()}"

    def page() -> None:
        response = client.get(f"/analysis/{SLUG}/{TEXT_KEY}")
        assert response.status_code == 200, response.status_code

    def report() -> None:
        with app.app_context():
            html = build_report(db.session, SLUG, min_count=5, cache_folder=cache)
        assert "<html" in html

    call = page if what == "page" else report
    baseline = harness.maxrss_mb()
    times = []
    for _ in range(1 + repeats):
        started = time.perf_counter()
        call()
        times.append(1000 * (time.perf_counter() - started))
    peak = harness.maxrss_mb()
    tracemalloc.start()
    call()
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    result = {"first_ms": times[0], "warm_ms": statistics.median(times[1:]), "baseline_mb": baseline,
              "maxrss_mb": peak, "traced_peak_mb": traced_peak}
    if profile:
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(call)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(r"feedback_app|analysis/|pandas/core/(frame|groupby)|"
                                                   r"sqlalchemy/engine/result|matplotlib|wordcloud|jinja2/environment", 30)
        stats.sort_stats("tottime").print_stats(15)
        result["profile"] = out.getvalue()
    return result


def run_measure(url: str, folder: Path, what: str, repeats: int, profile: bool) -> dict:
    command = [sys.executable, __file__, "--measure", what, "--url", url, "--folder", str(folder),
               "--repeats", str(repeats)] + (["--profile"] if profile else [])
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600, cwd=harness.ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"measuring {what} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="Answers to the compared question.")
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--repeats", type=int, default=3, help="Warm calls after the first.")
    parser.add_argument("--skip-report-above", type=int, default=100000,
                        help="Sizes above this measure the page only.")
    parser.add_argument("--profile", action="store_true", help="Print a cProfile of one warm call per size.")
    parser.add_argument("--measure", choices=["page", "report"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        result = measure(args.url, Path(args.folder), args.measure, args.repeats, args.profile)
        print(json.dumps(result))
        return

    sizes = sorted(int(s) for s in args.sizes.split(","))
    print(f"comparison page and report, {ROUNDS} rounds, {args.db}; {harness.machine()}")
    rows = []
    with harness.throwaway_database(args.db) as (url, folder):
        round_ids = harness.prepare(url, folder, rounds=ROUNDS)
        have = 0
        for size in sizes:
            took = grow(url, round_ids, have, size)
            print(f"\n{size:,} answers to {TEXT_KEY} ({2 * size:,} answer rows): inserted {size - have:,} "
                  f"responses in {took:.1f} s")
            have = size
            for what in ("page", "report"):
                if what == "report" and size > args.skip_report_above:
                    continue
                result = run_measure(url, folder, what, args.repeats, args.profile)
                ok = result["warm_ms"] < TIME_TARGET_MS and result["maxrss_mb"] < MEMORY_TARGET_MB
                print(f"  {what:<6} first {result['first_ms']:8.0f} ms  warm {result['warm_ms']:8.0f} ms  "
                      f"maxrss {result['maxrss_mb']:6.0f} MB (after start-up {result['baseline_mb']:.0f} MB)  "
                      f"tracemalloc peak {result['traced_peak_mb']:6.1f} MB  "
                      f"{'meets' if ok else 'MISSES'} {TIME_TARGET_MS} ms / {MEMORY_TARGET_MB} MB")
                if result.get("profile"):
                    print(result["profile"])
                rows.append((size, what, result))
    print("\ngrowth (warm time):")
    for what in ("page", "report"):
        points = [(size, r["warm_ms"]) for size, w, r in rows if w == what]
        for (n1, t1), (n2, t2) in zip(points, points[1:]):
            exponent = math.log(t2 / t1) / math.log(n2 / n1)
            print(f"  {what:<6} {n1:>9,} -> {n2:>9,} answers: x{t2 / t1:.1f} time (~ n^{exponent:.2f})")
    print(f"\n{harness.machine()}")


if __name__ == "__main__":
    main()
