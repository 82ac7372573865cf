"""The evidence pages, commands and scrutiny pack, as staff use them, on the demo evidence."""

from __future__ import annotations

import re
from html import unescape
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from feedback_app.db import db
from feedback_app.evidence.data import reporting_agencies
from feedback_app.evidence.demo import seed_evidence_demo
from feedback_app.models import Action, IndicatorValue, Questionnaire, QuestionnaireVersion, Response, Round
from tests.evidence_builders import children_round

TODAY = date.today()


@pytest.fixture
def demo(synced):
    """The app with the shipped questionnaires and the demo evidence."""
    with synced.app_context():
        return seed_evidence_demo(db.session, today=TODAY)


def _first_return(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Response.id).join(Round).join(QuestionnaireVersion).join(Questionnaire)
                                 .where(Questionnaire.slug == slug).order_by(Response.id))


def test_rag_tracker_names_every_agency_and_is_never_suppressed(client, login, demo):
    login("analyst")
    page = client.get("/evidence/").get_data(as_text=True)
    for agency in reporting_agencies():
        assert f"<th scope=\"row\">{agency}</th>".replace("'", "&#39;") in page
    assert "fewer than" not in page
    assert page.count('class="rag-cell rag-red"') > 0 and page.count('class="rag-cell rag-green"') > 0
    assert "Missing" in page and "Late" in page and "Areas rated Red" in page
    assert re.search(r'<span class="rag-badge" aria-hidden="true">R</span><a href="/evidence/returns/\d+">Red', page)


def test_a_return_opens_from_the_grid_and_case_references_are_for_admins_only(client, login, demo, synced):
    login("analyst")
    plan = client.get(f"/evidence/returns/{_first_return(synced, 'action-plan-summary')}")
    assert plan.status_code == 200 and "Evidence on barriers or risks" in plan.get_data(as_text=True)
    audit_id = _first_return(synced, "multi-agency-audit")
    assert "NA-" not in client.get(f"/evidence/returns/{audit_id}").get_data(as_text=True)
    client.post("/auth/logout")
    login("admin")
    assert "NA-" in client.get(f"/evidence/returns/{audit_id}").get_data(as_text=True)


def test_a_persons_anonymous_answer_is_never_shown_as_a_return(client, login, synced):
    round_id = children_round(synced, "Children 2024", date(2024, 1, 1), ["No"])
    with synced.app_context():
        response_id = db.session.scalar(select(Response.id).where(Response.round_id == round_id))
    login("admin")
    assert client.get(f"/evidence/returns/{response_id}").status_code == 404
    assert client.get("/evidence/returns/999999").status_code == 404


def test_audit_digest_shows_percentages_counts_and_no_case_reference(client, login, demo):
    login("analyst")
    page = client.get("/evidence/audits").get_data(as_text=True)
    assert "24 audited cases" in page
    assert re.search(r"\d+% \(\d+\)", page)
    assert "On a child protection plan for neglect" in page and "Lessons learnt" in page
    assert "NA-" not in page


def test_admin_enters_a_figure_and_a_bad_one_is_refused_with_the_reason(client, login, synced):
    login("admin")
    bad = client.post("/evidence/indicators", data={"indicator": "cin_plans_over_12_months", "period": "2024",
                                                    "value": "33", "agency": ""})
    assert "&#39;2024&#39; is not a quarterly period (write it like 2024-Q1)" in bad.get_data(as_text=True)
    good = client.post("/evidence/indicators", data={"indicator": "cin_plans_over_12_months", "period": "2024-Q1",
                                                     "value": "33", "agency": ""}, follow_redirects=True)
    assert "Saved cin_plans_over_12_months for 2024-Q1." in good.get_data(as_text=True)
    with synced.app_context():
        assert db.session.scalar(select(IndicatorValue.value)) == 33.0


