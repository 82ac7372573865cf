"""Skip logic: a question's ``show_if`` condition, checked at sync and evaluated on answers.

A condition is plain data, kept in the question's ``settings`` (so it is part of the
version's content hash and stored with the published version)::

    show_if: {question: used_toolkit, equals: "Yes"}
    show_if: {question: role, in: ["Team manager or supervisor", "Senior manager"]}
    show_if: {question: tools_used, answered: true}
    show_if: {all: [{...}, {...}]}      # or any: [...]

A condition may only look at questions that come before it, so a form can be
evaluated top to bottom and split into pages at the questions that decide.
Nothing here knows about Flask or the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

SETTING = "show_if"
TESTS = ("equals", "in", "answered")
GROUPS = ("all", "any")


class SkipLogicError(ValueError):
    """A ``show_if`` condition is malformed or refers to a question it may not."""


class QuestionLike(Protocol):
    """What skip logic needs of a question (a definition's question or a stored one)."""

    key: str
    type: str
    options: Any
    settings: dict[str, Any]


def normalise_condition(raw: Any) -> dict[str, Any]:
    """The canonical form of a raw ``show_if`` value.

    Raises SkipLogicError saying what is wrong (unknown fields, a missing test,
    an empty ``all``/``any``).
    """
    if not isinstance(raw, dict) or not raw:
        raise SkipLogicError("'show_if' must be a mapping such as {question: KEY, equals: VALUE}")
    groups = [name for name in GROUPS if name in raw]
    if groups:
        if len(raw) != 1:
            extra = sorted(set(raw) - {groups[0]})
            raise SkipLogicError(f"'show_if' with '{groups[0]}' takes no other field ({', '.join(extra)})")
        parts = raw[groups[0]]
        if not isinstance(parts, list) or not parts:
            raise SkipLogicError(f"'show_if' '{groups[0]}' needs a non-empty list of conditions")
        return {groups[0]: [normalise_condition(part) for part in parts]}
    unknown = sorted(set(raw) - {"question", *TESTS})
    if unknown:
        raise SkipLogicError(
            f"'show_if' has unknown field(s) {', '.join(map(str, unknown))}; "
            "use question with equals, in or answered, or all/any"
        )
    question = raw.get("question")
    if not isinstance(question, str) or not question:
        raise SkipLogicError("'show_if' needs the 'question' whose answer decides")
    tests = [name for name in TESTS if name in raw]
    if len(tests) != 1:
        raise SkipLogicError("'show_if' needs exactly one of equals, in or answered")
    test, value = tests[0], raw[tests[0]]
    if test == "equals":
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise SkipLogicError("'show_if' 'equals' must be one answer (text or a number)")
        value = str(value)
    elif test == "in":
        if not isinstance(value, list) or not value or not all(
            isinstance(item, (str, int, float)) and not isinstance(item, bool) for item in value
        ):
            raise SkipLogicError("'show_if' 'in' must be a non-empty list of answers")
        value = [str(item) for item in value]
    elif not isinstance(value, bool):
        raise SkipLogicError("'show_if' 'answered' must be true or false")
    return {"question": question, test: value}


def referenced_keys(condition: Mapping[str, Any]) -> list[str]:
    """The keys of the questions a condition looks at, in the order written."""
    for group in GROUPS:
        if group in condition:
            return [key for part in condition[group] for key in referenced_keys(part)]
    return [condition["question"]]


def _leaves(condition: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for group in GROUPS:
        if group in condition:
            for part in condition[group]:
                yield from _leaves(part)
            return
    yield condition


def condition_of(question: QuestionLike) -> dict[str, Any] | None:
    """The question's ``show_if`` condition, or None when it is always shown."""
    return (question.settings or {}).get(SETTING)


def check_conditions(questions: Sequence[QuestionLike]) -> list[tuple[str, str]]:
    """Every fault in the conditions of ``questions`` as (question key, problem) pairs.

    Refused: a condition on an unknown question, a cycle (a question that depends on
    itself, directly or through others), a condition on a question that comes later,
    and a value that the deciding question cannot have. An empty list means all is well.
    """
    position = {question.key: index for index, question in enumerate(questions)}
    by_key = {question.key: question for question in questions}
    faults: list[tuple[str, str]] = []
    for question in questions:
        condition = condition_of(question)
        if condition is None:
            continue
        for key in referenced_keys(condition):
            if key not in position:
                faults.append((question.key, f"'show_if' refers to unknown question '{key}'"))
        cycle = _cycle_from(question.key, by_key)
        if cycle:
            faults.append((question.key, f"'show_if' makes a cycle: {' -> '.join(cycle)}"))
            continue
        for key in referenced_keys(condition):
            if key in position and position[key] > position[question.key]:
                faults.append((
                    question.key,
                    f"'show_if' depends on '{key}', which comes later; a condition may only "
                    "look at questions asked before it",
                ))
        for leaf in _leaves(condition):
            decider = by_key.get(leaf["question"])
            problem = _impossible_value(leaf, decider) if decider is not None else None
            if problem:
                faults.append((question.key, problem))
    return faults


def _cycle_from(start: str, by_key: Mapping[str, QuestionLike]) -> list[str] | None:
    """The chain of keys from ``start`` back to itself through conditions, if there is one."""
    def walk(key: str, path: list[str]) -> list[str] | None:
        question = by_key.get(key)
        condition = condition_of(question) if question is not None else None
        for nxt in referenced_keys(condition) if condition else []:
            if nxt == start:
                return [*path, nxt]
            if nxt not in path and nxt in by_key:
                found = walk(nxt, [*path, nxt])
                if found:
                    return found
        return None

    return walk(start, [start])


def _impossible_value(leaf: Mapping[str, Any], decider: QuestionLike) -> str | None:
    if decider.type == "agency" or not decider.options:
        return None
    values = [leaf["equals"]] if "equals" in leaf else leaf.get("in", [])
    wrong = [value for value in values if value not in decider.options]
    if wrong:
        return (
            f"'show_if' expects '{wrong[0]}' from '{decider.key}', which is not one of its "
            f"options ({', '.join(decider.options)})"
        )
    return None


def _chosen(question_type: str, stored: str | None) -> list[str]:
    if stored is None:
        return []
    if question_type == "multiple_choice":
        try:
            value = json.loads(stored)
        except json.JSONDecodeError:
            return [stored]
        return [str(item) for item in value] if isinstance(value, list) else [str(value)]
    return [stored]


def condition_holds(condition: Mapping[str, Any], answers: Mapping[str, str],
                    types: Mapping[str, str]) -> bool:
    """Whether ``condition`` holds for ``answers`` (stored form, keyed by question key).

    A multiple-choice answer ``equals`` a value when that value is among those ticked,
    and is ``in`` a list when any ticked value is in it.
    """
    if "all" in condition:
        return all(condition_holds(part, answers, types) for part in condition["all"])
    if "any" in condition:
        return any(condition_holds(part, answers, types) for part in condition["any"])
    key = condition["question"]
    chosen = _chosen(types.get(key, ""), answers.get(key))
    if "answered" in condition:
        return bool(chosen) == condition["answered"]
    if "equals" in condition:
        return _same_answer(condition["equals"], chosen, types.get(key, ""))
    return any(_same_answer(value, chosen, types.get(key, "")) for value in condition["in"])


def _same_answer(expected: str, chosen: list[str], question_type: str) -> bool:
    if question_type == "number":
        try:
            return any(float(item) == float(expected) for item in chosen)
        except ValueError:
            return False
    return expected in chosen


def shown_keys(questions: Sequence[QuestionLike], answers: Mapping[str, str]) -> list[str]:
    """The keys of the questions shown for ``answers``, in order.

    A question is shown when its condition holds on the answers to the questions shown
    before it (an answer to a hidden question never counts).
    """
    types = {question.key: question.type for question in questions}
    kept: dict[str, str] = {}
    shown = []
    for question in questions:
        condition = condition_of(question)
        if condition is None or condition_holds(condition, kept, types):
            shown.append(question.key)
            if question.key in answers:
                kept[question.key] = answers[question.key]
    return shown


def without_hidden(questions: Sequence[QuestionLike], answers: Mapping[str, str]) -> dict[str, str]:
    """``answers`` with the answers to hidden questions removed (they are never stored)."""
    shown = set(shown_keys(questions, answers))
    return {key: value for key, value in answers.items() if key in shown}


def answered_but_hidden(questions: Sequence[QuestionLike], answers: Mapping[str, str]) -> list[tuple[str, str]]:
    """(key, condition in words) for each answer to a question its condition hides.

    For imports of paper answers, where an answer the form would not have asked for is a
    mistake to report rather than drop silently.
    """
    shown = set(shown_keys(questions, answers))
    return [(q.key, condition_text(condition_of(q))) for q in questions
            if q.key in answers and q.key not in shown]


def deciding_keys(questions: Sequence[QuestionLike]) -> set[str]:
    """The keys of the questions whose answer some condition looks at."""
    return {key for question in questions if condition_of(question)
            for key in referenced_keys(condition_of(question))}


def pages(questions: Sequence[QuestionLike]) -> list[list[QuestionLike]]:
    """The questions split into pages: a page ends after each question that decides.

    Without JavaScript the respondent answers one page, and the server then knows which
    of the next page's questions to show. A form without skip logic is one page.
    """
    deciding = deciding_keys(questions)
    out: list[list[QuestionLike]] = [[]]
    for question in questions:
        out[-1].append(question)
        if question.key in deciding and question is not questions[-1]:
            out.append([])
    return out


def changed_conditions(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> list[str]:
    """Keys kept between two versions (questions as plain data) whose condition changed."""
    before = {q["key"]: (q.get("settings") or {}).get(SETTING) for q in old}
    return [q["key"] for q in new
            if q["key"] in before and before[q["key"]] != (q.get("settings") or {}).get(SETTING)]


def undeclared_condition_changes(new: Sequence[Any], old: Sequence[Any]) -> list[str]:
    """Kept questions whose condition changed without declaring ``comparable`` (definition questions).

    Who is asked a question decides what its figures mean, so a changed condition must say,
    as a re-wording must, whether the answers can still be compared with the old version.
    """
    changed = set(changed_conditions([q.as_dict() for q in old], [q.as_dict() for q in new]))
    return [q.key for q in new if q.key in changed and q.comparable is None]


def condition_text(condition: Mapping[str, Any], label: Callable[[str], str] = str) -> str:
    """The condition in words, e.g. ``"used_toolkit" is "Yes"``, for pages and the diff."""
    if "all" in condition or "any" in condition:
        group = "all" if "all" in condition else "any"
        joiner = " and " if group == "all" else " or "
        return "(" + joiner.join(condition_text(part, label) for part in condition[group]) + ")"
    subject = label(condition["question"])
    if "equals" in condition:
        return f"{subject} is \u201c{condition['equals']}\u201d"
    if "in" in condition:
        return f"{subject} is one of " + ", ".join(f"\u201c{v}\u201d" for v in condition["in"])
    return f"{subject} is answered" if condition["answered"] else f"{subject} is not answered"


def browser_condition(condition: Mapping[str, Any], field_prefix: str) -> str:
    """The condition as JSON for the page script, with form field names for question keys."""
    def rename(part: Mapping[str, Any]) -> dict[str, Any]:
        for group in GROUPS:
            if group in part:
                return {group: [rename(p) for p in part[group]]}
        return {**part, "question": field_prefix + part["question"]}

    return json.dumps(rename(condition), ensure_ascii=False, separators=(",", ":"))
