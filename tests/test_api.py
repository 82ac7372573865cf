"""The read-only JSON API: tokens, roles, suppression, raw responses, OpenAPI."""

from __future__ import annotations

import re
import tracemalloc
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

from feedback_app.api.raw import responses_page
from feedback_app.db import db
from feedback_app.models import Answer, ApiToken, AuditEvent, Response, Round
from feedback_app.responses import store_response

# Each endpoint's route and an address of it to test.
ANALYST_ROUTES = {
    "/api/v1/openapi.json": "/api/v1/openapi.json",
    "/api/v1/questionnaires": "/api/v1/questionnaires",
    "/api/v1/questionnaires/<slug>/versions/<int:version>": "/api/v1/questionnaires/practitioners/versions/2",
    "/api/v1/questionnaires/<slug>/rounds": "/api/v1/questionnaires/practitioners/rounds",
    "/api/v1/questionnaires/<slug>/questions": "/api/v1/questionnaires/practitioners/questions",
    "/api/v1/questionnaires/<slug>/questions/<question_key>/comparison":
        "/api/v1/questionnaires/practitioners/questions/role/comparison",
}
ADMIN_ROUTES = {"/api/v1/responses": "/api/v1/responses"}
ANALYST_ENDPOINTS = list(ANALYST_ROUTES.values())
ADMIN_ENDPOINTS = list(ADMIN_ROUTES.values())


def _create_token(runner, role: str, label: str = "Power BI") -> str:
    result = runner.invoke(args=["tokens", "create", "--role", role, "--label", label])
    assert result.exit_code == 0, result.output
    assert "Copy it now: it is not shown again." in result.output
    return result.output.strip().splitlines()[-1]


@pytest.fixture
def tokens(synced, runner) -> dict[str, str]:
    """An analyst and an admin token, made on the command line."""
    return {"analyst": _create_token(runner, "analyst"), "admin": _create_token(runner, "admin", "Data team")}


def _get(client, path: str, token: str | None = None, **query):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(path, headers=headers, query_string=query)


def test_every_api_endpoint_is_listed_here_and_in_the_openapi_document(app, client, tokens):
    from openapi_spec_validator import validate

    guarded = {rule.rule: app.view_functions[rule.endpoint].api_role.value for rule in app.url_map.iter_rules()
               if rule.endpoint.startswith("api.") and hasattr(app.view_functions[rule.endpoint], "api_role")}
    assert guarded == {route: "analyst" for route in ANALYST_ROUTES} | {route: "admin" for route in ADMIN_ROUTES}
    tested = set(guarded)
    document = _get(client, "/api/v1/openapi.json", tokens["analyst"]).get_json()
    validate(document)  # raises when it is not valid OpenAPI 3.1
    assert document["openapi"] == "3.1.0"
    documented = {"/api/v1" + re.sub(r"\{(\w+)\}", r"<\1>", path).replace("<version>", "<int:version>")
                  for path in document["paths"]}
    assert documented == tested


@pytest.mark.parametrize("path", ANALYST_ENDPOINTS + ADMIN_ENDPOINTS)
def test_every_endpoint_refuses_a_missing_bad_or_revoked_token_with_401(client, runner, tokens, path):
    for token in (None, "nfa_not-a-real-token", "Basic abc"):
        page = _get(client, path, token)
        assert page.status_code == 401 and page.is_json
        assert page.get_json()["error"]["message"].startswith("Send a valid API token as 'Authorization: Bearer TOKEN'")
    revoked = _create_token(runner, "admin", "Old laptop")
    assert _get(client, path, revoked).status_code == 200
    listing = runner.invoke(args=["tokens", "list"]).output
    old_id = next(line.split()[0] for line in listing.splitlines() if "Old laptop" in line)
    assert runner.invoke(args=["tokens", "revoke", old_id]).exit_code == 0
    assert _get(client, path, revoked).status_code == 401
    # The listing never shows a secret.
    assert revoked not in runner.invoke(args=["tokens", "list"]).output


@pytest.mark.parametrize("path", ADMIN_ENDPOINTS)
def test_raw_responses_need_an_admin_token(app, client, tokens, path):
    page = _get(client, path, tokens["analyst"])
    assert page.status_code == 403 and page.get_json()["error"] == {
        "status": 403, "message": "This token's role may not read this. Raw responses need an admin token."}
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()[-1] == "api-refused"
    assert _get(client, path, tokens["admin"]).status_code == 200