def test_analysts_read_indicators_but_cannot_enter_figures(client, login, synced):
    login("analyst")
    page = client.get("/evidence/indicators").get_data(as_text=True)
    assert "Staff trained in the neglect tools" in page and "Enter a figure" not in page
    assert client.post("/evidence/indicators", data={"indicator": "cp_plans_neglect", "period": "2024-Q1",
                                                     "value": "1"}).status_code == 403


def _upload(client, content: str):
    from io import BytesIO

    return client.post("/evidence/indicators/import", data={"file": (BytesIO(content.encode()), "figures.csv")},
                       content_type="multipart/form-data")


def test_indicator_upload_is_all_or_nothing_with_every_problem_listed(client, login, synced):
    login("admin")
    refused = _upload(client, "indicator,period,value\ncp_plans_neglect,2024-Q1,120\nnope,2024-Q1,1\n"
                              "cp_plans_neglect,2024-Q9,3\n")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "nothing was stored" in text
    assert "line 3: unknown indicator &#39;nope&#39;" in text and "line 4: &#39;2024-Q9&#39; is not a quarterly period" in text
    with synced.app_context():
        assert db.session.scalar(select(func.count()).select_from(IndicatorValue)) == 0
    done = _upload(client, "indicator,period,value\ncp_plans_neglect,2024-Q1,120\ncp_plans_neglect,2024-Q2,110\n")
    assert done.status_code == 302
    with synced.app_context():
        assert db.session.scalar(select(func.count()).select_from(IndicatorValue)) == 2


@pytest.mark.parametrize(
    "content, message",
    [
        ("period,value\n", "the first row has no 'indicator' column"),
        ("indicator,period,value,colour\n", "unknown column(s) colour"),
        ("indicator,period,value\n", "the file has no rows of figures"),
    ],
)
def test_indicator_import_command_refuses_a_bad_file(runner, synced, tmp_path, content, message):
    path = tmp_path / "figures.csv"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(args=["indicators", "import", str(path)])
    assert result.exit_code == 1 and "nothing was stored" in result.output and message in result.output


def test_indicator_import_command_stores_a_good_file(runner, synced, tmp_path):
    path = tmp_path / "figures.csv"
    path.write_bytes("\ufeffindicator,period,value\ncin_plans_over_12_months,2024-Q1,36.1\n".encode())
    result = runner.invoke(args=["indicators", "import", str(path)])
    assert result.exit_code == 0 and "Imported 1 figure from" in result.output
    listing = runner.invoke(args=["indicators", "list"]).output
    assert "cin_plans_over_12_months: CIN plans for neglect open over 12 months: 36.1% in 2024-Q1" in listing


def test_working_group_adds_and_updates_actions_and_overdue_ones_are_marked(client, login, synced):
    login("analyst")
    missing = client.post("/evidence/actions", data={"what": "", "owner_agency": "", "due_on": "",
                                                     "source_kind": "other", "source_evidence": ""})
    assert missing.status_code == 400 and "Say what will be done" in missing.get_data(as_text=True)
    due = (TODAY - timedelta(days=3)).isoformat()
    client.post("/evidence/actions", data={"what": "Share plans with children", "owner_agency": "Police",
                                           "due_on": due, "source_kind": "audit-lesson",
                                           "source_evidence": "Plans not shared"})
    page = client.get("/evidence/actions").get_data(as_text=True)
    assert "Share plans with children" in page and "Overdue" in page and "1 overdue." in page
    with synced.app_context():
        action_id = db.session.scalar(select(Action.id))
    client.post(f"/evidence/actions/{action_id}", data={f"status": "done", "note": "Done in May"})
    with synced.app_context():
        action = db.session.get(Action, action_id)
        assert (action.status.value, action.note) == ("done", "Done in May")
    assert "Overdue" not in client.get("/evidence/actions").get_data(as_text=True)


def test_action_form_is_prefilled_from_a_lesson(client, login, synced):
    login("analyst")
    page = client.get("/evidence/actions?kind=audit-lesson&evidence=Plans+not+shared").get_data(as_text=True)
    assert "Plans not shared</textarea>" in page and '<option selected value="audit-lesson">' in page


