"""Admin upload of paper answers and download of responses."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from feedback_app.db import db
from feedback_app.models import AuditEvent, Response, SafeguardingFlag


def _responses(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Response))


def _upload(client, round_id, text):
    return client.post(
        f"/admin/rounds/{round_id}/import",
        data={"file": (io.BytesIO(text.encode("utf-8")), "answers.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_a_good_upload_imports_and_screens_the_answers(app, client, login, make_round):
    round_ = make_round("children", 2, label="Children 2026")
    login("admin")
    page = _upload(client, round_.id, "what_helped,what_did_not_help,age_band\nmy teacher,grandad smacks me really hard,12 to 15\nschool,,\n")
    text = page.get_data(as_text=True)
    assert "Imported 2 responses into Children 2026." in text
    assert "1 imported answer(s) were flagged to the safeguarding queue" in text
    assert _responses(app) == 2
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SafeguardingFlag)) == 1
        assert "import" in db.session.scalars(select(AuditEvent.action)).all()


def test_a_bad_upload_changes_nothing_and_lists_every_problem(app, client, login, make_round):
    round_ = make_round("children", 2)
    login("admin")
    page = _upload(client, round_.id, "what_helped,favourite_colour,age_band\nfine,blue,nine\n")
    text = page.get_data(as_text=True).replace("&#39;", "'")
    assert page.status_code == 400
    assert "The file was not imported: nothing was stored" in text
    assert "favourite_colour" in text and "'nine' is not one of" in text
    assert _responses(app) == 0


def test_upload_without_a_file_says_so(client, login, make_round):
    round_ = make_round("children", 2)
    login("admin")
    page = client.post(f"/admin/rounds/{round_.id}/import", data={}, content_type="multipart/form-data")
    assert page.status_code == 400
    assert "Choose a CSV file to import" in page.get_data(as_text=True)


def test_download_is_neutralised_and_audited(app, client, login, respondent, make_round, make_link):
    round_ = make_round("children", 2)
    link = make_link(round_)
    respondent.answer(link.token, {"what_helped": '=HYPERLINK("http://evil.example","click")'})
    login("admin")
    csv_download = client.get(f"/admin/export?round={round_.id}&format=csv")
    assert csv_download.status_code == 200
    assert csv_download.headers["Content-Disposition"].startswith("attachment;")
    body = csv_download.get_data(as_text=True)
    assert "'=HYPERLINK" in body and ',=HYPERLINK' not in body
    xlsx = client.get(f"/admin/export?questionnaire=children&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value]
    assert any(str(cell.value).startswith("'=HYPERLINK") for cell in cells)
    assert all(cell.data_type != "f" for cell in cells)
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "export")).all() == ["export", "export"]


def test_analyst_cannot_download_responses(client, login):
    login("analyst")
    assert client.get("/admin/export?questionnaire=children&format=csv").status_code == 403
