"""Agreement between two coders who coded the same answers blind (pure functions).

Cohen's kappa for each theme (did both coders see the theme in the answer?) and for
sentiment; Krippendorff's alpha (nominal, the ``krippendorff`` package) for sentiment
and over every theme decision pooled; and the disagreements side by side.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import krippendorff
import numpy as np

__all__ = ["Code", "Agreement", "Disagreement", "cohen_kappa", "krippendorff_alpha", "agreement"]


@dataclass(frozen=True)
class Code:
    """One coder's code of one answer: its sentiment label (or None) and its theme keys."""

    sentiment: str | None
    themes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Disagreement:
    """An answer the two coders coded differently."""

    unit: object
    first: Code
    second: Code


@dataclass(frozen=True)
class Agreement:
    """Agreement figures for the answers both coders coded (``n_units``)."""

    n_units: int
    sentiment_kappa: float | None
    sentiment_alpha: float | None
    theme_alpha: float | None
    theme_kappa: dict[str, float | None] = field(default_factory=dict)
    disagreements: list[Disagreement] = field(default_factory=list)
    #: the themes either coder chose at least once
    used_themes: frozenset[str] = frozenset()


def cohen_kappa(first: Sequence[object], second: Sequence[object]) -> float | None:
    """Cohen's kappa of two equal-length label sequences; None when it is undefined
    (no units, or chance agreement is certain, e.g. both always chose the same label).

    Raises ``ValueError`` if the lengths differ.
    """
    if len(first) != len(second):
        raise ValueError(f"{len(first)} codes against {len(second)}")
    n = len(first)
    if not n:
        return None
    observed = sum(a == b for a, b in zip(first, second)) / n
    labels = set(first) | set(second)
    expected = sum((list(first).count(c) / n) * (list(second).count(c) / n) for c in labels)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def krippendorff_alpha(first: Sequence[object], second: Sequence[object]) -> float | None:
    """Krippendorff's alpha (nominal) for two coders; None when undefined (fewer than
    two units or a single value throughout)."""
    values = sorted({str(v) for v in list(first) + list(second)})
    if len(first) < 2 or len(values) < 2:
        return None
    index = {v: i for i, v in enumerate(values)}
    data = np.array([[index[str(v)] for v in first], [index[str(v)] for v in second]], dtype=float)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def agreement(first: Mapping[object, Code], second: Mapping[object, Code], themes: Sequence[str]) -> Agreement:
    """Agreement of two coders over the units both coded, for the given theme keys."""
    units = sorted(set(first) & set(second), key=str)
    a_sent = [first[u].sentiment for u in units]
    b_sent = [second[u].sentiment for u in units]
    theme_kappa = {}
    pooled_a: list[bool] = []
    pooled_b: list[bool] = []
    for theme in themes:
        a = [theme in first[u].themes for u in units]
        b = [theme in second[u].themes for u in units]
        theme_kappa[theme] = cohen_kappa(a, b)
        pooled_a += a
        pooled_b += b
    disagreements = [Disagreement(u, first[u], second[u]) for u in units if first[u] != second[u]]
    return Agreement(
        n_units=len(units),
        sentiment_kappa=cohen_kappa(a_sent, b_sent),
        sentiment_alpha=krippendorff_alpha(a_sent, b_sent),
        theme_alpha=krippendorff_alpha(pooled_a, pooled_b),
        theme_kappa=theme_kappa,
        disagreements=disagreements,
        used_themes=frozenset(t for u in units for t in first[u].themes | second[u].themes),
    )