def test_pack_command_holds_every_source_offline(runner, demo, synced, tmp_path):
    children_round(synced, "Children 2025", TODAY - timedelta(days=200), ["No"] * 13 + ["Yes"] * 22)
    out = tmp_path / "pack.html"
    start = (TODAY - timedelta(days=3 * 365)).isoformat()
    result = runner.invoke(args=["pack", "--from", start, "--to", TODAY.isoformat(), "--output", str(out)])
    assert result.exit_code == 0, result.output
    html = unescape(out.read_text(encoding="utf-8"))
    for heading in ("Voice of the child and parents", "Practitioners' consultation", "Neglect champions",
                    "Agency action plans (RAG tracker)", "Audits", "Indicators", "Draft key lines of enquiry",
                    "Actions and governance"):
        assert heading in html
    for agency in reporting_agencies():
        assert agency in html
    assert 'class="target-line"' in html and "Good practice to acknowledge" in html
    assert "13 of 35 children answered “No” to “Did you know you were on a child protection plan?”" in html
    assert "Shown to children as: “Did anyone tell you that you had a child protection plan?”" in html
    assert "audited cases had “Yes”" in html and "off target" in html and "rated its plan" in html
    assert "Overdue" in html and "Run two extra neglect tools training sessions" in html
    assert "NA-" not in html  # case references never leave the app in the pack
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched: works offline
    assert "<script" not in html


def test_pack_suppresses_small_counts_of_peoples_answers(runner, synced, tmp_path):
    children_round(synced, "Children 2025", TODAY - timedelta(days=100), ["No", "No", "Yes"])
    out = tmp_path / "pack.html"
    runner.invoke(args=["pack", "--from", (TODAY - timedelta(days=365)).isoformat(), "--to", TODAY.isoformat(),
                        "--output", str(out)])
    html = out.read_text(encoding="utf-8")
    assert "fewer than 5 answers in all: the counts are withheld." in html and "Children 2025 (fewer than 5 responses)" in html
    assert "Nobody answered this question." in html  # the questions these children skipped
    assert "2 of 3" not in html
    assert "Nothing stands out" in html


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from", "2025-02-30", "--to", "2025-03-01"], "The --from date must be a date written YYYY-MM-DD"),
        (["--from", "2025-03-01", "--to", "2025-01-01"], "The period ends (2025-01-01) before it starts (2025-03-01)."),
    ],
)
def test_pack_command_refuses_bad_dates(runner, synced, tmp_path, args, message):
    result = runner.invoke(args=["pack", *args, "--output", str(tmp_path / "p.html")])
    assert result.exit_code != 0 and message in result.output


def test_admin_downloads_the_pack_and_analysts_cannot(client, login, demo):
    login("analyst")
    assert client.get("/evidence/pack").status_code == 403
    client.post("/auth/logout")
    login("admin")
    assert "Download the pack" in client.get("/evidence/pack").get_data(as_text=True)
    response = client.post("/evidence/pack", data={"start": "2020-01-01", "end": TODAY.isoformat()})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="scrutiny-pack-2020-01-01-to-')
    assert "Agency action plans (RAG tracker)" in response.get_data(as_text=True)
    bad = client.post("/evidence/pack", data={"start": "2025-03-01", "end": "2025-01-01"})
    assert bad.status_code == 400 and "before it starts" in bad.get_data(as_text=True)


def test_lines_of_enquiry_page_starts_an_action_from_a_line(client, login, demo):
    login("analyst")
    page = unescape(client.get("/evidence/lines").get_data(as_text=True))
    assert "audited cases had “Yes”" in page and "off target" in page
    first_line = re.search(r'<ol class="evidence-lines">\s*<li>([^<]+?) <span', page).group(1)
    link = re.search(r'href="(/evidence/actions\?kind=line-of-enquiry&evidence=[^"]+)"', page).group(1)
    form = unescape(client.get(link).get_data(as_text=True))
    assert '<option selected value="line-of-enquiry">' in form
    assert first_line in form.split('id="source_evidence"')[1]


