"""The staff command line: users, rounds and links."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from feedback_app.cli.links import links_group
from feedback_app.cli.rounds import rounds_group
from feedback_app.cli.users import users_group
from feedback_app.db import db
from feedback_app.definitions import load_agencies
from feedback_app.models import LinkKind, Round, RoundStatus, ShareLink, StaffUser

PASSWORD = "a long enough passphrase"


@pytest.fixture
def cli(synced):
    """A CLI runner of the app with the questionnaires published."""
    return synced.test_cli_runner()


def _ok(result):
    assert result.exit_code == 0, result.output
    return result


def _round_id(cli, slug="practitioners", *extra) -> int:
    result = _ok(cli.invoke(rounds_group, ["create", slug, "--label", f"{slug} test round",
                                           "--opens", "2020-01-01", "--closes", "2099-12-31", *extra]))
    return int(result.stdout)


# ---------------------------------------------------------------- users


def test_users_create_reads_the_password_from_stdin(app, client, cli):
    result = _ok(cli.invoke(users_group, ["create", "Lead@Example.org", "--role", "admin", "--password-stdin"],
                            input=PASSWORD + "\n"))
    assert result.output == "Created admin lead@example.org.\n"
    signed_in = client.post("/auth/login", data={"email": "lead@example.org", "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/admin/"
    listing = _ok(cli.invoke(users_group, ["list"])).output
    assert "lead@example.org" in listing and "admin" in listing


def test_users_create_asks_for_the_password_twice(app, cli):
    result = _ok(cli.invoke(users_group, ["create", "reader@example.org", "--role", "analyst"],
                            input=f"{PASSWORD}\n{PASSWORD}\n"))
    assert "Password:" in result.output and "Repeat for confirmation:" in result.output
    assert PASSWORD not in result.output
    with app.app_context():
        assert db.session.scalar(select(StaffUser.role).where(StaffUser.email == "reader@example.org")).value == "analyst"


# ---------------------------------------------------------------- rounds


def test_rounds_create_prints_the_id_alone(app, cli):
    result = _ok(cli.invoke(rounds_group, ["create", "children", "--version", "1", "--label", "Children 2021",
                                           "--opens", "2021-01-01", "--closes", "2021-12-31"]))
    assert result.stdout.strip().isdigit() and result.stdout == result.stdout.strip() + "\n"
    with app.app_context():
        round_ = db.session.get(Round, int(result.stdout))
        assert round_.label == "Children 2021"
        assert (round_.version.slug, round_.version.version) == ("children", 1)
        assert (round_.opens_on, round_.closes_on, round_.status) == (date(2021, 1, 1), date(2021, 12, 31), RoundStatus.OPEN)


def test_rounds_create_as_a_draft(app, cli):
    round_id = _round_id(cli, "parents", "--draft")
    with app.app_context():
        assert db.session.get(Round, round_id).status == RoundStatus.DRAFT


def test_rounds_schedule_follows_the_cadence(app, cli):
    result = _ok(cli.invoke(rounds_group, ["schedule", "practitioners", "--from", "2021-01-01", "--to", "2021-12-31", "--yes"]))
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    labels = [line.split("\t")[1] for line in lines]
    assert labels[0].endswith(" 2021 H1") and labels[1].endswith(" 2021 H2")
    with app.app_context():
        rounds = db.session.scalars(select(Round).order_by(Round.opens_on)).all()
        assert [(r.id, r.label) for r in rounds] == [(int(line.split("\t")[0]), line.split("\t")[1]) for line in lines]
        assert [(r.opens_on, r.closes_on) for r in rounds] == [
            (date(2021, 1, 1), date(2021, 6, 30)), (date(2021, 7, 1), date(2021, 12, 31))]
    again = _ok(cli.invoke(rounds_group, ["schedule", "practitioners", "--from", "2021-01-01", "--to", "2021-12-31", "--yes"]))
    assert again.stdout == ""
    assert "No new rounds: every round in those dates already exists." in again.stderr


def test_rounds_schedule_lists_the_rounds_and_asks_first(app, cli):
    args = ["schedule", "champions", "--from", "2021-01-01", "--to", "2021-06-30"]
    declined = cli.invoke(rounds_group, args, input="n\n")
    assert declined.exit_code == 1
    assert "3 open rounds of champions v1 (bimonthly):" in declined.stderr
    assert "Neglect Champion feedback 2021 Jan–Feb" in declined.stderr and "2021-01-01 to 2021-02-28" in declined.stderr
    assert "Create them? [y/N]" in declined.stderr and "Aborted!" in declined.stderr
    with app.app_context():
        assert db.session.scalar(select(Round.id)) is None, "nothing is created when the answer is no"
    accepted = _ok(cli.invoke(rounds_group, args, input="y\n"))
    assert [line.split("\t")[1] for line in accepted.stdout.splitlines()] == [
        "Neglect Champion feedback 2021 Jan–Feb", "Neglect Champion feedback 2021 Mar–Apr", "Neglect Champion feedback 2021 May–Jun"]


def test_rounds_list_says_closed_once_the_closing_date_has_passed(cli):
    _ok(cli.invoke(rounds_group, ["create", "practitioners", "--label", "Past", "--opens", "2020-01-01", "--closes", "2020-06-30"]))
    _ok(cli.invoke(rounds_group, ["create", "practitioners", "--label", "Future", "--opens", "2098-01-01", "--closes", "2098-06-30"]))
    past, current, future = None, None, None
    _round_id(cli, "practitioners", "--reason", "a current round beside the past one")
    for line in _ok(cli.invoke(rounds_group, ["list"])).stdout.splitlines():
        if " Past " in line:
            past = line
        elif " Future " in line:
            future = line
        else:
            current = line
    assert " closed " in past and " open " not in past
    assert " scheduled " in future
    assert " open " in current


@pytest.mark.parametrize("slug", ["children", "parents"])
def test_a_children_or_parents_round_cannot_open_without_the_local_help_number(make_app, database_url, slug):
    app = make_app(database_url, LOCAL_HELP_NUMBER=None)
    cli = app.test_cli_runner()
    _ok(cli.invoke(args=["questionnaires", "sync"]))
    whose = {"children": "children's", "parents": "parents'"}[slug]
    for args in (["create", slug, "--label", "R", "--opens", "2021-01-01", "--closes", "2099-12-31"],
                 ["schedule", slug, "--from", "2021-01-01", "--to", "2021-12-31", "--yes"]):
        result = cli.invoke(rounds_group, args)
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: A {whose} round cannot open until LOCAL_HELP_NUMBER is set")
    # A draft can be prepared, but not opened until the number is set.
    draft = int(_ok(cli.invoke(rounds_group, ["create", slug, "--label", "R", "--opens", "2021-01-01",
                                              "--closes", "2099-12-31", "--draft"])).stdout)
    refused = cli.invoke(rounds_group, ["open", str(draft)])
    assert refused.exit_code == 1 and "LOCAL_HELP_NUMBER" in refused.stderr
    # Practitioners' rounds do not signpost help, so they open.
    _ok(cli.invoke(rounds_group, ["create", "practitioners", "--label", "P", "--opens", "2021-01-01", "--closes", "2099-12-31"]))


def test_rounds_list_and_close(app, cli, respondent):
    round_id = _round_id(cli)
    [url] = _ok(cli.invoke(links_group, ["create", str(round_id), "--kind", "open"])).stdout.split()
    token = url.rsplit("/", 1)[1]
    assert respondent.client.get(f"/r/{token}").status_code == 302  # on to the questions
    listing = _ok(cli.invoke(rounds_group, ["list"])).stdout
    [line] = listing.strip().splitlines()
    assert line.split()[0] == str(round_id)
    assert "practitioners test round" in line and "practitioners v2" in line
    assert "2020-01-01 to 2099-12-31" in line and " open " in line
    result = _ok(cli.invoke(rounds_group, ["close", str(round_id)]))
    assert result.output == f"Closed round {round_id} (practitioners test round).\n"
    assert " closed " in _ok(cli.invoke(rounds_group, ["list"])).stdout
    assert respondent.client.get(f"/r/{token}").status_code == 410
    assert _ok(cli.invoke(rounds_group, ["open", str(round_id)])).output == f"Opened round {round_id} (practitioners test round).\n"
    assert respondent.client.get(f"/r/{token}").status_code == 302


def test_rounds_list_counts_responses(app, cli, respondent):
    round_id = _round_id(cli, "children")
    [url] = _ok(cli.invoke(links_group, ["create", str(round_id), "--kind", "open"])).stdout.split()
    assert _ok(cli.invoke(rounds_group, ["list"])).stdout.rstrip().endswith(" 0 responses")
    assert respondent.answer(url.rsplit("/", 1)[1], {"what_helped": "x"}).status_code == 302
    assert _ok(cli.invoke(rounds_group, ["list"])).stdout.rstrip().endswith(" 1 responses")


# ---------------------------------------------------------------- links


def test_links_create_agency_links(app, cli):
    round_id = _round_id(cli)
    result = _ok(cli.invoke(links_group, ["create", str(round_id), "--kind", "agency", "--agency", "Police",
                                          "--count", "3", "--label", "Response teams"]))
    urls = result.stdout.splitlines()
    assert len(urls) == 3 and len(set(urls)) == 3
    for url in urls:
        assert url.startswith("http://localhost/r/")  # PUBLIC_BASE_URL of the test app
        assert len(url.rsplit("/r/", 1)[1]) >= 32
    with app.app_context():
        links = db.session.scalars(select(ShareLink).order_by(ShareLink.id)).all()
        assert [link.token for link in links] == [url.rsplit("/", 1)[1] for url in urls]
        assert {(link.kind, link.agency, link.label) for link in links} == {(LinkKind.AGENCY, "Police", "Response teams")}


def test_links_create_single_use_links_with_a_base_url(app, cli):
    round_id = _round_id(cli)
    result = _ok(cli.invoke(links_group, ["create", str(round_id), "--kind", "single-use", "--count", "5",
                                          "--expires", "2099-01-31", "--base-url", "https://feedback.example.org/"]))
    urls = result.stdout.splitlines()
    assert len(urls) == 5
    assert all(url.startswith("https://feedback.example.org/r/") for url in urls)
    with app.app_context():
        links = db.session.scalars(select(ShareLink)).all()
        assert {(link.kind, link.max_responses) for link in links} == {(LinkKind.SINGLE_USE, 1)}
        assert {link.expires_at.date() for link in links} == {date(2099, 1, 31)}


def test_links_use_public_base_url_from_config(app, cli):
    app.config["PUBLIC_BASE_URL"] = "https://survey.partnership.example"
    round_id = _round_id(cli)
    [url] = _ok(cli.invoke(links_group, ["create", str(round_id), "--kind", "open"])).stdout.split()
    assert url.startswith("https://survey.partnership.example/r/")


@pytest.mark.parametrize("command", [["create", "{round}", "--kind", "open"], ["list", "{round}"]])
def test_links_without_a_base_url_refuse_to_guess(app, cli, command):
    app.config["PUBLIC_BASE_URL"] = None
    round_id = _round_id(cli)
    result = cli.invoke(links_group, [part.format(round=round_id) for part in command])
    assert result.exit_code == 1
    assert "PUBLIC_BASE_URL is not set" in result.output and "--base-url" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ShareLink)) == 0, "no link was made"


def test_a_round_id_beyond_the_database_is_refused_with_a_message(app, cli):
    result = cli.invoke(links_group, ["list", "99999999999999999999"])
    assert result.exit_code == 1 and "There is no round 99999999999999999999" in result.output


def test_links_list_and_revoke(app, cli, client):
    round_id = _round_id(cli)
    urls = _ok(cli.invoke(links_group, ["create", str(round_id), "--kind", "agency", "--agency", "Schools",
                                        "--max-responses", "30"])).stdout.split()
    urls += _ok(cli.invoke(links_group, ["create", str(round_id), "--kind", "open"])).stdout.split()
    listing = _ok(cli.invoke(links_group, ["list", str(round_id)])).stdout.splitlines()
    assert len(listing) == 2
    assert listing[0].startswith(urls[0]) and "Schools" in listing[0] and "0/30" in listing[0] and "Active" in listing[0]
    token = urls[0].rsplit("/", 1)[1]
    result = _ok(cli.invoke(links_group, ["revoke", token]))
    assert result.output.startswith(f"Revoked link {token[:8]}… of round {round_id}")
    page = client.get(f"/r/{token}")
    assert page.status_code == 410 and "This link has been switched off" in page.get_data(as_text=True)
    assert "Revoked" in _ok(cli.invoke(links_group, ["list", str(round_id)])).stdout.splitlines()[0]
    # a full URL works as well as the token
    _ok(cli.invoke(links_group, ["revoke", urls[1]]))
    assert client.get(urls[1].replace("http://localhost", "")).status_code == 410


# ---------------------------------------------------------------- bad inputs


def _agencies_message(name: str) -> str:
    return f"Error: Unknown agency {name!r}; use one of: {', '.join(load_agencies())}.\n"


@pytest.mark.parametrize(
    "group, args, message",
    [
        (rounds_group, ["create", "practitioners", "--label", "R", "--opens", "2021-06-01", "--closes", "2021-01-01"],
         "Error: The round closes (2021-01-01) before it opens (2021-06-01).\n"),
        (rounds_group, ["create", "nope", "--label", "R", "--opens", "2021-01-01", "--closes", "2021-06-30"],
         "Error: No questionnaire 'nope' is published; run `feedback-app questionnaires sync`.\n"),
        (rounds_group, ["create", "children", "--version", "9", "--label", "R", "--opens", "2021-01-01", "--closes", "2021-06-30"],
         "Error: 'children' has no published version 9; run `feedback-app questionnaires sync`.\n"),
        (rounds_group, ["create", "children", "--label", "R", "--opens", "1/1/2021", "--closes", "2021-06-30"],
         "Error: The --opens date must be a date written YYYY-MM-DD, not '1/1/2021'.\n"),
        (rounds_group, ["create", "children", "--label", " ", "--opens", "2021-01-01", "--closes", "2021-06-30"],
         'Error: A round needs a label, such as "Practitioner consultation 2021 H1".\n'),
        (rounds_group, ["schedule", "nope", "--from", "2021-01-01", "--to", "2021-12-31"],
         "Error: No questionnaire 'nope' is published; run `feedback-app questionnaires sync`.\n"),
        (rounds_group, ["schedule", "practitioners", "--from", "2021-12-31", "--to", "2021-01-01"],
         "Error: --to (2021-01-01) is before --from (2021-12-31).\n"),
        (rounds_group, ["close", "999"], "Error: There is no round 999; `feedback-app rounds list` shows them.\n"),
        (links_group, ["create", "999", "--kind", "open"],
         "Error: There is no round 999; `feedback-app rounds list` shows them.\n"),
        (links_group, ["revoke", "not-a-real-token"],
         "Error: There is no link with that token; `feedback-app links list ROUND` shows them.\n"),
        (users_group, ["create", "short@example.org", "--role", "admin", "--password-stdin"],
         "Error: The password must be at least 12 characters long.\n"),
        (users_group, ["create", "not-an-email", "--role", "admin", "--password-stdin"],
         "Error: 'not-an-email' is not an email address.\n"),
    ],
)
def test_bad_inputs_exit_1_with_the_message(cli, group, args, message):
    result = cli.invoke(group, args, input="short\n")
    assert result.exit_code == 1
    assert result.stderr == message
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args, message",
    [
        (["--kind", "agency", "--agency", "Nope"], _agencies_message("Nope")),
        (["--kind", "agency"], "Error: An agency link needs an agency.\n"),
        (["--kind", "open", "--count", "0"], "Error: Make between 1 and 5000 links at a time.\n"),
        (["--kind", "single-use", "--max-responses", "2"], "Error: A single-use link takes exactly one response.\n"),
        (["--kind", "open", "--expires", "2001-01-01"], "Error: The expiry date 2001-01-01 has already passed.\n"),
        (["--kind", "open", "--expires", "next week"],
         "Error: The --expires date must be a date written YYYY-MM-DD, not 'next week'.\n"),
    ],
)
def test_bad_link_options_exit_1_with_the_message(app, cli, args, message):
    round_id = _round_id(cli)
    result = cli.invoke(links_group, ["create", str(round_id), *args])
    assert result.exit_code == 1
    assert result.stderr == message
    with app.app_context():
        assert db.session.scalar(select(ShareLink.id)) is None


def test_links_for_a_closed_round_are_refused(cli):
    round_id = _round_id(cli)
    _ok(cli.invoke(rounds_group, ["close", str(round_id)]))
    result = cli.invoke(links_group, ["create", str(round_id), "--kind", "open"])
    assert result.exit_code == 1
    assert result.stderr == "Error: This round is closed; re-open it before making links.\n"


def test_a_duplicate_user_is_refused(cli):
    _ok(cli.invoke(users_group, ["create", "lead@example.org", "--role", "admin", "--password-stdin"], input=PASSWORD + "\n"))
    result = cli.invoke(users_group, ["create", "lead@example.org", "--role", "analyst", "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 1
    assert result.stderr == "Error: There is already a user lead@example.org.\n"


def test_every_command_has_help(cli):
    for group in (users_group, rounds_group, links_group):
        for name, command in group.commands.items():
            result = _ok(cli.invoke(group, [name, "--help"]))
            first_line = command.help.splitlines()[0]
            assert " ".join(first_line.split()) in " ".join(result.output.split()), name


def test_rounds_reports_and_packs_made_on_the_command_line_are_in_the_audit_log(cli, synced, tmp_path):
    from feedback_app.models import AuditEvent

    round_id = _round_id(cli)
    _ok(cli.invoke(rounds_group, ["close", str(round_id)]))
    _ok(cli.invoke(rounds_group, ["open", str(round_id)]))
    _ok(cli.invoke(args=["report", "practitioners", "--output", str(tmp_path / "r.html")]))
    _ok(cli.invoke(args=["pack", "--from", "2020-01-01", "--to", "2020-12-31", "--output", str(tmp_path / "p.html")]))
    with synced.app_context():
        events = db.session.execute(select(AuditEvent.actor, AuditEvent.action).order_by(AuditEvent.id)).all()
    actions = [action for actor, action in events if actor == "command line"]
    for action in ("round-create", "round-close", "round-open", "report-download", "pack-download"):
        assert action in actions, (action, events)
