"""Database models: questionnaires and their versions, rounds, share links, responses,
answers (one row per question answered) and staff users."""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    select,
)
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def as_aware(moment: datetime) -> datetime:
    """``moment`` with UTC as its zone when it has none (SQLite gives back naive times)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class Cadence(str, enum.Enum):
    """How often a questionnaire is asked."""

    ANNUAL = "annual"
    BI_ANNUAL = "bi-annual"
    BIMONTHLY = "bimonthly"
    QUARTERLY = "quarterly"


class Role(str, enum.Enum):
    """What a staff user may do."""

    ADMIN, ANALYST = "admin", "analyst"


class RoundStatus(str, enum.Enum):
    """Where a round is in its life."""

    DRAFT, OPEN, CLOSED = "draft", "open", "closed"


class LinkKind(str, enum.Enum):
    """The three kinds of share link."""

    OPEN = "open"
    AGENCY = "agency"
    SINGLE_USE = "single-use"


class LinkStatus(str, enum.Enum):
    """Whether a share link takes a response now, and if not, why not (``ShareLink.state``)."""

    OPEN = "open"
    REVOKED = "revoked"
    NOT_OPEN = "not-open"  # its round is a draft, or has not reached its opening date
    CLOSED = "closed"  # its round is closed, or past its closing date
    EXPIRED = "expired"
    USED = "used"  # a single-use link that took its response
    CAPPED = "capped"  # a link that took the most responses it was set up for


def _enum(enum_class: type[enum.Enum], name: str) -> Enum:
    return Enum(
        enum_class,
        name=name,
        values_callable=lambda members: [member.value for member in members],
        native_enum=False,
        validate_strings=True,
        length=20,
    )


class Questionnaire(Base):
    """A questionnaire (e.g. ``children``) across all of its versions."""

    __tablename__ = "questionnaires"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    versions: Mapped[list[QuestionnaireVersion]] = relationship(
        back_populates="questionnaire", order_by="QuestionnaireVersion.version"
    )

    def latest_version(self) -> QuestionnaireVersion | None:
        """The highest published version, or None when none is published."""
        return self.versions[-1] if self.versions else None


class QuestionnaireVersion(Base):
    """One published, immutable version of a questionnaire definition."""

    __tablename__ = "questionnaire_versions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(40))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    cadence: Mapped[Cadence] = mapped_column(_enum(Cadence, "cadence"))
    intro: Mapped[str] = mapped_column(Text, default="")
    previous_version: Mapped[int | None] = mapped_column(Integer)
    governance: Mapped[dict[str, Any]] = mapped_column(JSON)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="versions")
    questions: Mapped[list[Question]] = relationship(
        back_populates="version", order_by="Question.position", cascade="all, delete-orphan"
    )
    rounds: Mapped[list[Round]] = relationship(back_populates="version")

    @property
    def slug(self) -> str:
        """The questionnaire's slug."""
        return self.questionnaire.slug

    def question(self, key: str) -> Question | None:
        """The question with ``key`` in this version, or None."""
        return next((q for q in self.questions if q.key == key), None)


