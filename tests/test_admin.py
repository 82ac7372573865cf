"""The admin pages: rounds, links, response monitoring, questionnaires, users."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date

import pytest
from sqlalchemy import select

from feedback_app.db import db
from feedback_app.definitions import load_agencies
from feedback_app.models import LinkKind, QuestionnaireVersion, Round, RoundStatus, ShareLink, StaffUser, utcnow


def _text(page) -> str:
    """The page's HTML with entities decoded, as a person would read the words."""
    return html.unescape(page.get_data(as_text=True))


def _urls(page) -> list[str]:
    """The share-link addresses shown in the page's readonly inputs."""
    return re.findall(r'class="link-url" value="([^"]+)" readonly', page.get_data(as_text=True))


def _links(app, round_id: int) -> list[ShareLink]:
    with app.app_context():
        return db.session.scalars(select(ShareLink).where(ShareLink.round_id == round_id).order_by(ShareLink.id)).all()


def _admin_requests(app, round_id: int, link_id: int, version_id: int) -> list[tuple[str, str]]:
    """(method, path) for every admin endpoint, ids filled with real ones."""
    ids = {"round_id": round_id, "link_id": link_id, "version_id": version_id, "user_id": 1, "burst_id": 1}
    requests = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("admin."):
                continue
            method = "GET" if "GET" in rule.methods else "POST"
            requests.append((method, url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})))
    assert len(requests) >= 12
    return requests


@pytest.fixture
def fixtures_ids(app, make_round, make_link):
    """A round with one link, and the id of a published version."""
    round_ = make_round("children", 2)
    link = make_link(round_)
    with app.app_context():
        version_id = db.session.scalar(select(QuestionnaireVersion.id).limit(1))
    return round_.id, link.id, version_id


# ---------------------------------------------------------------- who may see the pages


def test_anonymous_visitors_are_sent_to_sign_in_from_every_admin_url(app, client, fixtures_ids):
    for method, path in _admin_requests(app, *fixtures_ids):
        response = client.open(path, method=method)
        assert response.status_code == 302, (method, path)
        assert response.headers["Location"].startswith("/auth/login"), (method, path)
        assert response.headers["Cache-Control"] == "no-store"


def test_analysts_are_refused_every_admin_url(app, client, login, fixtures_ids):
    login("analyst")
    for method, path in _admin_requests(app, *fixtures_ids):
        response = client.open(path, method=method)
        assert response.status_code == 403, (method, path)
    # and nothing was changed by the refused posts
    round_id, link_id, _ = fixtures_ids
    with app.app_context():
        assert db.session.get(Round, round_id).status == RoundStatus.OPEN
        assert db.session.get(ShareLink, link_id).revoked_at is None


def test_every_admin_get_page_renders_and_is_not_cached(app, client, login, fixtures_ids):
    login("admin")
    for method, path in _admin_requests(app, *fixtures_ids):
        if method != "GET":
            continue
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/admin/rounds/99999"),
        ("GET", "/admin/rounds/99999/links.csv"),
        ("POST", "/admin/rounds/99999/close"),
        ("POST", "/admin/rounds/99999/open"),
        ("POST", "/admin/rounds/99999/links"),
        ("GET", "/admin/links/99999/qr.png"),
        ("POST", "/admin/links/99999/revoke"),
        ("GET", "/admin/questionnaires/99999"),
    ],
)
def test_a_missing_round_link_or_version_is_not_found(client, login, synced, method, path):
    login("admin")
    response = client.open(path, method=method)
    assert response.status_code == 404


def test_actions_are_not_taken_on_get(app, client, login, make_round, make_link):
    login("admin")
    round_ = make_round("children", 2)
    link = make_link(round_)
    assert client.get(f"/admin/rounds/{round_.id}/close").status_code == 405
    assert client.get(f"/admin/links/{link.id}/revoke").status_code == 405
    with app.app_context():
        assert db.session.get(Round, round_.id).status == RoundStatus.OPEN
        assert db.session.get(ShareLink, link.id).revoked_at is None


