"""Question types: one class per type, each owning everything the app does with it.

A question type decides how its definition is checked (``options``, ``min``/``max``,
``max_length``...), which WTForms field the respondent fills in, how a cell of an import
file is read (and what is wrong with it), how an answer is stored as text and read back,
how it reads in an export, and how analysis summarises it (free text, choice, scale or
number). The web form and the import check an answer with the same :meth:`QuestionType.problems`
so they accept the same answers and say the same thing about the others.

Adding a type is adding one class here, decorated with :func:`register`, and its tests
(the registry works as CTFd's ``CHALLENGE_CLASSES`` does).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Iterable

from wtforms import DecimalField, Field, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

MULTI_SEPARATOR = "; "
# Control characters (but tab and line ends) and the non-characters U+FFFE/U+FFFF carry no
# meaning in an answer, PostgreSQL refuses NUL, and XML (XLSX) refuses all of them.
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
NOTHING_MEANS = ("positive", "neutral", "negative")
MAX_NUMBER = Decimal("1e15")
MAX_DECIMAL_PLACES = 6

# How analysis summarises a type's answers.
FREE_TEXT, CHOICE, SCALE, NUMBER = "free_text", "choice", "scale", "number"

# What a type-specific field of a question means, said when a type that does not own it carries it.
MISPLACED_FIELD = {
    "scale_labels": "scale_labels belong to a scale_1_5 question and map 1-5 to text",
    "min": "'min' belongs to a number question",
    "max": "'max' belongs to a number question",
    "max_length": "'max_length' belongs to a text question",
    "identifier": "'identifier' is true or false, on a short_text question",
    "nothing_means": f"'nothing_means' belongs to a text question and is one of {', '.join(NOTHING_MEANS)}",
}


class SchemaProblem(Exception):
    """A question's definition breaks its type's rules; the message says how."""


def clean_text(text: str) -> str:
    """``text`` without the characters no answer needs and databases or exports refuse."""
    return UNSTORABLE.sub("", text)


def checked_text(value: Any, what: str, required: bool = True) -> str | None:
    """``value`` stripped, when it is text; None when blank and not ``required``.

    Raises SchemaProblem when it is missing but required, or is not text.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise SchemaProblem(f"is missing its {what}")
        return None
    if not isinstance(value, str):
        raise SchemaProblem(f"{what} must be text, not {value!r}")
    return value.strip()


def match_option(value: str, options: list[str]) -> str | None:
    """The option ``value`` names, matched exactly or else ignoring case; None if none."""
    if value in options:
        return value
    folded = value.casefold()
    return next((option for option in options if option.casefold() == folded), None)


def not_one_of(value: str, options: list[str]) -> str:
    """The message for ``value`` that is none of ``options``."""
    return f"'{value}' is not one of: {', '.join(options)}"


class QuestionType:
    """The behaviour every question type shares; subclasses say what differs.

    ``question`` arguments are anything with ``type``, ``options`` and ``settings``
    (a stored :class:`~feedback_app.models.Question` or a ``QuestionDefinition``).
    """

    name: ClassVar[str] = ""
    summary: ClassVar[str] = CHOICE
    # The type-specific fields of a definition this type accepts (see MISPLACED_FIELD).
    fields: ClassVar[frozenset[str]] = frozenset()
    # Options every question of the type has, whatever the file says (None: from the file or elsewhere).
    fixed_options: ClassVar[tuple[str, ...] | None] = None
    # Whether the respondent types the answer ("Enter an answer") or chooses it ("Select an answer").
    typed: ClassVar[bool] = False

    # ---- the definition

    def parse_definition(self, raw: dict[str, Any]) -> tuple[tuple[str, ...] | None, dict[str, Any]]:
        """The options and settings of a question's raw definition; raises SchemaProblem."""
        options = self.parse_options(raw.get("options"))
        for name, message in MISPLACED_FIELD.items():
            if name in raw and name not in self.fields:
                raise SchemaProblem(message)
        return options, self.parse_settings(raw)

    def parse_options(self, options: Any) -> tuple[str, ...] | None:
        """The question's options; this type takes none from the file."""
        if options is not None:
            raise SchemaProblem(f"a {self.name} question takes no options")
        return self.fixed_options

    def parse_settings(self, raw: dict[str, Any]) -> dict[str, Any]:
        """The type-specific settings of a raw definition (none by default)."""
        return {}

    # ---- answering

    def options(self, question: Any, agencies: list[str]) -> list[str]:
        """The options a respondent chooses from."""
        return list(question.options or [])

    def form_field(self, question: Any, label: str, required_message: str, agencies: list[str]) -> Field:
        """The WTForms field a respondent answers ``question`` in."""
        choices = [SelectChoice(option, self.choice_label(question, option)) for option in self.options(question, agencies)]
        return RadioField(label, choices=choices, validators=self.validators(question, required_message),
                          description=question.help or "")

    def choice_label(self, question: Any, option: str) -> str:
        """What a respondent reads next to ``option``."""
        return option

    def validators(self, question: Any, required_message: str) -> list:
        """The validators of the form field: required or optional, then :meth:`problems`."""
        first = InputRequired(required_message) if question.required else Optional()
        return [first, self.problems_validator(question)]

    def problems_validator(self, question: Any):
        """A WTForms validator raising the first of :meth:`problems` for the field's data."""
        def check(_form, field) -> None:
            if field.data is None or field.data == "":
                return
            problems = self.problems(question, field.data)
            if problems:
                raise ValidationError(problems[0])
        return check

    def problems(self, question: Any, value: Any) -> list[str]:
        """What is wrong with an answer (as its field holds it); the same on the web and in an import."""
        return []

    def parse_cell(self, question: Any, value: str, agencies: list[str]) -> tuple[str | None, list[str]]:
        """The answer to store for an import cell ``value`` (not blank), or the problems with it."""
        options = self.options(question, agencies)
        match = match_option(value, options)
        if match is None:
            return None, [not_one_of(value, options)]
        return self.encode(match), []

    # ---- storing and reading

    def encode(self, value: Any) -> str | None:
        """The text stored for ``value``; None when nothing was answered."""
        if value is None:
            return None
        text = clean_text(str(value)).strip()
        return text or None

    def decode(self, text: str | None) -> Any:
        """The value stored as ``text``."""
        return text

    def export_cell(self, text: str | None) -> str:
        """The stored answer as a person reads it, in exports and on pages."""
        value = self.decode(text)
        if value is None:
            return ""
        if isinstance(value, list):
            return MULTI_SEPARATOR.join(value)
        return value


