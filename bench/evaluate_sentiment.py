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
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from analysis import ANALYSER_VERSION  # noqa: E402
from analysis.evaluation import (  # noqa: E402
    baseline_labels,
    classification_report,
    cross_validated_f1,
    date_split_f1,
    load_labelled_feedback,
    predict_labels,
)

DEFAULT_CSV = REPO_ROOT.parent / "shared" / "data" / "fft-feedback-dev.csv"


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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