# ---------------------------------------------------------------- rounds


def test_dashboard_lists_rounds_with_a_new_round_link(client, login, make_round):
    login("admin")
    round_ = make_round("parents", label="Parents and carers 2021")
    text = _text(client.get("/admin/"))
    assert 'href="/admin/rounds/new"' in text and "New round" in text
    assert f'href="/admin/rounds/{round_.id}">Parents and carers 2021</a>' in text


def test_creating_a_round_through_the_page(app, client, login, synced):
    login("admin")
    with app.app_context():
        version = db.session.scalar(
            select(QuestionnaireVersion).where(QuestionnaireVersion.title.like("Practitioner%"))
        )
        version_id, title = version.id, version.title
    form = client.get("/admin/rounds/new")
    assert form.status_code == 200
    assert f'<option value="{version_id}">{title} (practitioners v1, bi-annual)</option>' in _text(form)
    response = client.post(
        "/admin/rounds/new",
        data={"version_id": str(version_id), "label": "Practitioner consultation 2021 H1",
              "opens": "2021-01-01", "closes": "2021-06-30", "status": "draft"},
    )
    assert response.status_code == 302
    with app.app_context():
        round_ = db.session.scalar(select(Round).where(Round.label == "Practitioner consultation 2021 H1"))
        assert (round_.opens_on, round_.closes_on, round_.status) == (date(2021, 1, 1), date(2021, 6, 30), RoundStatus.DRAFT)
    assert response.headers["Location"] == f"/admin/rounds/{round_.id}"
    page = _text(client.get(response.headers["Location"]))
    assert "Round “Practitioner consultation 2021 H1” created." in page
    assert "1 January 2021 to 30 June 2021" in page
    assert "0 responses so far" in page
    assert "Open round" in page


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"opens": "2021-06-01", "closes": "2021-01-01"}, "The round closes (2021-01-01) before it opens (2021-06-01)."),
        ({"opens": "1/6/2021"}, "The opening date must be a date written YYYY-MM-DD, not '1/6/2021'."),
        ({"closes": ""}, "Enter the date the round closes"),
        ({"label": "  "}, "Enter a label for the round"),
        ({"version_id": ""}, "Choose a questionnaire version"),
    ],
)
def test_a_bad_round_form_says_what_is_wrong(app, client, login, synced, changes, message):
    login("admin")
    with app.app_context():
        version_id = db.session.scalar(select(QuestionnaireVersion.id).limit(1))
    data = {"version_id": str(version_id), "label": "A round", "opens": "2021-01-01", "closes": "2021-06-30", "status": "open"}
    data.update(changes)
    response = client.post("/admin/rounds/new", data=data)
    assert response.status_code == 400
    text = _text(response)
    assert "There is a problem" in text and message in text
    with app.app_context():
        assert db.session.scalar(select(Round.id)) is None


def test_closing_and_reopening_a_round_switches_its_links(client, login, make_round, make_link):
    login("admin")
    round_ = make_round("children", 2)
    link = make_link(round_)
    response = client.post(f"/admin/rounds/{round_.id}/close", follow_redirects=True)
    assert "closed. Its links no longer take answers." in _text(response)
    assert "Re-open round" in _text(response)
    closed = client.get(f"/r/{link.token}")
    assert closed.status_code == 410 and "This questionnaire has closed" in _text(closed)
    response = client.post(f"/admin/rounds/{round_.id}/open", follow_redirects=True)
    assert "Close round" in _text(response)
    assert client.get(f"/r/{link.token}").status_code == 200


# ---------------------------------------------------------------- links


