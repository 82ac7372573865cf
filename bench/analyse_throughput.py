"""Bulk ``feedback-app analyse --recompute`` on 2 processes against bare TextBlob sentiment on 1.

The texts are the FFT comments (column "FFT answer", read where they are, never copied),
stored as answers to the free-text question ``what_helped`` of a children v2 round
(``--copies`` times over) in a throwaway SQLite database. ``analyse`` computes for each
answer its sentiment (the negation- and clause-aware analyser in ``analysis/``),
codebook themes and noun phrases, and writes them back; the baseline is TextBlob's
PatternAnalyzer polarity alone, one process, over the same texts. Both run in fresh
processes; the command's wall time is shown with and without its start-up (measured
by an ``analyse`` run that finds nothing to do).

    python bench/analyse_throughput.py
    python bench/analyse_throughput.py --copies 4 --what-if lemma-cache

Target: analyse on 2 cores >= 1.5 x the bare sentiment baseline on 1 core.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

def check_what_ifs(texts: list[str], names: str) -> None:
    """The patched features must equal the shipped ones (run in a fresh process)."""
    from analysis.codebook import load_codebook
    from analysis.features import text_features

    codebook = load_codebook()
    sample = texts[:1500]
    before = [text_features(t, codebook).to_dict() for t in sample]
    harness.apply_what_ifs(names)
    after = [text_features(t, codebook).to_dict() for t in sample]
    differ = sum(a != b for a, b in zip(before, after))
    print(f"what-if check: {differ} of {len(sample)} texts get different features")


def load_texts(url: str, round_id: int, texts: list[str]) -> None:
    from sqlalchemy import insert

    from feedback_app.db import make_engine
    from feedback_app.models import Answer, Response

    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(insert(Response), [
                {"id": i, "round_id": round_id, "source": "paper", "submitted_at": when} for i in range(1, len(texts) + 1)])
            connection.execute(insert(Answer), [
                {"id": i, "response_id": i, "question_key": "what_helped", "value": text}
                for i, text in enumerate(texts, start=1)])
    finally:
        engine.dispose()


def baseline(texts: list[str]) -> dict:
    """Bare TextBlob PatternAnalyzer polarity over ``texts`` in this (fresh) process."""
    started = time.perf_counter()
    from textblob.en.sentiments import PatternAnalyzer

    analyzer = PatternAnalyzer()
    analyzer.analyze("warm up the lexicon")
    loaded = time.perf_counter()
    total = 0.0
    for text in texts:
        total += analyzer.analyze(text).polarity
    done = time.perf_counter()
    return {"load_s": loaded - started, "run_s": done - loaded, "checksum": total}


def profile(texts: list[str], what_if: str) -> None:
    import cProfile
    import io
    import pstats

    from analysis.codebook import load_codebook
    from analysis.features import text_features

    harness.apply_what_ifs(what_if)
    codebook = load_codebook()
    text_features("warm up", codebook)
    sample = texts[:1000]
    started = time.perf_counter()
    for text in sample:
        text_features(text, codebook)
    print(f"text_features, 1 process: {len(sample) / (time.perf_counter() - started):.0f} texts/s (no profiler)")
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [text_features(text, codebook) for text in sample])
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"analysis/|textblob", 20)
    stats.sort_stats("tottime").print_stats(12)
    print(out.getvalue())


def run(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, env=dict(os.environ, PYTHONPATH=str(harness.ROOT), **env),
                          capture_output=True, text=True, timeout=3600, cwd=harness.ROOT)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return took, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=2, help="How many times each FFT comment is stored.")
    parser.add_argument("--workers", type=int, default=2, help="analyse --workers.")
    parser.add_argument("--what-if", default="", help="Bench-only patches of proposed changes: "
                        + "; ".join(f"{k}: {v}" for k, v in harness.WHAT_IFS.items()))
    parser.add_argument("--profile", action="store_true", help="Profile the features of 1,000 texts instead.")
    parser.add_argument("--check", action="store_true", help="Check the what-if patches change no feature.")
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--analyse", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    texts = harness.fft_texts()
    if args.baseline:
        import json

        print(json.dumps(baseline(texts * args.copies)))
        return
    if args.analyse is not None:  # `feedback-app analyse ...` with the what-if patches applied first
        harness.apply_what_ifs(args.what_if)
        from feedback_app.cli import main as cli

        cli(args.analyse, prog_name="feedback-app")
        return
    if args.check:
        check_what_ifs(texts, args.what_if)
        return
    if args.profile:
        profile(texts, args.what_if)
        return

    import json

    count = len(texts) * args.copies
    print(f"analyse throughput: {count:,} texts ({len(texts):,} FFT comments x {args.copies}); {harness.machine()}")
    if args.what_if:
        print(f"WHAT-IF (bench-only patches, not the product as shipped): {args.what_if}")
    with harness.throwaway_database("sqlite") as (url, folder):
        round_id = harness.prepare(url, folder)[0]
        load_texts(url, round_id, texts * args.copies)
        env = {"DATABASE_URL": url, "SECRET_KEY": harness.SECRET}
        if args.what_if:
            command = [sys.executable, __file__, "--what-if", args.what_if, "--analyse"]
        else:
            command = [sys.executable, "-m", "feedback_app"]
        took, output = run(command + ["analyse", "--recompute", "--workers", str(args.workers)], env)
        idle, _ = run(command + ["analyse"], env)  # start-up, codebook and the stale query, nothing to do
        print(f"  {output.splitlines()[-1]}")
    measured = json.loads(run([sys.executable, __file__, "--baseline", "--copies", str(args.copies)], {})[1])
    analyse_rate, analyse_rate_net = count / took, count / max(took - idle, 1e-9)
    base_rate = count / measured["run_s"]
    print(f"  analyse --recompute --workers {args.workers}: {took:6.1f} s wall = {analyse_rate:6.0f} texts/s "
          f"({idle:.1f} s of it start-up: {analyse_rate_net:.0f} texts/s without)")
    print(f"  bare PatternAnalyzer, 1 process:   {measured['run_s']:6.1f} s = {base_rate:6.0f} texts/s "
          f"(+ {measured['load_s']:.1f} s loading the lexicon)")
    ratio, ratio_net = analyse_rate / base_rate, analyse_rate_net / base_rate
    verdict = "meets" if ratio >= 1.5 else "MISSES"
    print(f"  analyse / bare: {ratio:.2f}x wall, {ratio_net:.2f}x without start-up ({verdict} the 1.5x target)")
    print(f"  {harness.machine()}")


if __name__ == "__main__":
    main()
