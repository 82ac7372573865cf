"""Measure the concern screen: recall, precision and speed.

Run from the repository root:

    python bench/evaluate_concerns.py              # figures only
    python bench/evaluate_concerns.py --errors     # also list dev misses and false alarms
    python bench/evaluate_concerns.py --dev-only   # while tuning: keep the holdout unseen

Prints, for the dev and holdout halves of tests/data/concerns_labelled.csv,
recall and precision per audience (each answer screened as its audience, with
a 95% bootstrap interval), the share of practitioners' professional sentences
that are flagged, recall and precision overall and per labelled category, and
recall on tests/data/concerns_unseen*.csv (statements written after the example
bank was frozen). Then, for tests/data/concerns_fresh.csv (statements written for
the round-3 generalisation work and frozen before any measuring), per half:
children's disclosure recall (neglect and the rest), the false-alarm rate on
children's benign answers that share trigger words, the flag rate on
practitioners' professional sentences and the recall on disclosures a
practitioner relays; and the share of the demo's made-up benign children's
answers (feedback_app/demo_text.py, sampled as the demo writes them) that are
flagged. Then the time the screen takes for an answer of about 220
characters against a bare ``re.search`` of one word over the same texts.
If the shared NHS Friends and Family Test file is beside the project
(../shared/data/fft-feedback-dev.csv), it also prints how many of those adult
patient comments the screen flags: nearly all should pass, so the rate is a
check on false alarms in ordinary feedback.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.concerns import ConcernRules, load_concern_rules, screen  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "concerns_labelled.csv"
# Statements written after the example bank was frozen, oldest first. Each
# batch was written after one version of the bank was frozen; the next version
# was extended after that batch's misses had been seen. So only the newest
# batch is unseen wording for the shipped bank (version 3).
UNSEEN = [
    (ROOT / "tests" / "data" / "concerns_unseen.csv", "batch 1: unseen by bank v1, seen before v2"),
    (ROOT / "tests" / "data" / "concerns_unseen_2.csv", "batch 2: unseen by bank v2, seen before v3"),
    (ROOT / "tests" / "data" / "concerns_unseen_3.csv", "batch 3: written after bank v3 was frozen"),
]
# Round 3: children's and practitioners' statements written before any tuning,
# committed before the first measurement. The half (dev or holdout) is fixed by
# each text's hash; the screen is tuned on the dev half only.
FRESH = ROOT / "tests" / "data" / "concerns_fresh.csv"
# How many made-up children's answers the demo-style sample holds.
DEMO_SAMPLE = 3000
BOOTSTRAP_SAMPLES = 2000
FFT = ROOT.parent / "shared" / "data" / "fft-feedback-dev.csv"


def load_labelled(path: Path = LABELLED) -> pd.DataFrame:
    """The labelled answers, with the screen's verdict added as columns."""
    frame = pd.read_csv(path, dtype={"text": str, "category": str}, keep_default_na=False)
    frame["concern"] = frame["concern"].astype(int)
    if "audience" not in frame:
        frame["audience"] = "children"
    return frame


def add_predictions(frame: pd.DataFrame, rules: ConcernRules) -> pd.DataFrame:
    """``frame`` with the screen's verdict on each text, screened as its audience."""
    results = [screen(text, rules, audience=audience) for text, audience in zip(frame["text"], frame["audience"])]
    out = frame.copy()
    out["flagged"] = [r.flagged for r in results]
    out["predicted"] = [r.categories for r in results]
    out["matches"] = [r.matches for r in results]
    out["learned_only"] = [r.flagged and not r.matches for r in results]
    return out


def recall_precision(frame: pd.DataFrame) -> dict[str, float | int]:
    """Recall and precision of ``flagged`` against ``concern``."""
    true_pos = int(((frame["concern"] == 1) & frame["flagged"]).sum())
    false_pos = int(((frame["concern"] == 0) & frame["flagged"]).sum())
    false_neg = int(((frame["concern"] == 1) & ~frame["flagged"]).sum())
    positives = true_pos + false_neg
    flagged = true_pos + false_pos
    return {
        "n": len(frame),
        "concerns": positives,
        "tp": true_pos,
        "fp": false_pos,
        "fn": false_neg,
        "recall": true_pos / positives if positives else float("nan"),
        "precision": true_pos / flagged if flagged else float("nan"),
    }


