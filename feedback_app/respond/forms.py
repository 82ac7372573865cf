"""Questionnaire forms built from a version's definition."""

from __future__ import annotations

import secrets
from typing import Any

from wtforms import Field, HiddenField

from ..definitions import CHILD_FRIENDLY_AUDIENCES, PublishedQuestion, PublishedVersion, published_snapshot
from ..kept import KeptPerProcess
from ..models import QuestionnaireVersion
from ..question_types import Agency, question_type, required_message
from .paging import FIELD_PREFIX, PagedForm


class QuestionnaireForm(PagedForm):
    """Base of every questionnaire form; the fields are added by :func:`form_class_for`."""

    submission_key = HiddenField()
    shown_questions: list[PublishedQuestion] = []  # the version's questions the form asks (form_class_for)

    def __init__(self, *args: Any, questions: list[PublishedQuestion], **kwargs: Any) -> None:
        # The class and the questions are shared by every request (form_class_for).
        self._questions = questions
        super().__init__(*args, **kwargs)

    def answers(self) -> dict[str, str]:
        """The answers given, encoded for storage, keyed by question key.

        Blanks are left out, and so are answers to questions skip logic did not show.
        """
        return self.without_skipped(self.all_answers())

    def all_answers(self) -> dict[str, str]:
        """Every answer in the form, encoded for storage (blanks left out)."""
        out = {}
        for question, field in self.question_fields():
            encoded = question_type(question.type).encode(field.data)
            if encoded is not None:
                out[question.key] = encoded
        return out


def _field_for(question: PublishedQuestion, agencies: list[str], audience: str) -> Field:
    child_friendly = audience in CHILD_FRIENDLY_AUDIENCES
    label = question.child_text if child_friendly and question.child_text else question.text
    message = required_message(question, label, child_friendly)
    return question_type(question.type).form_field(question, label, message, agencies)


#: form classes kept per process, one per (version, agencies, fixed agency): building one
#: (a WTForms field per question, then WTForms' scan of the new class) cost a respondent's
#: post more than its insert (issue 13)
FORM_CLASS_CACHE_SIZE = 64
_form_classes: KeptPerProcess[tuple, type[QuestionnaireForm]] = KeptPerProcess(FORM_CLASS_CACHE_SIZE)


def _shown_questions(version: PublishedVersion, fixed_agency: str | None) -> list[PublishedQuestion]:
    return [q for q in version.questions if not (fixed_agency and q.type == Agency.name)]


def form_class_for(version: QuestionnaireVersion | PublishedVersion, agencies: list[str],
                   fixed_agency: str | None = None) -> type[QuestionnaireForm]:
    """A form class with one field per question of ``version`` (built once per process); its
    forms take the questions (``questions=``), as :func:`new_form` gives them
    (``shown_questions``, plain data).

    With ``fixed_agency`` (an agency link) the agency questions are left out: the link
    supplies the agency and the respondent cannot change it. A published version never
    changes, so its id and content hash, with the agencies, name the class.
    """
    version = published_snapshot(version)
    key = (version.id, version.content_hash, version.audience, tuple(agencies), fixed_agency)
    form_class = _form_classes.get(key)
    if form_class is None:
        questions = _shown_questions(version, fixed_agency)
        attrs = {FIELD_PREFIX + q.key: _field_for(q, agencies, version.audience) for q in questions}
        attrs["shown_questions"] = questions
        form_class = _form_classes.put(key, type(f"{version.slug.title().replace('-', '')}V{version.version}Form",
                                                 (QuestionnaireForm,), attrs))
    return form_class


def new_form(version: QuestionnaireVersion | PublishedVersion, agencies: list[str], fixed_agency: str | None = None,
             **form_args: Any) -> QuestionnaireForm:
    """A questionnaire form for ``version`` (``form_args`` as for any Flask-WTF form, e.g.
    ``formdata``). Its questions are the version's as plain data (``definitions.PublishedVersion``),
    shared by every request of the process: no ORM object crosses requests."""
    form_class = form_class_for(version, agencies, fixed_agency)
    return form_class(questions=form_class.shown_questions, **form_args)


def new_submission_key() -> str:
    """A random value that identifies one filling-in of a form (repeat posts store once)."""
    return secrets.token_urlsafe(24)