QUESTION_CLASSES: dict[str, QuestionType] = {}


def register(cls: type[QuestionType]) -> type[QuestionType]:
    """Class decorator: make ``cls`` the type named ``cls.name``."""
    QUESTION_CLASSES[cls.name] = cls()
    return cls


def question_type(name: str) -> QuestionType:
    """The type called ``name``; raises KeyError for a type that is not registered."""
    return QUESTION_CLASSES[name]


def type_names() -> tuple[str, ...]:
    """The names of every registered type, in the order they were registered."""
    return tuple(QUESTION_CLASSES)


def names_summarised_as(summary: str) -> tuple[str, ...]:
    """The names of the types that analysis summarises as ``summary`` (e.g. ``FREE_TEXT``)."""
    return tuple(name for name, kind in QUESTION_CLASSES.items() if kind.summary == summary)


def stored_form(name: str) -> QuestionType:
    """The type to read stored answers of ``name`` with: free text for a name no longer known."""
    return QUESTION_CLASSES.get(name) or QUESTION_CLASSES["long_text"]


def summary_of(name: str) -> str:
    """How analysis summarises answers of the type ``name``: free_text, choice, scale or number
    (a name no longer known is read as free text, as :func:`stored_form` does)."""
    return stored_form(name).summary


# ---------------------------------------------------------------- free text


class FreeText(QuestionType):
    """An answer the respondent writes, up to ``max_length`` characters."""

    summary = FREE_TEXT
    fields = frozenset({"max_length", "nothing_means"})
    typed = True
    default_max_length: ClassVar[int] = 5000
    field_class: ClassVar[type[Field]] = TextAreaField

    def parse_settings(self, raw: dict[str, Any]) -> dict[str, Any]:
        """``max_length`` (default per type) and ``nothing_means``."""
        max_length = raw.get("max_length", self.default_max_length)
        if not isinstance(max_length, int) or max_length < 1:
            raise SchemaProblem("'max_length' must be a positive whole number")
        settings: dict[str, Any] = {"max_length": max_length, **self.identifier_setting(raw)}
        if "nothing_means" in raw:
            if raw["nothing_means"] not in NOTHING_MEANS:
                raise SchemaProblem(MISPLACED_FIELD["nothing_means"])
            settings["nothing_means"] = raw["nothing_means"]
        return settings

    def identifier_setting(self, raw: dict[str, Any]) -> dict[str, Any]:
        """``identifier: true`` when the type may be an identifier and the file says so."""
        return {}

    def max_length(self, question: Any) -> int:
        """The most characters an answer may have (line ends count as one)."""
        return (question.settings or {}).get("max_length", self.default_max_length)

    def form_field(self, question: Any, label: str, required_message: str, agencies: list[str]) -> Field:
        """A text box (one line for short text)."""
        return self.field_class(label, validators=self.validators(question, required_message),
                                description=question.help or "")

    def validators(self, question: Any, required_message: str) -> list:
        """Required means something other than spaces."""
        def not_blank(_form, field) -> None:
            if field.data is None or (isinstance(field.data, str) and not field.data.strip()):
                raise ValidationError(required_message)
        too_long = self.problems_validator(question)
        too_long.field_flags = {"maxlength": self.max_length(question)}  # rendered: the browser stops typing there
        return [not_blank if question.required else Optional(), too_long]

    def problems(self, question: Any, value: Any) -> list[str]:
        """Too long: the limit of the question's definition, the same on the web and in an import."""
        length, limit = len(normalise_line_ends(str(value))), self.max_length(question)
        if length > limit:
            return [f"Your answer must be {limit:,} characters or fewer (it has {length:,})"]
        return []

    def parse_cell(self, question: Any, value: str, agencies: list[str]) -> tuple[str | None, list[str]]:
        """The text, line ends made ``\\n``; too long is a problem."""
        value = normalise_line_ends(value)
        problems = self.problems(question, value)
        return (None, problems) if problems else (self.encode(value), [])


