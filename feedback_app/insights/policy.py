"""The disclosure policy of a request: the threshold setting and the questionnaire's respondents.

``SUPPRESSION_THRESHOLD`` is the one source of the threshold. A questionnaire answered
by organisations (``respondent: organisation``, e.g. a named agency's RAG return) is
never suppressed; every other questionnaire is answered by people and is.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from analysis.disclosure import DisclosurePolicy

from .. import definitions


def threshold_setting() -> int:
    """The ``SUPPRESSION_THRESHOLD`` setting of the running app."""
    return int(current_app.config.get("SUPPRESSION_THRESHOLD", 5))


def respondent_of(questionnaire: Any) -> str | None:
    """Who answers ``questionnaire`` (``person`` or ``organisation``), as its newest version's
    definition says or the default for its slug; None for no questionnaire (read as people)."""
    if questionnaire is None:
        return None
    version = questionnaire.latest_version()
    return definitions.respondent_of(version) if version is not None else definitions.default_respondent(questionnaire.slug)


def disclosure_policy(questionnaire: Any = None, threshold: int | None = None) -> DisclosurePolicy:
    """The policy for ``questionnaire``'s answers at ``threshold`` (default: the setting)."""
    return DisclosurePolicy.for_respondent(threshold_setting() if threshold is None else threshold,
                                           respondent_of(questionnaire))