def bootstrap_interval(frame: pd.DataFrame, measure: str, samples: int = BOOTSTRAP_SAMPLES,
                       seed: int = 9) -> tuple[float, float]:
    """95% percentile bootstrap interval of ``measure`` ("recall" or "precision")."""
    rng = np.random.default_rng(seed)
    concern = frame["concern"].to_numpy() == 1
    flagged = frame["flagged"].to_numpy(dtype=bool)
    values = []
    for _ in range(samples):
        pick = rng.integers(0, len(frame), len(frame))
        c, f = concern[pick], flagged[pick]
        hits = int((c & f).sum())
        denominator = int(c.sum()) if measure == "recall" else int(f.sum())
        if denominator:
            values.append(hits / denominator)
    if not values:
        return float("nan"), float("nan")
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def rate_interval(hits: int, total: int, samples: int = BOOTSTRAP_SAMPLES, seed: int = 9) -> tuple[float, float]:
    """95% bootstrap interval of a rate of ``hits`` in ``total``."""
    if not total:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    draws = rng.binomial(total, hits / total, samples) / total
    low, high = np.percentile(draws, [2.5, 97.5])
    return float(low), float(high)


def audience_report(part: pd.DataFrame) -> list[str]:
    """Lines of recall and precision (with intervals) per audience, and the
    professional-text false-alarm rate."""
    lines = []
    for audience, rows in part.groupby("audience"):
        figures = recall_precision(rows)
        recall_low, recall_high = bootstrap_interval(rows, "recall")
        precision_low, precision_high = bootstrap_interval(rows, "precision")
        lines.append(
            f"  {audience:14s} n={figures['n']:3d} concerns={figures['concerns']:3d}  "
            f"recall={figures['recall']:.3f} [{recall_low:.2f}, {recall_high:.2f}]  "
            f"precision={figures['precision']:.3f} [{precision_low:.2f}, {precision_high:.2f}]"
        )
    professional = part[part["note"].str.contains("practitioner professional") & (part["concern"] == 0)]
    alarms = int(professional["flagged"].sum())
    low, high = rate_interval(alarms, len(professional))
    lines.append(
        f"  practitioners' professional sentences flagged: {alarms}/{len(professional)} = "
        f"{alarms / max(len(professional), 1):.3f} [{low:.2f}, {high:.2f}]"
    )
    return lines


def load_fresh(path: Path = FRESH) -> pd.DataFrame:
    """The fresh statements, with ``concern`` 1 where a category is expected."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["concern"] = (frame["category"] != "none").astype(int)
    return frame


def _rate_line(label: str, hits: int, total: int) -> str:
    low, high = rate_interval(hits, total)
    return f"  {label:46s} {hits:3d}/{total:3d} = {hits / max(total, 1):.3f} [{low:.2f}, {high:.2f}]"


def fresh_report(part: pd.DataFrame) -> list[str]:
    """Lines of the fresh set's figures for one half: recall on children's
    disclosures (neglect, the rest), false alarms on children's benign answers
    (and how many only the learned signal raised), practitioners' flag rates."""
    children = part[part["audience"] == "children"]
    disclosures = children[children["concern"] == 1]
    neglect = disclosures[disclosures["category"] == "neglect"]
    other = disclosures[disclosures["category"] != "neglect"]
    benign = children[children["concern"] == 0]
    professional = part[(part["audience"] != "children") & (part["concern"] == 0)]
    relayed = part[(part["audience"] != "children") & (part["concern"] == 1)]
    return [
        _rate_line("children's neglect disclosures flagged", int(neglect["flagged"].sum()), len(neglect)),
        _rate_line("children's other disclosures flagged", int(other["flagged"].sum()), len(other)),
        _rate_line("children's benign answers flagged", int(benign["flagged"].sum()), len(benign)),
        _rate_line("  of which by the learned signal alone", int(benign["learned_only"].sum()), len(benign)),
        _rate_line("practitioners' professional sentences flagged", int(professional["flagged"].sum()),
                   len(professional)),
        _rate_line("practitioners' relayed disclosures flagged", int(relayed["flagged"].sum()), len(relayed)),
    ]


