"""Questionnaire definitions: reading, validating, publishing and comparing versions.

A definition is a YAML file in ``questionnaires/`` named ``<slug>-v<version>.yaml``
(the schema is documented in ``questionnaires/SCHEMA.md``). Loading a definition
publishes it with a content hash; a published version is immutable.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from .kept import KeptPerProcess
from .models import Cadence, Question, Questionnaire, QuestionnaireVersion
from . import question_types, skip_logic, translations
from .resources import resource_path

# The question types and what each allows live in question_types.py; these names are kept
# for the modules that only ask "is this free text?".
TEXT_TYPES = question_types.names_summarised_as(question_types.FREE_TEXT)
# Who answers a questionnaire: a person (anonymous, under disclosure control) or an
# organisation (a named agency's own return: never suppressed).
RESPONDENTS = ("person", "organisation")
# The respondent of a version whose file does not declare one. Kept here, outside the
# content hash (as the agency list is), so that versions published before the field
# existed keep their hash and still say who answers them.
DEFAULT_RESPONDENT_BY_SLUG = {
    "action-plan-summary": "organisation",
    "multi-agency-audit": "organisation",
}
# Question keys that identify a case whatever their file declares (the audit's
# ``case_reference`` was published as plain short_text before ``identifier`` existed).
IDENTIFIER_KEYS = frozenset({"case_reference"})
AUDIENCES = ("children", "parents", "practitioners", "champions", "agency-leads", "auditors")
CHILD_FRIENDLY_AUDIENCES = ("children", "parents")
TOP_LEVEL_KEYS = {
    "slug", "version", "title", "audience", "anonymous", "cadence", "intro",
    "previous_version", "governance", "questions", "respondent", "cadence_note",
    "translations",  # other languages and easy read: see translations.py
}
GOVERNANCE_KEYS = ("reviewed_by", "escalated_to", "frequency", "capture_point")
# How each governance field is labelled on pages and in reports (framework appendix 1).
GOVERNANCE_LABELS = {
    "capture_point": "Capture point",
    "reviewed_by": "Reviewed by",
    "escalated_to": "Concerns escalated to",
    "frequency": "How often",
}
QUESTION_KEYS = {
    "key", "type", "text", "child_text", "help", "required", "options", "scale_labels",
    "min", "max", "max_length", "comparable", "nothing_means", "identifier",
    "show_if",  # skip logic: see skip_logic.py
}
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]*$")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
FILE_PATTERN = re.compile(r"^(?P<slug>[a-z][a-z0-9-]*)-v(?P<version>[0-9]+)\.ya?ml$")
AGENCIES_FILE = "agencies.yaml"
INDICATORS_FILE = "indicators.yaml"  # the partnership dataset's indicators (feedback_app/evidence)


class DefinitionError(Exception):
    """A definition file cannot be loaded; the message names the file, the question and the fault."""

    def __init__(self, source: str, problem: str, key: str | None = None):
        self.source = source
        self.key = key
        self.problem = problem
        where = f"{source}: question '{key}'" if key else source
        super().__init__(f"{where}: {problem}")


class PublishedVersionChanged(DefinitionError):
    """A file differs from the version of it that is already published."""


@dataclass(frozen=True)
class QuestionDefinition:
    """One validated question."""

    key: str
    type: str
    text: str
    child_text: str | None = None
    help: str | None = None
    required: bool = False
    options: tuple[str, ...] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    comparable: bool | None = None

    @property
    def is_identifier(self) -> bool:
        """True when the answer identifies a case: never analysed as text, never quoted."""
        return is_identifier(self.key, self.settings)

    def wording_for(self, audience: str) -> str:
        """The wording to show ``audience``: the child-friendly one for children and parents."""
        if audience in CHILD_FRIENDLY_AUDIENCES and self.child_text:
            return self.child_text
        return self.text

    def as_dict(self) -> dict[str, Any]:
        """The question as plain data (the canonical form that is hashed)."""
        data: dict[str, Any] = {"key": self.key, "type": self.type, "text": self.text}
        for name in ("child_text", "help", "comparable"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        data["required"] = self.required
        if self.options is not None:
            data["options"] = list(self.options)
        if self.settings:
            data["settings"] = self.settings
        return data


@dataclass(frozen=True)
class Definition:
    """One validated questionnaire version, as read from its file."""

    source: str
    slug: str
    version: int
    title: str
    audience: str
    anonymous: bool
    cadence: str
    intro: str
    previous_version: int | None
    governance: dict[str, str]
    questions: tuple[QuestionDefinition, ...]
    # As written in the file; None when the file does not say (see ``respondent``).
    declared_respondent: str | None = None
    # Why the cadence is what it is, in the seed's words (optional).
    cadence_note: str | None = None
    # Other languages and easy read (language code -> wording); see translations.py.
    translations: dict[str, Any] = field(default_factory=dict)

    @property
    def respondent(self) -> str:
        """``person`` or ``organisation``: declared, or the default for the slug."""
        return self.declared_respondent or default_respondent(self.slug)

    def as_dict(self) -> dict[str, Any]:
        """The definition as plain data, in canonical form.

        ``respondent`` is included only when the file declares it, so the hash of a
        version published before the field existed does not change.
        """
        data = {
            "slug": self.slug,
            "version": self.version,
            "title": self.title,
            "audience": self.audience,
            "anonymous": self.anonymous,
            "cadence": self.cadence,
            "intro": self.intro,
            "previous_version": self.previous_version,
            "governance": dict(self.governance),
            "questions": [question.as_dict() for question in self.questions],
        }
        if self.declared_respondent is not None:
            data["respondent"] = self.declared_respondent
        if self.cadence_note is not None:
            data["cadence_note"] = self.cadence_note
        if self.translations:  # only when there are some: older versions keep their hash
            data["translations"] = self.translations
        return data

    @property
    def content_hash(self) -> str:
        """SHA-256 of the canonical content: comments and layout of the file do not count."""
        canonical = json.dumps(self.as_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def question(self, key: str) -> QuestionDefinition | None:
        """The question with ``key``, or None."""
        return next((q for q in self.questions if q.key == key), None)


def default_respondent(slug: str) -> str:
    """Who answers a questionnaire whose file does not declare ``respondent``."""
    return DEFAULT_RESPONDENT_BY_SLUG.get(slug, "person")


def respondent_of(version: Any) -> str:
    """``person`` or ``organisation`` for a published version (a QuestionnaireVersion)."""
    return (version.definition or {}).get("respondent") or default_respondent(version.questionnaire.slug)


def is_identifier(key: str, settings: dict[str, Any] | None) -> bool:
    """True when a question's answers identify a case (``identifier: true``, or a key such as
    ``case_reference``): they are never analysed as text, never shown in clouds or quotes,
    and are exported only to admins."""
    return key in IDENTIFIER_KEYS or bool((settings or {}).get("identifier"))


def answer_options(question_type: str, options: list[str] | tuple[str, ...] | None, agencies: list[str]) -> list[str]:
    """The options a respondent chooses from for a question (agencies for an agency question)."""
    return question_types.question_type(question_type).options(_Options(options), agencies)


def default_questionnaires_dir() -> Path:
    """The folder of the questionnaire definitions shipped with the app."""
    return resource_path("questionnaires")


def load_agencies(directory: str | Path | None = None) -> list[str]:
    """The partnership's agencies, from ``agencies.yaml`` (the one place they are listed).

    Raises DefinitionError when the file is missing or is not a list of names.
    """
    path = Path(directory or default_questionnaires_dir()) / AGENCIES_FILE
    if not path.exists():
        path = default_questionnaires_dir() / AGENCIES_FILE
    try:
        return list(_agencies_in(path, path.stat().st_mtime_ns))
    except OSError as error:
        raise DefinitionError(path.name, f"cannot be read: {error}") from None


@lru_cache(maxsize=8)
def _agencies_in(path: Path, _mtime_ns: int) -> tuple[str, ...]:
    """The agencies in ``path``, read again only when the file changes (its mtime is the key)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise DefinitionError(path.name, f"cannot be read: {error}") from None
    agencies = data.get("agencies") if isinstance(data, dict) else None
    if not isinstance(agencies, list) or not agencies or not all(
        isinstance(name, str) and name.strip() for name in agencies
    ):
        raise DefinitionError(path.name, "must have an 'agencies:' list of agency names")
    return tuple(name.strip() for name in agencies)