def normalise_line_ends(text: str) -> str:
    """``text`` with every line end written ``\\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@register
class LongText(FreeText):
    """A paragraph of free text."""

    name = "long_text"


@register
class ShortText(FreeText):
    """A line of free text; may be marked as an identifier (a case reference)."""

    name = "short_text"
    fields = FreeText.fields | {"identifier"}
    default_max_length = 200
    field_class = StringField

    def identifier_setting(self, raw: dict[str, Any]) -> dict[str, Any]:
        """``identifier: true`` (a case reference), when the file says so."""
        if "identifier" not in raw:
            return {}
        if not isinstance(raw["identifier"], bool):
            raise SchemaProblem(MISPLACED_FIELD["identifier"])
        return {"identifier": True} if raw["identifier"] else {}


# ---------------------------------------------------------------- choices


@register
class SingleChoice(QuestionType):
    """One of the options the definition lists."""

    name = "single_choice"

    def parse_options(self, options: Any) -> tuple[str, ...] | None:
        """A non-empty list of distinct options."""
        if not isinstance(options, list) or not options:
            raise SchemaProblem(f"a {self.name} question needs a list of options")
        cleaned = [checked_text(option, "option") for option in options]
        if len(set(cleaned)) != len(cleaned):
            raise SchemaProblem("has the same option twice")
        return tuple(cleaned)  # type: ignore[arg-type]


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes, one per option."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


@register
class MultipleChoice(SingleChoice):
    """Any of the options the definition lists; stored as a JSON list."""

    name = "multiple_choice"

    def form_field(self, question: Any, label: str, required_message: str, agencies: list[str]) -> Field:
        """One checkbox per option."""
        choices = [SelectChoice(option, option) for option in self.options(question, agencies)]
        return MultiCheckboxField(label, choices=choices, validators=self.validators(question, required_message),
                                  description=question.help or "")

    def parse_cell(self, question: Any, value: str, agencies: list[str]) -> tuple[str | None, list[str]]:
        """Options separated by ";" (or one option that itself holds a ";")."""
        options = self.options(question, agencies)
        whole = match_option(value, options)
        parts = [whole] if whole is not None else [part.strip() for part in value.split(";") if part.strip()]
        chosen, problems = set(), []
        for part in parts:
            match = match_option(part, options)
            if match is None:
                problems.append(not_one_of(part, options))
            else:
                chosen.add(match)
        if problems:
            return None, problems
        return self.encode([option for option in options if option in chosen]), []

    def encode(self, value: Any) -> str | None:
        """A JSON list of the options chosen; None when none was."""
        if value is None:
            return None
        chosen = [clean_text(str(item)) for item in value if clean_text(str(item)).strip()]
        return json.dumps(chosen, ensure_ascii=False) if chosen else None

    def decode(self, text: str | None) -> Any:
        """The list of options chosen (a stored text that is not a list reads as one option)."""
        if text is None:
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return [text]
        return value if isinstance(value, list) else [str(value)]


@register
class Scale15(QuestionType):
    """A point from 1 to 5, each point optionally labelled (``scale_labels``)."""

    name = "scale_1_5"
    summary = SCALE
    fields = frozenset({"scale_labels"})
    fixed_options = ("1", "2", "3", "4", "5")

    def parse_settings(self, raw: dict[str, Any]) -> dict[str, Any]:
        """``scale_labels``: points 1-5 to text."""
        if "scale_labels" not in raw:
            return {}
        labels = raw["scale_labels"]
        if not isinstance(labels, dict) or not all(
            str(point) in self.fixed_options and isinstance(label, str) for point, label in labels.items()
        ):
            raise SchemaProblem(MISPLACED_FIELD["scale_labels"])
        return {"scale_labels": {str(point): label for point, label in labels.items()}}

    def choice_label(self, question: Any, option: str) -> str:
        """The point with its label, e.g. "1 – Not at all"."""
        labels = (question.settings or {}).get("scale_labels", {})
        return f"{option} – {labels[option]}" if option in labels else option


@register
class YesPartlyNo(QuestionType):
    """Yes, Partly or No."""

    name = "yes_partly_no"
    fixed_options = ("Yes", "Partly", "No")


@register
class Rag(QuestionType):
    """A red, amber or green rating."""

    name = "rag"
    fixed_options = ("Red", "Amber", "Green")


# ---------------------------------------------------------------- numbers


class NumberField(DecimalField):
    """A number read as the number question type reads it, so the web and an import agree."""

    def process_formdata(self, valuelist: list[str]) -> None:
        """Parse the typed text; a ValueError names what is wrong with it."""
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        self.data, problem = parse_number(valuelist[0])
        if problem:
            raise ValueError(problem)


def parse_number(value: str) -> tuple[Decimal | None, str | None]:
    """The number written as ``value``, or None and what is wrong with it."""
    try:
        number = Decimal(value.strip().replace(" ", ""))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        return None, f"'{value}' is not a number"
    if abs(number) >= MAX_NUMBER or number.as_tuple().exponent < -MAX_DECIMAL_PLACES:  # type: ignore[operator]
        return None, f"'{value}' is too long a number"
    return number, None


@register
class Number(QuestionType):
    """A number, optionally between ``min`` and ``max``; stored in plain decimal form."""

    name = "number"
    summary = NUMBER
    fields = frozenset({"min", "max"})
    typed = True

    def parse_settings(self, raw: dict[str, Any]) -> dict[str, Any]:
        """``min`` and ``max``, numbers, the smaller first."""
        settings = {}
        for bound in ("min", "max"):
            if bound in raw:
                if not isinstance(raw[bound], (int, float)):
                    raise SchemaProblem(MISPLACED_FIELD[bound])
                settings[bound] = raw[bound]
        if "min" in settings and "max" in settings and settings["min"] > settings["max"]:
            raise SchemaProblem("'min' is larger than 'max'")
        return settings

    def form_field(self, question: Any, label: str, required_message: str, agencies: list[str]) -> Field:
        """A number box."""
        return NumberField(label, validators=self.validators(question, required_message), places=None,
                           description=question.help or "")

    def validators(self, question: Any, required_message: str) -> list:
        """As every type's, and the bounds rendered on the input (``min``, ``max``)."""
        validators = super().validators(question, required_message)
        bounds = {name: (question.settings or {}).get(name) for name in ("min", "max")}
        validators[-1].field_flags = {name: bound for name, bound in bounds.items() if bound is not None}
        return validators

    def problems(self, question: Any, value: Any) -> list[str]:
        """Outside ``min``..``max``: said as the step to take."""
        low, high = (question.settings or {}).get("min"), (question.settings or {}).get("max")
        number = Decimal(str(value))
        if (low is None or number >= Decimal(str(low))) and (high is None or number <= Decimal(str(high))):
            return []
        if low is not None and high is not None:
            return [f"Enter a number from {low} to {high}"]
        if low is not None:
            return [f"Enter a number of at least {low}"]
        return [f"Enter a number no more than {high}"]

    def parse_cell(self, question: Any, value: str, agencies: list[str]) -> tuple[str | None, list[str]]:
        """The number, in range."""
        number, problem = parse_number(value)
        if problem:
            return None, [problem]
        problems = self.problems(question, number)
        return (None, problems) if problems else (self.encode(number), [])

    def encode(self, value: Any) -> str | None:
        """Plain decimal form without trailing zeros."""
        if value is None:
            return None
        text = format(value, "f") if not isinstance(value, str) else clean_text(value).strip()
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text or None


# ---------------------------------------------------------------- the rest


@register
class Agency(QuestionType):
    """One of the partnership's agencies (from ``agencies.yaml``, read when the form is shown,
    so adding an agency does not change published versions)."""

    name = "agency"

    def options(self, question: Any, agencies: list[str]) -> list[str]:
        """The agencies."""
        return list(agencies)


@register
class YesNoNotKnown(QuestionType):
    """Yes, No or Not known."""

    name = "yes_no_not_known"
    fixed_options = ("Yes", "No", "Not known")


def required_message(question: Any, label: str, child_friendly: bool) -> str:
    """The message when a required question is not answered, naming the question so that a
    list of errors is not a list of identical links."""
    subject = label.rstrip("?:. ")
    if question_type(question.type).typed:
        return f"Please answer: {subject}" if child_friendly else f"Enter an answer to: {subject}"
    return f"Please choose an answer to: {subject}" if child_friendly else f"Select an answer to: {subject}"


def agency_of(questions: Iterable[Any], answers: dict[str, str]) -> str | None:
    """The first agency question's answer: whose response it is (the web form and imports alike)."""
    return next((answers[q.key] for q in questions if q.type == Agency.name and q.key in answers), None)
