"""Evaluate the sentiment labeller against human-labelled NHS FFT comments.

Usage (from the repository root)::

    python bench/evaluate_sentiment.py [PATH_TO_CSV] [--cv] [--cutoff 2022-07-01]

PATH defaults to ``../shared/data/fft-feedback-dev.csv`` relative to the
repository root. Prints, for (a) plain TextBlob polarity (> 0 positive,
< 0 negative) and (b) ``analysis.sentiment``, measured in the same run:
macro-F1, per-class precision/recall/F1 and the confusion matrix, then the
ratio of the two macro-F1 figures. ``--cv`` adds the nested 5-fold
cross-validated estimate (parameters re-chosen inside each fold) and a split
by date (parameters chosen on comments before the cutoff, scored after it).

``--learned`` measures the learned model (``analysis.learning``) against the
rules in the same run: macro-F1 and per-class F1 with 95% bootstrap intervals
on the split by date and on a split by source (each service type held out in
turn, trained on the others), the time to train on the whole file, and the
learning curve: macro-F1 on a "new source" (the comments from
``--new-source-from`` on) as 0, 100, 250, 500 and 1,000 of its comments are
coded and added to training, scored on the rest of that source. ``--source-curves``
adds the same curve (0 to 500 coded, 4 draws) with each service type as the new source,
coded from the other two: a change that helps only the later months shows up there.
``--before`` also trains each step's model without the development rows' own model mixed in (as
before round 6; the same coded weight, so the paired difference is the mixture's alone) and prints
both curves and their difference; ``--curve-seed`` sets the first draw's seed (default 0).
"""
from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from analysis import ANALYSER_VERSION  # noqa: E402
from analysis.evaluation import (  # noqa: E402
    baseline_labels,
    classification_report,
    collapse_fft_sentiment,
    cross_validated_f1,
    date_split_f1,
    load_labelled_feedback,
    predict_labels,
)

DEFAULT_CSV = REPO_ROOT.parent / "shared" / "data" / "fft-feedback-dev.csv"
#: ``--source-curves``: the steps and draws of each service type's learning curve (the smallest
#: type has 1,063 comments: 500 coded leave 563 to score)
SOURCE_CURVE_STEPS = (0, 100, 250, 500)
SOURCE_CURVE_REPEATS = 4


def _print_report(title: str, report) -> None:
    print(f"\n== {title}")
    print(f"macro-F1: {report.macro_f1:.4f}  (n={report.n})")
    print(report.per_class.round(3).to_string())
    print("confusion (rows true, columns predicted):")
    print(report.confusion.to_string())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="?", default=str(DEFAULT_CSV))
    parser.add_argument("--cv", action="store_true", help="also run nested CV and the date split")
    parser.add_argument("--cutoff", default="2022-07-01", help="date split: train before, test from")
    parser.add_argument("--learned", action="store_true", help="measure the learned model (see above)")
    parser.add_argument("--new-source-from", default="2022-04-01", help="learning curve: the new source starts here")
    parser.add_argument("--repeats", type=int, default=10, help="learning curve: random draws averaged per step")
    parser.add_argument("--no-curve", action="store_true", help="--learned without the learning curve")
    parser.add_argument("--source-curves", action="store_true",
                        help="--learned: also a learning curve for each service type as the new source")
    parser.add_argument("--before", action="store_true",
                        help="learning curves: also the model without the development model mixed in")
    parser.add_argument("--source-repeats", type=int, default=SOURCE_CURVE_REPEATS,
                        help="--source-curves: random draws per step")
    parser.add_argument("--curve-seed", type=int, default=0, help="learning curves: the first draw's seed")
    args = parser.parse_args(argv)

    path = Path(args.csv)
    if not path.exists():
        print(f"no such file: {path}", file=sys.stderr)
        return 2
    frame = load_labelled_feedback(path)
    print(f"analyser version {ANALYSER_VERSION}; {len(frame)} labelled comments from {path}")
    print(frame["label"].value_counts().to_string())

    base = classification_report(frame["label"], baseline_labels(frame["text"]))
    ours = classification_report(frame["label"], predict_labels(frame["text"]))
    _print_report("(a) baseline: plain TextBlob polarity", base)
    _print_report("(b) ours: analysis.sentiment", ours)
    print(f"\nmacro-F1 ours / baseline = {ours.macro_f1:.4f} / {base.macro_f1:.4f} "
          f"= {ours.macro_f1 / base.macro_f1:.3f}  (difference {ours.macro_f1 - base.macro_f1:+.4f})")

    if args.cv:
        cv = cross_validated_f1(list(frame["text"]), list(frame["label"]))
        print("\n== nested 5-fold cross-validation (parameters chosen inside each fold)")
        print("ours per fold:     " + ", ".join(f"{f:.3f}" for f in cv["ours"]))
        print("baseline per fold: " + ", ".join(f"{f:.3f}" for f in cv["baseline"]))
        print(f"mean ours {statistics.mean(cv['ours']):.4f}, "
              f"baseline {statistics.mean(cv['baseline']):.4f}")
        for p in cv["chosen"]:
            print("  chosen:", p)
        split = date_split_f1(frame, args.cutoff)
        print(f"\n== split by date at {args.cutoff} "
              f"(train n={split['n_train']}, test n={split['n_test']})")
        print(f"chosen on train: {split['chosen']} (train F1 {split['train_f1']:.4f})")
        print(f"test macro-F1: chosen {split['test_f1']:.4f}, shipped defaults "
              f"{split['default_test_f1']:.4f}, baseline {split['baseline_test_f1']:.4f}")
    if args.learned:
        _learned_report(frame, path, args)
    return 0