@dataclass(frozen=True)
class _Options:
    options: list[str] | tuple[str, ...] | None


def _text(value: Any, source: str, what: str, key: str | None = None, required: bool = True):
    try:
        return question_types.checked_text(value, what, required)
    except question_types.SchemaProblem as problem:
        raise DefinitionError(source, str(problem), key) from None


def _question_key(raw: Any, source: str, index: int) -> str:
    """The key of question number ``index``, checked with its fields; raises DefinitionError."""
    if not isinstance(raw, dict):
        raise DefinitionError(source, f"question number {index} must be a mapping of fields")
    key = raw.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise DefinitionError(
            source,
            f"question number {index} needs a 'key' in snake_case "
            f"(lowercase letters, digits and underscores), not {key!r}",
        )
    unknown = sorted(set(raw) - QUESTION_KEYS)
    if unknown:
        raise DefinitionError(source, f"unknown field(s) {', '.join(unknown)}", key)
    return key


def _flag(raw: dict[str, Any], name: str, source: str, key: str, nullable: bool) -> bool | None:
    value = raw.get(name, None if nullable else False)
    if (value is not None or not nullable) and not isinstance(value, bool):
        raise DefinitionError(source, f"'{name}' must be true or false", key)
    return value


def _question(raw: Any, source: str, index: int) -> QuestionDefinition:
    key = _question_key(raw, source, index)
    qtype = raw.get("type")
    if qtype not in question_types.QUESTION_CLASSES:
        raise DefinitionError(
            source, f"unknown type {qtype!r}; use one of {', '.join(question_types.type_names())}", key
        )
    text = _text(raw.get("text"), source, "wording ('text')", key)
    child_text = _text(raw.get("child_text"), source, "child_text", key, required=False)
    help_text = _text(raw.get("help"), source, "help", key, required=False)
    required = _flag(raw, "required", source, key, nullable=False)
    comparable = _flag(raw, "comparable", source, key, nullable=True)
    try:
        options, settings = question_types.question_type(qtype).parse_definition(raw)
    except question_types.SchemaProblem as problem:
        raise DefinitionError(source, str(problem), key) from None
    if "show_if" in raw:
        settings[skip_logic.SETTING] = _show_if(raw["show_if"], source, key)
    return QuestionDefinition(key, qtype, text, child_text, help_text, bool(required), options, settings, comparable)