def demo_children_answers(count: int = DEMO_SAMPLE, seed: int = 3) -> list[str]:
    """Made-up children's answers as the demo writes them (openers, closers, two
    topics joined), leaving out those that contain a disclosure the demo plants
    on purpose (its young-carer and cold-house topics, meant for the queue)."""
    from datetime import date

    from feedback_app.demo import Moment, free_text
    from feedback_app.demo_text import TEXT_BANK

    keys = sorted(key for slug, key in TEXT_BANK if slug == "children")
    planted = [text.lower() for trend, _weight, texts in TEXT_BANK[("children", "what_did_not_help")]
               if trend in ("late", "last") for text in texts]
    rng = random.Random(seed)
    answers = []
    for _ in range(count):
        t = rng.random()
        moment = Moment(t, date(2019 + int(t * 4), 7, 1), rng.random() < 0.2)
        answer = free_text(rng, "children", rng.choice(keys), moment, True)
        if answer and not any(text in answer.lower() for text in planted):
            answers.append(answer)
    return answers


def demo_report(rules: ConcernRules, errors: bool) -> list[str]:
    """The share of the demo's benign children's answers that are flagged."""
    answers = demo_children_answers()
    verdicts = {text: screen(text, rules, audience="children") for text in set(answers)}
    flagged = [text for text in answers if verdicts[text].flagged]
    lines = [_rate_line("demo's benign children's answers flagged", len(flagged), len(answers))]
    if errors:
        lines += [f"    - {text!r} {verdicts[text].categories}" for text in sorted(set(flagged))]
    return lines


