"""The disclosure rules, one at a time (analysis/disclosure.py)."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis.disclosure import AgencyFilterRefused, DisclosurePolicy, RoundGroup, round_groups

PEOPLE = DisclosurePolicy(5)
ORGANISATIONS = DisclosurePolicy(5, organisational=True)


@pytest.mark.parametrize(("n", "shown"), [(0, "0"), (1, "fewer than 5"), (4, "fewer than 5"), (5, "5"), (None, "0")])
def test_primary_suppression_of_a_count(n, shown):
    assert PEOPLE.count_text(n) == shown


@pytest.mark.parametrize(
    ("counts", "hidden"),
    [
        ([10, 3], [True, True]),                       # 13 - 10 would give 3
        ([7, 2, 1], [True, True, True]),               # 2 + 1 = 3 < 5: "yes" goes too
        ([12, 9, 2], [False, True, True]),             # 2 + 9 >= 5
        ([12, 3, 0], [True, True, False]),             # a zero is never the second cell
        ([6, 6, 6], [False, False, False]),            # nothing small
        ([3, 4, 20, 30], [True, True, False, False]),  # two withheld making 7
    ],
)
def test_secondary_suppression_of_a_partition(counts, hidden):
    assert PEOPLE.suppress_partition(counts) == hidden


def test_without_a_shown_total_only_primary_suppression():
    assert PEOPLE.suppress_partition([10, 3], total_shown=False) == [False, True]


def test_organisational_returns_are_never_suppressed():
    assert ORGANISATIONS.count_text(2) == "2" and ORGANISATIONS.min_count == 1
    assert ORGANISATIONS.suppress_partition([10, 3]) == [False, False]
    assert ORGANISATIONS.agency_shown("Police", {"Police": 1}) == "Police"
    ORGANISATIONS.check_agency_filter("Police", [RoundGroup("R", 10, 11)])
    assert DisclosurePolicy.for_respondent(5, "organisation").organisational
    assert not DisclosurePolicy.for_respondent(5, None).organisational


def test_agency_named_on_a_quote_only_with_enough_answers_in_the_round():
    counts = {"Police": 17, "Health": 3, None: 8}
    assert PEOPLE.agency_shown("Police", counts) == "Police"
    assert PEOPLE.agency_shown("Health", counts) is None
    assert PEOPLE.agency_shown(float("nan"), counts) is None


def test_agency_filter_refused_when_everyone_else_is_a_small_group():
    with pytest.raises(AgencyFilterRefused, match="in 2024, fewer than 5 answers came from other agencies"):
        PEOPLE.check_agency_filter("Schools", [RoundGroup("2023", 40, 80), RoundGroup("2024", 10, 13)])
    # the agency alone is small: its round is suppressed whole in the filtered view, nothing to difference
    PEOPLE.check_agency_filter("Health", [RoundGroup("2024", 3, 20)])
    PEOPLE.check_agency_filter("Schools", [RoundGroup("2024", 13, 13)])  # nobody else answered


def test_round_groups_count_responses_not_answers():
    frame = pd.DataFrame({"round_id": [1, 1, 1, 2], "round_label": ["A", "A", "A", "B"], "round_order": [0, 0, 0, 1],
                          "response_id": [1, 1, 2, 3], "agency": ["Police", "Police", "Health", "Police"]})
    assert round_groups(frame, "Police") == [RoundGroup("A", 1, 2), RoundGroup("B", 1, 1)]


def test_words_and_phrases_need_the_threshold():
    assert not PEOPLE.phrase_reportable(3) and PEOPLE.phrase_reportable(5)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "5"])
def test_a_bad_threshold_is_refused(bad):
    with pytest.raises(ValueError, match="at least 1"):
        DisclosurePolicy(bad)
