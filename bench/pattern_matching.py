"""How matching time grows with answer length: codebook patterns and safeguarding screening.

For each adversarial answer shape, times matching at N and 10 x N characters (best of 3)
and prints the ratio (linear time: about 10; quadratic: about 100). The codebook carries
adversarial analyst patterns (``aa*a*a*a*b`` and others); the screening uses the shipped
``analysis/concern_rules.yaml``. A run that exceeds 60 s at 10 x N is cut off and shown as
"> 60 s".

    python bench/pattern_matching.py            # N = 10,000 (and 100,000)
    python bench/pattern_matching.py --n 5000
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.codebook import add_pattern, load_codebook  # noqa: E402
from analysis.concerns import load_concern_rules, screen  # noqa: E402

CODEBOOK_PATTERNS = ["aa*a*a*a*b", "ab*ab*ab*ab*ab*c", "aa*a .. aa*a .. aa*a .. aa*b"]
SHAPES = {
    "one long word": lambda n: "a" * n,
    "short words": lambda n: "aa " * (n // 3),
    "ab repeated": lambda n: "ab" * (n // 2),
    "excluded phrase repeated": lambda n: "school holidays " * (n // 16),
    "concern phrase repeated": lambda n: "hit me " * (n // 7),
    "word then underscores": lambda n: "hit" + "_" * n,
    "gap then underscores": lambda n: "scared" + " _" * (n // 2) + " home",
}


class Cut(Exception):
    pass


def _timed(action, text: str, limit: float) -> float | None:
    def _stop(*_):
        raise Cut()

    signal.signal(signal.SIGALRM, _stop)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            action(text)
            best = min(best, time.perf_counter() - started)
        return best
    except Cut:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    codebook = load_codebook()
    for pattern in CODEBOOK_PATTERNS:
        codebook = add_pattern(codebook, codebook.keys[0], pattern)
    rules = load_concern_rules()
    matchers = {"codebook": codebook.matches, "screening": lambda text: screen(text, rules)}
    print(f"{'matcher':<10} {'answer shape':<26} {'N=' + format(args.n, ','):>12} {'10N':>12} {'ratio':>7}")
    for name, action in matchers.items():
        for shape, make in SHAPES.items():
            small = _timed(action, make(args.n), 60)
            large = _timed(action, make(args.n * 10), 60) if small is not None else None
            shown = [f"{t * 1000:.1f} ms" if t is not None else "> 60 s" for t in (small, large)]
            ratio = f"{large / max(small, 1e-6):.1f}" if small and large else "-"
            print(f"{name:<10} {shape:<26} {shown[0]:>12} {shown[1]:>12} {ratio:>7}")


if __name__ == "__main__":
    main()
