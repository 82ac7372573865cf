"""Each distinct text's features in one process against bare ``TextBlob(text).sentiment.polarity``
over the same texts, measured in the same process (issue 13, the workers' side of the recompute).

What a recompute worker does per batch of distinct texts: :func:`analysis.features.text_features`
for each text (rules' sentiment, codebook themes, noun phrases), then the shipped sentiment model's
relabel of the batch (``feedback_app.coding.models_store.relabel``: its labels and learned themes).
Each round runs in a fresh process: "cold" is the first pass over the texts (every memo empty, as in
a worker that has just forked), "warm" a second pass with the per-text result caches emptied but the
per-token and per-word memos kept. Times are CPU seconds of this process (``process_time``), so
other work on the machine matters less than for wall-clock figures.

    python bench/text_features_cost.py                 # 3 rounds, the FFT comments' distinct texts
    python bench/text_features_cost.py --profile 30    # and a cProfile of the cold pass (top 30)

Reading: "× bare" is a stage's CPU over the bare polarity's CPU for the same distinct texts. The
recompute's bare baseline walks every stored text (10,168, duplicates included) on one core while
the recompute's two workers share the distinct ones, so "all, cold" here, over about 2.9 (the
duplication), over 2 (the cores), is roughly the workers' part of the wall ratio's inverse.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

BATCH = 438  # what a recompute of 3,502 distinct texts on 2 workers gives each batch


def _clear_result_caches() -> None:
    from analysis import sentiment, text

    sentiment.cached_evidence.cache_clear()
    text._normalised.cache_clear()


def _stages(texts: list[str], codebook, model) -> dict[str, float]:
    from analysis.features import text_features
    from analysis.noun_phrases import noun_phrases
    from analysis.sentiment import sentiment
    from feedback_app.coding.models_store import relabel

    out = {}
    started = time.process_time()
    feats = [text_features(t, codebook) for t in texts]
    out["text_features"] = time.process_time() - started
    started = time.process_time()
    for i in range(0, len(texts), BATCH):
        relabel([(f, t, "positive") for f, t in zip(feats[i:i + BATCH], texts[i:i + BATCH])], "bench", model)
    out["model relabel"] = time.process_time() - started
    out["all"] = out["text_features"] + out["model relabel"]
    _clear_result_caches()
    for name, stage in (("  sentiment", lambda t: sentiment(t)), ("  codebook", codebook.match),
                        ("  noun phrases", noun_phrases)):
        started = time.process_time()
        for t in texts:
            stage(t)
        out[name] = time.process_time() - started
        _clear_result_caches()
    return out


def one_round(profile: int) -> dict:
    """In a fresh process: bare polarity, then the features cold and warm."""
    from textblob import TextBlob

    from analysis.codebook import shipped_codebook
    from feedback_app.coding.models_store import shipped_model
    from feedback_app.text_analysis import warm_up

    texts = list(dict.fromkeys(harness.fft_texts()))
    codebook, model = shipped_codebook(), shipped_model()[1]
    warm_up()
    gc.freeze()  # as map_batches does before the workers fork
    TextBlob("warm up the lexicon").sentiment  # noqa: B018
    started = time.process_time()
    sum(TextBlob(t).sentiment.polarity for t in texts)
    bare = time.process_time() - started
    if profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
    cold = _stages(texts, codebook, model)
    if profile:
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime")
        stats.print_stats(profile)
        stats.sort_stats("cumulative").print_stats(profile)
    _clear_result_caches()
    warm = _stages(texts, codebook, model)
    return {"texts": len(texts), "bare": bare, "cold": cold, "warm": warm}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, help="Print the top N of a cProfile of the cold pass.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_round(args.profile)))
        return
    rounds = []
    for _ in range(args.repeats):
        done = subprocess.run([sys.executable, __file__, "--child", "--profile", str(args.profile)],
                              stdout=subprocess.PIPE, stderr=None if args.profile else subprocess.PIPE,
                              text=True, check=True, cwd=harness.ROOT)
        rounds.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"text features: {rounds[0]['texts']:,} distinct FFT texts, one process, {len(rounds)} round(s); "
          f"{harness.machine()}")
    bares = ", ".join(f"{r['bare']:.3f}" for r in rounds)
    print(f"  bare TextBlob polarity: CPU {bares} s")
    for kind in ("cold", "warm"):
        for stage in rounds[0][kind]:
            ratios = [r[kind][stage] / r["bare"] for r in rounds]
            print(f"  {kind} {stage:<16} median {statistics.median(ratios):.2f}x bare "
                  f"({', '.join(f'{x:.2f}' for x in ratios)}; CPU {statistics.median(r[kind][stage] for r in rounds):.3f} s)")


if __name__ == "__main__":
    main()