def per_category(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per category: recall (flagged at all, and flagged with this category)
    over the rows labelled with it, and precision of the category over the
    rows the screen gave it."""
    rows = []
    for key in keys:
        labelled = frame[frame["category"] == key]
        given = frame[frame["predicted"].map(lambda cats, k=key: k in cats)]
        rows.append(
            {
                "category": key,
                "labelled": len(labelled),
                "recall": labelled["flagged"].mean() if len(labelled) else float("nan"),
                "recall_same_category": (
                    labelled["predicted"].map(lambda cats, k=key: k in cats).mean()
                    if len(labelled)
                    else float("nan")
                ),
                "given": len(given),
                "precision": (given["concern"] == 1).mean() if len(given) else float("nan"),
            }
        )
    return pd.DataFrame(rows).set_index("category")


def typical_answers(texts: list[str], count: int = 400, length: int = 200) -> list[str]:
    """Answers of about ``length`` characters, made by joining labelled ones."""
    rng = random.Random(7)
    answers = []
    for _ in range(count):
        parts: list[str] = []
        while sum(len(p) + 2 for p in parts) < length:
            parts.append(rng.choice(texts))
        answers.append(". ".join(parts)[: length + 40])
    return answers


def speed(rules: ConcernRules, texts: list[str], repeat: int = 5) -> dict[str, float]:
    """Best-of-``repeat`` time per answer for the screen and for one bare search."""
    word = re.compile(r"\bfood\b", re.IGNORECASE)

    def best(func) -> float:
        timings = []
        for _ in range(repeat):
            start = time.perf_counter()
            for text in texts:
                func(text)
            timings.append((time.perf_counter() - start) / len(texts))
        return min(timings)

    screen_time = best(lambda text: screen(text, rules))
    search_time = best(word.search)
    return {
        "screen_us": screen_time * 1e6,
        "search_us": search_time * 1e6,
        "ratio": screen_time / search_time,
        "mean_chars": sum(map(len, texts)) / len(texts),
    }


def print_errors(frame: pd.DataFrame) -> None:
    misses = frame[(frame["concern"] == 1) & ~frame["flagged"]]
    alarms = frame[(frame["concern"] == 0) & frame["flagged"]]
    for title, rows in (("missed", misses), ("false alarms", alarms)):
        print(f"  {title} ({len(rows)}):")
        for row in rows.itertuples():
            extra = f" {row.predicted} {row.matches}" if row.flagged else f" [{row.category}]"
            print(f"    - {row.text!r}{extra}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--errors", action="store_true", help="list misses and false alarms on the dev half"
    )
    parser.add_argument(
        "--holdout-errors",
        action="store_true",
        help="also list them on the holdout half (look only after tuning is done)",
    )
    parser.add_argument(
        "--dev-only", action="store_true", help="skip the holdout half (while tuning)"
    )
    parser.add_argument("--rules", type=Path, default=None, help="rules file to evaluate")
    args = parser.parse_args(argv)

    rules = load_concern_rules(args.rules)
    keys = [category.key for category in rules.categories]
    frame = add_predictions(load_labelled(), rules)
    print(f"Concern rules version {rules.version} ({rules.path.name})\n")

    pd.set_option("display.width", 120)
    for split in ("dev",) if args.dev_only else ("dev", "holdout"):
        part = frame[frame["split"] == split]
        figures = recall_precision(part)
        print(
            f"{split:8s} n={figures['n']:3d} concerns={figures['concerns']:3d}  "
            f"recall={figures['recall']:.3f} ({figures['tp']}/{figures['concerns']})  "
            f"precision={figures['precision']:.3f} ({figures['tp']}/{figures['tp'] + figures['fp']})"
        )
        print("\n".join(audience_report(part)))
        print(per_category(part, keys).round(2).to_string())
        if (args.errors and split == "dev") or (args.holdout_errors and split == "holdout"):
            print_errors(part)
        print()

    for path, note in UNSEEN if not args.dev_only else []:
        if not path.exists():
            continue
        unseen = add_predictions(load_labelled(path), rules)
        print(f"wording written after the bank was frozen, {path.name} ({note}):")
        print("\n".join(audience_report(unseen)))
        if args.holdout_errors:
            print_errors(unseen)
        print()

    if FRESH.exists():
        fresh = add_predictions(load_fresh(), rules)
        for split in ("dev",) if args.dev_only else ("dev", "holdout"):
            part = fresh[fresh["split"] == split]
            print(f"fresh statements ({FRESH.name}), {split} half:")
            print("\n".join(fresh_report(part)))
            if (args.errors and split == "dev") or (args.holdout_errors and split == "holdout"):
                print_errors(part)
            print()
    print("\n".join(demo_report(rules, args.errors)) + "\n")

    # Most answers raise no concern and leave the screen after one pass; the
    # rest are screened category by category. Time both kinds, each as
    # answers of about 200 characters made by joining labelled rows.
    for kind, concern in (("clear answers", 0), ("concerning answers", 1)):
        texts = frame.loc[frame["concern"] == concern, "text"].tolist()
        timings = speed(rules, typical_answers(texts))
        print(
            f"speed, {kind:18s}: screen {timings['screen_us']:6.1f} µs per answer "
            f"(mean {timings['mean_chars']:.0f} chars); bare re.search of one word "
            f"{timings['search_us']:.2f} µs; ratio {timings['ratio']:.0f}x"
        )

    if FFT.exists():
        fft = pd.read_csv(FFT, usecols=["FFT answer"]).dropna()
        verdicts = [screen(text, rules, audience="parents") for text in fft["FFT answer"]]
        flagged = [(t, v) for t, v in zip(fft["FFT answer"], verdicts) if v.flagged]
        print(
            f"\nNHS FFT adult patient comments, screened as parents' answers: {len(flagged)} of {len(fft)} flagged "
            f"({len(flagged) / len(fft):.1%})"
        )
        timings = speed(rules, fft["FFT answer"].tolist(), repeat=3)
        print(
            f"speed, FFT comments      : screen {timings['screen_us']:6.1f} µs per answer "
            f"(mean {timings['mean_chars']:.0f} chars); bare re.search of one word "
            f"{timings['search_us']:.2f} µs; ratio {timings['ratio']:.0f}x"
        )
        if args.errors:
            for text, verdict in flagged:
                print(f"    - {text[:160]!r} {verdict.categories} {verdict.matches}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
