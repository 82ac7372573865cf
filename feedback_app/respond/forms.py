"""Questionnaire forms built from a version's definition."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_wtf.csrf import validate_csrf
from werkzeug.datastructures import MultiDict
from wtforms import Field, HiddenField, RadioField, StringField, TextAreaField, ValidationError

from .. import skip_logic
from ..agencies import configured_agencies
from ..definitions import CHILD_FRIENDLY_AUDIENCES, PublishedQuestion, PublishedVersion, published_snapshot
from ..kept import KeptPerProcess
from ..models import QuestionnaireVersion
from ..question_types import (Agency, FreeText, MultiCheckboxField, Number, NumberField, QuestionType, parse_number,
                              question_type, required_message)
from .paging import FIELD_PREFIX, PagedForm, pages_revealed, shown_on_pages


class QuestionnaireForm(PagedForm):
    """Base of every questionnaire form; the fields are added by :func:`form_class_for`."""

    submission_key = HiddenField()
    shown_questions: list[PublishedQuestion] = []  # the version's questions the form asks (form_class_for)
    # How a post answers each of them without binding a field (read_post); None: only the WTForms way.
    posted_questions: tuple[PostedQuestion, ...] | None = None
    question_pages: list[list[PublishedQuestion]] = []  # skip_logic.pages of shown_questions

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
        fields = {FIELD_PREFIX + q.key: _field_for(q, agencies, version.audience) for q in questions}
        posted = [posted_question(q, fields[FIELD_PREFIX + q.key]) for q in questions]
        attrs: dict[str, Any] = dict(fields, shown_questions=questions, question_pages=skip_logic.pages(questions),
                                     posted_questions=None if None in posted else tuple(posted))
        form_class = _form_classes.put(key, type(f"{version.slug.title().replace('-', '')}V{version.version}Form",
                                                 (QuestionnaireForm,), attrs))
    return form_class


def agencies_asked(version: QuestionnaireVersion | PublishedVersion, fixed_agency: str | None) -> list[str]:
    """The agencies a form of ``version`` offers: the configured ones when it asks an agency
    question the link does not answer itself, else none (and no file is looked at). Every
    respondent page builds its form with these, so the page, the post and a saved draft
    share one form class per version and link kind."""
    if fixed_agency or not any(question.type == Agency.name for question in version.questions):
        return []
    return configured_agencies()


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


# ---------------------------------------------------------------- a complete post, read without WTForms
#
# Binding a WTForms form (a field per question, the form data processed into each, a CSRF
# token signed afresh) and validating it cost a respondent's post about a fifth of its
# time (issue 13). A post that is complete and valid as it stands (by far the most
# common) is read here from the kept questions instead, with the same checks; any other
# post (a field in doubt, a page still to show, a bad CSRF token) goes the WTForms way,
# which says what is wrong exactly as before. So this path only ever takes a post the
# form would take, and stores the same answers.

_TEXT, _CHOICE, _CHOICES, _NUMBER = "text", "choice", "choices", "number"
#: the WTForms field classes the question types give (exactly these classes; any other
#: field sends the post the WTForms way)
_KINDS: dict[type, str] = {StringField: _TEXT, TextAreaField: _TEXT, RadioField: _CHOICE,
                           MultiCheckboxField: _CHOICES, NumberField: _NUMBER}
#: the validators those fields carry: required or optional, then the type's ``problems``
_KNOWN_VALIDATORS = (QuestionType.validators, FreeText.validators, Number.validators)


@dataclass(frozen=True)
class PostedQuestion:
    """One question of a kept form class as plain data: how a post's answer to it is read
    and checked without a WTForms field (the checks of the field ``question_types`` gives it)."""

    question: PublishedQuestion
    kind: str  # _TEXT, _CHOICE, _CHOICES or _NUMBER
    options: frozenset[str]  # the values of the field's choices (choices only)

    def read(self, values: list[str]) -> tuple[bool, str | None]:
        """(whether the posted ``values`` are an answer the question's field takes with no
        message, the answer encoded for storage or None when there is none)."""
        kind, question = self.kind, self.question
        if kind == _CHOICES:
            if not values:
                return not question.required, None
            data: Any = values
            if not all(value in self.options for value in values):
                return False, None
        elif not values or not values[0].strip():  # blank: fine only when optional (WTForms' Optional)
            return not question.required, None
        elif kind == _NUMBER:
            data, problem = parse_number(values[0])
            if problem:
                return False, None
        else:
            data = values[0]
            if kind == _CHOICE and data not in self.options:
                return False, None
        answering = question_type(question.type)
        if answering.problems(question, data):
            return False, None
        return True, answering.encode(data)


def posted_question(question: PublishedQuestion, field: Any) -> PostedQuestion | None:
    """How a post answers ``question``, whose form field is ``field`` (an unbound WTForms
    field); None when its field is not one this module knows how to check."""
    kind = _KINDS.get(field.field_class)
    answering = type(question_type(question.type))
    if kind is None or answering.validators not in _KNOWN_VALIDATORS \
            or answering.problems_validator is not QuestionType.problems_validator:
        return None
    choices = field.kwargs.get("choices") or ()
    return PostedQuestion(question, kind, frozenset(choice.value for choice in choices))


@dataclass(frozen=True)
class PlainPost:
    """A complete, valid post of a questionnaire, read by :func:`read_post`."""

    answers: dict[str, str]  # encoded, by question key, in the questionnaire's order; hidden ones left out
    submission_key: str | None


def read_post(form_class: type[QuestionnaireForm], formdata: MultiDict) -> PlainPost | None:
    """The answers in ``formdata`` when a form of ``form_class`` would take the post as it
    is, with no message and no page still to show (the same answers its ``answers()``
    gives); None for anything else, which the form then answers the WTForms way."""
    posted = form_class.posted_questions
    pages = form_class.question_pages
    if posted is None or not _csrf_valid(formdata) \
            or pages_revealed(formdata.get("pages_shown"), len(pages), submitted=True) < len(pages):
        return None
    answers = {}
    for item in posted:
        valid, encoded = item.read(formdata.getlist(FIELD_PREFIX + item.question.key))
        if not valid:
            return None
        if encoded is not None:
            answers[item.question.key] = encoded
    shown = shown_on_pages(form_class.shown_questions, pages, len(pages), answers)
    return PlainPost({key: value for key, value in answers.items() if key in shown}, formdata.get("submission_key"))


def _csrf_valid(formdata: MultiDict) -> bool:
    """Whether the post's CSRF token is the one the form's own check would accept."""
    config = current_app.config
    if not config.get("WTF_CSRF_ENABLED", True):
        return True
    try:
        validate_csrf(formdata.get(config.get("WTF_CSRF_FIELD_NAME", "csrf_token")))
    except ValidationError:
        return False
    return True