@pytest.mark.parametrize("path", ["/evidence/?from=2024-13-01", "/evidence/audits?to=yesterday",
                                  "/evidence/lines?from=2025-01-01&to=2024-01-01"])
def test_bad_dates_on_the_evidence_pages_get_a_message_not_an_error(client, login, synced, path):
    login("analyst")
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 200
    text = unescape(response.get_data(as_text=True))
    assert "must be a date written YYYY-MM-DD" in text or "before it starts" in text


def test_rag_tracker_period_filter_shows_only_those_quarters(client, login, demo):
    login("analyst")
    last_year = TODAY.year - 1
    page = client.get(f"/evidence/?from={last_year}-01-01&to={last_year}-12-31").get_data(as_text=True)
    thead = page.split('<table class="rag-table">')[1].split("</thead>")[0]
    headers = re.findall(r'<th scope="col">(?:<span class="visually-hidden">[^<]*</span>)?([^<]+)</th>', thead)
    assert headers[1:] == [f"{last_year}-Q{q}" for q in range(1, 5)]


def test_pack_withholds_a_second_count_so_a_small_one_cannot_be_worked_out(runner, synced, tmp_path):
    # 9 "No" and 3 "Yes" of 12: "fewer than 5" beside "9 of 12" would give the 3 away.
    children_round(synced, "Children 2025", TODAY - timedelta(days=100), ["No"] * 9 + ["Yes"] * 3)
    out = tmp_path / "pack.html"
    runner.invoke(args=["pack", "--from", (TODAY - timedelta(days=365)).isoformat(), "--to", TODAY.isoformat(),
                        "--output", str(out)])
    html = out.read_text(encoding="utf-8")
    assert "fewer than 5" in html and "withheld" in html
    assert "9 of 12" not in html and "3 of 12" not in html


def test_analysis_pages_leave_out_case_references_and_never_suppress_agencies_returns(client, login, demo):
    login("analyst")
    audit = client.get("/analysis/multi-agency-audit/").get_data(as_text=True)
    assert "case_reference" not in audit and "NA-" not in audit
    assert client.get("/analysis/multi-agency-audit/case_reference").status_code == 404
    rag = client.get("/analysis/action-plan-summary/overall_rag").get_data(as_text=True)
    # One named return per agency, shown as it is.
    assert "returns made by named organisations, so no count is withheld" in rag
    assert "fewer than 5" not in rag and ">withheld<" not in rag


def test_the_evidence_pages_read_the_partnerships_own_agencies(client, login, synced, tmp_path):
    """A partnership's own ``agencies.yaml`` (``QUESTIONNAIRES_DIR``) names the agencies of the RAG
    tracker, the indicator form and the action log, not the shipped list."""
    import shutil

    from feedback_app.definitions import default_questionnaires_dir

    folder = tmp_path / "own-questionnaires"
    shutil.copytree(default_questionnaires_dir(), folder)
    agencies = folder / "agencies.yaml"
    agencies.write_text(agencies.read_text(encoding="utf-8") + '  - "Youth Offending Service"\n', encoding="utf-8")
    synced.config["QUESTIONNAIRES_DIR"] = str(folder)
    with synced.app_context():
        seed_evidence_demo(db.session, today=TODAY)
        assert "Youth Offending Service" in reporting_agencies()
    login("admin")
    assert '<th scope="row">Youth Offending Service</th>' in client.get("/evidence/").get_data(as_text=True)
    assert '<option value="Youth Offending Service">' in client.get("/evidence/indicators").get_data(as_text=True)
    assert '<option value="Youth Offending Service">' in client.get("/evidence/actions").get_data(as_text=True)