def _interval_line(name: str, truth: list[str], predicted: list[str]) -> float:
    from analysis.learning import bootstrap_interval, macro_f1, per_class_f1

    f1 = macro_f1(truth, predicted)
    low, high = bootstrap_interval(truth, predicted, n=500)
    per_class = ", ".join(f"{label} {value:.3f}" for label, value in per_class_f1(truth, predicted).items())
    print(f"  {name:<8} macro-F1 {f1:.4f} [95% {low:.3f}-{high:.3f}]  per class: {per_class}")
    return f1


def _service_types(path: Path, frame) -> list[str]:
    """The service type of each row of ``frame`` (same filtering as ``load_labelled_feedback``)."""
    import pandas as pd

    raw = pd.read_csv(path)
    keep = raw["FFT answer"].notna() & raw["Comment sentiment"].map(collapse_fft_sentiment).notna()
    raw = raw[keep]
    raw = raw[raw["FFT answer"].astype(str).str.strip() != ""]
    services = [str(s).strip() for s in raw["Service type 1"]]
    assert list(raw["FFT answer"]) == list(frame["text"]), "rows out of step with load_labelled_feedback"
    return services


def _learned_report(frame, path: Path, args) -> None:
    import time

    import pandas as pd

    from analysis.learning import LabelledText, learning_curve, train_sentiment_model

    def rows(part) -> list[LabelledText]:
        return [LabelledText(str(t), str(label)) for t, label in zip(part["text"], part["label"])]

    cutoff = pd.Timestamp(args.cutoff)
    train, test = frame[frame["date"] < cutoff], frame[frame["date"] >= cutoff]
    print(f"\n== learned model vs rules, split by date at {args.cutoff} (train n={len(train)}, test n={len(test)})")
    truth = list(test["label"])
    rules = _interval_line("rules", truth, predict_labels(test["text"]))
    learned = _interval_line("learned", truth, train_sentiment_model(rows(train)).predict(list(test["text"])))
    print(f"  learned / rules = {learned:.4f} / {rules:.4f} = {learned / rules:.3f}")

    frame = frame.assign(service=_service_types(path, frame))
    print("\n== split by source: each service type held out, trained on the others")
    held_out = {"rules": [], "learned": []}
    for service in sorted(frame["service"].unique()):
        held, rest = frame[frame["service"] == service], frame[frame["service"] != service]
        print(f" {service} (train n={len(rest)}, test n={len(held)})")
        truth = list(held["label"])
        rules = _interval_line("rules", truth, predict_labels(held["text"]))
        learned = _interval_line("learned", truth, train_sentiment_model(rows(rest)).predict(list(held["text"])))
        print(f"  learned / rules = {learned / rules:.3f}")
        held_out["rules"].append(rules)
        held_out["learned"].append(learned)
    mean_rules, mean_learned = (statistics.mean(held_out[k]) for k in ("rules", "learned"))
    print(f" mean over sources held out: rules {mean_rules:.4f}, learned {mean_learned:.4f}, "
          f"learned / rules = {mean_learned / mean_rules:.3f}")

    started = time.process_time()
    shipped = train_sentiment_model(rows(frame))
    print(f"\ntraining on all {len(frame)} comments: {time.process_time() - started:.1f} s of CPU "
          f"(run with OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 for one core); stored size "
          f"{len(shipped.dumps()) / 1024:.0f} KiB")
    if args.no_curve:
        return

    new_from = pd.Timestamp(args.new_source_from)
    before, new = frame[frame["date"] < new_from], frame[frame["date"] >= new_from]
    print(f"\n== learning curve: new source = comments from {args.new_source_from} (n={len(new)}), "
          f"development = before (n={len(before)}); {args.repeats} random draws, test = the new source's "
          f"comments not coded (n={len(new) - 1000}); 95% intervals over draws")
    against = {"development_share": 0.0} if args.before else None
    _print_curve(learning_curve(rows(before), rows(new), repeats=args.repeats, seed=args.curve_seed, against=against))
    if args.source_curves:
        print(f"\n== learning curves with each service type as the new source, coded from the other two "
              f"({args.source_repeats} draws; test = that type's comments not coded)")
        for service in sorted(frame["service"].unique()):
            held, rest = frame[frame["service"] == service], frame[frame["service"] != service]
            print(f" {service} (n={len(held)}, test n={len(held) - max(SOURCE_CURVE_STEPS)})")
            _print_curve(learning_curve(rows(rest), rows(held), steps=SOURCE_CURVE_STEPS,
                                        repeats=args.source_repeats,
                                        seed=args.curve_seed, against=against))


def _print_curve(curve: list[dict]) -> None:
    """One line per step of a :func:`analysis.learning.learning_curve` (two more with ``against``)."""
    for point in curve:
        print(f"  {point['n']:>5} coded: {_point_text(point)}; coded weight {_weights_text(point['weights'])}")
        if "against" in point:
            print(f"        before: {_point_text(point['against'])}")
            print(f"        now - before {point['difference']:+.4f} "
                  f"[{point['difference_low']:+.4f} to {point['difference_high']:+.4f}]")


def _point_text(point: dict) -> str:
    return (f"macro-F1 {point['mean']:.4f} [{point['low']:.3f}-{point['high']:.3f}] "
            f"(draws {point['min']:.3f}-{point['max']:.3f}); gain over the previous step "
            f"{point['gain']:+.4f} [{point['gain_low']:+.4f} to {point['gain_high']:+.4f}]")


def _weights_text(weights: list[float]) -> str:
    """"3 (x6), 17.7 (x4)": the weights the draws' models gave each coded answer."""
    counts = Counter(f"{w:.3g}" for w in weights)
    return ", ".join(f"{w} (x{n})" for w, n in sorted(counts.items(), key=lambda kv: float(kv[0])))


if __name__ == "__main__":
    raise SystemExit(main())