def test_agency_and_single_use_links_made_through_the_page(app, client, login, make_round):
    login("admin")
    round_ = make_round("practitioners")
    response = client.post(f"/admin/rounds/{round_.id}/links", data={"kind": "agency", "agency": "Police", "count": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/rounds/{round_.id}#links")
    response = client.post(
        f"/admin/rounds/{round_.id}/links",
        data={"kind": "single-use", "agency": "", "count": "3", "label": "Team briefing"},
        follow_redirects=True,
    )
    text = _text(response)
    assert "Made 3 single-use links." in text
    urls = _urls(response)
    assert len(urls) == 4
    for url in urls:
        assert url.startswith("http://localhost/r/")
        assert len(url.rsplit("/r/", 1)[1]) >= 32
    assert len(set(urls)) == 4
    links = _links(app, round_.id)
    assert [(link.kind, link.agency, link.max_responses) for link in links] == [
        (LinkKind.AGENCY, "Police", None)] + [(LinkKind.SINGLE_USE, None, 1)] * 3
    assert [url.rsplit("/", 1)[1] for url in urls] == [link.token for link in links]
    # the agency link's answers are recorded against the agency without asking for it
    assert client.get(f"/r/{links[0].token}/questions").status_code == 200


def test_links_use_the_public_base_url_when_set(app, client, login, make_round, make_link):
    app.config["PUBLIC_BASE_URL"] = "https://feedback.example.org/"
    login("admin")
    round_ = make_round("children", 2)
    link = make_link(round_)
    assert _urls(client.get(f"/admin/rounds/{round_.id}")) == [f"https://feedback.example.org/r/{link.token}"]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "agency", "agency": ""}, "An agency link needs an agency."),
        ({"kind": "agency", "agency": "Parish council"}, "Unknown agency 'Parish council'; use one of: " + ", ".join(load_agencies()) + "."),
        ({"kind": "open", "count": "0"}, "Make between 1 and 5000 links at a time"),
        ({"kind": "open", "count": ""}, "Enter how many links to make"),
        ({"kind": "single-use", "max_responses": "3"}, "A single-use link takes exactly one response."),
        ({"kind": "open", "expires": "2001-01-01"}, "The expiry date 2001-01-01 has already passed."),
        ({"kind": "open", "expires": "soon"}, "The expiry date must be a date written YYYY-MM-DD, not 'soon'."),
    ],
)
def test_a_bad_link_form_says_what_is_wrong(app, client, login, make_round, data, message):
    login("admin")
    round_ = make_round("practitioners")
    data = {"count": "1", "agency": "", **data}
    response = client.post(f"/admin/rounds/{round_.id}/links", data=data)
    assert response.status_code == 400
    text = _text(response)
    assert "There is a problem" in text
    assert message in text
    assert _links(app, round_.id) == []


def test_a_closed_round_offers_no_link_form(client, login, make_round):
    login("admin")
    round_ = make_round("children", 2)
    client.post(f"/admin/rounds/{round_.id}/close")
    text = _text(client.get(f"/admin/rounds/{round_.id}"))
    assert "This round is closed. Re-open it to make more links." in text
    assert "Make links</button>" not in text