def _show_if(raw: Any, source: str, key: str) -> dict[str, Any]:
    try:
        return skip_logic.normalise_condition(raw)
    except skip_logic.SkipLogicError as error:
        raise DefinitionError(source, str(error), key) from None


def _check_skip_logic(source: str, questions: list[QuestionDefinition]) -> None:
    """Refuse the first bad ``show_if`` (unknown key, cycle, later question), naming the question."""
    faults = skip_logic.check_conditions(questions)
    if faults:
        key, problem = faults[0]
        raise DefinitionError(source, problem, key)


def _translations(raw: Any, source: str, questions: list[QuestionDefinition], intro: str) -> dict[str, Any]:
    try:
        return translations.normalise_translations(raw, questions, intro)
    except translations.TranslationError as error:
        raise DefinitionError(source, error.problem, error.key) from None


def _questions(questions_raw: Any, source: str) -> list[QuestionDefinition]:
    """The questions of a definition, each checked, keys unique, skip logic sound."""
    if not isinstance(questions_raw, list) or not questions_raw:
        raise DefinitionError(source, "needs a non-empty list of 'questions'")
    questions = []
    seen: set[str] = set()
    for index, question_raw in enumerate(questions_raw, start=1):
        question = _question(question_raw, source, index)
        if question.key in seen:
            raise DefinitionError(source, "is a duplicate key: each key may appear once", question.key)
        seen.add(question.key)
        questions.append(question)
    _check_skip_logic(source, questions)
    return questions


