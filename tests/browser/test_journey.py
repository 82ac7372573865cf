"""The whole journey in a browser: an admin opens a round and hands out links, people answer,
the admin watches the count go up and downloads the answers."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

PASSWORD = "correct horse battery staple"  # the shared make_user fixture's default

AGENCY = "Police"


def _link_rows(page) -> list[dict]:
    """The round page's links table: kind, agency, address and responses of each link."""
    return page.evaluate("""() => [...document.querySelectorAll('input.link-url')].map(input => {
        const cells = input.closest('tr').querySelectorAll('td');
        return {kind: cells[0].innerText.trim(), agency: cells[1].innerText.trim(), url: input.value,
                responses: Number(cells[3].innerText.trim())};
    })""")


def _make_links(page, kind_label: str, agency: str | None = None) -> None:
    form = page.locator("form", has=page.get_by_role("button", name="Make links"))
    form.get_by_role("radio", name=re.compile(f"^{kind_label}:")).check()
    if agency:
        form.get_by_label("Agency", exact=True).select_option(agency)
    form.get_by_label("How many links").fill("1")
    form.get_by_role("button", name="Make links").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").filter(has_text="Made 1").is_visible()


def test_admin_round_links_answers_count_and_export(browser, context, page, live_server, synced, make_user, axe):
    make_user("admin@example.org", "admin")

    # Sign in.
    page.goto(live_server("/"))
    page.wait_for_url("**/auth/login**")
    axe(page, "the sign-in page")
    page.get_by_label("Email address").fill("admin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")

    # A new round of the practitioners' consultation, through the admin page.
    page.get_by_role("link", name="New round").click()
    page.wait_for_url("**/admin/rounds/new")
    axe(page, "the new-round page")
    version = page.get_by_label("Questionnaire version")
    [practitioners] = [text for text in version.locator("option").all_inner_texts() if "(practitioners v1," in text]
    version.select_option(label=practitioners)
    page.get_by_label("Label").fill("Practitioner consultation 2021 H1")
    page.get_by_label("Opens on").fill("2020-01-01")
    page.get_by_label("Closes on").fill("2099-12-31")
    page.get_by_role("radio", name=re.compile("^Open:")).check()
    page.get_by_role("button", name="Create round").click()
    page.wait_for_url(re.compile(r"/admin/rounds/\d+$"))
    round_url = page.url
    assert page.locator("h1").inner_text() == "Practitioner consultation 2021 H1"
    assert "0 responses so far" in page.get_by_test_id("total-responses").inner_text()

    # An agency link and a single-use link, made on the round page.
    _make_links(page, "Agency", AGENCY)
    _make_links(page, "Single-use")
    axe(page, "a round's page with its links")
    rows = _link_rows(page)
    assert sorted(row["kind"] for row in rows) == ["agency", "single-use"]
    agency_link = next(row for row in rows if row["kind"] == "agency")
    single_link = next(row for row in rows if row["kind"] == "single-use")
    assert agency_link["agency"] == AGENCY
    assert all(row["url"].startswith(live_server.url + "/r/") and row["responses"] == 0 for row in rows)

    # Respondents, each opening a link in a new page of their own browser.
    respondents = browser.new_context()
    try:
        someone = respondents.new_page()
        someone.goto(agency_link["url"])
        someone.wait_for_url("**/questions")
        assert AGENCY in someone.locator(".notice").inner_text()  # the link supplies the agency
        assert someone.get_by_role("group", name="Which agency do you work for?").count() == 0
        someone.get_by_role("radio", name="Front-line practitioner").check()
        someone.get_by_label("Are there any barriers to the use of the Howe model?").fill(
            "Caseloads leave no time to use the Howe model")
        someone.get_by_role("button", name="Send answers").click()
        someone.wait_for_url("**/thanks")
        someone.close()

        invited = respondents.new_page()
        invited.goto(single_link["url"])
        invited.wait_for_url("**/questions")
        invited.get_by_role("group", name="Which agency do you work for?").get_by_role("radio", name="Schools").check()
        invited.get_by_role("group", name="Use of the agreed assessment tools: which of these tools have you used?").get_by_role(
            "checkbox", name="Chronology").check()
        invited.get_by_role("button", name="Send answers").click()
        invited.wait_for_url("**/thanks")
        invited.goto(single_link["url"])  # a single-use link is spent
        assert invited.locator("h1").inner_text() == "This link has already been used"
        invited.close()
    finally:
        respondents.close()

    # Back on the round page, the counts have gone up.
    page.goto(round_url)
    assert "2 responses so far" in page.get_by_test_id("total-responses").inner_text()
    counts = {row["kind"]: row["responses"] for row in _link_rows(page)}
    assert counts == {"agency": 1, "single-use": 1}

    # The CSV download holds the answers.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download this round's responses (CSV)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    records = list(csv.DictReader(io.StringIO(text)))
    assert len(records) == 2, text
    values = [value for record in records for value in record.values()]
    assert "Caseloads leave no time to use the Howe model" in values
    assert AGENCY in values and "Schools" in values
    assert any("Chronology" in (value or "") for value in values)