def test_qr_code_of_a_link_is_a_png(client, login, make_round, make_link):
    from PIL import Image

    login("admin")
    link = make_link(make_round("children", 2))
    response = client.get(f"/admin/links/{link.id}/qr.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.format == "PNG" and image.size[0] >= 200
    assert response.headers["Cache-Control"] == "no-store"
    page = client.get(f"/admin/rounds/{link.round_id}").get_data(as_text=True)
    assert f'href="/admin/links/{link.id}/qr.png"' in page


def test_links_csv_neutralises_formulas_in_labels(client, login, make_round, make_link):
    login("admin")
    round_ = make_round("practitioners")
    formula = '=HYPERLINK("http://evil.example","click")'
    agency_link = make_link(round_, "agency", agency="Police", label=formula, max_responses=40)
    plain_link = make_link(round_, "single-use", label="Schools mail merge")
    response = client.get(f"/admin/rounds/{round_.id}/links.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert f'filename="round-{round_.id}-links.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["url", "kind", "agency", "label", "expires", "cap", "responses", "state"]
    assert rows[1] == [f"http://localhost/r/{agency_link.token}", "agency", "Police", "'" + formula, "", "40", "0", "Active"]
    assert rows[2] == [f"http://localhost/r/{plain_link.token}", "single-use", "", "Schools mail merge", "", "1", "0", "Active"]
    page = client.get(f"/admin/rounds/{round_.id}").get_data(as_text=True)
    assert f'href="/admin/rounds/{round_.id}/links.csv"' in page and "Download links as CSV" in page


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised(start):
    from feedback_app.admin.monitoring import safe_cell

    assert safe_cell(start + "1+1") == "'" + start + "1+1"
    assert safe_cell("Police team") == "Police team"
    assert safe_cell(5) == 5


def test_revoking_a_link_switches_it_off(app, client, login, make_round, make_link):
    login("admin")
    round_ = make_round("children", 2)
    link = make_link(round_, label="Clinic poster")
    other = make_link(round_)
    response = client.post(f"/admin/links/{link.id}/revoke", follow_redirects=True)
    text = _text(response)
    assert "Link Clinic poster switched off." in text
    assert "Revoked" in text
    page = client.get(f"/r/{link.token}")
    assert page.status_code == 410
    assert "This link has been switched off" in _text(page)
    assert client.get(f"/r/{other.token}").status_code == 200


# ---------------------------------------------------------------- monitoring


def test_monitoring_counts_go_up_as_respondents_answer(app, client, login, make_round, make_link, respondent):
    login("admin")
    round_ = make_round("children", 2)
    police = make_link(round_, "agency", agency="Police", label="Police officers")
    open_link = make_link(round_, label="Open link")
    before = _text(client.get(f"/admin/rounds/{round_.id}"))
    assert "0 responses so far" in before
    assert before.count("No responses yet.") == 2

    assert respondent.answer(police.token, {"what_helped": "x"}).status_code == 302
    assert respondent.answer(police.token, {"what_helped": "y"}).status_code == 302
    assert respondent.answer(open_link.token, {"what_helped": "z"}).status_code == 302

    page = client.get(f"/admin/rounds/{round_.id}")
    text = _text(page)
    assert "3 responses so far" in text
    assert '<th scope="row">Police</th><td class="num">2</td>' in text
    assert '<th scope="row">No agency given</th><td class="num">1</td>' in text
    today = utcnow().date()
    assert f'<th scope="row">{today:%a %-d %B %Y}</th><td class="num">3</td>' in text
    police_row = re.search(r'<th scope="row">Police officers</th>(.*?)</tr>', text, re.S).group(1)
    assert '<td class="num">2</td>' in police_row and "Active" in police_row
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in text
    assert f"<title>{today:%-d %b %Y}: 3</title>" in text
    dashboard = _text(client.get("/admin/"))
    assert re.search(r"children v2</td>.*?<td class=\"num\">3</td>", dashboard, re.S)


def test_daily_chart_fills_days_without_answers():
    from feedback_app.admin.monitoring import daily_chart_svg

    svg = str(daily_chart_svg([(date(2021, 3, 1), 4), (date(2021, 3, 4), 2)]))
    assert svg.count("<rect") == 4
    assert "<title>2 Mar 2021: 0</title>" in svg
    assert "6 responses from 1 March 2021 to 4 March 2021; the busiest day was 1 March 2021 with 4." in svg
    assert str(daily_chart_svg([])) == ""


# ---------------------------------------------------------------- questionnaires


def test_questionnaires_page_shows_versions_and_governance(app, client, login, synced):
    login("admin")
    text = _text(client.get("/admin/questionnaires"))
    with app.app_context():
        versions = db.session.scalars(select(QuestionnaireVersion)).all()
        assert len(versions) == 12
        for version in versions:
            assert version.content_hash[:12] in text
            assert f"{version.slug} v{version.version}" in text
    assert "bi-annual" in text and "WSSCP Neglect Working Group" in text
    assert "Annual WSSCP QA report" in text and "Improvement Board/Steering Group" in text


def test_a_version_page_lists_its_questions(app, client, login, synced):
    login("admin")
    with app.app_context():
        version = db.session.scalar(
            select(QuestionnaireVersion).where(QuestionnaireVersion.version == 2)
        )
        questions = [(q.key, q.type, q.text, q.child_text) for q in version.questions]
        version_id = version.id
    text = _text(client.get(f"/admin/questionnaires/{version_id}"))
    assert "knew_about_cp_plan" in text
    for key, qtype, wording, child_wording in questions:
        assert f"<code>{key}</code>" in text
        assert wording in text
        if child_wording:
            assert child_wording in text


# ---------------------------------------------------------------- users


def test_admin_adds_an_analyst_who_can_then_sign_in(app, client, login):
    login("admin")
    response = client.post(
        "/admin/users",
        data={"email": "Reader@Example.org", "role": "analyst", "password": "a long enough passphrase"},
        follow_redirects=True,
    )
    text = _text(response)
    assert "Added reader@example.org as analyst." in text
    assert '<th scope="row">reader@example.org</th>' in text
    assert "never" in text
    other = app.test_client()
    signed_in = other.post("/auth/login", data={"email": "reader@example.org", "password": "a long enough passphrase"})
    assert signed_in.status_code == 302
    assert other.get(signed_in.headers["Location"]).status_code == 200
    assert other.get("/admin/").status_code == 403


@pytest.mark.parametrize(
    "data, message",
    [
        ({"password": "too short"}, "The password must be at least 12 characters long."),
        ({"email": "not-an-address"}, "'not-an-address' is not an email address."),
        ({"email": "admin@example.org"}, "There is already a user admin@example.org."),
        ({"role": ""}, "Choose a role"),
    ],
)
def test_a_bad_user_form_says_what_is_wrong(app, client, login, data, message):
    login("admin")
    form = {"email": "new@example.org", "role": "analyst", "password": "a long enough passphrase", **data}
    response = client.post("/admin/users", data=form)
    assert response.status_code == 400
    assert message in _text(response)
    with app.app_context():
        assert db.session.scalars(select(StaffUser.email)).all() == ["admin@example.org"]


# ---------------------------------------------------------------- CSRF in the real configuration


def test_every_post_form_carries_a_csrf_token_and_posts_without_one_fail(make_app, database_url, make_user):
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    assert app.test_cli_runner().invoke(args=["questionnaires", "sync"]).exit_code == 0
    with app.app_context():
        from feedback_app.links import create_links
        from feedback_app.rounds import create_round, find_version

        round_ = create_round(db.session, find_version(db.session, "children"), "R", date(2020, 1, 1), date(2099, 1, 1))
        link = create_links(db.session, round_, "open", load_agencies())[0]
        round_id, link_id = round_.id, link.id
        from feedback_app.staff import create_user

        create_user(db.session, "csrf@example.org", "correct horse battery staple", "admin")
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/auth/login").get_data(as_text=True))
    client.post("/auth/login", data={"email": "csrf@example.org", "password": "correct horse battery staple",
                                     "csrf_token": token.group(1)})
    for path in (f"/admin/rounds/{round_id}", "/admin/rounds/new", "/admin/users"):
        page = client.get(path).get_data(as_text=True)
        forms = re.findall(r'<form method="post".*?</form>', page, re.S)
        assert forms, path
        for form in forms:
            assert re.search(r'name="csrf_token"[^>]*value="[^"]+"', form), (path, form[:120])
    assert client.post(f"/admin/links/{link_id}/revoke").status_code == 400
    with app.app_context():
        assert db.session.get(ShareLink, link_id).revoked_at is None
    page = client.get(f"/admin/rounds/{round_id}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(f"/admin/links/{link_id}/revoke", data={"csrf_token": csrf}).status_code == 302
    with app.app_context():
        assert db.session.get(ShareLink, link_id).revoked_at is not None