@pytest.mark.parametrize("path", ANALYST_ENDPOINTS)
def test_analyst_endpoints_answer_both_roles_and_every_use_is_audited(app, client, tokens, path):
    for role in ("analyst", "admin"):
        page = _get(client, path, tokens[role])
        assert page.status_code == 200 and page.is_json, page.data
    with app.app_context():
        events = db.session.execute(select(AuditEvent.actor, AuditEvent.action, AuditEvent.detail)
                                    .where(AuditEvent.action == "api-read")).all()
        assert [(actor.startswith("api-token:"), detail["path"]) for actor, _a, detail in events] == [(True, path)] * 2
        assert all(t.last_used_at is not None for t in db.session.scalars(select(ApiToken)))


def _round_with_answers(synced, make_round, label: str, roles: list[str]) -> int:
    round_ = make_round("practitioners", 1, label=label)
    with synced.app_context():
        for role in roles:
            store_response(db.session, round_.id, {"agency": "Police", "role": role}, agency="Police")
    return round_.id


def test_comparison_withholds_the_same_small_counts_as_the_analysis_page(synced, client, login, tokens, make_round):
    small = _round_with_answers(synced, make_round, "Spring", ["Senior manager"] * 3)
    large = _round_with_answers(synced, make_round, "Autumn", ["Senior manager"] * 4 + ["Front-line practitioner"] * 3)
    data = _get(client, "/api/v1/questionnaires/practitioners/questions/role/comparison", tokens["analyst"]).get_json()
    assert data["suppression_threshold"] == 5 and data["kind"] == "closed"
    rounds = {r["round_id"]: r for r in data["summary"]["rounds"]}
    assert rounds[small]["answers"] == "fewer than 5" and rounds[small]["suppressed"] is True
    assert rounds[large]["answers"] == "7" and rounds[large]["suppressed"] is False
    cells = {row["option"]: {c["round_id"]: c for c in row["cells"]} for row in data["summary"]["options"]}
    assert cells["Front-line practitioner"][large]["count"] == "fewer than 5"
    assert cells["Senior manager"][small]["share"] is None and cells["Senior manager"][small]["count"] == "fewer than 5"
    # The page shows the same figures.
    login("analyst")
    page = client.get("/analysis/practitioners/role").get_data(as_text=True)
    assert '<span class="muted">fewer than 5 answers</span>' in page and '<span class="muted">7 answers</span>' in page
    # Round sizes: withheld when small, as on the analysis index page.
    listed = {r["id"]: r for r in _get(client, "/api/v1/questionnaires/practitioners/rounds",
                                        tokens["analyst"]).get_json()["data"]}
    assert (listed[small]["responses"], listed[small]["responses_display"]) == (None, "fewer than 5")
    assert (listed[large]["responses"], listed[large]["responses_display"]) == (7, "7")
    # Filters: one round only.
    only = _get(client, "/api/v1/questionnaires/practitioners/questions/role/comparison", tokens["analyst"],
                round_from=large, round_to=large).get_json()
    assert [r["round_id"] for r in only["summary"]["rounds"]] == [large]


@pytest.mark.parametrize("query, message", [
    ({"limit": "0"}, "'limit' must be from 1 to 1000."),
    ({"round": "two"}, "'round' must be a whole number, not 'two'."),
    ({"since": "yesterday"}, "'since' must be a date or time in ISO 8601 form (2026-01-31 or "
                             "2026-01-31T09:00:00Z), not 'yesterday'."),
])
def test_bad_parameters_get_a_json_400_saying_which(client, tokens, query, message):
    page = _get(client, "/api/v1/responses", tokens["admin"], **query)
    assert page.status_code == 400 and page.get_json()["error"]["message"] == message


def test_unknown_addresses_and_writes_get_json_errors_without_csrf(client, tokens):
    missing = _get(client, "/api/v1/questionnaires/nope/rounds", tokens["analyst"])
    assert missing.status_code == 404 and missing.get_json()["error"]["message"] == "There is nothing at this address."
    assert _get(client, "/api/v1/nothing-here", tokens["analyst"]).status_code == 404
    write = client.post("/api/v1/questionnaires", headers={"Authorization": f"Bearer {tokens['admin']}"})
    assert write.status_code == 405 and write.get_json()["error"]["message"] == "The API is read-only: use GET."


