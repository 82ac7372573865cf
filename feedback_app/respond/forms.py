"""Questionnaire forms built from a version's definition."""

from __future__ import annotations

import secrets

from wtforms import DecimalField, Field, HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..answers import encode_answer
from ..definitions import CHILD_FRIENDLY_AUDIENCES, answer_options
from ..models import Question, QuestionnaireVersion
from .paging import FIELD_PREFIX, PagedForm


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes, one per option."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class QuestionnaireForm(PagedForm):
    """Base of every questionnaire form; the fields are added by :func:`form_class_for`."""

    submission_key = HiddenField()

    def answers(self) -> dict[str, str]:
        """The answers given, encoded for storage, keyed by question key.

        Blanks are left out, and so are answers to questions skip logic did not show.
        """
        return self.without_skipped(self.all_answers())

    def all_answers(self) -> dict[str, str]:
        """Every answer in the form, encoded for storage (blanks left out)."""
        out = {}
        for question, field in self.question_fields():
            encoded = encode_answer(question.type, field.data)
            if encoded is not None:
                out[question.key] = encoded
        return out


def _required_message(question: Question, child_friendly: bool, label: str) -> str:
    # Name the question, so a list of errors is not a list of identical links.
    subject = label.rstrip("?:. ")
    if question.type in ("long_text", "short_text", "number"):
        return f"Please answer: {subject}" if child_friendly else f"Enter an answer to: {subject}"
    return f"Please choose an answer to: {subject}" if child_friendly else f"Select an answer to: {subject}"


def _not_blank(message: str):
    def check(_form, field):
        if field.data is None or (isinstance(field.data, str) and not field.data.strip()):
            raise ValidationError(message)
    return check


def _field_for(question: Question, agencies: list[str], audience: str) -> Field:
    child_friendly = audience in CHILD_FRIENDLY_AUDIENCES
    label = question.child_text if child_friendly and question.child_text else question.text
    required_message = _required_message(question, child_friendly, label)
    validators: list = []
    if question.required and question.type in ("long_text", "short_text"):
        validators.append(_not_blank(required_message))
    elif question.required:
        validators.append(InputRequired(required_message) if question.type != "number" else DataRequired(required_message))
    else:
        validators.append(Optional())
    qtype = question.type
    if qtype in ("long_text", "short_text"):
        limit = question.settings.get("max_length", 5000)
        validators.append(Length(max=limit, message=f"Your answer must be {limit:,} characters or fewer"))
        field_class = TextAreaField if qtype == "long_text" else StringField
        return field_class(label, validators=validators, description=question.help or "")
    if qtype == "number":
        low, high = question.settings.get("min"), question.settings.get("max")
        if low is not None or high is not None:
            if low is not None and high is not None:
                message = f"Enter a number from {low} to {high}"
            elif low is not None:
                message = f"Enter a number of at least {low}"
            else:
                message = f"Enter a number no more than {high}"
            validators.append(NumberRange(min=low, max=high, message=message))
        return DecimalField(label, validators=validators, places=None, description=question.help or "")
    options = answer_options(qtype, question.options, agencies)
    if qtype == "scale_1_5":
        labels = question.settings.get("scale_labels", {})
        choices = [SelectChoice(option, f"{option} – {labels[option]}" if option in labels else option) for option in options]
    else:
        choices = [SelectChoice(option, option) for option in options]
    if qtype == "multiple_choice":
        return MultiCheckboxField(label, choices=choices, validators=validators, description=question.help or "")
    return RadioField(label, choices=choices, validators=validators, description=question.help or "")


def form_class_for(version: QuestionnaireVersion, agencies: list[str], fixed_agency: str | None = None) -> type[QuestionnaireForm]:
    """A form class with one field per question of ``version``.

    With ``fixed_agency`` (an agency link) the agency questions are left out: the link
    supplies the agency and the respondent cannot change it.
    """
    questions = [q for q in version.questions if not (fixed_agency and q.type == "agency")]
    attrs = {FIELD_PREFIX + q.key: _field_for(q, agencies, version.audience) for q in questions}
    attrs["_questions"] = questions
    return type(f"{version.slug.title().replace('-', '')}V{version.version}Form", (QuestionnaireForm,), attrs)


def new_submission_key() -> str:
    """A random value that identifies one filling-in of a form (repeat posts store once)."""
    return secrets.token_urlsafe(24)


