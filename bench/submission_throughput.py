"""Throughput and latency of the real respondent POST against a bare insert on the same server.

One gunicorn server (the same options as ``feedback-app serve``: sync workers, warm-up
in every worker) serves an app built by ``create_app()`` with one extra route added
here, ``POST /bench/bare``, which inserts one row into ``responses`` in one write
transaction (``db.write_session()``, i.e. BEGIN IMMEDIATE on SQLite) and answers 204.
The route exists only in this script, never in the product.

The real POST is what a respondent sends: the children v2 form with three free-text
answers (FFT comments) and two choices, CSRF token and submission key taken from a
form fetched beforehand (the GETs are not timed). Clients are threads in this process
on the same machine, so both sides pay the same client overhead.

    python bench/submission_throughput.py                 # SQLite and PostgreSQL
    python bench/submission_throughput.py --db sqlite --posts 600

Target: real >= 0.5 x bare throughput.

Issue 13: text features are the queue worker's (``ANALYSE_IN_BACKGROUND``, on by default);
the request screens and queues. ``--inline`` measures features computed in the request
as before; ``--worker`` runs ``feedback-app worker`` beside the server throughout, as
``serve`` does, so the worker's analysis competes for the same cores.

Measured 2026-11-29 (round 2, 2 cores shared with other work; main and this branch run back
to back at load ~4): the post is one write transaction now (throttle count, response, flags),
the burst check is the worker's, and SQLite connections are pooled. Real posts/s main ->
branch: SQLite 59 -> 141 (bare 625 -> 1017, ratio 0.09x -> 0.14x); PostgreSQL 59 -> 90
(bare ~1000 -> ~820, 0.06x -> 0.11x). SQLite with 1 worker: real 12.6 -> 98.9/s, bare
46 -> ~500/s (closing the last WAL connection checkpointed every request). What is left is
the request's own CPU (~10 ms on SQLite, ~16 ms on PostgreSQL, against ~2 ms for the bare
insert): forms, CSRF, screening, the link checks and the throttle's statements.

Measured 2026-11-30 (round 4, load 9-12, main and branch alternated; bench/README.md has the
table): real / bare SQLite 0.19-0.21x -> 0.27-0.34x, PostgreSQL 0.10-0.15x -> 0.24x. The
server's CPU per post (printed since this round) was 5.1-5.4x the bare one's on SQLite and is
3.5-3.7x now, equal to the throughput ratio: the post is CPU, not waiting on locks.

Measured 2026-11-30 (round 5, load 6-11, main and branch snapshots alternated; bench/README.md
has the tables): the post reads nothing before its write (the link's identity and the
version's questions are kept per process; the link's claim checks its state in the write).
Server CPU per post real / bare: SQLite 4.0-4.1x -> 2.7-3.1x, PostgreSQL 5.4-6.9x -> 2.6-2.8x;
throughput ratios SQLite 0.21-0.26x -> 0.25-0.32x, PostgreSQL 0.10-0.15x -> 0.27-0.34x. Still
short of 0.5x: what is left is the screening (about a quarter of the view), the WTForms form
and the write's statements (``--profile``).

Measured 2026-11-30 (round 6, load 6.6-11.5, main and branch snapshots alternated; bench/README.md
has the table): a complete post is read without binding a WTForms form, the queue's screen skips
answers near no example, PostgreSQL stores the response with its answers, and counts the throttle,
in one statement each. Server CPU per post real / bare 3.4-3.8x -> 2.6x on both databases;
throughput ratios SQLite 0.28x -> 0.38-0.43x, PostgreSQL 0.24x -> 0.33-0.40x. Still short of 0.5x.
``--server-profile`` profiles inside the gunicorn workers (CPU time), real and bare apart.

Round 7 (2026-11-30; bench/README.md has the tables): the link throttle is a token bucket on
the link's row (migration 0021), applied by the claim's own ``UPDATE``; on PostgreSQL the claim,
the response and its answers are one statement (run as the driver's SQL, compiled once), then
the commit: two round trips, as the bare post. Screening multiplies by the positive examples
first. In-process (no contention) the post's CPU fell 1.88 -> 1.63 ms on PostgreSQL.

Round 8 (submit4, 2026-11-30; bench/README.md has the tables): on PostgreSQL a post with a
submission key takes its pooled connection without the pool's pre-ping (one round trip: its
one statement) and is stored again, once, on a fresh connection if that one was dead (the key
makes the retry a repeat, never a second response). ``--ping-ab`` measures that change alone
in this process, alternating blocks with and without the pre-ping: 0.05-0.20 ms (3-10%) less
of the app's CPU per post. ``--profile`` now profiles in CPU time. At load 2.6-8.9 (three
engineers' work on 2 cores) the full benchmark could not tell main from the branch (PostgreSQL
main 0.30-0.64x, branch 0.23-0.54x over 8 pairs; the unchanged SQLite path 0.25-0.55x):
not shown to reach 0.5x reliably.
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import secrets
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402


# ---------------------------------------------------------------- the server side (subprocess)


def bench_app():
    """The product app plus ``POST /bench/bare`` (one row into the same database)."""
    from feedback_app import create_app, csrf
    from feedback_app.db import db
    from feedback_app.models import Response

    harness.apply_what_ifs(os.environ.get("BENCH_WHAT_IF", ""))
    app = create_app(instance_path=os.path.join(os.getcwd(), "instance"))  # the queue's file: this run's
    round_id = int(os.environ["BENCH_ROUND_ID"])

    @app.post("/bench/bare")
    @csrf.exempt
    def bench_bare():
        with db.write_session() as session:
            session.add(Response(round_id=round_id, source="bench", submission_key=secrets.token_urlsafe(24)))
            session.commit()
        return "", 204

    if os.environ.get("BENCH_SERVER_PROFILE"):
        profile_requests(app)
    return app


def profile_requests(app) -> None:
    """cProfile every POST this worker serves (CPU time), the real ones and the bare ones apart, whole
    (Flask and Werkzeug too); ``dump_profiles`` writes them out when the worker exits."""
    import cProfile

    # CPU time, not wall time: a worker waiting for the CPU (or for SQLite's write lock) is
    # not the post's own cost.
    profilers = app.extensions["bench_profilers"] = {kind: cProfile.Profile(time.thread_time) for kind in ("real", "bare")}
    inner = app.wsgi_app

    def wsgi_app(environ, start_response):
        if environ.get("REQUEST_METHOD") != "POST":
            return inner(environ, start_response)
        profiler = profilers["bare" if environ.get("PATH_INFO") == "/bench/bare" else "real"]
        profiler.enable()
        try:
            return list(inner(environ, start_response))
        finally:
            profiler.disable()

    app.wsgi_app = wsgi_app


def dump_profiles(_server, worker) -> None:
    """gunicorn's ``worker_exit``: this worker's profiles into the server's folder."""
    for kind, profiler in worker.wsgi.extensions.get("bench_profilers", {}).items():
        profiler.dump_stats(f"profile-{kind}-{os.getpid()}.prof")


