"""The OpenAPI 3.1 description of ``/api/v1`` (validated in tests/test_api.py)."""

from __future__ import annotations

from typing import Any

from .. import __version__
from .raw import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

_ERRORS = {
    "400": "The request is not valid (the message says which parameter).",
    "401": "No valid API token was sent.",
    "403": "The token's role may not read this.",
    "404": "Nothing at this address.",
    "429": "Too many requests for this token this minute.",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _get(summary: str, schema: str, role: str, parameters: list[dict[str, Any]] | None = None,
         forbidden: bool = True) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": {"description": "OK", "content": {"application/json": {"schema": _ref(schema)}}}}
    for code, text in _ERRORS.items():
        if code == "403" and not forbidden:
            continue
        responses[code] = {"description": text, "content": {"application/json": {"schema": _ref("Error")}}}
    return {"get": {"summary": summary, "description": f"Needs an {role} token.",
                    "parameters": parameters or [], "responses": responses}}


def _path_param(name: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def _query(name: str, kind: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": text, "schema": {"type": kind, **extra}}


def openapi_document(server_url: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document, with ``server_url`` (``…/api/v1``) as its server."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "neglect-feedback read-only API",
            "version": __version__,
            "description": (
                "Read-only JSON for BI tools (Power BI, Excel). Send a token made with "
                "`feedback-app tokens create` as `Authorization: Bearer TOKEN`. Analyst tokens read "
                "questionnaires, versions, rounds and comparisons with the same withheld small counts "
                "as the analysis pages; admin tokens can also read raw responses. Every use is audited."
            ),
        },
        "servers": [{"url": server_url}],
        "security": [{"bearerToken": []}],
        "paths": _paths(),
        "components": _components(),
    }


def _paths() -> dict[str, Any]:
    """Every endpoint: summary, who may call it, parameters and responses."""
    slug = _path_param("slug")
    return {
        "/openapi.json": _get("This document", "Document", "analyst or admin", forbidden=False),
        "/questionnaires": _get("Questionnaires and their published versions", "DataList", "analyst or admin",
                                forbidden=False),
        "/questionnaires/{slug}/versions/{version}": _get(
            "One published version's definition", "Version", "analyst or admin",
            [slug, _path_param("version", "integer")], forbidden=False),
        "/questionnaires/{slug}/rounds": _get("Rounds in time order with response counts", "DataList",
                                              "analyst or admin", [slug], forbidden=False),
        "/questionnaires/{slug}/questions": _get("Question keys across versions", "DataList",
                                                 "analyst or admin", [slug], forbidden=False),
        "/questionnaires/{slug}/questions/{question_key}/comparison": _get(
            "A question compared across rounds (small counts withheld)", "Comparison", "analyst or admin",
            [slug, _path_param("question_key"),
             _query("agency", "string", "Only responses from this agency."),
             _query("round_from", "integer", "First round id (default: the first)."),
             _query("round_to", "integer", "Last round id (default: the latest).")],
            forbidden=False),
        "/responses": _get(
            "Raw responses with their answers, oldest first, a page at a time", "ResponsePage", "admin",
            [_query("round", "integer", "Only this round id."),
             _query("since", "string", "Only responses submitted at or after this ISO 8601 time.",
                    format="date-time"),
             _query("after", "integer", "Continue after this response id (use the 'next' link)."),
             _query("limit", "integer", f"Responses per page (default {DEFAULT_PAGE_SIZE}).",
                    minimum=1, maximum=MAX_PAGE_SIZE)]),
    }


def _components() -> dict[str, Any]:
    """The bearer-token scheme and the response schemas the paths refer to."""
    data_list = {"type": "object", "required": ["data"],
                 "properties": {"data": {"type": "array", "items": {"type": "object"}}}}
    return {
        "securitySchemes": {"bearerToken": {"type": "http", "scheme": "bearer",
                                            "description": "A token from `feedback-app tokens create`."}},
        "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["status", "message"],
                "properties": {"status": {"type": "integer"}, "message": {"type": "string"}}}}},
            "Document": {"type": "object"},
            "DataList": data_list,
            "Version": {"type": "object", "required": ["slug", "version", "content_hash", "definition"],
                        "properties": {"slug": {"type": "string"}, "version": {"type": "integer"},
                                       "content_hash": {"type": "string"},
                                       "published_at": {"type": "string", "format": "date-time"},
                                       "definition": {"type": "object"}}},
            "Comparison": {"type": "object", "required": ["suppression_threshold", "kind", "summary"],
                           "properties": {"suppression_threshold": {"type": "integer"},
                                          "kind": {"enum": ["free_text", "closed"]},
                                          "summary": {"type": "object"}}},
            "Response": {"type": "object", "required": ["id", "round_id", "submitted_at", "answers"],
                         "properties": {"id": {"type": "integer"}, "round_id": {"type": "integer"},
                                        "agency": {"type": ["string", "null"]},
                                        "submitted_at": {"type": "string", "format": "date-time"},
                                        "answers": {"type": "object",
                                                    "additionalProperties": {"type": "string"}}}},
            "ResponsePage": {"type": "object", "required": ["data", "next"],
                             "properties": {"data": {"type": "array", "items": _ref("Response")},
                                            "next": {"type": ["string", "null"], "format": "uri"}}},
        },
    }
