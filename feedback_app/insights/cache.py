"""What the comparison page computed, kept while the answers behind it have not changed.

Issue 13 item 2 (a first step): a warm comparison page reads no answer rows. Its
summary, provenance and stale count are kept in a bounded in-process LRU, keyed by the
:func:`data_fingerprint` (the newest answer, feature change, coding, codebook version
and sentiment model, the newest response and the count of exclusions and erasures) plus the page's own
filters (question, agency, rounds, disclosure threshold). Any new answer, analysed
feature, analyst code, exclusion, erasure, codebook edit or model change gives a new
fingerprint, so an old entry is never served; it simply ages out of the LRU.

Why in process rather than files in the instance folder: an entry is a few tens of
kilobytes of Python objects (rows of display text and two SVG charts); unpickling a file
would cost about what it saves at 10k answers, and files need their own clean-up. Each
gunicorn worker keeps its own cache (:data:`MAX_ENTRIES` entries at most), so a page is
computed at most once per worker per change.
"""

from __future__ import annotations

from typing import Any, Hashable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..kept import KeptPerProcess
from ..models import Answer, AnswerFeature, Coding, CodebookVersion, Response, SentimentModelVersion
from ..tallies import tally_marker

MAX_ENTRIES = 128


PAGE_CACHE: KeptPerProcess[Hashable, Any] = KeptPerProcess(MAX_ENTRIES)


def data_fingerprint(session: Session) -> tuple:
    """One cheap query saying whether anything a comparison page reads has changed.

    Maxima of indexed columns (the newest response, answer, feature change, coding,
    codebook version and model in use) cost one index probe each. An erased or excluded
    response moves no maximum: exclusion and erasure bump ``tally_state.changes``
    (:func:`feedback_app.tallies.note_response_change`; issue 13: this replaced two counts
    over the responses, which grew with them). The tallies' state and totals
    (:func:`feedback_app.tallies.tally_marker`) are a scan of the tallies of all answers:
    one row per round, question, agency and theme (a few thousand, however many answers),
    kept as a guard against a writer that changes the tallies and moves none of the maxima.
    """
    row = session.execute(select(
        select(func.max(Answer.id)).scalar_subquery(),
        select(func.max(AnswerFeature.computed_at)).scalar_subquery(),
        select(func.max(Coding.id)).scalar_subquery(),
        select(func.max(CodebookVersion.version)).scalar_subquery(),
        select(func.max(SentimentModelVersion.version)).where(SentimentModelVersion.in_use.is_(True))
        .scalar_subquery(),
        select(func.count(SentimentModelVersion.id)).scalar_subquery(),
        select(func.max(Response.id)).scalar_subquery(),
    )).one()
    database = session.get_bind().url.render_as_string(hide_password=True)  # one process, one database; tests many
    # The tallies the page reads (a rebuild, or any change a writer made to them: issue 13 item 2).
    return (database,) + tuple(str(value) if value is not None else None for value in row) + tally_marker(session)