def _identity(raw: Any, source: str) -> tuple[str, int]:
    """The slug and version of a definition's raw mapping, checked against its file name."""
    if not isinstance(raw, dict):
        raise DefinitionError(source, "must be a YAML mapping with slug, version and questions")
    unknown = sorted(set(raw) - TOP_LEVEL_KEYS)
    if unknown:
        raise DefinitionError(source, f"has unknown field(s) {', '.join(unknown)}")
    slug = raw.get("slug")
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        raise DefinitionError(source, f"needs a 'slug' of lowercase letters, digits and hyphens, not {slug!r}")
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DefinitionError(source, f"needs a 'version' that is a whole number from 1, not {version!r}")
    match = FILE_PATTERN.match(Path(source).name)
    if match and (match["slug"] != slug or int(match["version"]) != version):
        raise DefinitionError(
            source, f"says slug {slug!r} version {version}, but its file name says otherwise"
        )
    return slug, version


def parse_definition(content: str, source: str) -> Definition:
    """Validate the YAML text of one definition file and return it as a Definition.

    ``source`` is the file name used in messages. Raises DefinitionError naming the
    file, the question key (where there is one) and what is wrong.
    """
    try:
        raw = yaml.safe_load(content)
    except yaml.YAMLError as error:
        raise DefinitionError(source, f"is not valid YAML: {error}") from None
    slug, version = _identity(raw, source)
    title = _text(raw.get("title"), source, "title")
    audience = raw.get("audience")
    if audience not in AUDIENCES:
        raise DefinitionError(source, f"unknown audience {audience!r}; use one of {', '.join(AUDIENCES)}")
    cadences = [cadence.value for cadence in Cadence]
    cadence = raw.get("cadence")
    if cadence not in cadences:
        raise DefinitionError(source, f"unknown cadence {cadence!r}; use one of {', '.join(cadences)}")
    anonymous = raw.get("anonymous", True)
    if not isinstance(anonymous, bool):
        raise DefinitionError(source, "'anonymous' must be true or false")
    respondent = raw.get("respondent")
    if respondent is not None and respondent not in RESPONDENTS:
        raise DefinitionError(source, f"unknown respondent {respondent!r}; use one of {', '.join(RESPONDENTS)}")
    intro = _text(raw.get("intro"), source, "intro", required=False) or ""
    previous = raw.get("previous_version")
    if previous is not None and (not isinstance(previous, int) or not 1 <= previous < version):
        raise DefinitionError(source, f"'previous_version' must be a version lower than {version}")
    if version > 1 and previous is None:
        raise DefinitionError(source, "a version after 1 must name its 'previous_version'")
    governance_raw = raw.get("governance")
    if not isinstance(governance_raw, dict):
        raise DefinitionError(source, f"needs 'governance' with {', '.join(GOVERNANCE_KEYS)}")
    governance = {
        name: _text(governance_raw.get(name), source, f"governance '{name}'")
        for name in GOVERNANCE_KEYS
    }
    questions = _questions(raw.get("questions"), source)
    translated = _translations(raw.get("translations"), source, questions, intro)
    return Definition(
        source=source,
        slug=slug,
        version=version,
        title=title,
        audience=audience,
        anonymous=anonymous,
        cadence=cadence,
        intro=intro,
        previous_version=previous,
        governance=governance,
        questions=tuple(questions),
        declared_respondent=respondent,
        cadence_note=_text(raw.get("cadence_note"), source, "cadence_note", required=False),
        translations=translated,
    )


def read_definitions(directory: str | Path | None = None) -> list[Definition]:
    """Read and validate every definition file in ``directory`` (default: the shipped ones).

    Returns them sorted by slug and version. Raises DefinitionError on the first bad file.
    """
    folder = Path(directory) if directory else default_questionnaires_dir()
    if not folder.is_dir():
        raise DefinitionError(str(folder), "is not a folder of questionnaire definitions")
    load_agencies(folder)  # a broken agencies file stops the sync before anything is read
    definitions = []
    for path in sorted(folder.glob("*.y*ml")):
        if path.name in (AGENCIES_FILE, INDICATORS_FILE):
            continue
        if not FILE_PATTERN.match(path.name):
            raise DefinitionError(path.name, "is not named <slug>-v<version>.yaml")
        definitions.append(parse_definition(path.read_text(encoding="utf-8"), path.name))
    seen: dict[tuple[str, int], str] = {}
    for definition in definitions:
        ident = (definition.slug, definition.version)
        if ident in seen:
            raise DefinitionError(
                definition.source, f"repeats version {definition.version} of '{definition.slug}' ({seen[ident]})"
            )
        seen[ident] = definition.source
    return sorted(definitions, key=lambda d: (d.slug, d.version))