def print_server_profiles(folder: Path, kind: str, posts: int) -> None:
    """The workers' profiles of ``kind`` (real or bare) merged: where a post's time goes in the server."""
    import io
    import pstats

    files = sorted(str(path) for path in folder.glob(f"profile-{kind}-*.prof"))
    if not files:
        print(f"  (no {kind} profiles: did the workers exit cleanly?)")
        return
    out = io.StringIO()
    stats = pstats.Stats(*files, stream=out)
    print(f"\n  {kind}: {1000 * stats.total_tt / posts:.2f} ms CPU profiled per post, {len(files)} workers")
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(20)
    if os.environ.get("BENCH_PROFILE_CALLEES"):  # e.g. "claim_link|store_response": what they call
        stats.sort_stats("cumulative").print_callees(os.environ["BENCH_PROFILE_CALLEES"])
    print(out.getvalue())


def serve(port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    from feedback_app.server import _warm_worker

    class BenchServer(BaseApplication):
        def __init__(self, options):
            self.options = options
            super().__init__()

        def load_config(self):
            for key, value in self.options.items():
                self.cfg.set(key, value)

        def load(self):
            return bench_app()

    # The options of feedback_app.server.run_server.
    BenchServer({
        "bind": f"127.0.0.1:{port}", "workers": workers, "accesslog": None, "errorlog": "-",
        "timeout": 60, "graceful_timeout": 10, "post_worker_init": _warm_worker, "worker_exit": dump_profiles,
    }).run()


# ---------------------------------------------------------------- the client side


@dataclass
class Run:
    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0
    server_cpu: float | None = None  # CPU seconds the server's processes spent during the run

    @property
    def cpu_per_post_ms(self) -> float | None:
        return 1000 * self.server_cpu / len(self.latencies) if self.server_cpu is not None and self.latencies else None

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def line(self) -> str:
        ms = [1000 * x for x in self.latencies]
        return (f"{self.name:<5} {len(ms):>5} posts in {self.elapsed:6.1f} s  {self.throughput:7.1f}/s  "
                f"p50 {harness.percentile(ms, 0.5):6.1f} ms  p95 {harness.percentile(ms, 0.95):6.1f} ms  "
                f"statuses {dict(sorted(self.statuses.items()))}"
                + (f"  server CPU {self.cpu_per_post_ms:5.2f} ms/post" if self.cpu_per_post_ms is not None else ""))


def group_cpu_seconds(process_group: int) -> float | None:
    """User + system CPU seconds of every live process in ``process_group`` (Linux /proc), or None.

    The server's CPU per post against its wall time per post says whether a post is CPU
    (the ratio of CPU per post follows the ratio of throughput) or waiting (locks, round trips)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == process_group:  # fields after the name: state, ppid, pgrp, ... utime(11), stime(12)
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def timed(server, run) -> Run:
    """``run()`` (a :func:`drive`), with the CPU the server spent on it."""
    before = group_cpu_seconds(server.process.pid)
    result = run()
    after = group_cpu_seconds(server.process.pid)
    if before is not None and after is not None:
        result.server_cpu = after - before
    return result


def drive(name: str, jobs: list, clients: int, send) -> Run:
    """``clients`` threads send every job in ``jobs`` with ``send(job) -> status``; timed from first to last."""
    run = Run(name)
    work: queue.Queue = queue.Queue()
    for job in jobs:
        work.put(job)
    lock = threading.Lock()
    deadline = time.monotonic() + 600

    def client() -> None:
        while time.monotonic() < deadline:
            try:
                job = work.get_nowait()
            except queue.Empty:
                return
            started = time.perf_counter()
            try:
                status = send(job)
            except OSError:
                status = -1
            took = time.perf_counter() - started
            with lock:
                run.latencies.append(took)
                run.statuses[status] = run.statuses.get(status, 0) + 1

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(deadline - time.monotonic(), 1))
    run.elapsed = time.perf_counter() - started
    return run


def fetch_forms(port: int, token: str, count: int, clients: int) -> list[harness.Form]:
    forms: list[harness.Form] = []
    lock = threading.Lock()

    def fetch(_job) -> int:
        form = harness.open_form(port, token)
        with lock:
            forms.append(form)
        return 200

    drive("get", list(range(count)), clients, fetch)
    return forms


def bench_database(kind: str, args) -> tuple[Run, Run, Run]:
    texts = harness.fft_texts()
    rng = random.Random(6)
    with harness.throwaway_database(kind) as (url, folder):
        round_id = harness.prepare(url, folder)[0]
        token = harness.make_link(url, folder, round_id)
        port = harness.free_port()
        env = {"DATABASE_URL": url, "SECRET_KEY": harness.SECRET, "BENCH_ROUND_ID": str(round_id),
               # The benchmark posts far more through one link than a real round would.
               "LINK_SUBMISSIONS_PER_MINUTE": "100000000", "BENCH_WHAT_IF": args.what_if,
               "ANALYSE_IN_BACKGROUND": "false" if args.inline else "true",
               "BENCH_SERVER_PROFILE": "1" if args.server_profile else ""}
        command = [sys.executable, __file__, "--serve", str(port), "--workers", str(args.workers)]
        with harness.Subprocess(command, env, folder, port) as server, queue_worker(args.worker, env, folder):
            def real(pair) -> int:
                form, answers = pair
                body, headers = harness.form_body(form, answers)
                return harness.request(port, "POST", f"/r/{token}/questions", body, headers)[0]

            def bare(_job) -> int:
                return harness.request(port, "POST", "/bench/bare", b"", {"Content-Length": "0"})[0]

            def jobs(count: int):
                forms = fetch_forms(port, token, count, args.clients)
                return [(form, {
                    "what_helped": rng.choice(texts), "what_did_not_help": rng.choice(texts),
                    "what_could_be_better": rng.choice(texts),
                    "knew_about_cp_plan": rng.choice(["Yes", "No", "I'm not sure"]),
                    "part_of_safety_planning": rng.choice(["Yes", "A bit", "No", "I'm not sure"]),
                }) for form in forms]

            drive("warm", jobs(args.clients * 2), args.clients, real)  # first requests of each worker
            drive("warm", list(range(args.clients * 2)), args.clients, bare)
            bare_1 = timed(server, lambda: drive("bare", list(range(args.bare_posts)), args.clients, bare))
            real_jobs = jobs(args.posts)  # the GETs, untimed
            real_run = timed(server, lambda: drive("real", real_jobs, args.clients, real))
            bare_2 = timed(server, lambda: drive("bare", list(range(args.bare_posts)), args.clients, bare))
            log = server.log()
        for phrase in ("database is locked", "Traceback"):
            if phrase in log:
                print(f"  !! server log contains {phrase!r}")
        if args.server_profile:  # the workers have exited and written their profiles
            print_server_profiles(folder, "real", args.posts + args.clients * 2)
            print_server_profiles(folder, "bare", 2 * args.bare_posts + args.clients * 2)
    return bare_1, real_run, bare_2


@contextmanager
def queue_worker(wanted: bool, env: dict, folder: Path):
    """``feedback-app worker`` on the server's queue (its instance folder) while the block runs."""
    if not wanted:
        yield None
        return
    import subprocess

    command = [sys.executable, "-c", "import sys; from feedback_app import create_app; "
               "app = create_app(instance_path=sys.argv[1]); app.cli.main(['worker'], standalone_mode=False)",
               str(folder / "instance")]
    with open(folder / "worker.log", "w", encoding="utf-8") as log:
        process = subprocess.Popen(command, cwd=folder, env=dict(os.environ, PYTHONPATH=str(harness.ROOT), **env),
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def in_process_posts(kind: str, count: int, what_if: str = ""):
    """The real POST in this process (Flask test client) on a throwaway ``kind`` database:
    yields ``post(fields)`` and ``count`` forms fetched beforehand (5 posts already sent to warm up)."""
    import re

    from feedback_app.text_analysis import warm_up

    harness.apply_what_ifs(what_if)
    texts = harness.fft_texts()
    rng = random.Random(6)
    with harness.throwaway_database(kind) as (url, folder):
        round_id = harness.prepare(url, folder)[0]
        token = harness.make_link(url, folder, round_id)
        app = harness.make_app(url, folder, LINK_SUBMISSIONS_PER_MINUTE=100000000)
        warm_up()
        client = app.test_client()

        def fetch() -> dict:
            page = client.get(f"/r/{token}/questions").get_data(as_text=True)
            fields = {name: re.search(rf'name="{name}" type="hidden" value="([^"]+)"', page).group(1)
                      for name in ("csrf_token", "submission_key")}
            fields.update(q_what_helped=rng.choice(texts), q_what_did_not_help=rng.choice(texts),
                          q_what_could_be_better=rng.choice(texts), q_knew_about_cp_plan="No")
            return fields

        def post(fields: dict) -> None:
            assert client.post(f"/r/{token}/questions", data=fields).status_code == 302

        for _ in range(5):
            post(fetch())
        try:
            yield post, [fetch() for _ in range(count)]
        finally:
            app.extensions["feedback_db"].engine.dispose()


def profile(posts: int, what_if: str, kind: str = "sqlite") -> None:
    """cProfile of the real POST alone in this process (Flask test client; the forms are fetched
    first, unprofiled), where its time goes, in CPU time; with its unprofiled time first."""
    import cProfile
    import io
    import pstats

    with in_process_posts(kind, 2 * posts, what_if) as (post, forms):
        started, cpu = time.perf_counter(), time.thread_time()
        for fields in forms[:posts]:
            post(fields)
        print(f"{kind}: in-process POST {1000 * (time.perf_counter() - started) / posts:.2f} ms each, "
              f"{1000 * (time.thread_time() - cpu) / posts:.2f} ms CPU (no profiler)")
        profiler = cProfile.Profile(time.thread_time)  # CPU time: waiting for the database is not the app's cost
        profiler.runcall(lambda: [post(fields) for fields in forms[posts:]])
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"feedback_app|analysis/|wtforms/form|flask/sessions|huey/api", 45)
    stats.sort_stats("tottime").print_stats(25)
    if os.environ.get("BENCH_PROFILE_CALLERS"):  # e.g. "local.py": who calls them
        stats.sort_stats("cumulative").print_callers(os.environ["BENCH_PROFILE_CALLERS"])
    print(out.getvalue())


def ping_ab(kind: str, blocks: int, per_block: int) -> None:
    """Round 8: the post's connection taken with the pool's pre-ping (as before) and without it
    (``db.trusting_the_pool``, as shipped), in alternating blocks of posts in this one process,
    so both halves see the same machine; the app's CPU and wall time per post, medians of the blocks."""
    import contextlib
    import statistics

    from feedback_app import submission

    trusting = submission.trusting_the_pool
    cpu: dict[str, list[float]] = {"pinged": [], "unpinged": []}
    wall: dict[str, list[float]] = {"pinged": [], "unpinged": []}
    with in_process_posts(kind, blocks * per_block) as (post, forms):
        for block in range(blocks):
            mode = "unpinged" if block % 2 else "pinged"
            submission.trusting_the_pool = trusting if mode == "unpinged" else contextlib.nullcontext
            started, used = time.perf_counter(), time.thread_time()
            for fields in forms[block * per_block:(block + 1) * per_block]:
                post(fields)
            cpu[mode].append(1000 * (time.thread_time() - used) / per_block)
            wall[mode].append(1000 * (time.perf_counter() - started) / per_block)
    submission.trusting_the_pool = trusting
    for mode in cpu:
        print(f"{kind} {mode:<8}: app CPU per post median {statistics.median(cpu[mode]):.3f} ms "
              f"({min(cpu[mode]):.3f}-{max(cpu[mode]):.3f}), wall median {statistics.median(wall[mode]):.3f} ms "
              f"over {blocks // 2} blocks of {per_block}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    harness.add_server_load_options(parser, db="sqlite,postgresql", posts=400, posts_help="Real respondent posts.")
    parser.add_argument("--bare-posts", type=int, default=1000, help="Bare posts, in each of the two bare runs.")
    parser.add_argument("--what-if", default="", help="Comma-separated bench-only patches of proposed changes: "
                        + "; ".join(f"{k}: {v}" for k, v in harness.WHAT_IFS.items()))
    parser.add_argument("--profile", action="store_true", help="Profile the real POST in-process instead "
                        "(on each database of --db).")
    parser.add_argument("--server-profile", action="store_true", help="cProfile the POSTs inside the gunicorn "
                        "workers (real and bare apart) and print where they go; the timings are then the profiler's.")
    parser.add_argument("--ping-ab", action="store_true", help="In-process, PostgreSQL: the post with the pool's "
                        "pre-ping and without it (as shipped, round 8) in alternating blocks of 100 (--posts in all).")
    parser.add_argument("--inline", action="store_true", help="Features computed in the request (ANALYSE_IN_BACKGROUND off).")
    parser.add_argument("--worker", action="store_true", help="Run a queue worker beside the server throughout.")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile:
        for kind in args.db.split(","):
            profile(min(args.posts, 200), args.what_if, kind.strip())
        return
    if args.ping_ab:
        ping_ab("postgresql", max(args.posts // 100, 2), 100)
        return
    if args.serve:
        serve(args.serve, args.workers)
        return
    print(f"submission throughput: {args.workers} workers, {args.clients} clients; {harness.machine()}")
    print("features: " + ("inline, in the request" if args.inline else
                          "queued for the worker" + (" (a worker runs beside the server)" if args.worker else
                                                     " (no worker running: the request's cost alone)")))
    if args.what_if:
        print(f"WHAT-IF (bench-only patches, not the product as shipped): {args.what_if}")
    for kind in args.db.split(","):
        print(f"\n{kind}")
        bare_1, real_run, bare_2 = bench_database(kind.strip(), args)
        for run in (bare_1, real_run, bare_2):
            print("  " + run.line())
        bare_throughput = (bare_1.throughput + bare_2.throughput) / 2
        ratio = real_run.throughput / bare_throughput
        p50_ratio = harness.percentile(real_run.latencies, 0.5) / harness.percentile(
            bare_1.latencies + bare_2.latencies, 0.5)
        verdict = "meets" if ratio >= 0.5 else "MISSES"
        print(f"  real / bare throughput: {ratio:.2f}x ({verdict} the 0.5x target); "
              f"p50 latency real / bare: {p50_ratio:.1f}x")
        cpu = [run.cpu_per_post_ms for run in (bare_1, real_run, bare_2)]
        if None not in cpu:
            print(f"  server CPU per post real / bare: {cpu[1] / ((cpu[0] + cpu[2]) / 2):.1f}x "
                  f"(against {1 / ratio:.1f}x in throughput: equal when the post is CPU, not waiting)")
        print(f"  {harness.machine()}")


if __name__ == "__main__":
    main()
