"""Counted answers, so a closed question's comparison page and the report read counts, not
every answer (issue 13: at a million answers a grouped count over the answers took 6.9 s).

``choice_tallies`` holds, per round, question, agency and value, how many answers of
responses below ``tally_state.choices_below`` (and not excluded) gave that value (a
free-text answer's value counted as "": how many answers a question has), with the
first response that gave it (values unknown to a definition are listed in the order the
answers first gave them), and under the question key "" the responses themselves per round
and agency (the index pages' and the report's response counts). A reader adds a live count over the responses from the mark on
(:func:`choice_counts`), so the figures are exact whatever the mark, and the respondent's
post writes nothing here: the mark is moved up off the request path
(:func:`advance_choice_mark`, run with the analysed mark by the sweep, ``analyse`` and a
rebuild), a batch of responses per transaction.

An exclusion, or an inclusion again, takes the responses' counted answers out of the tallies
or puts them back, in the same transaction (:func:`kept_choice_tallies`); an erasure of
rounds drops their tallies (:func:`forget_choice_rounds`); a rebuild counts everything
again (:func:`reset_choice_tallies`). On PostgreSQL a response id may
commit after a higher one, so, as with the analysed mark, the mark found by one advance is
taken up by a later one, once every transaction in progress when it was found has ended.
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from typing import Collection, Iterator

from sqlalchemy import String, case, delete, func, literal, select, text, update
from sqlalchemy.orm import Session

from .db import PG_SNAPSHOT, dialect_insert, settled_mark
from .definitions import TEXT_TYPES
from .models import Answer, ChoiceTally, Question, Response, Round, TallyState

CHOICE_BATCH = 50_000  # responses counted per transaction when the mark moves
RESPONSES = ""  # the question key under which the responses themselves are counted (value "")
NO_AGENCY = ""


def _grouped(*where):
    """Answers of responses not excluded, counted per round, question, agency and value (a
    free-text answer's value as "": only how many there are), with the first response giving
    each, under ``where``."""
    agency = func.coalesce(Response.agency, NO_AGENCY)
    value = case((Question.type.in_(TEXT_TYPES), literal("", String)), else_=Answer.value)
    return (select(Response.round_id, Answer.question_key, agency, value, func.count(), func.min(Answer.response_id))
            .select_from(Response)
            .join(Answer, Answer.response_id == Response.id)
            .join(Round, Round.id == Response.round_id)
            .join(Question, (Question.version_id == Round.version_id) & (Question.key == Answer.question_key))
            .where(Response.excluded.is_(False), *where)
            .group_by(Response.round_id, Answer.question_key, agency, value))


def choices_mark(session: Session) -> int:
    """The response id below which the choice tallies count every response (0: none)."""
    return int(session.scalar(select(TallyState.choices_below).where(TallyState.id == 1)) or 0)


def choice_counts(session: Session, question_key: str, round_ids: Collection[int],
                  agency: str | None = None) -> dict[tuple[int, str], tuple[int, int]]:
    """For ``question_key`` in ``round_ids`` (one ``agency``, or all): per (round id, value),
    how many counted answers gave it and the first response that did; the tallies below
    the mark plus a live count from it on (a range of the newest responses)."""
    ids = list(round_ids)
    mark = choices_mark(session)
    tallied = select(ChoiceTally.round_id, ChoiceTally.value, func.sum(ChoiceTally.answers),
                     func.min(ChoiceTally.first_response)).where(
        ChoiceTally.question_key == question_key, ChoiceTally.round_id.in_(ids))
    if agency is not None:
        tallied = tallied.where(ChoiceTally.agency == agency)
    counts: dict[tuple[int, str], tuple[int, int]] = {}
    for round_id, value, answers, first in session.execute(tallied.group_by(ChoiceTally.round_id, ChoiceTally.value)):
        counts[(int(round_id), value)] = (int(answers), int(first))
    live = (_responses(Response.id >= mark, Response.round_id.in_(ids)) if question_key == RESPONSES else
            _grouped(Response.id >= mark, Answer.question_key == question_key, Response.round_id.in_(ids)))
    if agency is not None:
        live = live.where(Response.agency == agency)
    for round_id, _key, _agency, value, answers, first in session.execute(live):
        known = counts.get((int(round_id), value), (0, int(first)))
        counts[(int(round_id), value)] = (known[0] + int(answers), min(known[1], int(first)))
    return counts


def _responses(*where):
    """Responses not excluded, counted per round and agency under ``where``, in the shape of
    :func:`_grouped` (question key :data:`RESPONSES`, value "")."""
    agency = func.coalesce(Response.agency, NO_AGENCY)
    return (select(Response.round_id, literal(RESPONSES, String), agency, literal("", String), func.count(),
                   func.min(Response.id))
            .where(Response.excluded.is_(False), *where).group_by(Response.round_id, agency))


def round_counts(session: Session, question_key: str, round_ids: Collection[int],
                 agency: str | None = None) -> dict[int, int]:
    """Counted answers to ``question_key`` per round of ``round_ids`` (one ``agency``, or all),
    whatever their value; rounds without any absent. With :data:`RESPONSES`, the responses."""
    totals: Counter[int] = Counter()
    for (round_id, _value), (answers, _first) in choice_counts(session, question_key, round_ids, agency).items():
        totals[round_id] += answers
    return dict(totals)


def response_counts(session: Session, round_ids: Collection[int], agency: str | None = None) -> dict[int, int]:
    """Responses per round of ``round_ids`` (one ``agency``, or all; excluded ones left out),
    from the tallies below the mark plus a live count above it; rounds without any absent."""
    return round_counts(session, RESPONSES, round_ids, agency)


def _add(session: Session, low: int, high: int) -> None:
    """Add the responses with ids in [low, high) to the tallies (the caller's transaction)."""
    within = (Response.id >= low, Response.id < high)
    _upsert(session, [_row(cell, counted) for cell, counted in _cells(session, *within).items()])


def _upsert(session: Session, rows: list[dict]) -> None:
    """Add ``rows``' answers to their cells (new cells inserted), keeping the smaller first
    response."""
    if not rows:
        return
    statement = dialect_insert(session)(ChoiceTally.__table__)
    smaller = func.least if session.get_bind().dialect.name == "postgresql" else func.min
    statement = statement.on_conflict_do_update(
        index_elements=["round_id", "question_key", "agency", "value"],
        set_={"answers": ChoiceTally.__table__.c.answers + statement.excluded.answers,
              "first_response": smaller(ChoiceTally.__table__.c.first_response, statement.excluded.first_response)})
    for start in range(0, len(rows), 1000):
        session.execute(statement, rows[start:start + 1000])


def _settled_top(session: Session, state: TallyState, top: int, oldest_running: int) -> int:
    """PostgreSQL: the mark this advance may move to (the last advance's candidate, once
    every transaction running then has ended; else where it is), recording ``top`` as the
    next candidate."""
    settled = settled_mark(int(state.choices_below or 0), state.choices_candidate, state.choices_xmax,
                           oldest_running, top)
    state.choices_candidate, state.choices_xmax = top, session.execute(text(PG_SNAPSHOT)).one()[1]
    return settled


def advance_choice_mark(session: Session, batch: int = CHOICE_BATCH) -> int:
    """Count the responses from the mark up to the newest into the tallies, ``batch`` of
    them per write transaction of its own (on SQLite it holds the write lock: submissions
    wait for one batch at most), and move the mark past them; returns the mark."""
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind).execution_options(sqlite_begin="IMMEDIATE")
    postgresql = engine.dialect.name == "postgresql"
    with Session(bind=engine, expire_on_commit=False) as writer:
        oldest_running = writer.execute(text(PG_SNAPSHOT)).one()[0] if postgresql else None
        top = (writer.scalar(select(func.max(Response.id))) or 0) + 1
        writer.rollback()
        goal = None
        while True:
            state = writer.scalar(select(TallyState).where(TallyState.id == 1).with_for_update())
            if state is None:
                return 0
            mark = int(state.choices_below or 0)
            if goal is None:
                goal = _settled_top(writer, state, top, oldest_running) if postgresql else top
            high = min(goal, mark + batch)
            if high > mark:
                _add(writer, mark, high)
                state.choices_below = high
            writer.commit()
            if high <= mark or high >= goal:
                return max(high, mark)


def reset_choice_tallies(session: Session) -> None:
    """Forget every choice tally and put the mark back to 0 (a rebuild, in the caller's
    transaction): the pages count live until the next advance has counted again."""
    session.execute(delete(ChoiceTally))
    session.execute(update(TallyState).where(TallyState.id == 1).values(
        choices_below=0, choices_candidate=None, choices_xmax=None))


Cell = tuple[int, str, str, str]  # round id, question key, agency, value


def _cells(session: Session, *where) -> dict[Cell, tuple[int, int]]:
    """(answers, first response) per cell of the responses under ``where``, not excluded."""
    return {(int(r), k, a, v): (int(n), int(f))
            for query in (_grouped(*where), _responses(*where)) for r, k, a, v, n, f in session.execute(query)}


@contextmanager
def kept_choice_tallies(session: Session, *which) -> Iterator[None]:
    """Keep the choice tallies exact while the block excludes or includes again the responses
    under ``which`` (column conditions on ``Response``), in the caller's transaction: their
    counted answers below the mark are taken out of the tallies before and put back after,
    and a count whose first response left is given the next one. The caller holds the tally
    state's row (:func:`feedback_app.tallies.note_response_change`), so no advance runs
    between."""
    mark = choices_mark(session)
    below = (*which, Response.id < mark)
    before = _cells(session, *below)
    yield
    session.flush()
    after = _cells(session, *below)
    for cell, counted in before.items():
        _take_off(session, cell, counted, mark)
    _upsert(session, [_row(cell, counted) for cell, counted in after.items()])
    session.execute(delete(ChoiceTally).where(ChoiceTally.answers <= 0))


def _where_cell(cell: Cell):
    round_id, key, agency, value = cell
    table = ChoiceTally.__table__
    return ((table.c.round_id == round_id) & (table.c.question_key == key) & (table.c.agency == agency)
            & (table.c.value == value))


def _take_off(session: Session, cell: Cell, counted: tuple[int, int], mark: int) -> None:
    """Take a cell's ``counted`` (answers, first response) off; if its first response was
    that one, find the cell's first counted response below ``mark`` again (the responses'
    new state)."""
    table = ChoiceTally.__table__
    session.execute(update(table).where(_where_cell(cell)).values(answers=table.c.answers - counted[0]))
    if session.scalar(select(table.c.first_response).where(_where_cell(cell))) != counted[1]:
        return
    round_id, key, agency, value = cell
    below = (Response.round_id == round_id, Response.id < mark,
             func.coalesce(Response.agency, NO_AGENCY) == agency)
    query = _responses(*below) if key == RESPONSES else _grouped(*below, Answer.question_key == key)
    firsts = [int(first) for _r, _k, _a, v, _n, first in session.execute(query) if v == value]
    session.execute(update(table).where(_where_cell(cell)).values(first_response=min(firsts, default=0)))


def _row(cell: Cell, counted: tuple[int, int]) -> dict:
    round_id, key, agency, value = cell
    return {"round_id": round_id, "question_key": key, "agency": agency, "value": value,
            "answers": counted[0], "first_response": counted[1]}


def forget_choice_rounds(session: Session, round_ids: Collection[int]) -> None:
    """Drop the choice tallies of rounds whose responses are all being deleted (retention),
    in the caller's transaction. SQLite gives a new row the id after the largest left, so
    the mark comes down to just above the responses that stay: ids that come back are
    counted live, then by the next advance."""
    ids = list(round_ids)
    session.execute(delete(ChoiceTally).where(ChoiceTally.round_id.in_(ids)))
    kept = session.scalar(select(func.max(Response.id)).where(Response.round_id.not_in(ids))) or 0
    if choices_mark(session) > kept + 1:
        session.execute(update(TallyState).where(TallyState.id == 1).values(choices_below=kept + 1))