def test_raw_responses_filter_by_round_and_since_and_page_with_next_links(synced, client, tokens, make_round):
    first = make_round("practitioners", 1, label="One")
    second = make_round("practitioners", 1, label="Two")
    old = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with synced.app_context():
        for index in range(5):
            store_response(db.session, first.id, {"role": "Other", "howe_model_barriers": f"answer {index}"},
                           submitted_at=old + timedelta(days=index))
        store_response(db.session, second.id, {"role": "Senior manager"}, submitted_at=old)
    page = _get(client, "/api/v1/responses", tokens["admin"], round=first.id, limit=2).get_json()
    seen = []
    while True:
        seen += page["data"]
        if not page["next"]:
            break
        page = client.get(page["next"], headers={"Authorization": f"Bearer {tokens['admin']}"}).get_json()
    assert [r["answers"]["howe_model_barriers"] for r in seen] == [f"answer {i}" for i in range(5)]
    assert {r["round_id"] for r in seen} == {first.id}
    recent = _get(client, "/api/v1/responses", tokens["admin"], since="2026-01-04").get_json()["data"]
    assert [r["answers"]["howe_model_barriers"] for r in recent] == ["answer 3", "answer 4"]
    assert recent[0]["submitted_at"].startswith("2026-01-04T00:00:00")


def test_limits_are_per_token(make_app, database_url, synced, runner, tokens):
    app = make_app(database_url, API_REQUESTS_PER_MINUTE=2)
    client = app.test_client()
    for _ in range(2):
        assert _get(client, "/api/v1/questionnaires", tokens["analyst"]).status_code == 200
    refused = _get(client, "/api/v1/questionnaires", tokens["analyst"])
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert refused.get_json()["error"]["message"] == "Too many requests for this token: wait a minute, then try again."
    assert _get(client, "/api/v1/questionnaires", tokens["admin"]).status_code == 200  # another token's own limit


def test_tokens_are_stored_hashed_and_listed_and_revoked_in_the_admin_pages(app, client, login, tokens):
    with app.app_context():
        stored = db.session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
        assert all(t.token_hash not in tokens.values() and t.prefix == tokens[t.role.value][:10] for t in stored)
    login("admin")
    page = client.get("/admin/api-tokens/").get_data(as_text=True)
    assert "Power BI" in page and "Data team" in page and tokens["analyst"] not in page
    analyst_id = next(t.id for t in stored if t.role.value == "analyst")
    done = client.post(f"/admin/api-tokens/{analyst_id}/revoke", follow_redirects=True).get_data(as_text=True)
    assert f"API token {analyst_id} (Power BI) is revoked" in done
    assert _get(client, "/api/v1/questionnaires", tokens["analyst"]).status_code == 401
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()[-1] == "api-token-revoke"


def test_an_analyst_cannot_open_the_tokens_page(client, login):
    login("analyst")
    assert client.get("/admin/api-tokens/").status_code == 403


@pytest.mark.parametrize("args, message", [
    (["--role", "owner", "--label", "x"], "Invalid value for '--role'"),
    (["--role", "analyst", "--label", "  "], "Give the token a label saying who or what uses it"),
])
def test_token_creation_refuses_bad_input_clearly(runner, args, message):
    result = runner.invoke(args=["tokens", "create", *args])
    assert result.exit_code != 0 and message in result.output


def test_raw_responses_page_through_100k_answers_in_bounded_memory(app, synced, client, tokens, make_round):
    round_ = make_round("practitioners", 1)
    keys = ["agency", "role", "strategy_knowledge", "strategy_knowledge_comments", "tools_barriers",
            "howe_model_barriers", "intervention_barriers", "operational_changes", "confidence_recognising",
            "confidence_responding"]
    with app.app_context():
        session = db.session
        now = datetime.now(timezone.utc)
        session.execute(insert(Response), [{"round_id": round_.id, "source": "web", "submitted_at": now}
                                           for _ in range(10_000)])
        ids = session.scalars(select(Response.id).order_by(Response.id)).all()
        session.execute(insert(Answer), [{"response_id": rid, "question_key": key, "value": f"{key} {rid}"}
                                         for rid in ids for key in keys])
        session.commit()
        tracemalloc.start()
        responses_page(session, round_id=None, since=None, after=0, limit=len(ids))
        _current, everything = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        session.rollback()
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    url, answers, pages, peaks = "/api/v1/responses?limit=1000", 0, 0, []
    while url:
        tracemalloc.start()
        body = client.get(url, headers=headers).get_json()
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        answers += sum(len(r["answers"]) for r in body["data"])
        pages += 1
        url = body["next"]
    print(f"100k answers: {pages} pages, peak per page {max(peaks) / 1e6:.1f} MB, all at once {everything / 1e6:.1f} MB")
    assert answers == 100_000 and pages in (10, 11)
    # Each page costs a small part of what reading everything at once would: memory does not
    # grow with the table (the last page costs about what the first did).
    assert max(peaks) < everything / 4, (max(peaks), everything)
    assert peaks[-2] < peaks[0] * 1.5