# ---------------------------------------------------------------- comparing versions


@dataclass(frozen=True)
class VersionDiff:
    """How version ``new`` of a questionnaire differs from version ``old``."""

    slug: str
    old: int
    new: int
    kept: list[str]
    added: list[str]
    dropped: list[str]
    reworded: list[tuple[str, bool]]  # (key, still comparable?)
    conditions_changed: list[str] = field(default_factory=list)  # kept keys whose show_if changed

    def lines(self) -> list[str]:
        """The diff as lines of text for the command line."""
        out = [f"{self.slug}: version {self.old} -> version {self.new}"]
        out.append(f"kept ({len(self.kept)}): {', '.join(self.kept) or '-'}")
        out.append(f"added ({len(self.added)}): {', '.join(self.added) or '-'}")
        out.append(f"dropped ({len(self.dropped)}): {', '.join(self.dropped) or '-'}")
        reworded = [
            f"{key} ({'still comparable' if comparable else 'not comparable'})"
            for key, comparable in self.reworded
        ]
        out.append(f"re-worded ({len(self.reworded)}): {', '.join(reworded) or '-'}")
        out.append(f"conditions changed ({len(self.conditions_changed)}): {', '.join(self.conditions_changed) or '-'}")
        return out


def _reworded(old: QuestionDefinition, new: QuestionDefinition) -> bool:
    return old.text != new.text or old.child_text != new.child_text


def diff_definitions(old: dict[str, Any], new: dict[str, Any]) -> VersionDiff:
    """Compare two definitions given as plain data (``Definition.as_dict()`` form)."""
    old_questions = {q["key"]: q for q in old["questions"]}
    new_questions = {q["key"]: q for q in new["questions"]}
    kept = [key for key in new_questions if key in old_questions]
    reworded = []
    for key in kept:
        before, after = old_questions[key], new_questions[key]
        if before["text"] != after["text"] or before.get("child_text") != after.get("child_text"):
            reworded.append((key, bool(after.get("comparable", True))))
    return VersionDiff(
        slug=new["slug"],
        old=old["version"],
        new=new["version"],
        kept=kept,
        added=[key for key in new_questions if key not in old_questions],
        dropped=[key for key in old_questions if key not in new_questions],
        reworded=reworded,
        conditions_changed=skip_logic.changed_conditions(old["questions"], new["questions"]),
    )


def check_against_previous(definition: Definition, previous: Definition) -> None:
    """Check the rules a new version must keep with the version it follows.

    Raises DefinitionError when a kept key changes type, when a version changes who
    answers it (``respondent``), or when a question is re-worded without declaring
    whether it stays ``comparable``.
    """
    if definition.respondent != previous.respondent:
        raise DefinitionError(
            definition.source,
            f"changes respondent from {previous.respondent} to {definition.respondent} since version "
            f"{previous.version}; who answers decides the disclosure control, so start a new questionnaire (slug)",
        )
    for question in definition.questions:
        before = previous.question(question.key)
        if before is None:
            continue
        if before.type != question.type:
            raise DefinitionError(
                definition.source,
                f"changes type from {before.type} to {question.type} since version "
                f"{previous.version}; a different kind of question needs a new key",
                question.key,
            )
        if _reworded(before, question) and question.comparable is None:
            raise DefinitionError(
                definition.source,
                f"is re-worded since version {previous.version}: declare 'comparable: true' "
                "if answers can still be compared with the old wording, or 'comparable: false'",
                question.key,
            )
    for key in skip_logic.undeclared_condition_changes(definition.questions, previous.questions):
        raise DefinitionError(
            definition.source,
            f"changes its 'show_if' since version {previous.version}: declare 'comparable: true' if "
            "answers can still be compared with the old version, or 'comparable: false'",
            key,
        )


