"""Moving responses in and out of the app: import of paper and interview answers from CSV,
export of raw responses to CSV and XLSX.

Import
    :func:`parse_import` reads a CSV file whose header row names question keys of a
    round's questionnaire version (plus the optional columns ``agency`` and
    ``submitted_at``). The whole file is checked first; a file with any problem is refused
    with *every* problem listed (:class:`ImportRefused`) and nothing is stored. A good file
    is stored by ``submission.import_responses`` in one transaction, all rows or none, with
    ``source="import"``. Rows are
    numbered as a spreadsheet numbers them: the header is row 1, the first response row 2.

Export
    :func:`export_frame` gives one row per response and one column per question key across
    every version of a questionnaire; :func:`write_csv` and :func:`write_xlsx` turn it into
    a file in which no cell can run as a spreadsheet formula (:func:`neutralise_cell`).

Answers are stored as text, multiple choice as a JSON list; the helpers that do this
(:func:`encode_answer`, :func:`decode_answer`, :func:`display_answer`) live in
``feedback_app.answers`` and are re-exported here, so the web form and the import store
answers the same way.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from .answers import MULTI_SEPARATOR, clean_text, decode_answer, display_answer, encode_answer
from .question_types import agency_of, match_option, not_one_of, question_type, stored_form
from .models import (
    Answer,
    Question,
    QuestionnaireVersion,
    Response,
    Round,
    RoundStatus,
    questionnaire_by_slug,
    utcnow,
)
from .skip_logic import answered_but_hidden

__all__ = [
    "AGENCY_COLUMN",
    "EXPORT_FORMATS",
    "IMPORT_SOURCE",
    "MAX_IMPORT_BYTES",
    "MAX_IMPORT_ROWS",
    "META_COLUMNS",
    "ExportError",
    "ImportProblem",
    "ImportRefused",
    "ImportReport",
    "ParsedRow",
    "SUBMITTED_AT_COLUMN",
    "check_import",
    "decode_answer",
    "display_answer",
    "encode_answer",
    "export_filename",
    "export_frame",
    "file_too_large",
    "parse_import",
    "neutralise_cell",
    "write_csv",
    "write_xlsx",
]

IMPORT_SOURCE = "import"
AGENCY_COLUMN = "agency"
SUBMITTED_AT_COLUMN = "submitted_at"
MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_IMPORT_ROWS = 20_000
NOT_UTF8 = "The file is not UTF-8 text: save it as 'CSV UTF-8' and try again"
# Up to a day ahead is allowed, for clocks and time zones.
FUTURE_TOLERANCE = timedelta(days=1)

META_COLUMNS = ("response_id", "round_id", "round", "version", "agency", "submitted_at", "source")
EXPORT_FORMATS = ("csv", "xlsx")
# OWASP "CSV injection": a cell starting with one of these may be run as a formula by
# Excel, LibreOffice or Google Sheets. The full-width forms are included because some
# spreadsheet locales treat them like their ASCII twins.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


# ---------------------------------------------------------------- import: results and errors


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with an import file.

    ``row`` is the spreadsheet row (the header is row 1) and ``column`` the column's name
    (or its letter, for a column without a name); either is None when the problem is not
    tied to one.
    """

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ImportRefused(Exception):
    """The file was not imported, and nothing was stored; ``errors`` lists every problem."""

    def __init__(self, errors: list[ImportProblem]):
        self.errors = list(errors)
        super().__init__(self._text())

    @property
    def problems(self) -> list[ImportProblem]:
        """The same list as ``errors``."""
        return self.errors

    def _text(self) -> str:
        count = len(self.errors)
        noun = "problem" if count == 1 else "problems"
        lines = [f"The file was not imported and nothing was stored. Fix {'this' if count == 1 else 'these'} {count} {noun} and import it again:"]
        lines.extend(f"  {problem}" for problem in self.errors)
        return "\n".join(lines)


@dataclass(frozen=True)
class ImportReport:
    """What an import stored: how many responses, and their ids in file order."""

    count: int
    response_ids: list[int] = field(default_factory=list)
    flags: int = 0  # answers flagged to the safeguarding queue


@dataclass(frozen=True)
class ParsedRow:
    """One response row of an import file: its spreadsheet row, encoded answers and description."""

    row: int
    answers: dict[str, str]
    agency: str | None
    submitted_at: datetime | None


