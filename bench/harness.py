"""Shared pieces of the benchmarks: throwaway databases, the app, HTTP respondents, statistics.

Not a test module and not part of the product. The benchmarks run from the repository
root (``python bench/<name>.py``); see bench/README.md.
"""

from __future__ import annotations

import csv
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# A benchmark measures the checkout it lives in. Say so when PYTHONPATH names another one, which
# would otherwise look measured (round 7: a snapshot's figures were nearly taken from main's code).
_OTHER_CHECKOUTS = [entry for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                    if entry and (Path(entry) / "feedback_app").is_dir() and Path(entry).resolve() != ROOT]
if _OTHER_CHECKOUTS:
    print(f"bench: measuring the code in {ROOT} (this script's checkout), not {', '.join(_OTHER_CHECKOUTS)} "
          "named in PYTHONPATH: run the other checkout's own bench/ script to measure it", file=sys.stderr)

from tests.live_http import Form, form_body, free_port, open_form, request  # noqa: E402,F401

POSTGRES_ADMIN_URL = (os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_DATABASE_URL")  # issue 13: or the tests'
                      or "postgresql+psycopg://postgres@127.0.0.1:54330/postgres")
FFT_CSV = Path(os.environ.get("FFT_CSV", ROOT.parent / "shared" / "data" / "fft-feedback-dev.csv"))
SECRET = "bench-secret"

FALLBACK_TEXTS = [
    "My social worker listened to me and came back when she said she would",
    "Having to tell my story again to new people",
    "Tell children what is going on and ask what they think",
    "My teacher checked I had breakfast",
    "Nothing",
    "More time to talk and the same worker all the way through",
    "The staff were kind and explained everything to my mum",
    "Nobody rang back when they said they would and we waited weeks",
]


def fft_texts() -> list[str]:
    """The "FFT answer" comments (read where they are, never copied), or a few stand-ins."""
    if not FFT_CSV.exists():
        print(f"note: {FFT_CSV} not found; using {len(FALLBACK_TEXTS)} stand-in texts", file=sys.stderr)
        return list(FALLBACK_TEXTS)
    with FFT_CSV.open(newline="", encoding="utf-8") as handle:
        return [row["FFT answer"].strip() for row in csv.DictReader(handle) if (row.get("FFT answer") or "").strip()]


def machine() -> str:
    """One line about the machine now: cores and load (other work on it skews every figure)."""
    load = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


# ---------------------------------------------------------------- databases


@contextmanager
def throwaway_database(kind: str) -> Iterator[tuple[str, Path]]:
    """An empty database (``sqlite`` or ``postgresql``) and a scratch folder; both removed after."""
    folder = Path(tempfile.mkdtemp(prefix="fb-bench-"))
    if kind == "sqlite":
        try:
            yield f"sqlite:///{folder / 'bench.sqlite3'}", folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = make_url(POSTGRES_ADMIN_URL)
    name = f"fb_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False), folder
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def make_app(url: str, folder: Path, **config):
    from feedback_app import create_app

    settings = {"DATABASE_URL": url, "SECRET_KEY": SECRET, "LOCAL_HELP_NUMBER": "01234 000111"}
    settings.update(config)
    return create_app(settings, instance_path=str(folder / "instance"))


def prepare(url: str, folder: Path, rounds: int = 1, slug: str = "children", version: int = 2) -> list[int]:
    """Migrate, publish the questionnaires and create ``rounds`` open rounds; returns their ids."""
    from feedback_app import migrate
    from feedback_app.db import db
    from feedback_app.definitions import sync_questionnaires
    from feedback_app.rounds import create_round, find_version

    app = make_app(url, folder)
    try:
        with app.app_context():
            migrate.upgrade(db.engine)
            sync_questionnaires(db.session, None)
            found = find_version(db.session, slug, version)
            ids = []
            for number in range(rounds):
                opens = date(2018 + number // 2, 1 + 6 * (number % 2), 1)
                round_ = create_round(db.session, found, f"Round {number + 1}", opens, date(2099, 12, 31))
                ids.append(round_.id)
            return ids
    finally:
        app.extensions["feedback_db"].engine.dispose()


def make_link(url: str, folder: Path, round_id: int, kind: str = "open") -> str:
    from feedback_app.db import db
    from feedback_app.definitions import load_agencies
    from feedback_app.links import create_links
    from feedback_app.models import Round

    app = make_app(url, folder)
    try:
        with app.app_context():
            return create_links(db.session, db.session.get(Round, round_id), kind, load_agencies())[0].token
    finally:
        app.extensions["feedback_db"].engine.dispose()


# ---------------------------------------------------------------- servers and respondents


class Subprocess:
    """A server command in its own process group, logging to a file, stopped with SIGTERM."""

    def __init__(self, command: list[str], env: dict[str, str], folder: Path, port: int):
        self.command, self.env, self.folder, self.port = command, env, folder, port
        self.log_path = folder / f"server-{port}.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Subprocess":
        env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_RUNTIME_DIR=str(self.folder), **self.env)
        with open(self.log_path, "w", encoding="utf-8") as log:
            self.process = subprocess.Popen(self.command, cwd=self.folder, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log()}")
            try:
                if request(self.port, "GET", "/healthz", timeout=2)[0] == 200:
                    time.sleep(1.0)  # let every worker finish warming up
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"server not answering:\n{self.log()}")

    def __exit__(self, *_exc) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


# ---------------------------------------------------------------- figures


def add_server_load_options(parser, *, db: str, posts: int, posts_help: str) -> None:
    """The options every benchmark that posts to a live server takes: databases, posts,
    gunicorn workers and client threads."""
    parser.add_argument("--db", default=db, help="sqlite, postgresql or both (comma-separated).")
    parser.add_argument("--posts", type=int, default=posts, help=posts_help)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (as `serve --workers`).")
    parser.add_argument("--clients", type=int, default=16, help="Concurrent client threads.")


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (0..1) of ``values``, by linear interpolation."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(share * 100) - 1]


def maxrss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- what-if patches (bench only)

WHAT_IFS = {
    # "cached-codebook" and "first-term-index" were measured here and are now in the product
    # (text_analysis parses the shipped codebook once; Codebook patterns skip answers that lack
    # their first word), so their patches are gone.
    "lemma-cache": "lemmatise() memoised (theme matching re-lemmatises every token for every term)",
}


def apply_what_ifs(names: str) -> None:
    """Monkeypatch this process to measure a proposed change (never in the product)."""
    import functools

    import analysis.codebook as codebook_module

    for name in filter(None, (n.strip() for n in names.split(","))):
        if name == "lemma-cache":
            codebook_module.lemmatise = functools.lru_cache(maxsize=65536)(codebook_module.lemmatise)
        else:
            raise SystemExit(f"unknown --what-if {name!r}; known: {', '.join(WHAT_IFS)}")
