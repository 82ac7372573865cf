"""Statistical disclosure control: the one place that decides what may be shown.

Every page, report, word cloud, quote list, answer list, emerging phrase, index total
and analyst export asks a :class:`DisclosurePolicy` rather than comparing counts with
the threshold itself, so a leak found once is fixed once. The rules follow the
practice of UK official statistics:

* **Primary suppression.** A count from 1 to ``threshold - 1`` is withheld and read as
  "fewer than N"; every share, difference or test worked out from it is withheld too.
  Zero is shown.
* **Secondary suppression.** Where the cells of a row or column add up to a total that
  is shown (options of a single-choice question, the positive / neutral / negative
  split of a round), one withheld cell could be recovered as the total minus the
  others. So the next-smallest non-zero cell is withheld as well, and further cells
  until the withheld cells add up to at least the threshold. Such a cell reads
  "withheld" (it is not small itself).
* **Small groups are not quoted.** Verbatim answers are shown only when at least
  ``threshold`` answers match, and an answer's agency is named only when that agency
  gave at least ``threshold`` answers in the round.
* **No isolating filters.** An agency filter is refused when, in a round the filtered
  view would show, the answers *not* from that agency are fewer than the threshold:
  the unfiltered view minus the filtered one would describe that small group.
* **Phrases and words need the threshold.** An emerging phrase or a word-cloud word
  must be used in at least ``threshold`` answers.

Organisational returns (a named agency's RAG return) describe an organisation, not a
person: a policy made with ``organisational=True`` suppresses nothing.

Pure functions only (no Flask, no database): the app builds one policy per request
from the ``SUPPRESSION_THRESHOLD`` setting and the questionnaire's respondent kind.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, NamedTuple, Sequence

import pandas as pd

__all__ = ["SECONDARY_LABEL", "DisclosurePolicy", "AgencyFilterRefused", "RoundGroup", "round_groups", "suppressed_label"]

#: What a count withheld by secondary suppression reads (it is not small itself).
SECONDARY_LABEL = "withheld"

#: ``respondent`` values of a questionnaire whose answers describe an organisation.
ORGANISATIONAL_RESPONDENTS = frozenset({"organisation", "organization"})


def suppressed_label(threshold: int) -> str:
    """The text shown instead of a small count: ``"fewer than 5"``."""
    return f"fewer than {threshold}"


class AgencyFilterRefused(ValueError):
    """An agency filter that would isolate a small group; the message says why, plainly."""


@dataclass(frozen=True)
class DisclosurePolicy:
    """What may be shown, for one threshold and one kind of respondent.

    ``threshold`` is the smallest count shown as itself (``SUPPRESSION_THRESHOLD``,
    5 by default). ``organisational`` is True for returns made by a named organisation
    (never suppressed). Raises ``ValueError`` for a threshold below 1.
    """

    threshold: int = 5
    organisational: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int) or self.threshold < 1:
            raise ValueError(f"the suppression threshold must be a whole number of at least 1, got {self.threshold!r}")

    @classmethod
    def for_respondent(cls, threshold: int, respondent: str | None) -> "DisclosurePolicy":
        """The policy for a questionnaire answered by ``respondent`` (``person`` or
        ``organisation``; None reads as ``person``)."""
        return cls(int(threshold), organisational=(respondent or "person").lower() in ORGANISATIONAL_RESPONDENTS)

    @classmethod
    def of(cls, value: "DisclosurePolicy | int") -> "DisclosurePolicy":
        """``value`` if it is a policy; a threshold (int) as a policy for people's answers."""
        return value if isinstance(value, DisclosurePolicy) else cls(int(value))

    # ------------------------------------------------------------ single counts

    @property
    def active(self) -> bool:
        """True when anything can be suppressed (a person's answers, threshold above 1)."""
        return not self.organisational and self.threshold > 1

    @property
    def min_count(self) -> int:
        """The ``min_count`` to hand the functions of ``analysis.compare``: the threshold,
        or 1 (nothing small) when the policy suppresses nothing."""
        return self.threshold if self.active else 1

    @property
    def label(self) -> str:
        """``"fewer than 5"``."""
        return suppressed_label(self.min_count)

    def is_small(self, n: int | None) -> bool:
        """True for a count that must be withheld (1 to threshold - 1)."""
        return self.active and n is not None and 0 < int(n) < self.threshold

    def reportable(self, n: int | None) -> bool:
        """True when a group of ``n`` is big enough to describe, quote or chart (``n`` ≥ threshold)."""
        return n is not None and (not self.active or int(n) >= self.threshold)

    def too_small(self, n: int | None) -> bool:
        """True when a group of ``n`` answers is too small to describe at all (its counts,
        shares, mean, tests and quotes withheld): fewer than :attr:`min_count`. ``None``
        (an unknown count) is too small."""
        return n is None or int(n) < self.min_count

    def count_text(self, n: int | None, noun: str = "") -> str:
        """``n`` as shown: ``"12"``, ``"0"`` or ``"fewer than 5"``; with ``noun``
        (``"responses"``) appended. ``None`` reads as 0."""
        n = int(n or 0)
        text = self.label if self.is_small(n) else str(n)
        return f"{text} {noun}".rstrip()

    # ------------------------------------------------------------ tables

    def suppress_partition(self, counts: Sequence[int], total_shown: bool = True) -> list[bool]:
        """Which cells of a partition (cells that add up to a shown total) to withhold.

        Primary: every small cell. Secondary (when ``total_shown``): if any cell is
        withheld, the smallest non-zero cells left are withheld too, until at least two
        cells are withheld and together they make at least the threshold, so the total
        minus the shown cells never gives a small number away. Returns one flag per cell.
        """
        hidden = [self.is_small(n) for n in counts]
        if not total_shown or not any(hidden):
            return hidden

        def withheld_sum() -> int:
            return sum(int(n) for n, h in zip(counts, hidden) if h)

        while sum(hidden) < 2 or withheld_sum() < self.threshold:
            candidates = [(int(n), i) for i, (n, h) in enumerate(zip(counts, hidden)) if not h and int(n) > 0]
            if not candidates:
                break
            hidden[min(candidates)[1]] = True
        return hidden

    # ------------------------------------------------------------ quotes, phrases, words

    def nameable_agencies(self, answers_by_agency: Mapping[str | None, int]) -> frozenset[str]:
        """The agencies that may be named on a quote: those with at least the threshold
        of answers in the round (``answers_by_agency`` counts the round's answers)."""
        return frozenset(a for a, n in answers_by_agency.items() if a is not None and self.reportable(n))

    def agency_shown(self, agency: str | None, answers_by_agency: Mapping[str | None, int]) -> str | None:
        """``agency`` if it may be named on a quote from this round, else None."""
        if agency is None or agency != agency:  # None or NaN
            return None
        return agency if agency in self.nameable_agencies(answers_by_agency) else None

    def phrase_reportable(self, answers_using: int) -> bool:
        """True when an emerging phrase (or a word-cloud word) used in ``answers_using``
        answers may be listed."""
        return self.reportable(answers_using)

    # ------------------------------------------------------------ filters

    def check_agency_filter(self, agency: str, rounds: Iterable[RoundGroup]) -> None:
        """Refuse an agency filter that would isolate a small group.

        For each round the filtered view would show (the agency has at least the
        threshold of answers), the answers from everyone else must be none or at least
        the threshold. Raises :class:`AgencyFilterRefused` with a plain message naming
        the round otherwise.
        """
        if not self.active:
            return
        for group in rounds:
            others = group.total - group.agency
            if self.reportable(group.agency) and self.is_small(others):
                raise AgencyFilterRefused(
                    f"The filter for {agency} is not applied: in {group.label}, {self.label} answers came from "
                    f"other agencies, so comparing the filtered and unfiltered figures could identify them. "
                    f"The figures below are for all agencies."
                )


class RoundGroup(NamedTuple):
    """How many answers a round has in all and from one agency (for the filter check)."""

    label: str
    agency: int
    total: int


def round_groups(answers: pd.DataFrame, agency: str) -> list[RoundGroup]:
    """Per round of an answers frame (``round_id``, ``round_label``, ``round_order``,
    ``agency``, ``response_id``): the responses from ``agency`` and from everyone, for
    :meth:`DisclosurePolicy.check_agency_filter`. Rounds in time order."""
    if answers.empty:
        return []
    frame = answers.drop_duplicates(["round_id", "response_id"])
    out = []
    for (_order, _rid, label), part in frame.groupby(["round_order", "round_id", "round_label"], sort=True):
        out.append(RoundGroup(str(label), int((part["agency"] == agency).sum()), len(part)))
    return out