# ---------------------------------------------------------------- publishing


@dataclass
class SyncReport:
    """What a sync did: versions newly published and versions already published unchanged."""

    published: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def definition_from_version(version: QuestionnaireVersion) -> Definition:
    """Rebuild the Definition of a published version from its stored content."""
    data = version.definition
    questions = tuple(
        QuestionDefinition(
            key=q["key"],
            type=q["type"],
            text=q["text"],
            child_text=q.get("child_text"),
            help=q.get("help"),
            required=q.get("required", False),
            options=tuple(q["options"]) if q.get("options") is not None else None,
            settings=q.get("settings", {}),
            comparable=q.get("comparable"),
        )
        for q in data["questions"]
    )
    return Definition(
        source=version.source_name,
        slug=data["slug"],
        version=data["version"],
        title=data["title"],
        audience=data["audience"],
        anonymous=data["anonymous"],
        cadence=data["cadence"],
        intro=data["intro"],
        previous_version=data["previous_version"],
        governance=data["governance"],
        questions=questions,
        declared_respondent=data.get("respondent"),
        cadence_note=data.get("cadence_note"),
        translations=data.get("translations") or {},
    )


def published_version(session: Session, slug: str, version: int) -> QuestionnaireVersion | None:
    """The published version ``version`` of ``slug``, or None."""
    return session.scalar(
        select(QuestionnaireVersion)
        .join(Questionnaire)
        .where(Questionnaire.slug == slug, QuestionnaireVersion.version == version)
    )


def publish_definitions(session: Session, definitions: list[Definition]) -> SyncReport:
    """Publish every definition not yet published; all or nothing.

    Re-publishing an unchanged definition does nothing. Raises PublishedVersionChanged
    when a file differs from its published version, and DefinitionError when a version
    breaks the rules with the version it follows; in both cases the session is rolled
    back and nothing is written.
    """
    report = SyncReport()
    by_ident = {(d.slug, d.version): d for d in definitions}
    try:
        for definition in sorted(definitions, key=lambda d: (d.slug, d.version)):
            existing = published_version(session, definition.slug, definition.version)
            name = f"{definition.slug} v{definition.version}"
            if existing is not None:
                if existing.content_hash != definition.content_hash:
                    raise PublishedVersionChanged(
                        definition.source,
                        f"version {definition.version} of '{definition.slug}' is already "
                        f"published and this file has changed since (published content hash "
                        f"{existing.content_hash[:12]}, file {definition.content_hash[:12]}). "
                        "A published version cannot change: put your changes in a new version "
                        f"({definition.slug}-v{_next_version(session, definition.slug)}.yaml with "
                        f"'version: {_next_version(session, definition.slug)}' and "
                        f"'previous_version: {definition.version}').",
                    )
                report.unchanged.append(name)
                continue
            if definition.previous_version is not None:
                previous = by_ident.get((definition.slug, definition.previous_version))
                if previous is None:
                    stored = published_version(session, definition.slug, definition.previous_version)
                    if stored is None:
                        raise DefinitionError(
                            definition.source,
                            f"follows version {definition.previous_version}, which is neither "
                            "published nor among the files being loaded",
                        )
                    previous = definition_from_version(stored)
                check_against_previous(definition, previous)
            _insert_version(session, definition)
            report.published.append(name)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return report


def _next_version(session: Session, slug: str) -> int:
    versions = session.scalars(
        select(QuestionnaireVersion.version).join(Questionnaire).where(Questionnaire.slug == slug)
    ).all()
    return max(versions, default=0) + 1