class Question(Base):
    """One question of a version; ``key`` is stable across versions and makes rounds comparable."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)
    child_text: Mapped[str | None] = mapped_column(Text)
    help: Mapped[str | None] = mapped_column(Text)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    options: Mapped[list[str] | None] = mapped_column(JSON)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    comparable_with_previous: Mapped[bool] = mapped_column(Boolean, default=True)

    version: Mapped[QuestionnaireVersion] = relationship(back_populates="questions")


class Round(Base):
    """One wave of one questionnaire version: the unit of comparison."""

    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    label: Mapped[str] = mapped_column(String(200))
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    status: Mapped[RoundStatus] = mapped_column(
        _enum(RoundStatus, "round_status"), default=RoundStatus.DRAFT
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    version: Mapped[QuestionnaireVersion] = relationship(back_populates="rounds")
    links: Mapped[list[ShareLink]] = relationship(back_populates="round")

    @property
    def accepts_responses(self) -> bool:
        """Whether the round takes answers today: open, and within its dates."""
        return self.accepts_responses_on(utcnow().date())

    def accepts_responses_on(self, today: date) -> bool:
        """Whether the round takes answers on ``today``: open, and within its dates."""
        return self.link_status_on(today) == LinkStatus.OPEN

    def link_status_on(self, today: date) -> LinkStatus:
        """What the round makes of its links on ``today``: open, not open yet, or closed."""
        if self.status == RoundStatus.DRAFT or today < self.opens_on:
            return LinkStatus.NOT_OPEN
        if self.status == RoundStatus.CLOSED or today > self.closes_on:
            return LinkStatus.CLOSED
        return LinkStatus.OPEN


class ShareLink(Base):
    """A link that lets respondents without an account answer a round."""

    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[LinkKind] = mapped_column(_enum(LinkKind, "link_kind"))
    agency: Mapped[str | None] = mapped_column(String(100))
    label: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    max_responses: Mapped[int | None] = mapped_column(Integer)
    response_count: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Issue 13 (round 7): the link's throttle, a token bucket kept on its row so that the claim
    # that stores a response throttles it in the same statement: the moment (microseconds since
    # the epoch) until which the posts already taken fill its allowance (responses.LinkPace).
    throttle_until_us: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")

    round: Mapped[Round] = relationship(back_populates="links")

    @property
    def state(self) -> LinkStatus:
        """Whether the link takes a response now, and if not, why not."""
        return self.state_at(utcnow())

    def state_at(self, now: datetime) -> LinkStatus:
        """Whether the link takes a response at ``now``: revoked, then its round, expiry and cap decide."""
        if self.revoked_at is not None:
            return LinkStatus.REVOKED
        by_round = self.round.link_status_on(now.date())
        if by_round != LinkStatus.OPEN:
            return by_round
        if self.expires_at is not None and now > as_aware(self.expires_at):
            return LinkStatus.EXPIRED
        if self.max_responses is not None and self.response_count >= self.max_responses:
            return LinkStatus.USED if self.kind == LinkKind.SINGLE_USE else LinkStatus.CAPPED
        return LinkStatus.OPEN


class Response(Base):
    """One respondent's submission to a round. Holds no device data and no IP address."""

    __tablename__ = "responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    link_id: Mapped[int | None] = mapped_column(ForeignKey("share_links.id"), index=True)
    agency: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20), default="web")
    # A random value carried by the form, so that a double click or a re-posted form stores
    # one response (the second insert hits the unique constraint).
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Issue 11: a response posted in a burst of near-duplicates through one link carries the
    # id of the burst's first response; an admin may exclude it from analysis (kept, not deleted).
    burst_id: Mapped[int | None] = mapped_column(Integer, index=True)
    excluded: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # The language the form was answered in (``en``, ``easy-read``, ``pl``, ``ar``; None before issue 15).
    language: Mapped[str | None] = mapped_column(String(20))

    round: Mapped[Round] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class Answer(Base):
    """The answer to one question of one response."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("response_id", "question_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    question_key: Mapped[str] = mapped_column(String(80), index=True)
    value: Mapped[str] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="answers")


class StaffUser(Base):
    """A member of partnership staff or of the Working Group."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Every session cookie carries the version it was signed in under; raising it (sign-out,
    # password change, deactivation) ends every session of the user at once.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


def questionnaire_by_slug(session, slug: str) -> Questionnaire | None:
    """The questionnaire with ``slug``, or None."""
    return session.scalar(select(Questionnaire).where(Questionnaire.slug == slug))