# ---------------------------------------------------------------- import: reading the file


def file_too_large(size_bytes: int) -> ImportRefused | None:
    """The refusal for a file of ``size_bytes`` when that is over the import limit, else None."""
    if size_bytes <= MAX_IMPORT_BYTES:
        return None
    size = math.ceil(size_bytes / (1024 * 1024) * 10) / 10
    return ImportRefused([ImportProblem(None, None, (
        f"The file is {size:.1f} MB; the most that can be imported at once is "
        f"{MAX_IMPORT_BYTES // (1024 * 1024)} MB: split it into smaller files and import each"
    ))])


def _decode(file_bytes: bytes) -> str:
    too_large = file_too_large(len(file_bytes))
    if too_large is not None:
        raise too_large
    try:
        return file_bytes.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused([ImportProblem(None, None, NOT_UTF8)]) from None


def _records(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the data records (with their spreadsheet row numbers) of ``text``."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    row_number = 0
    try:
        for row_number, cells in enumerate(reader, start=1):
            if header is None:
                if not any(cell.strip() for cell in cells):
                    raise ImportRefused([ImportProblem(row_number, None, (
                        "the first row must be the header: the question keys, one per column"
                    ))])
                header = cells
                continue
            if not any(cell.strip() for cell in cells):
                continue  # a blank row
            records.append((row_number, cells))
            if len(records) > MAX_IMPORT_ROWS:
                raise ImportRefused([ImportProblem(None, None, (
                    f"The file has more than {MAX_IMPORT_ROWS:,} responses, the most that can be "
                    "imported at once: split it into smaller files and import each"
                ))])
    except csv.Error as error:
        raise ImportRefused([ImportProblem(row_number + 1, None, f"cannot be read as CSV ({error})")]) from None
    if header is None:
        raise ImportRefused([ImportProblem(None, None, (
            "The file is empty: it needs a header row of question keys and one row per response"
        ))])
    if not records:
        raise ImportRefused([ImportProblem(None, None, (
            "The file has a header row but no responses below it"
        ))])
    return header, records


def _parse_submitted_at(value: str, now: datetime) -> tuple[datetime | None, str | None]:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            moment = datetime.combine(date.fromisoformat(value), time(), tzinfo=timezone.utc)
        else:
            moment = datetime.fromisoformat(value)
    except ValueError:
        return None, (
            f"'{value}' is not a date written YYYY-MM-DD or a date and time such as "
            "2021-03-04T10:30 (if a spreadsheet changed the dates, format the column as text)"
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    if moment > now + FUTURE_TOLERANCE:
        return None, f"{value} is in the future"
    return moment, None


def _column_letter(index: int) -> str:
    return get_column_letter(index + 1)


@dataclass
class _Columns:
    """Which column of an import file holds what: question keys, ``agency``, ``submitted_at``."""

    header: list[str]
    questions: dict[str, Question]
    named: dict[int, str] = field(default_factory=dict)  # index -> question key, "agency" or "submitted_at"

    @property
    def answers(self) -> dict[int, str]:
        """The columns that hold answers: index -> question key."""
        return {index: key for index, key in self.named.items() if key in self.questions}


def parse_import(round_: Round, file_bytes: bytes, agencies: list[str]) -> list[ParsedRow]:
    """Every row of an import file checked against the round's version; raises ImportRefused
    listing every problem (see the module's docstring for the format)."""
    version = round_.version
    if round_.status == RoundStatus.DRAFT:
        raise ImportRefused([ImportProblem(None, None, (
            f"Round {round_.id} ({round_.label}) is a draft: open it before importing answers into it"
        ))])
    header, records = _decode_and_read(file_bytes)
    columns, problems = _read_header(version, header, records)
    now = utcnow()
    parsed = []
    for row, cells in records:
        item, row_problems = _check_row(version, columns, row, cells, agencies, now)
        problems.extend(row_problems)
        parsed.append(item)
    if problems:
        raise ImportRefused(problems)
    return parsed


def _read_header(version: QuestionnaireVersion, header: list[str],
                 records: list[tuple[int, list[str]]]) -> tuple[_Columns, list[ImportProblem]]:
    """The columns the header names, and its problems; raises ImportRefused when it names no question."""
    columns = _Columns(header, {question.key: question for question in version.questions})
    described = f"{version.slug} version {version.version}"
    problems: list[ImportProblem] = []
    seen: dict[str, int] = {}
    unnamed: list[int] = []
    for index, cell in enumerate(header):
        name = cell.strip().lower()
        if not name:
            unnamed.append(index)
        elif name in seen:
            problems.append(ImportProblem(None, cell.strip(), (
                f"appears twice (columns {_column_letter(seen[name])} and {_column_letter(index)})"
            )))
        else:
            seen[name] = index
            if name in columns.questions or name in (AGENCY_COLUMN, SUBMITTED_AT_COLUMN):
                columns.named[index] = name
            else:
                hint = ""
                if len(header) == 1 and (";" in name or "\t" in name):
                    hint = " (the columns seem to be separated by ';' or tabs: save the file as 'CSV UTF-8 (Comma delimited)')"
                problems.append(ImportProblem(None, cell.strip(), f"not a question of {described}{hint}"))
    for index in unnamed:
        if any(index < len(cells) and cells[index].strip() for _row, cells in records):
            problems.append(ImportProblem(None, _column_letter(index), "has answers but no name in the header row"))
    for key, question in columns.questions.items():
        if question.required and key not in columns.answers.values():
            problems.append(ImportProblem(None, key, "missing, but it is a required question"))
    if not columns.answers:
        problems.append(ImportProblem(1, None, (
            f"names no question of {described}; its questions are: {', '.join(columns.questions)}"
        )))
        raise ImportRefused(problems)
    return columns, problems


def _check_row(version: QuestionnaireVersion, columns: _Columns, row: int, cells: list[str],
               agencies: list[str], now: datetime) -> tuple[ParsedRow, list[ImportProblem]]:
    """One response row, parsed, and its problems."""
    problems: list[ImportProblem] = []
    if any(cell.strip() for cell in cells[len(columns.header):]):
        problems.append(ImportProblem(row, None, (
            f"has {len(cells)} cells but the header row has {len(columns.header)} columns"
        )))
    values = {key: (cells[index].strip() if index < len(cells) else "") for index, key in columns.named.items()}
    answers: dict[str, str] = {}
    if not any(values.get(key) for key in columns.answers.values()):
        problems.append(ImportProblem(row, None, "has no answers"))
    else:
        problems.extend(_read_answers(columns, row, values, agencies, answers))
    for key, condition in answered_but_hidden(version.questions, answers):  # skip logic (issue 15)
        problems.append(ImportProblem(row, key, f"is answered, but the form asks it only when {condition}"))
    agency, agency_problem = _row_agency(version, columns, values, answers, agencies)
    if agency_problem:
        problems.append(ImportProblem(row, AGENCY_COLUMN, agency_problem))
    submitted_at = None
    if SUBMITTED_AT_COLUMN not in columns.questions and values.get(SUBMITTED_AT_COLUMN):
        submitted_at, message = _parse_submitted_at(values[SUBMITTED_AT_COLUMN], now)
        if message:
            problems.append(ImportProblem(row, SUBMITTED_AT_COLUMN, message))
    return ParsedRow(row, answers, agency, submitted_at), problems


def _read_answers(columns: _Columns, row: int, values: dict[str, str], agencies: list[str],
                  answers: dict[str, str]) -> list[ImportProblem]:
    """Add a row's answers to ``answers``, each read by its question's type; returns the problems."""
    problems = []
    for key in columns.answers.values():
        value, question = values[key], columns.questions[key]
        if not value:
            if question.required:
                problems.append(ImportProblem(row, key, "empty, but it is a required question"))
            continue
        encoded, messages = question_type(question.type).parse_cell(question, value, agencies)
        problems.extend(ImportProblem(row, key, message) for message in messages)
        if encoded is not None:
            answers[key] = encoded
    return problems


def _row_agency(version: QuestionnaireVersion, columns: _Columns, values: dict[str, str],
                answers: dict[str, str], agencies: list[str]) -> tuple[str | None, str | None]:
    """Whose response a row is, and what is wrong with its ``agency`` cell."""
    if AGENCY_COLUMN in columns.questions:
        agency = answers.get(AGENCY_COLUMN)
    elif values.get(AGENCY_COLUMN):
        agency = match_option(values[AGENCY_COLUMN], agencies)
        if agency is None:
            return None, not_one_of(values[AGENCY_COLUMN], agencies)
    else:
        agency = None
    # As on the web form: the first agency question answered says whose response it is.
    return agency or agency_of(version.questions, answers), None


def _decode_and_read(file_bytes: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    text = _decode(file_bytes)
    if not text.strip():
        raise ImportRefused([ImportProblem(None, None, (
            "The file is empty: it needs a header row of question keys and one row per response"
        ))])
    return _records(text)


def check_import(round_: Round, file_bytes: bytes, agencies: list[str]) -> int:
    """Check a file as an import would, storing nothing.

    Returns the number of responses the file holds; raises ImportRefused listing every
    problem.
    """
    return len(parse_import(round_, file_bytes, agencies))


# ---------------------------------------------------------------- export


class ExportError(Exception):
    """An export cannot be made; the message says why."""


def _column_order(versions: list[QuestionnaireVersion]) -> tuple[list[str], dict[str, str]]:
    """Question keys, newest version's first then keys dropped from older ones, and their types."""
    keys: list[str] = []
    types: dict[str, str] = {}
    for version in sorted(versions, key=lambda v: v.version, reverse=True):
        for question in version.questions:
            if question.key not in types:
                keys.append(question.key)
                types[question.key] = question.type
    return keys, types


def _as_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _answer_column(key: str) -> str:
    """The export column of question ``key``; renamed when it would clash with a fixed column."""
    return f"{key} (answer)" if key in META_COLUMNS else key


def export_frame(session: Session, questionnaire_slug: str | None = None, round_id: int | None = None) -> pd.DataFrame:
    """The raw responses of a questionnaire (every round of every version) or of one round.

    One row per response, ordered by round then time; the columns are ``META_COLUMNS``
    then one per question key across ALL versions of the questionnaire (the newest
    version's keys in order, then keys dropped from older versions), whatever is being
    exported, so exports of different rounds line up. A question key that clashes with a
    fixed column (e.g. a question keyed ``agency``) is exported as ``"<key> (answer)"``.
    Multiple-choice answers read ``"a; b"``; ``submitted_at`` is a UTC timestamp.

    No small-count suppression is applied: this is the raw data, for partnership admins
    only, and must not be published as it stands.

    Raises ExportError when neither a questionnaire nor a round is given, or they do not
    exist or do not match.
    """
    questionnaire, round_ = _export_scope(session, questionnaire_slug, round_id)
    keys, types = _column_order(questionnaire.versions)
    where = [QuestionnaireVersion.questionnaire_id == questionnaire.id]
    if round_ is not None:
        where.append(Round.id == round_.id)
    response_rows = session.execute(
        select(
            Response.id, Response.round_id, Round.label, QuestionnaireVersion.version,
            Response.agency, Response.submitted_at, Response.source,
        )
        .join(Round, Response.round_id == Round.id)
        .join(QuestionnaireVersion, Round.version_id == QuestionnaireVersion.id)
        .where(*where)
        .order_by(Round.opens_on, Round.id, Response.submitted_at, Response.id)
    ).all()
    answers = _answers_by_response(session, where)
    # Answers to keys no version has (should not happen) are kept, at the end.
    keys += sorted({key for given in answers.values() for key in given} - set(types))
    records = []
    for response_id, rid, label, version, agency, submitted_at, source in response_rows:
        given = answers.get(response_id, {})
        record = [response_id, rid, label, version, agency, _as_utc(submitted_at), source]
        record += [stored_form(types.get(key, "long_text")).export_cell(given[key]) if key in given else None
                   for key in keys]
        records.append(record)
    frame = pd.DataFrame(records, columns=list(META_COLUMNS) + [_answer_column(key) for key in keys])
    if frame.empty:
        frame = frame.astype({"response_id": "int64", "round_id": "int64", "version": "int64"})
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"], utc=True)
    return frame


def _export_scope(session: Session, questionnaire_slug: str | None, round_id: int | None):
    """The questionnaire to export and the round (or None); raises ExportError."""
    if questionnaire_slug is None and round_id is None:
        raise ExportError("Say what to export: a questionnaire (--questionnaire SLUG) or a round (--round ID).")
    round_ = None
    if round_id is not None:
        round_ = session.get(Round, round_id)
        if round_ is None:
            raise ExportError(f"There is no round {round_id}.")
    if questionnaire_slug is None:
        return round_.version.questionnaire, round_
    questionnaire = questionnaire_by_slug(session, questionnaire_slug)
    if questionnaire is None:
        raise ExportError(f"There is no questionnaire '{questionnaire_slug}'.")
    if round_ is not None and round_.version.questionnaire_id != questionnaire.id:
        raise ExportError(
            f"Round {round_.id} ({round_.label}) is a round of '{round_.version.slug}', not '{questionnaire_slug}'."
        )
    return questionnaire, round_


def _answers_by_response(session: Session, where: list) -> dict[int, dict[str, str]]:
    """The stored answers of the responses ``where`` selects: response id -> key -> stored text."""
    answers: dict[int, dict[str, str]] = {}
    for response_id, key, value in session.execute(
        select(Answer.response_id, Answer.question_key, Answer.value)
        .join(Response, Answer.response_id == Response.id)
        .join(Round, Response.round_id == Round.id)
        .join(QuestionnaireVersion, Round.version_id == QuestionnaireVersion.id)
        .where(*where)
    ):
        answers.setdefault(response_id, {})[key] = value
    return answers


def neutralise_cell(value: Any) -> str:
    """The text of a spreadsheet cell, made safe from formula injection (OWASP).

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (or a
    full-width ``=+-@``) gets a single quote in front, so Excel, LibreOffice and Google
    Sheets show it as text and never run it. This applies to every cell, headers included,
    and on purpose also to negative numbers: an answer of ``-3`` is exported as ``'-3``
    (OWASP's advice; a spreadsheet user can strip the quote). None and missing values
    become empty text.
    """
    text = clean_text(_cell_text(value))  # a leading NUL must not hide a formula
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return MULTI_SEPARATOR.join(str(item) for item in value)
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat(timespec="seconds")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_csv(frame: pd.DataFrame) -> bytes:
    """``frame`` as CSV bytes: UTF-8 with a byte-order mark (so Excel reads the accents
    right), header row first, every cell neutralised by :func:`neutralise_cell`."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise_cell(name) for name in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        writer.writerow([neutralise_cell(value) for value in row])
    return out.getvalue().encode("utf-8-sig")


def _xlsx_text(value: Any) -> str:
    # Characters an XLSX file cannot hold are dropped first, so that dropping them cannot
    # uncover a formula after the cell was neutralised. Line ends become "\n" afterwards,
    # as XML would read a bare carriage return anyway.
    text = neutralise_cell(clean_text(ILLEGAL_CHARACTERS_RE.sub("", _cell_text(value))))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def write_xlsx(frame: pd.DataFrame, sheet_title: str = "Responses") -> bytes:
    """``frame`` as an XLSX workbook: one sheet, header row in bold and frozen.

    Every cell, headers included, is written as text (data type ``s``) after
    :func:`neutralise_cell`, so no cell is a formula.
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    bold = Font(bold=True)
    for column, name in enumerate(frame.columns, start=1):
        cell = sheet.cell(row=1, column=column, value=_xlsx_text(name))
        cell.data_type = "s"
        cell.font = bold
        sheet.column_dimensions[get_column_letter(column)].width = min(max(len(str(name)) + 2, 12), 60)
    for row_number, row in enumerate(frame.itertuples(index=False, name=None), start=2):
        for column, value in enumerate(row, start=1):
            text = _xlsx_text(value)
            if text:
                cell = sheet.cell(row=row_number, column=column, value=text)
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def export_filename(slug: str | None, round_id: int | None, fmt: str) -> str:
    """A file name for an export, e.g. ``responses-children.csv`` or
    ``responses-children-round-3.xlsx``; raises ValueError for a format other than csv or xlsx."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}.")
    parts = ["responses"]
    if slug:
        parts.append(re.sub(r"[^a-z0-9-]+", "-", slug.lower()).strip("-") or "questionnaire")
    if round_id is not None:
        parts.append(f"round-{int(round_id)}")
    return f"{'-'.join(parts)}.{fmt}"