def _insert_version(session: Session, definition: Definition) -> QuestionnaireVersion:
    questionnaire = session.scalar(select(Questionnaire).where(Questionnaire.slug == definition.slug))
    if questionnaire is None:
        questionnaire = Questionnaire(slug=definition.slug, title=definition.title)
        session.add(questionnaire)
    elif definition.version > max((v.version for v in questionnaire.versions), default=0):
        questionnaire.title = definition.title
    version = QuestionnaireVersion(
        questionnaire=questionnaire,
        version=definition.version,
        title=definition.title,
        audience=definition.audience,
        anonymous=definition.anonymous,
        cadence=Cadence(definition.cadence),
        intro=definition.intro,
        previous_version=definition.previous_version,
        governance=dict(definition.governance),
        definition=definition.as_dict(),
        content_hash=definition.content_hash,
        source_name=definition.source,
    )
    for position, question in enumerate(definition.questions):
        version.questions.append(
            Question(
                key=question.key,
                position=position,
                type=question.type,
                text=question.text,
                child_text=question.child_text,
                help=question.help,
                required=question.required,
                options=list(question.options) if question.options is not None else None,
                settings=question.settings,
                comparable_with_previous=question.comparable if question.comparable is not None else True,
            )
        )
    session.add(version)
    session.flush()
    return version


def sync_questionnaires(session: Session, directory: str | Path | None = None) -> SyncReport:
    """Read every definition in ``directory`` and publish the new ones (all or nothing)."""
    return publish_definitions(session, read_definitions(directory))


# ---------------------------------------------------------------- published versions as plain data (issue 13)


@dataclass(frozen=True)
class PublishedQuestion:
    """One question of a published version as plain data: the attributes of a ``Question``
    row that forms, skip logic and screening read, with no ORM session behind them."""

    key: str
    position: int
    type: str
    text: str
    child_text: str | None
    help: str | None
    required: bool
    options: tuple[str, ...] | None
    settings: dict[str, Any]
    comparable_with_previous: bool


@dataclass(frozen=True)
class PublishedVersion:
    """A published questionnaire version as plain data, shared by every request of a process.

    A published version never changes (``publish_definitions`` refuses a changed file; a
    change is a new version with a new id), so a snapshot taken once stays true for as long
    as the process runs.
    """

    id: int
    slug: str
    version: int
    title: str
    audience: str
    content_hash: str
    definition: dict[str, Any]
    questions: tuple[PublishedQuestion, ...]

    def question(self, key: str) -> PublishedQuestion | None:
        """The question with ``key`` in this version, or None."""
        return next((q for q in self.questions if q.key == key), None)


#: snapshots kept per process, by version id and content hash (a bound, not a policy: versions are few)
PUBLISHED_CACHE_SIZE = 256
_published: KeptPerProcess[tuple[int, str], PublishedVersion] = KeptPerProcess(PUBLISHED_CACHE_SIZE)


def published_snapshot(version: QuestionnaireVersion) -> PublishedVersion:
    """``version`` (a row, or a snapshot already) as plain data, taken once per process."""
    if isinstance(version, PublishedVersion):
        return version
    snapshot = _published.get((version.id, version.content_hash))
    if snapshot is None:
        snapshot = _published.put((version.id, version.content_hash), _snapshot_of(version))
    return snapshot


def published_by_id(session: Session, version_id: int, content_hash: str) -> PublishedVersion | None:
    """The published version ``version_id`` with ``content_hash`` as plain data (read from the
    database only the first time in a process; the hash makes the id mean the same questions
    whatever database the process serves), or None when there is no such version."""
    snapshot = _published.get((version_id, content_hash))
    if snapshot is not None:
        return snapshot
    version = session.get(QuestionnaireVersion, version_id)
    return published_snapshot(version) if version is not None else None


def _snapshot_of(version: QuestionnaireVersion) -> PublishedVersion:
    return PublishedVersion(
        id=version.id, slug=version.questionnaire.slug, version=version.version, title=version.title,
        audience=version.audience, content_hash=version.content_hash, definition=version.definition or {},
        questions=tuple(
            PublishedQuestion(
                key=q.key, position=q.position, type=q.type, text=q.text, child_text=q.child_text, help=q.help,
                required=bool(q.required), options=tuple(q.options) if q.options is not None else None,
                settings=q.settings or {}, comparable_with_previous=bool(q.comparable_with_previous),
            )
            for q in version.questions
        ),
    )
