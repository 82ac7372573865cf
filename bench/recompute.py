"""``analyse --recompute`` (``analyse_stale_in_batches(recompute=True, workers=N)``) against bare
one-core ``TextBlob(text).sentiment.polarity`` over the same texts, measured in the same run.

Data: the FFT comments (column "FFT answer", read where they are, never copied) stored
``--copies`` times as answers to ``what_helped`` of a children v2 round (``--source fft``,
the default), or the demo's answers (``--source demo --scale N``: ``feedback-app demo
--scale N``). Both sides run in fresh processes after their lexicons are loaded, so
start-up is not counted on either side; the baseline walks every stored text (duplicates
included), exactly what ``analyse --recompute`` is asked to analyse.

``--workers N`` is the number of processes computing features, the measured one among them:
since round 8 (issue 13) ``map_batches`` forks N - 1 workers and the parent takes batches in
turn with them between its writes, so two cores run two processes. The CPU printed is the
parent's and the workers' together (the workers are waited for before the timed call returns).

``--no-dedupe`` measures the path before issue 13 item 3 in the same way (every answer
analysed, identical texts or not: a bench-only patch, not the product).

What is stored before each timed run decides how much the run writes (it writes only
what differs), so each round sets it up first (untimed; the tallies rebuilt to match),
once per ``--stored`` scenario:

* ``older`` (the default, the realistic one): every answer's features as computed but
  stamped by an older analyser version, as after a new model or analyser release whose
  results mostly agree: every row's versions are rewritten, the answer tallies stay;
* ``differ``: stamped older *and* every label different: every row replaced, its tallies
  taken away and added again (the worst case);
* ``none``: no features stored (a first analysis: every row inserted);
* ``current``: features exactly as computed (nothing is written).

    python bench/recompute.py                           # FFT comments x 2, every core
    python bench/recompute.py --copies 1 --workers 2 --no-dedupe
    python bench/recompute.py --stored all
    python bench/recompute.py --source demo --scale 20000

Target (issue 13): recompute >= 1.5 x the bare baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from analyse_throughput import load_texts  # noqa: E402


def _app(url: str, folder: Path):
    return harness.make_app(url, folder)


def stored_texts(url: str, folder: Path) -> list[str]:
    """The texts ``analyse --recompute`` analyses, in its order."""
    from feedback_app.db import db
    from feedback_app.text_analysis import stale_answers

    app = _app(url, folder)
    with app.app_context():
        return [p.value for p in stale_answers(db.session, recompute=True)]


def recompute(url: str, folder: Path, workers: int, dedupe: bool) -> dict:
    """Time ``analyse_stale_in_batches(recompute=True)`` in this (fresh) process."""
    from feedback_app import text_analysis
    from feedback_app.db import db

    if not dedupe:  # bench-only: every answer its own group, as before issue 13 item 3
        text_analysis.same_text_groups = lambda pending: {p: [p.answer_id] for p in pending}
    app = _app(url, folder)
    with app.app_context():
        text_analysis.warm_up()
        text_analysis.stale_answer_count(db.session)  # load the codebook and model in use
        cpu, started = _cpu(), time.perf_counter()
        run = text_analysis.analyse_stale_in_batches(db.session, workers=workers, recompute=True)
        took = time.perf_counter() - started
    return {"run_s": took, "analysed": run.analysed, "cpu_s": _cpu() - cpu}


def _cpu() -> float:
    """User + system CPU seconds of this process and its finished children (the workers)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


SCENARIOS = ("older", "differ", "none", "current")


def set_stored(url: str, folder: Path, scenario: str) -> None:
    """Leave the stored features as ``scenario`` says (see the module docstring), with the
    tallies rebuilt to count them. The first call stores current features."""
    from sqlalchemy import delete, func, select, update

    from feedback_app.db import db
    from feedback_app.models import AnswerFeature
    from feedback_app.tallies import rebuild_tallies
    from feedback_app.text_analysis import analyse_stale_in_batches, current_codebook

    app = _app(url, folder)
    with app.app_context():
        session = db.session
        analyse_stale_in_batches(session, workers=os.cpu_count() or 1)  # current features (only stale ones)
        if scenario in ("older", "differ"):
            older = func.substr(AnswerFeature.analyser_version, 1, 12) + "+older"
            session.execute(update(AnswerFeature).values(analyser_version=older))
        if scenario == "differ":
            for label, other in (("positive", "x-neutral"), ("neutral", "x-negative"), ("negative", "positive")):
                session.execute(update(AnswerFeature).where(AnswerFeature.label == label).values(label=other))
            session.execute(update(AnswerFeature).values(label=func.replace(AnswerFeature.label, "x-", "")))
        if scenario == "none":
            session.execute(delete(AnswerFeature))
        session.commit()
        rebuild_tallies(session, current_codebook(session)[0])
        assert scenario == "none" or session.scalar(select(func.count()).select_from(AnswerFeature))
        db.session.close()
        db.engine.dispose()