class CodebookVersion(Base):
    """One saved version of the theme codebook; the newest is the one in use."""

    __tablename__ = "codebook_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AnswerFeature(Base):
    """Text features of one free-text answer, computed once and stored with the analyser's version."""

    __tablename__ = "answer_features"

    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True)
    analyser_version: Mapped[str] = mapped_column(String(20))
    codebook_hash: Mapped[str] = mapped_column(String(64))
    polarity: Mapped[float] = mapped_column()
    subjectivity: Mapped[float] = mapped_column()
    label: Mapped[str] = mapped_column(String(10))
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    noun_phrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Indexed (issue 13): the newest feature change keys the comparison page cache.
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class FlagStatus(str, enum.Enum):
    """What staff have done about a flagged answer."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    REFERRED = "referred"
    NO_ACTION = "no-action"


class SafeguardingFlag(Base):
    """A free-text answer that suggests a child may be at risk, for staff to act on."""

    __tablename__ = "safeguarding_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), unique=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    matches: Mapped[list[str]] = mapped_column(JSON, default=list)
    rules_version: Mapped[str] = mapped_column(String(64))
    # The learned signal (issue 9): embedding model and example bank version,
    # what each signal said, and the score that orders the queue.
    model_version: Mapped[str | None] = mapped_column(String(120))
    signals: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    score: Mapped[float | None] = mapped_column()
    status: Mapped[FlagStatus] = mapped_column(_enum(FlagStatus, "flag_status"), default=FlagStatus.NEW)
    flagged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    action_note: Mapped[str | None] = mapped_column(Text)
    action_by: Mapped[str | None] = mapped_column(String(254))
    action_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    answer: Mapped[Answer] = relationship()
    response: Mapped[Response] = relationship()


class AuditEvent(Base):
    """Who did what, when: logins, exports, imports, purges, safeguarding actions."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(50))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Repeated events (failed sign-ins) are counted on one row per hour instead of a row each.
    count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class ThrottleCounter(Base):
    """Attempts per key (login email, link) per time window, shared by every app process."""

    __tablename__ = "throttle_counters"
    __table_args__ = (UniqueConstraint("scope", "key", "window_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(128))
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


# ---------------------------------------------------------------- framework evidence (issue 16)


class ActionStatus(str, enum.Enum):
    """Where an action of the action log is."""

    OPEN, IN_PROGRESS, DONE, DROPPED = "open", "in-progress", "done", "dropped"


class IndicatorValue(Base):
    """One figure of one indicator of ``questionnaires/indicators.yaml`` for one period.

    ``agency`` is ``""`` for a partnership-wide figure, so that (indicator, period, agency)
    is unique on every database.
    """

    __tablename__ = "indicator_values"
    __table_args__ = (UniqueConstraint("indicator", "period", "agency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator: Mapped[str] = mapped_column(String(80), index=True)
    period: Mapped[str] = mapped_column(String(10))
    agency: Mapped[str] = mapped_column(String(100), default="")
    value: Mapped[float] = mapped_column()
    entered_by: Mapped[str] = mapped_column(String(254))
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Action(Base):
    """An action arising from the evidence (a line of enquiry, an audit lesson, a Red area),
    owned by an agency, listed and updated by the Working Group (framework 8.1, 11.4)."""

    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    what: Mapped[str] = mapped_column(Text)
    owner_agency: Mapped[str] = mapped_column(String(100))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[ActionStatus] = mapped_column(_enum(ActionStatus, "action_status"), default=ActionStatus.OPEN)
    source_kind: Mapped[str] = mapped_column(String(30))
    source_evidence: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# ---------------------------------------------------------------- issue 15: drafts and API tokens


class ResponseDraft(Base):
    """Answers saved to finish later: not a response (never counted, screened or analysed).

    Found by its resume code, of which only a SHA-256 hash is kept. Holds no personal data
    beyond the answers typed so far, and is purged when it expires.
    """

    __tablename__ = "response_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("share_links.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    pages_shown: Mapped[int] = mapped_column(Integer, default=1)
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    link: Mapped[ShareLink] = relationship()


class ApiToken(Base):
    """A read-only API token: shown once when created, only its SHA-256 hash kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # the token's first characters, to tell tokens apart
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
# ---------------------------------------------------------------- coding and learned models (issue 14)


class Coding(Base):
    """An analyst's (or an imported spreadsheet's) code for one answer's text.

    Never overwrites the computed features: analysis reads the newest coding of an
    answer where there is one. ``answer_id`` is empty for coded text imported without
    an answer (a past round coded elsewhere). ``sentiment`` or ``themes`` may be empty
    when only the other was coded.
    """

    __tablename__ = "codings"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    sentiment: Mapped[str | None] = mapped_column(String(10))
    themes: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    coder: Mapped[str] = mapped_column(String(254))
    source: Mapped[str] = mapped_column(String(20), default="app")
    coded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SentimentModelVersion(Base):
    """One trained sentiment model, stored with its evaluation figures; at most one is in use."""

    __tablename__ = "sentiment_model_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    model: Mapped[bytes] = mapped_column(LargeBinary)
    evaluation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    n_development: Mapped[int] = mapped_column(Integer, default=0)
    n_coded: Mapped[int] = mapped_column(Integer, default=0)
    in_use: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# Issue 13 item 2 (comparison page cache): the count of excluded responses in the data
# fingerprint reads this index, not every response row.
sa.Index("ix_responses_excluded", Response.excluded)


# ---------------------------------------------------------------- issue 13 item 2: tallies
# Running counts the comparison page reads instead of every answer (feedback_app/tallies.py
# keeps them; ``rebuild_tallies`` recounts them from the answers).


class AnswerTheme(Base):
    """One theme of one counted answer, as analysis uses it: an analyst's code over the
    computed themes, merged theme keys read as the theme they were merged into. Only
    answers that count are here (analysed, with text, in a response not excluded)."""

    __tablename__ = "answer_themes"

    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True)
    theme: Mapped[str] = mapped_column(String(80), primary_key=True)
    round_id: Mapped[int] = mapped_column(Integer)
    question_key: Mapped[str] = mapped_column(String(80))
    agency: Mapped[str] = mapped_column(String(100))  # "" for no agency

    __table_args__ = (sa.Index("ix_answer_themes_question", "question_key", "round_id", "theme"),)


class AnswerTally(Base):
    """Counted answers of one round, question and agency (``agency`` "" for none): all of
    them (``theme`` "") or those mentioning one theme, with their sentiment labels and the
    sum and sum of squares of their known polarities (for the mean and its interval)."""

    __tablename__ = "answer_tallies"

    round_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    agency: Mapped[str] = mapped_column(String(100), primary_key=True)
    theme: Mapped[str] = mapped_column(String(80), primary_key=True)
    answers: Mapped[int] = mapped_column(Integer, default=0)
    positive: Mapped[int] = mapped_column(Integer, default=0)
    neutral: Mapped[int] = mapped_column(Integer, default=0)
    negative: Mapped[int] = mapped_column(Integer, default=0)
    polarity_count: Mapped[int] = mapped_column(Integer, default=0)
    polarity_sum: Mapped[float] = mapped_column(sa.Float, default=0.0)
    polarity_squares: Mapped[float] = mapped_column(sa.Float, default=0.0)


class TermTally(Base):
    """How many counted answers of one round, question and agency use a term: ``kind`` "p"
    a phrase (emerging phrases), "l" a word by its lemma (answers and uses), "w" a written
    form of the lemma ``term`` (``form``; uses), for the word clouds."""

    __tablename__ = "term_tallies"

    round_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    agency: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    term: Mapped[str] = mapped_column(String(200), primary_key=True)
    form: Mapped[str] = mapped_column(String(200), primary_key=True)
    answers: Mapped[int] = mapped_column(Integer, default=0)
    uses: Mapped[int] = mapped_column(Integer, default=0)

    # Emerging phrases look up their earlier rounds' counts by phrase (covering: no table reads).
    __table_args__ = (sa.Index("ix_term_tallies_term", "question_key", "kind", "term", "round_id", "agency",
                               "answers"),)


class TallyState(Base):
    """The one row (id 1) saying whether the tallies are built, and under which theme merges
    and text analyser they were counted. Writers lock it shared; a rebuild locks it whole."""

    __tablename__ = "tally_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    built_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    merged: Mapped[str | None] = mapped_column(Text)  # the codebook's merges as sorted JSON
    analyser: Mapped[str | None] = mapped_column(String(40))
    # Issue 13 item 2 (flat cold page): bumped by every change to which responses count
    # (an exclusion, an erasure), which moves no maximum the page cache's fingerprint reads.
    changes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Every analysable free-text answer with an id below this has features (they are only
    # ever replaced, or deleted with their answer), so the stale count looks above it only.
    analysed_below: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    # What ``analysed_below`` was counted under (the analysed languages and text types).
    analysed_basis: Mapped[str | None] = mapped_column(String(200))
    # PostgreSQL: the mark found by the last advance, promoted to ``analysed_below`` by a
    # later one once every transaction in progress then (below ``mark_xmax``) has ended.
    mark_candidate: Mapped[int | None] = mapped_column(sa.BigInteger)
    mark_xmax: Mapped[int | None] = mapped_column(sa.BigInteger)
    # Issue 13 (closed questions at scale): ``choice_tallies`` count every response below
    # this id; PostgreSQL's candidate and xmax for it work as ``mark_candidate``'s do.
    choices_below: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    choices_candidate: Mapped[int | None] = mapped_column(sa.BigInteger)
    choices_xmax: Mapped[int | None] = mapped_column(sa.BigInteger)


# ---------------------------------------------------------------- issue 13 item 2: the cold page


class FeatureTally(Base):
    """Stored features of the answers of one round and question, by the analyser and codebook
    version that computed them (every answer with features, excluded or not): which model
    labelled a question's answers, without reading them."""

    __tablename__ = "feature_tallies"

    # what computed the features (as AnswerFeature stores it), then where their answers are
    analyser_version: Mapped[str] = mapped_column(String(20), primary_key=True)
    codebook_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    round_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    answers: Mapped[int] = mapped_column(Integer, default=0)


class ChoiceTally(Base):
    """Answers to a question in one round from one agency ("" for none) that gave one value
    (a JSON list for multiple choice; "" for every free-text answer), counted over the responses below
    ``tally_state.choices_below`` that are not excluded, with the first response giving it."""

    __tablename__ = "choice_tallies"

    round_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    agency: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text, primary_key=True)
    answers: Mapped[int] = mapped_column(Integer, default=0)
    first_response: Mapped[int] = mapped_column(sa.BigInteger)


# The stale count finds outdated features by their versions (a few index seeks), and the
# filters list a questionnaire's agencies by seeking each round's next agency.
sa.Index("ix_answer_features_versions", AnswerFeature.analyser_version, AnswerFeature.codebook_hash)
sa.Index("ix_responses_round_agency", Response.round_id, Response.agency)
