"""Skip logic on the questionnaire form: pages split at the questions that decide.

Without JavaScript the respondent sees the first page, presses "Continue", and the
server shows the next page's questions whose conditions hold. With JavaScript
(``static/skip_logic.js``) every page is shown at once and questions appear and
disappear as the answers change. Either way the server decides what was shown:
a hidden question is never required and its answer is never stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField

from .. import skip_logic

FIELD_PREFIX = "q_"


@dataclass(frozen=True)
class QuestionOnPage:
    """How one question is laid out: its page, whether it is shown, its condition for the script."""

    question: Any
    field: Field
    page: int
    shown: bool
    condition_json: str | None
    opens_latest_page: bool  # the first shown question of the page revealed last (after page 1)


def pages_revealed(pages_shown: str | None, page_count: int, submitted: bool) -> int:
    """How many of ``page_count`` pages a respondent has been shown, from the form's
    ``pages_shown`` (see :attr:`PagedForm.pages_revealed`)."""
    if not pages_shown:
        return page_count if submitted else 1
    try:
        revealed = int(pages_shown)
    except (TypeError, ValueError):
        revealed = 1
    return min(max(revealed, 1), page_count)


def shown_on_pages(questions: list[Any], pages: list[list[Any]], revealed: int, answers: dict[str, str]) -> set[str]:
    """Keys of the ``questions`` shown: on one of the first ``revealed`` ``pages``, and their
    condition holds given ``answers`` (every answer in the form)."""
    on_pages = {q.key for page in pages[:revealed] for q in page}
    return {key for key in skip_logic.shown_keys(questions, answers) if key in on_pages}


class PagedForm(FlaskForm):
    """A questionnaire form that knows its pages and which questions are shown."""

    pages_shown = HiddenField()
    _questions: list = []

    def question_fields(self) -> list[tuple[Any, Field]]:
        """The (question, field) pairs in the questionnaire's order."""
        return [(question, self[FIELD_PREFIX + question.key]) for question in self._questions]

    def all_answers(self) -> dict[str, str]:
        """Every answer in the form, shown or not (see ``answers()`` for what is stored)."""
        raise NotImplementedError

    @cached_property
    def pages(self) -> list[list[Any]]:
        """The questions split into pages at the questions that decide (once per form: the
        questions never change)."""
        return skip_logic.pages(self._questions)

    @property
    def page_count(self) -> int:
        """How many pages the form has without JavaScript."""
        return len(self.pages)

    @property
    def pages_revealed(self) -> int:
        """How many pages the respondent has been shown (1 to ``page_count``).

        A new form shows one page; a resumed draft the pages it had. A post that does not
        say (a client that never saw the pages) is taken as every page: conditions still
        decide what is stored.
        """
        return pages_revealed(self.pages_shown.data, self.page_count, self.is_submitted())

    @property
    def more_pages(self) -> bool:
        """Whether pages remain to be shown before the answers can be sent."""
        return self.pages_revealed < self.page_count

    def show_next_page(self) -> None:
        """Reveal the next page (after a valid "Continue")."""
        self.pages_shown.data = str(min(self.pages_revealed + 1, self.page_count))

    def shown_keys(self, answers: dict[str, str] | None = None) -> set[str]:
        """Keys of the questions shown now: on a revealed page, and their condition holds
        (given every answer in the form, ``all_answers()``, when the caller has them)."""
        answers = self.all_answers() if answers is None else answers
        return shown_on_pages(self._questions, self.pages, self.pages_revealed, answers)

    def without_skipped(self, answers: dict[str, str]) -> dict[str, str]:
        """``answers`` (every answer in the form, ``all_answers()``) without those to questions
        not shown (they are never stored)."""
        shown = self.shown_keys(answers)
        return {key: value for key, value in answers.items() if key in shown}

    def validate(self, extra_validators=None) -> bool:
        """Validate as usual, but a question that is not shown has nothing to get wrong."""
        super().validate(extra_validators)
        shown = self.shown_keys()
        for question, field in self.question_fields():
            if question.key not in shown:
                field.errors = []
        self._errors = None
        return not any(field.errors for field in self)

    def layout(self) -> list[QuestionOnPage]:
        """Every question with its page and whether it is shown, for the template."""
        shown = self.shown_keys()
        latest = self.pages[self.pages_revealed - 1] if self.pages_revealed > 1 else []
        opener = next((question.key for question in latest if question.key in shown), None)
        out = []
        for number, page in enumerate(self.pages, start=1):
            for question in page:
                condition = skip_logic.condition_of(question)
                out.append(QuestionOnPage(
                    question=question,
                    field=self[FIELD_PREFIX + question.key],
                    page=number,
                    shown=question.key in shown,
                    condition_json=skip_logic.browser_condition(condition, FIELD_PREFIX) if condition else None,
                    opens_latest_page=question.key == opener,
                ))
        return out
