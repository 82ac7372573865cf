"""API endpoints: thin views over the same functions as the analysis pages and exports."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any

from flask import abort, jsonify, request, url_for
from sqlalchemy import select

from analysis.disclosure import AgencyFilterRefused

from ..db import db
from ..definitions import published_version
from ..insights.data import (load_answers, question_catalogue, questionnaire_agencies, questionnaire_rounds,
                             response_groups, rounds_between)
from ..insights.policy import disclosure_policy  # the pages' disclosure control: one rule for both
from ..insights.summary import summarise_closed, summarise_free_text
from ..models import Questionnaire, Role, questionnaire_by_slug
from ..text_analysis import current_codebook
from . import bp
from .auth import MESSAGES, api_view, http_error, json_error
from .openapi import openapi_document
from .raw import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, responses_page

bp.register_error_handler(400, http_error)
bp.register_error_handler(404, http_error)
bp.register_error_handler(405, http_error)
bp.register_error_handler(500, http_error)


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready data (dataclasses, tuples, numpy numbers, dates)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if not f.name.endswith("_svg")}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def _questionnaire(slug: str) -> Questionnaire:
    found = questionnaire_by_slug(db.session, slug)
    if found is None:
        abort(404)
    return found


def _int_arg(name: str) -> int | None:
    text = request.args.get(name)
    if text in (None, ""):
        return None
    try:
        return int(text)
    except ValueError:
        abort(400, description=f"'{name}' must be a whole number, not {text!r}.")


@bp.get("/openapi.json")
@api_view(Role.ANALYST)
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document(url_for(".questionnaires", _external=True).rsplit("/", 1)[0]))


@bp.get("/questionnaires")
@api_view(Role.ANALYST)
def questionnaires():
    """Every questionnaire with its published versions."""
    found = db.session.scalars(select(Questionnaire).order_by(Questionnaire.slug)).all()
    return jsonify({"data": [{
        "slug": q.slug,
        "title": q.title,
        "versions": [{"version": v.version, "title": v.title, "audience": v.audience,
                      "content_hash": v.content_hash, "published_at": v.published_at.isoformat()}
                     for v in q.versions],
    } for q in found]})


@bp.get("/questionnaires/<slug>/versions/<int:version>")
@api_view(Role.ANALYST)
def version(slug: str, version: int):
    """One published version: its definition as published (questions, skip logic, governance)."""
    found = published_version(db.session, slug, version)
    if found is None:
        abort(404)
    return jsonify({"slug": slug, "version": version, "content_hash": found.content_hash,
                    "published_at": found.published_at.isoformat(), "definition": found.definition})


@bp.get("/questionnaires/<slug>/rounds")
@api_view(Role.ANALYST)
def rounds(slug: str):
    """The questionnaire's rounds in time order, with their response counts as the pages show them."""
    found = _questionnaire(slug)
    policy = disclosure_policy(found)
    rounds = []
    for summary in questionnaire_rounds(db.session, found.id):
        row = _plain(summary)
        # A small count is withheld here exactly as on the analysis index page.
        row["responses"] = summary.responses if not policy.is_small(summary.responses) else None
        row["responses_display"] = policy.count_text(summary.responses)
        rounds.append(row)
    return jsonify({"data": rounds})


@bp.get("/questionnaires/<slug>/questions")
@api_view(Role.ANALYST)
def questions(slug: str):
    """Every question key asked in any version, with the versions that ask it."""
    found = _questionnaire(slug)
    return jsonify({"data": _plain(question_catalogue(db.session, found.id))})


@bp.get("/questionnaires/<slug>/questions/<question_key>/comparison")
@api_view(Role.ANALYST)
def comparison(slug: str, question_key: str):
    """A question compared across rounds: the figures of its analysis page, small counts withheld."""
    found = _questionnaire(slug)
    question = next((q for q in question_catalogue(db.session, found.id) if q.key == question_key), None)
    if question is None:
        abort(404)
    policy = disclosure_policy(found)
    agency = request.args.get("agency") or None
    if agency is not None and agency not in questionnaire_agencies(db.session, found.id):
        abort(400, description=f"No responses name the agency {agency!r}.")
    selected = rounds_between(questionnaire_rounds(db.session, found.id), _int_arg("round_from"), _int_arg("round_to"))
    round_ids = [r.id for r in selected]
    if agency is not None:
        try:  # the same refusal as the page: a filter that would isolate a small group
            policy.check_agency_filter(agency, response_groups(db.session, found.id, agency, round_ids))
        except AgencyFilterRefused as error:
            abort(400, description=str(error))
    frame = load_answers(db.session, found.slug, question.key, agency=agency, round_ids=round_ids,
                         noun_phrases=question.free_text)
    if question.free_text:
        codebook, _saved = current_codebook(db.session)
        summary = summarise_free_text(frame, question, codebook, policy, audience=found.latest_version().audience)
    else:
        summary = summarise_closed(frame, question, policy)
    return jsonify({"suppression_threshold": policy.min_count, "kind": "free_text" if question.free_text else "closed",
                    "summary": _plain(summary)})


@bp.get("/responses")
@api_view(Role.ADMIN)
def responses():
    """Raw responses with their answers, oldest first, a page at a time (admin tokens only)."""
    round_id = _int_arg("round")
    after = _int_arg("after") or 0
    limit = _int_arg("limit")
    limit = DEFAULT_PAGE_SIZE if limit is None else limit
    if not 1 <= limit <= MAX_PAGE_SIZE:
        abort(400, description=f"'limit' must be from 1 to {MAX_PAGE_SIZE}.")
    since = _since(request.args.get("since"))
    page, last_id = responses_page(db.session, round_id=round_id, since=since, after=after, limit=limit)
    next_url = None
    if last_id is not None and len(page) == limit:
        args = {k: v for k, v in request.args.items() if k != "after"} | {"after": last_id}
        next_url = url_for(".responses", _external=True, **args)
    return jsonify({"data": page, "next": next_url})


def _since(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        abort(400, description=f"'since' must be a date or time in ISO 8601 form (2026-01-31 or "
                               f"2026-01-31T09:00:00Z), not {text!r}.")
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@bp.route("/<path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_found(_rest: str):
    """Anything else under /api/v1 is a JSON 404 (405 for a write: the API is read-only)."""
    return json_error(405 if request.method != "GET" else 404)


@bp.route("/", methods=["GET"])
def index():
    """The API's root names its description."""
    return jsonify({"openapi": url_for(".openapi", _external=True), "message": MESSAGES[401]})