def baseline(texts: list[str]) -> dict:
    """Bare ``TextBlob(text).sentiment.polarity`` over ``texts``, one process."""
    from textblob import TextBlob

    TextBlob("warm up the lexicon").sentiment  # noqa: B018 - loads the lexicon
    cpu, started = _cpu(), time.perf_counter()
    total = sum(TextBlob(text).sentiment.polarity for text in texts)
    return {"run_s": time.perf_counter() - started, "checksum": total, "cpu_s": _cpu() - cpu}


def _child(args: list[str]) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, timeout=3600,
                          cwd=harness.ROOT, env=dict(os.environ, PYTHONPATH=str(harness.ROOT)))
    if done.returncode != 0:
        raise RuntimeError(f"bench/recompute.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def build(url: str, folder: Path, source: str, copies: int, scale: int) -> None:
    if source == "fft":
        round_id = harness.prepare(url, folder)[0]
        load_texts(url, round_id, harness.fft_texts() * copies)
        return
    harness.prepare(url, folder, rounds=0)
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=harness.SECRET, PYTHONPATH=str(harness.ROOT))
    subprocess.run([sys.executable, "-m", "feedback_app", "demo", "--scale", str(scale)], check=True, env=env,
                   cwd=harness.ROOT, capture_output=True, timeout=3600)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", choices=["fft", "demo"], default="fft")
    parser.add_argument("--copies", type=int, default=2, help="fft: how many times each comment is stored.")
    parser.add_argument("--scale", type=int, default=20000, help="demo: about this many responses.")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="Processes (default: every core).")
    parser.add_argument("--no-dedupe", action="store_true", help="Also measure every answer analysed (before).")
    parser.add_argument("--repeats", type=int, default=3, help="Rounds of measurement (the median is shown).")
    parser.add_argument("--stored", default="older",
                        help=f"What is stored before each run, comma-separated: {', '.join(SCENARIOS)} "
                             "(default: older), or all.")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "baseline":
            print(json.dumps(baseline(json.loads(Path(rest[0]).read_text(encoding="utf-8")))))
        else:
            url, folder, workers, dedupe = rest
            print(json.dumps(recompute(url, Path(folder), int(workers), dedupe == "1")))
        return

    with harness.throwaway_database("sqlite") as (url, folder):
        build(url, folder, args.source, args.copies, args.scale)
        texts = stored_texts(url, folder)
        print(f"recompute: {len(texts):,} texts ({len(set(texts)):,} distinct; source {args.source}), "
              f"{args.workers} process(es), {args.repeats} round(s); {harness.machine()}")
        texts_file = folder / "texts.json"
        texts_file.write_text(json.dumps(texts), encoding="utf-8")
        scenarios = SCENARIOS if args.stored == "all" else tuple(args.stored.split(","))
        if set(scenarios) - set(SCENARIOS):
            parser.error(f"--stored takes {', '.join(SCENARIOS)} or all")
        variants = {f"analyse --recompute, stored {scenario}": (scenario, "1") for scenario in scenarios}
        if args.no_dedupe:
            variants.update({f"analyse --recompute, stored {scenario}, no dedupe (as before)": (scenario, "0")
                             for scenario in scenarios})
        ratios: dict[str, list[float]] = {name: [] for name in variants}
        for repeat in range(args.repeats):  # alternate, so a burst of load from others hits both sides
            bare = _child(["--child", "baseline", str(texts_file)])
            bare_rate = len(texts) / bare["run_s"]
            print(f"  round {repeat + 1}: bare TextBlob(text).sentiment.polarity, 1 process: "
                  f"{bare['run_s']:5.1f} s = {bare_rate:6.0f} texts/s (CPU {bare['cpu_s']:.2f} s)")
            for name, (scenario, dedupe) in variants.items():
                set_stored(url, folder, scenario)
                done = _child(["--child", "recompute", url, str(folder), str(args.workers), dedupe])
                rate = done["analysed"] / done["run_s"]
                ratios[name].append(rate / bare_rate)
                print(f"    {name}: {done['run_s']:5.1f} s = {rate:6.0f} texts/s -> {rate / bare_rate:.2f}x bare "
                      f"(CPU {done['cpu_s']:.2f} s, {bare['cpu_s'] / done['cpu_s']:.2f}x the bare CPU)")
        for name, found in ratios.items():
            best = statistics.median(found)
            print(f"  {name}: median {best:.2f}x bare over {len(found)} round(s) "
                  f"({'meets' if best >= 1.5 else 'MISSES'} the 1.5x target)")
    print(f"  {harness.machine()}")


if __name__ == "__main__":
    main()
