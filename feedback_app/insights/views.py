"""Analysis views: compare themes and sentiment across rounds, read the quotes behind a
theme, edit the codebook, download the report.

Every view parses the request, calls ``insights.data`` / ``insights.summary`` (which call
the pure functions of ``analysis/``) and renders. Pages aggregate the features stored
with each answer; they never re-analyse text. Changes happen on POST only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from analysis.codebook import CodebookError
from analysis.disclosure import AgencyFilterRefused, DisclosurePolicy, RoundGroup, round_groups
from analysis.wordclouds import CloudWords

from ..auth import current_user, login_required
from ..coding.coding import analysis_provenance
from ..db import db
from ..models import Questionnaire, questionnaire_by_slug
from ..security import audit
from ..tallies import analysed_mark, tallies_current
from ..text_analysis import current_codebook
from . import bp
from .cache import PAGE_CACHE, data_fingerprint
from .clouds import (
    cloud_cache_folder,
    counted_whats_new,
    counted_word_cloud,
    whats_new_cloud,
    whats_new_key,
    word_cloud,
    word_cloud_key,
)
from .codebook_edits import (
    REANALYSE_NOTICE,
    apply_edit,
    codebook_history,
    save_edit,
    theme_from_phrase,
)
from .data import (
    QuestionSummary,
    RoundSummary,
    load_answers,
    load_choice_counts,
    load_tallied,
    question_catalogue,
    question_round_groups,
    questionnaire_agencies,
    question_provenance,
    tallied_provenance,
    questionnaire_rounds,
    response_groups,
    round_response_counts,
    tallied_round_groups,
    theme_sample,
    rounds_between,
)
from .forms import (
    AddPatternForm,
    AddThemeForm,
    FilterForm,
    MakeThemeForm,
    MergeThemesForm,
    RemovePatternForm,
    RenameThemeForm,
    choices,
    theme_choices,
)
from ..text_analysis import refresh_stale_features, stale_answer_count
from ..tasks import in_background, reanalyse_in_background, reanalysis_line
from .policy import disclosure_policy
from .summary import (
    QuoteResult,
    agency_answer_counts,
    as_quotes,
    quotes_for,
    summarise_closed,
    summarise_free_text,
    summarise_tallied,
    tallied_group_sizes,
    tallied_quotes,
    theme_answers,
    theme_names,
)

ANSWERS_PER_PAGE = 25


def _reanalyse() -> str:
    """Re-analyse the answers a codebook change made stale, when few enough to do it now."""
    if in_background():  # issue 13 (queue): any number, by the worker, progress on the codebook page
        return reanalyse_in_background()
    done, remaining = refresh_stale_features(db.session)
    if remaining:
        return REANALYSE_NOTICE
    return f"{done} answers were re-analysed with it." if done else "No answers needed re-analysing."


def _actor() -> str | None:
    user = current_user()
    return user.email if user is not None else None


def _questionnaire_or_404(slug: str) -> Questionnaire:
    questionnaire = questionnaire_by_slug(db.session, slug)
    if questionnaire is None:
        abort(404)
    return questionnaire


def _question_or_404(questionnaire: Questionnaire, key: str) -> QuestionSummary:
    question = next((q for q in question_catalogue(db.session, questionnaire.id) if q.key == key), None)
    if question is None:
        abort(404)
    return question


@dataclass
class Filters:
    """The comparison filters of this request: an agency and a range of rounds."""

    form: FilterForm
    agency: str | None
    rounds: list[RoundSummary]
    selected: list[RoundSummary]
    policy: DisclosurePolicy
    # Why the agency asked for was not applied (it would isolate a small group).
    refused: str | None = None

    def refuse(self, error: AgencyFilterRefused) -> None:
        """Drop the agency filter, keeping the reason to show."""
        self.agency = None
        self.form.agency.data = ""
        self.refused = str(error)

    def check_agency(self, groups) -> bool:
        """Keep the agency filter if ``groups`` (per round, the agency's count and the rest's:
        ``analysis.disclosure.round_groups``) allow it, else refuse it; True when kept."""
        try:
            self.policy.check_agency_filter(self.agency, groups)
        except AgencyFilterRefused as error:
            self.refuse(error)
            return False
        return True

    def apply_agency(self, frame):
        """``frame`` (every agency's answers) narrowed to the agency filter, unless the filter
        would isolate a small group in these answers: then refused, and ``frame`` whole."""
        if self.agency is None or not self.check_agency(round_groups(frame, self.agency)):
            return frame
        return frame[frame["agency"] == self.agency]

    @property
    def round_ids(self) -> list[int]:
        """Ids of the selected rounds."""
        return [r.id for r in self.selected]

    @property
    def args(self) -> dict[str, str]:
        """The filters as query arguments, for links that keep them."""
        values = {"agency": self.agency or "", "round_from": self.form.round_from.data or "",
                  "round_to": self.form.round_to.data or ""}
        return {name: value for name, value in values.items() if value}


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


def _response_counts(questionnaire_id: int, fingerprint: tuple) -> dict[int, int]:
    """Responses per round of the questionnaire, counted once per change of the data (a
    grouped count over its responses; issue 13: the index and filter pages at scale)."""
    return PAGE_CACHE.get_or_compute(("responses", fingerprint, questionnaire_id),
                                     lambda: round_response_counts(db.session, questionnaire_id))


def _filters(questionnaire: Questionnaire, fingerprint: tuple | None = None, *, count: bool = True) -> Filters:
    """The request's filters. The agencies and, with ``count``, the per-round response
    counts come from the page cache under the data's ``fingerprint`` (read when not given)."""
    fingerprint = fingerprint or data_fingerprint(db.session)
    agencies = PAGE_CACHE.get_or_compute(("agencies", fingerprint, questionnaire.id),
                                         lambda: questionnaire_agencies(db.session, questionnaire.id))
    counts = _response_counts(questionnaire.id, fingerprint) if count else None
    rounds = questionnaire_rounds(db.session, questionnaire.id, counts, count=count)
    form = FilterForm(request.args)
    form.agency.choices = choices([("", "All agencies")] + [(a, a) for a in agencies])
    round_choices = [(str(r.id), r.label) for r in rounds]
    form.round_from.choices = choices([("", "The first round")] + round_choices)
    form.round_to.choices = choices([("", "The latest round")] + round_choices)
    agency = request.args.get("agency") or None
    if agency is not None and agency not in agencies:
        agency = None
        form.agency.data = ""
    selected = rounds_between(rounds, _int_or_none(request.args.get("round_from")),
                              _int_or_none(request.args.get("round_to")))
    filters = Filters(form=form, agency=agency, rounds=rounds, selected=selected,
                      policy=disclosure_policy(questionnaire))
    if agency is not None:
        ids = [r.id for r in selected]
        filters.check_agency(PAGE_CACHE.get_or_compute(("response-groups", fingerprint, questionnaire.id, agency,
                                                        tuple(ids)),
                                                       lambda: response_groups(db.session, questionnaire.id, agency, ids)))
    return filters


# ---------------------------------------------------------------- questionnaires


@bp.get("/")
@login_required()
def index():
    """The questionnaires, their rounds and how many responses each round has."""
    questionnaires = db.session.scalars(select(Questionnaire).order_by(Questionnaire.slug)).all()
    fingerprint = data_fingerprint(db.session)
    overview = [(q, questionnaire_rounds(db.session, q.id, _response_counts(q.id, fingerprint)), disclosure_policy(q))
                for q in questionnaires]
    return render_template("insights/index.html", overview=overview)


@bp.get("/<slug>")
@login_required()
def questionnaire(slug: str):
    """Pick a question of ``slug`` to compare, and the filters to apply."""
    found = _questionnaire_or_404(slug)
    questions = question_catalogue(db.session, found.id)
    filters = _filters(found)
    return render_template(
        "insights/questionnaire.html",
        questionnaire=found,
        free_text=[q for q in questions if q.free_text],
        closed=[q for q in questions if not q.free_text],
        filters=filters,
    )


@bp.get("/<slug>/report.html")
@login_required()
def report(slug: str):
    """The printable report of ``slug`` for the selected rounds, as a download."""
    from .report import build_report, report_filename

    found = _questionnaire_or_404(slug)
    filters = _filters(found)
    html = build_report(
        db.session, found.slug, round_ids=filters.round_ids, min_count=filters.policy.threshold,
        cache_folder=cloud_cache_folder(current_app.instance_path),
    )
    filename = report_filename(found.slug)
    audit(_actor() or "(unknown)", "report-download", questionnaire=found.slug, rounds=filters.round_ids)
    return Response(html, mimetype="text/html",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# ---------------------------------------------------------------- one question


@bp.get("/<slug>/<question_key>")
@login_required()
def compare(slug: str, question_key: str):
    """A question's answers compared across the selected rounds."""
    found = _questionnaire_or_404(slug)
    question = _question_or_404(found, question_key)
    fingerprint = data_fingerprint(db.session)
    filters = _filters(found, fingerprint, count=False)
    codebook, _saved = current_codebook(db.session)
    # Issue 13 item 2: kept while nothing the page reads changed (see insights.cache).
    key = (fingerprint, codebook.version_hash(), found.slug, repr(question), filters.agency,
           tuple(filters.selected), filters.policy, found.latest_version().audience)  # labels and dates too
    page = PAGE_CACHE.get_or_compute(("compare",) + key, lambda: _comparison(found, question, filters, codebook))
    if page.refused is not None:
        filters.refuse(AgencyFilterRefused(page.refused))
    stale = _stale_count(codebook.version_hash(), fingerprint) if question.free_text else 0
    return render_template(
        "insights/compare_text.html" if question.free_text else "insights/compare_closed.html",
        questionnaire=found,
        question=question,
        summary=page.summary,
        filters=filters,
        stale=stale,
        make_theme_form=MakeThemeForm(),
        min_count=filters.policy.min_count,
        reanalyse_notice=REANALYSE_NOTICE,
        provenance=page.provenance,
    )


def _stale_count(codebook_hash: str, fingerprint: tuple | None = None) -> int:
    """The stale answers' count, counted once per change of the data: from the analysed
    mark on, and the outdated features by their versions (issue 13: a join over every
    free-text answer took 1.9 s at 1M answers)."""
    fingerprint = fingerprint or data_fingerprint(db.session)
    return PAGE_CACHE.get_or_compute(("stale", fingerprint, codebook_hash), lambda: stale_answer_count(
        db.session, codebook_hash, analysed_below=analysed_mark(db.session)))


@dataclass(frozen=True)
class _Comparison:
    """What the comparison page computes from the answers (kept in the page cache)."""

    summary: Any
    provenance: Any
    refused: str | None


def _comparison(found: Questionnaire, question: QuestionSummary, filters: Filters, codebook) -> _Comparison:
    """Summarise the question's answers under ``filters`` (the uncached page): from its
    tallies when they are current (issue 13 item 2), else from every answer."""
    if not question.free_text:
        return _closed_comparison(found, question, filters)
    if tallies_current(db.session, codebook):
        return _tallied_comparison(found, question, filters, codebook)
    frame = load_answers(db.session, found.slug, question.key, round_ids=filters.round_ids, noun_phrases=True)
    already = filters.refused  # refused before reading answers: not part of this entry (its key has no agency)
    frame = filters.apply_agency(frame)
    refused = filters.refused if already is None else None
    summary = summarise_free_text(frame, question, codebook, filters.policy, audience=found.latest_version().audience)
    return _Comparison(summary, analysis_provenance(db.session, question.key, filters.round_ids), refused)


def _agency_checked(filters: Filters, groups: Callable[[], list[RoundGroup]]) -> str | None:
    """Check the agency filter, if there is one, on ``groups()``; the reason this check
    refused it (kept with the cached page), or None."""
    already = filters.refused  # refused before: not part of the cached page (its key has no agency)
    if filters.agency is not None:
        filters.check_agency(groups())
    return filters.refused if already is None else None


def _closed_comparison(found: Questionnaire, question: QuestionSummary, filters: Filters) -> _Comparison:
    """A closed question's page from its answers counted in SQL per round and value (issue
    13: no row per answer is read), the agency filter checked on its answer counts per round."""
    refused = _agency_checked(filters, lambda: question_round_groups(db.session, question.key, filters.agency,
                                                                     filters.round_ids))
    frame = load_choice_counts(db.session, found.slug, question.key, filters.round_ids, agency=filters.agency)
    return _Comparison(summarise_closed(frame, question, filters.policy), None, refused)


def _tallied_comparison(found: Questionnaire, question: QuestionSummary, filters: Filters,
                        codebook) -> _Comparison:
    """:func:`_comparison` from the tallies: the agency filter is checked on the question's
    answer counts per round (one grouped count), as on its answers."""
    refused = _agency_checked(filters, lambda: tallied_round_groups(db.session, question.key, filters.agency,
                                                                    filters.selected))
    tallied = load_tallied(db.session, question.key, filters.selected, filters.agency)
    summary = summarise_tallied(tallied, question, codebook, filters.policy, audience=found.latest_version().audience)
    return _Comparison(summary, tallied_provenance(db.session, question.key, filters.round_ids), refused)


@bp.post("/<slug>/<question_key>/themes")
@login_required()
def make_theme(slug: str, question_key: str):
    """Make an emerging phrase a theme: a new codebook version whose new theme's pattern is the phrase."""
    found = _questionnaire_or_404(slug)
    question = _question_or_404(found, question_key)
    form = MakeThemeForm()
    back = url_for(".compare", slug=found.slug, question_key=question.key, **_kept_args())
    if not form.validate_on_submit():
        flash("The phrase could not be made a theme: the form was incomplete or had expired. Please try again.",
              "error")
        return redirect(back)
    codebook, _saved = current_codebook(db.session)
    try:
        edited, key = theme_from_phrase(codebook, form.phrase.data, f"answers to {question.key} ({found.slug})")
    except CodebookError as error:
        flash(f"“{form.phrase.data}” could not be made a theme: {error}", "error")
        return redirect(back)
    version = save_edit(db.session, edited, f"Made the emerging phrase “{form.phrase.data}” theme {key}", _actor())
    flash(f"“{form.phrase.data}” is now the theme {key} (codebook version {version.version}). {_reanalyse()}",
          "success")
    return redirect(back)


def _kept_args() -> dict[str, str]:
    return {name: request.args[name] for name in ("agency", "round_from", "round_to") if request.args.get(name)}


def _png(key: str, png: bytes | None) -> Response:
    """The PNG with its cache key as ETag, or 304 when the browser already has it (``png`` None)."""
    response = Response(png or b"", mimetype="image/png", status=200 if png is not None else 304)
    response.set_etag(key)
    return response


def _round_texts(slug: str, question: QuestionSummary, agency: str | None,
                 policy: DisclosurePolicy) -> dict[int, list[str]]:
    frame = load_answers(db.session, slug, question.key)
    if agency is not None:
        try:
            policy.check_agency_filter(agency, round_groups(frame, agency))
        except AgencyFilterRefused:
            abort(404)
        frame = frame[frame["agency"] == agency]
    texts: dict[int, list[str]] = {}
    for round_id, value in zip(frame["round_id"], frame["value"]):
        texts.setdefault(int(round_id), []).append(str(value))
    return texts


def _cloud_texts(slug: str, question_key: str, round_id: int) -> tuple[list[str], list[str], DisclosurePolicy]:
    """This round's texts and the previous round's (under the agency filter); 404 when the
    question is not free text or the round has too few answers to show."""
    found = _questionnaire_or_404(slug)
    question = _question_or_404(found, question_key)
    if not question.free_text:
        abort(404)
    agency = request.args.get("agency") or None
    policy = disclosure_policy(found)
    texts = _round_texts(found.slug, question, agency, policy)
    if round_id not in texts or not policy.reportable(len(texts[round_id])):
        abort(404)
    order = list(texts)
    position = order.index(round_id)
    previous = texts[order[position - 1]] if position > 0 else []
    return texts[round_id], previous if policy.reportable(len(previous)) else [], policy


@dataclass(frozen=True)
class _CountedWords:
    """A round's counted words and the previous round's (None when that may not be shown)."""

    words: CloudWords
    previous: CloudWords | None
    policy: DisclosurePolicy


def _counted_words(slug: str, question_key: str, round_id: int) -> _CountedWords | None:
    """:func:`_cloud_texts` from the tallies (issue 13 item 2): the round's counted words and
    the previous round's, under the agency filter, with the same 404s. None when the
    tallies are not current (the caller reads the answers)."""
    found = _questionnaire_or_404(slug)
    question = _question_or_404(found, question_key)
    if not question.free_text:
        abort(404)
    if not tallies_current(db.session, current_codebook(db.session)[0]):
        return None
    agency = request.args.get("agency") or None
    policy = disclosure_policy(found)
    rounds = questionnaire_rounds(db.session, found.id, counts={})
    if agency is not None:
        try:
            policy.check_agency_filter(agency, tallied_round_groups(db.session, question.key, agency, rounds))
        except AgencyFilterRefused:
            abort(404)
    tallied = load_tallied(db.session, question.key, rounds, agency)
    answered = dict(zip(tallied.rounds["round_id"], tallied.rounds["answers"]))
    if round_id not in answered or not policy.reportable(int(answered[round_id])):
        abort(404)
    order = list(tallied.rounds.sort_values(["round_order", "round_id"])["round_id"])
    before = order[order.index(round_id) - 1] if order.index(round_id) > 0 else None
    previous = (tallied.terms.words(before) if before is not None and policy.reportable(int(answered[before]))
                else None)
    return _CountedWords(tallied.terms.words(round_id), previous, policy)


@bp.get("/<slug>/<question_key>/cloud/<int:round_id>.png")
@login_required()
def cloud(slug: str, question_key: str, round_id: int):
    """The word cloud of one round's answers (PNG, cached in the instance folder, with an ETag)."""
    counted = _counted_words(slug, question_key, round_id)
    if counted is not None:
        key, png = counted_word_cloud(cloud_cache_folder(current_app.instance_path), counted.words,
                                      counted.policy.min_count)
        return _png(key, None if request.if_none_match.contains(key) else png)
    texts, _previous, policy = _cloud_texts(slug, question_key, round_id)
    key = word_cloud_key(texts, policy.min_count)
    if request.if_none_match.contains(key):
        return _png(key, None)
    return _png(*word_cloud(cloud_cache_folder(current_app.instance_path), texts, policy.min_count))


@bp.get("/<slug>/<question_key>/whats-new/<int:round_id>.png")
@login_required()
def whats_new(slug: str, question_key: str, round_id: int):
    """Words more common in this round than in the previous one (PNG, cached like the cloud)."""
    counted = _counted_words(slug, question_key, round_id)
    if counted is not None:
        if counted.previous is None:
            abort(404)
        key, png = counted_whats_new(cloud_cache_folder(current_app.instance_path), counted.words, counted.previous,
                                     counted.policy.min_count)
        return _png(key, None if request.if_none_match.contains(key) else png)
    texts, previous, policy = _cloud_texts(slug, question_key, round_id)
    if not previous:
        abort(404)
    key = whats_new_key(texts, previous, policy.min_count)
    if request.if_none_match.contains(key):
        return _png(key, None)
    return _png(*whats_new_cloud(cloud_cache_folder(current_app.instance_path), texts, previous, policy.min_count))


# ---------------------------------------------------------------- one theme


def _theme_context(slug: str, question_key: str, theme: str):
    found = _questionnaire_or_404(slug)
    question = _question_or_404(found, question_key)
    if not question.free_text:
        abort(404)
    codebook, _saved = current_codebook(db.session)
    names = theme_names(codebook)
    if theme not in names:
        abort(404)
    theme = codebook.canonical_key(theme)
    filters = _filters(found, data_fingerprint(db.session))  # response counts from the page cache
    round_id = _int_or_none(request.args.get("round"))
    if round_id is None or round_id not in {r.id for r in filters.rounds}:
        with_answers = [r for r in filters.selected if r.responses] or filters.rounds
        if not with_answers:
            abort(404)
        round_id = with_answers[-1].id
    round_ = next(r for r in filters.rounds if r.id == round_id)
    return found, question, codebook, names, theme, filters, round_


def _round_frame(found: Questionnaire, question: QuestionSummary, filters: Filters, round_: RoundSummary):
    """The round's answers to the question, under the agency filter (the answer list pages them all)."""
    return filters.apply_agency(load_answers(db.session, found.slug, question.key, round_ids=[round_.id]))


def _check_round_agency(question: QuestionSummary, filters: Filters, round_: RoundSummary) -> None:
    """The agency filter's differencing check on the question's counted answers in the round
    (from the tallies: the answers the page counts); a refused filter is dropped, as on the answers."""
    if filters.agency is not None:
        filters.check_agency(tallied_round_groups(db.session, question.key, filters.agency, [round_]))


def _tallied_quotes(question: QuestionSummary, theme: str, filters: Filters, round_: RoundSummary) -> QuoteResult:
    """The theme's quotes in the round from the tallies and a bounded sample of its answers
    (issue 13 item 2), the agency filter checked on the round's answer counts."""
    _check_round_agency(question, filters, round_)
    return tallied_quotes(db.session, question.key, round_, theme, filters.policy, filters.agency)


@bp.get("/<slug>/<question_key>/themes/<theme>")
@login_required()
def theme(slug: str, question_key: str, theme: str):
    """The answers most typical of a theme in one round, unless the group is too small to quote."""
    found, question, codebook, names, theme, filters, round_ = _theme_context(slug, question_key, theme)
    from_tallies = tallies_current(db.session, codebook)
    if from_tallies:
        result = _tallied_quotes(question, theme, filters, round_)
    else:
        result = quotes_for(_round_frame(found, question, filters, round_), theme, round_.id, codebook,
                            filters.policy)
    return render_template(
        "insights/theme.html", questionnaire=found, question=question, theme=theme, theme_name=names[theme],
        round=round_, filters=filters, result=result, min_count=filters.policy.min_count,
        provenance=question_provenance(db.session, question.key, [round_.id], from_tallies),
    )


@dataclass(frozen=True)
class _AnswerPage:
    """One page of a theme's answers in a round, or why they are withheld."""

    answers: list
    total: int
    withheld: bool
    page: int
    pages: int


def _page_of(total: int, asked: int | None) -> tuple[int, int]:
    """(page, pages) for ``total`` answers: the asked page, kept between 1 and the last."""
    pages = max((total + ANSWERS_PER_PAGE - 1) // ANSWERS_PER_PAGE, 1)
    return min(max(asked or 1, 1), pages), pages


def _answer_page(found: Questionnaire, question: QuestionSummary, codebook, theme: str, filters: Filters,
                 round_: RoundSummary, asked: int | None) -> _AnswerPage:
    """The page from every answer of the round (when the tallies are not current)."""
    frame = _round_frame(found, question, filters, round_)
    analysed = frame[frame["label"].notna()]
    answers = theme_answers(analysed, theme, round_.id, codebook)
    withheld = not filters.policy.reportable(len(frame)) or not filters.policy.reportable(len(answers))
    page, pages = _page_of(len(answers), asked)
    shown = [] if withheld else as_quotes(answers.iloc[(page - 1) * ANSWERS_PER_PAGE: page * ANSWERS_PER_PAGE],
                                          agency_answer_counts(analysed, round_.id), filters.policy)
    return _AnswerPage(shown, len(answers), withheld, page, pages)


def _tallied_answer_page(question: QuestionSummary, theme: str, filters: Filters, round_: RoundSummary,
                         asked: int | None) -> _AnswerPage:
    """:func:`_answer_page` from the tallies and one page of ``answer_themes`` (issue 13
    item 2): the group sizes count analysed answers, as the quotes do."""
    _check_round_agency(question, filters, round_)
    counts, in_theme = tallied_group_sizes(db.session, question.key, round_, theme, filters.agency)
    withheld = not filters.policy.reportable(sum(counts.values())) or not filters.policy.reportable(in_theme)
    page, pages = _page_of(in_theme, asked)
    shown = [] if withheld else as_quotes(
        theme_sample(db.session, question.key, round_.id, theme, filters.agency, limit=ANSWERS_PER_PAGE,
                     offset=(page - 1) * ANSWERS_PER_PAGE), counts, filters.policy)
    return _AnswerPage(shown, in_theme, withheld, page, pages)


@bp.get("/<slug>/<question_key>/themes/<theme>/answers")
@login_required()
def theme_answer_list(slug: str, question_key: str, theme: str):
    """Every answer of a theme in one round, a page at a time (withheld for a small group)."""
    found, question, codebook, names, theme, filters, round_ = _theme_context(slug, question_key, theme)
    asked = _int_or_none(request.args.get("page"))
    from_tallies = tallies_current(db.session, codebook)
    if from_tallies:
        listing = _tallied_answer_page(question, theme, filters, round_, asked)
    else:
        listing = _answer_page(found, question, codebook, theme, filters, round_, asked)
    return render_template(
        "insights/theme_answers.html", questionnaire=found, question=question, theme=theme,
        theme_name=names[theme], round=round_, filters=filters, answers=listing.answers, total=listing.total,
        withheld=listing.withheld, page=listing.page, pages=listing.pages, min_count=filters.policy.min_count,
        provenance=question_provenance(db.session, question.key, [round_.id], from_tallies),
    )


# ---------------------------------------------------------------- codebook


def _codebook_forms(codebook, **bound):
    choices = theme_choices(codebook)
    forms = {
        "add_theme": bound.get("add_theme") or AddThemeForm(formdata=None),
        "rename": bound.get("rename") or RenameThemeForm(formdata=None),
        "merge": bound.get("merge") or MergeThemesForm(formdata=None),
        "add_pattern": bound.get("add_pattern") or AddPatternForm(formdata=None),
        "remove_pattern": bound.get("remove_pattern") or RemovePatternForm(formdata=None),
    }
    forms["rename"].key.choices = choices
    forms["merge"].into.choices = choices
    forms["merge"].merged.choices = choices
    forms["add_pattern"].key.choices = choices
    return forms


def _codebook_page(codebook, saved, forms, errors=(), status=200):
    stale = _stale_count(codebook.version_hash())
    return render_template(
        "insights/codebook.html", codebook=codebook, saved=saved, forms=forms, errors=list(errors),
        history=codebook_history(db.session), stale=stale, reanalyse_notice=REANALYSE_NOTICE,
        reanalysis=reanalysis_line(stale),
    ), status


@bp.get("/codebook")
@login_required()
def codebook():
    """The themes in use, the forms that edit them, and the versions saved so far."""
    current, saved = current_codebook(db.session)
    return _codebook_page(current, saved, _codebook_forms(current))


_EDIT_FORMS = {
    "add_theme": (AddThemeForm, ("key", "name", "description", "pattern")),
    "rename": (RenameThemeForm, ("key", "name")),
    "merge": (MergeThemesForm, ("into", "merged")),
    "add_pattern": (AddPatternForm, ("key", "pattern", "kind")),
    "remove_pattern": (RemovePatternForm, ("key", "pattern", "kind")),
}


@bp.post("/codebook/<any(add_theme, rename, merge, add_pattern, remove_pattern):edit>")
@login_required()
def edit_codebook(edit: str):
    """Apply one codebook edit and save it as a new version; errors are shown in the summary."""
    current, saved = current_codebook(db.session)
    form_class, fields = _EDIT_FORMS[edit]
    form = form_class()
    forms = _codebook_forms(current, **{edit: form})
    if not form.validate_on_submit():
        return _codebook_page(current, saved, forms, status=400)
    values = {name: getattr(form, name).data or "" for name in fields}
    try:
        version = apply_edit(db.session, edit, _actor(), note=form.note.data or "", **values)
    except CodebookError as error:
        db.session.rollback()
        return _codebook_page(current, saved, forms, errors=[str(error)], status=400)
    flash(f"Saved codebook version {version.version}: {version.note}. {_reanalyse()}", "success")
    return redirect(url_for(".codebook"))
