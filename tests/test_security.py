"""Headers, CSRF, sign-in throttling and the route inventory."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.conftest import PASSWORD


def test_security_headers_on_every_response(client, make_round, make_link):
    link = make_link(make_round("children", 2))
    for path in ("/auth/login", f"/r/{link.token}", "/no-such-page", "/healthz"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"


def test_no_inline_script_in_pages(client, make_round, make_link):
    link = make_link(make_round("children", 2))
    for path in ("/auth/login", f"/r/{link.token}", f"/r/{link.token}/questions"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert " onclick=" not in html and " onload=" not in html


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    user = make_user("a@example.org", "admin")
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_csrf_is_enforced_on_respondent_and_staff_forms(make_app, database_url, synced, make_round, make_link):
    link = make_link(make_round("children", 2))
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.post(f"/r/{link.token}/questions", data={"q_what_helped": "school"})
    assert page.status_code == 400
    assert "This page was open too long, or was sent twice" in page.get_data(as_text=True)
    assert "school" in page.get_data(as_text=True), "what was typed is kept"
    assert client.post("/auth/login", data={"email": "a@b.org", "password": "x"}).status_code == 400


def test_sign_in_is_throttled_after_repeated_failures(client, make_user, app):
    user = make_user("admin@example.org", "admin")
    for _ in range(app.config["LOGIN_ATTEMPTS_LIMIT"]):
        bad = client.post("/auth/login", data={"email": user.email, "password": "wrong password!"})
        assert bad.status_code == 400
        assert "The email address or password is not right" in bad.get_data(as_text=True)
    blocked = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_login_does_not_follow_an_offsite_next(client, make_user):
    user = make_user("admin@example.org", "admin")
    response = client.post("/auth/login?next=https://evil.example/x", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/admin/"


def _staff_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "home", "health.healthz") or rule.endpoint.startswith(("respond.", "auth.")):
            continue
        if rule.endpoint.startswith("api."):  # token API: tests/test_api.py checks its 401s and 403s
            continue
        yield rule


@pytest.mark.parametrize("role", [None, "analyst"])
def test_route_inventory_every_staff_route_refuses_the_wrong_visitor(app, client, login, role, make_round, make_link):
    round_ = make_round("children", 2)
    link = make_link(round_)
    if role:
        login(role)
    values = {"round_id": round_.id, "link_id": link.id, "id": round_.id, "version_id": 1, "flag_id": 1,
              "slug": "children", "question_key": "what_helped", "theme": "practical_needs", "token": link.token}
    checked = 0
    for rule in _staff_routes(app):
        # The Working Group reads (and keeps the action log of) the evidence pages; only
        # admins enter indicator figures (checked in tests/test_evidence_pages.py) and
        # download the scrutiny pack.
        # Analysts code answers and compare their coding (issue 14).
        analyst_allowed = rule.endpoint.startswith(("insights.", "coding.")) or (
            rule.endpoint.startswith("evidence.") and rule.endpoint not in ("evidence.pack", "evidence.import_indicators"))
        if role == "analyst" and analyst_allowed:
            continue
        arguments = {}
        for name in rule.arguments:
            converter = rule._converters.get(name)
            items = getattr(converter, "items", None)
            arguments[name] = sorted(items)[0] if items else values.get(name, 1)
        url = rule.build(arguments, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            if role is None:
                assert response.status_code == 302 and "/auth/login" in response.headers["Location"], (method, url)
            else:
                assert response.status_code == 403, (method, url, response.status_code)
            checked += 1
    assert checked >= 10


# ---------------------------------------------------------------- finding 1: patterns that cannot backtrack

import signal
import time
from contextlib import contextmanager

from analysis.codebook import Codebook, add_pattern, load_codebook

ADVERSARIAL_PATTERNS = ["aa*a*a*a*b", "ab*ab*ab*ab*ab*c", "aa*a .. aa*a .. aa*a .. aa*b", "aa .. aa .. aa .. aa*b"]
ADVERSARIAL_ANSWERS = {
    "one long word": lambda n: "a" * n,
    "many short words": lambda n: "aa " * (n // 3),
    "long words": lambda n: ("a" * 999 + " ") * (n // 1000),
    "ab repeated": lambda n: "ab" * (n // 2),
    "excluded over and over": lambda n: "school holidays " * (n // 16),
}


class TooSlow(Exception):
    """Raised by the alarm when a measurement runs far past its budget."""


@contextmanager
def alarm_after(seconds: float):
    """Stop a runaway measurement (an exponential matcher would never return) with TooSlow."""
    def _raise(_signum, _frame):
        raise TooSlow()

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _best_of(repeats: int, action) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def growth(action, make, n: int = 10_000, factor: int = 10) -> float:
    """How many times longer ``action`` takes on an input ``factor`` times longer (linear: about
    ``factor``). A run that takes over 100 times the small one's time counts as 100 x factor."""
    small, large = make(n), make(n * factor)
    try:
        with alarm_after(20):  # only a guard against a hang: the old matcher never returned here
            action(small)  # warm caches (lemmas, compiled patterns)
            t_small = max(_best_of(3, lambda: action(small)), 1e-4)
    except TooSlow:
        return 100.0 * factor
    try:
        with alarm_after(max(1.0, 100 * factor * t_small)):
            t_large = _best_of(2, lambda: action(large))
    except TooSlow:
        return 100.0 * factor
    return t_large / t_small


def steady_growth(action, make, n: int = 10_000, tries: int = 3) -> float:
    """:func:`growth`, measured again (up to ``tries`` times) while it looks worse than linear:
    a busy machine can slow one run down, but not every run."""
    ratio = growth(action, make, n)
    for _ in range(tries - 1):
        if ratio < 20:
            break
        ratio = min(ratio, growth(action, make, n))
    return ratio


def adversarial_codebook() -> Codebook:
    codebook = load_codebook()
    for pattern in ADVERSARIAL_PATTERNS:
        codebook = add_pattern(codebook, codebook.keys[0], pattern)
    return codebook


@pytest.mark.parametrize("shape", ADVERSARIAL_ANSWERS)
def test_codebook_matching_time_is_linear_in_answer_length_on_adversarial_patterns(shape):
    codebook = adversarial_codebook()
    ratio = steady_growth(codebook.matches, ADVERSARIAL_ANSWERS[shape])  # 10k and 100k characters
    # Linear time gives about 10; quadratic about 100; the old regex never finished.
    assert ratio < 35, f"{shape}: 10x longer answer took {ratio:.1f}x as long"


SCREENING_ANSWERS = {
    "underscores after a concern word": lambda n: "hit" + "_" * n,
    "a concern phrase repeated": lambda n: "hit me " * (n // 7),
    "one long word": lambda n: "a" * n,
}


@pytest.mark.parametrize("shape", SCREENING_ANSWERS)
def test_safeguarding_rules_screen_in_time_linear_in_answer_length(shape):
    from analysis.concerns import screen

    # "hit" + 5,000 underscores took 3 s (the regex tried every split of the run): one
    # anonymous post of three such answers held a worker for 9 s.
    ratio = steady_growth(lambda text: screen(text, bank=False), SCREENING_ANSWERS[shape], n=5_000)
    assert ratio < 35, f"{shape}: 10x longer answer took {ratio:.1f}x as long"


def test_a_wildcard_matches_as_before():
    codebook = add_pattern(load_codebook(), "practical_needs", "aa*a*a*a*b")
    assert "practical_needs" in codebook.match("the aaaaab was there")
    assert "practical_needs" in codebook.match("aa-x-a-y-a-z-a-q-b".replace("-", ""))
    assert "practical_needs" not in codebook.match("a" * 5000)
    assert "practical_needs" not in codebook.match("aaaab")  # needs aa, a, a, a and b: six letters
    multi = add_pattern(load_codebook(), "practical_needs", "multi*agency")
    assert "practical_needs" in multi.match("good multiagency working")
    assert "practical_needs" not in multi.match("multi agencies")  # a wildcard stays inside one word


# ---------------------------------------------------------------- a real gunicorn: findings 1, 5 and 6

import os
import subprocess
import sys
from pathlib import Path

from tests.live_http import form_body, open_form, request as http_request
from tests.test_load import CONNECTION_ERRORS, Server

ROOT = Path(__file__).resolve().parent.parent
MALFORMED = [
    b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n",  # over-long request line
    b"G@T / HTTP/1.1\r\nHost: localhost\r\n\r\n",  # invalid method
    b"GET / HTTP/9.9\r\nHost: localhost\r\n\r\n",  # invalid HTTP version
    b"GET / HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n\r\n",  # invalid header name
    b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 203.0.113.7\r\n" + b"X-Big: " + b"b" * 9000 + b"\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",  # invalid chunk size
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS hello on the plain port
]


def _raw(port: int, data: bytes) -> bytes:
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        try:
            return sock.recv(4096)
        except OSError:
            return b""


@pytest.fixture(scope="module")
def live(tmp_path_factory, databases):
    """``feedback-app serve`` on loopback (PUBLIC_BASE_URL unset), with an open round and link, and
    an analyst's adversarial codebook pattern already saved."""
    from feedback_app import create_app
    from feedback_app.db import db
    from feedback_app.definitions import load_agencies, sync_questionnaires
    from feedback_app.insights.codebook_edits import apply_edit
    from feedback_app.links import create_links
    from feedback_app.rounds import create_round, find_version

    folder = tmp_path_factory.mktemp("live")
    url = databases.create(folder)
    app = create_app({"SECRET_KEY": "live", "DATABASE_URL": url}, instance_path=str(folder / "instance"))
    with app.app_context():
        sync_questionnaires(db.session, None)
        round_ = create_round(db.session, find_version(db.session, "practitioners", None), "live",
                              date(2020, 1, 1), date(2099, 12, 31))
        token = create_links(db.session, round_, "open", load_agencies())[0].token
        apply_edit(db.session, "add_pattern", "analyst@example.org", key="practical_needs",
                   pattern="aa*a*a*a*b", kind="pattern")
    app.extensions["feedback_db"].engine.dispose()
    server = Server(url, folder, workers=2)
    server.start()
    try:
        yield server, token
    finally:
        server.stop()
        databases.drop(url)


@pytest.mark.slow
def test_an_adversarial_answer_is_stored_at_once_and_the_server_stays_up(live):
    server, token = live
    form = open_form(server.port, token)
    body, headers = form_body(form, {"agency": "Police", "tools_barriers": "a" * 5000,
                                     "operational_changes": "aa" * 2500})
    status, _headers, _page = http_request(server.port, "POST", f"/r/{token}/questions", body, headers, timeout=60)
    assert status == 302  # stored; before the fix this ran 60 s and ended in a 500 and WORKER TIMEOUT
    assert http_request(server.port, "GET", "/healthz", timeout=10)[0] == 200
    assert "WORKER TIMEOUT" not in server.log()


@pytest.mark.slow
def test_a_forged_host_header_is_refused_and_never_reaches_a_link(live):
    server, token = live
    status, _headers, page = http_request(server.port, "GET", f"/r/{token}", headers={"Host": "evil.example"})
    assert status == 400 and b"evil.example" not in page
    status, _headers, _page = http_request(server.port, "GET", "/auth/login", headers={"Host": "127.0.0.1"})
    assert status == 200


@pytest.mark.slow
def test_malformed_requests_leave_no_ip_address_in_any_log(live):
    server, _token = live
    before = len(server.log())
    answers = [_raw(server.port, data) for data in MALFORMED]
    assert any(answer.startswith(b"HTTP/1.1 400") for answer in answers), answers
    time.sleep(0.5)
    logged = server.log()[before:]
    assert "Invalid request" in logged  # gunicorn did log them...
    assert "127.0.0.1" not in logged and "203.0.113.7" not in logged  # ...without the address


def test_redaction_keeps_times_and_versions():
    from feedback_app.server import redact_addresses

    text = "Invalid request from ip=127.0.0.1: at 12:30:45, from ::1 and 2001:db8::7 (gunicorn 23.0.1)"
    assert redact_addresses(text) == (
        "Invalid request from ip=[address withheld]: at 12:30:45, from [address withheld] and "
        "[address withheld] (gunicorn 23.0.1)")


def test_serve_on_a_public_address_without_public_base_url_refuses(tmp_path):
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}", SECRET_KEY="x", PYTHONPATH=str(ROOT))
    env.pop("PUBLIC_BASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "feedback_app", "serve", "--host", "0.0.0.0", "--port", "1"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "PUBLIC_BASE_URL is not set" in result.stderr and "Host header" in result.stderr


# ---------------------------------------------------------------- finding 2: sessions

from feedback_app.db import db as _db
from feedback_app.models import AuditEvent, StaffUser


def _signed_in_cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_replayed_cookie_after_logout_is_refused(app, client, login):
    login("admin")
    saved = _signed_in_cookie(client)
    assert client.get("/admin/export").status_code == 200
    client.post("/auth/logout")
    replay = app.test_client()
    replay.set_cookie("session", saved)
    for path in ("/admin/", "/admin/export"):
        response = replay.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], path


def test_password_change_and_deactivation_end_every_session(app, client, login, make_user):
    user = login("admin")
    other = app.test_client()
    assert other.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    changed = client.post("/auth/password", data={"current": PASSWORD, "new": "a new long passphrase here",
                                                  "confirm": "a new long passphrase here"})
    assert changed.status_code == 302
    assert client.get("/admin/").status_code == 200, "the browser that changed it stays signed in"
    assert other.get("/admin/").status_code == 302, "every other session ended"
    analyst = make_user("analyst@example.org", "analyst")
    elsewhere = app.test_client()
    elsewhere.post("/auth/login", data={"email": analyst.email, "password": PASSWORD})
    assert elsewhere.get("/analysis/").status_code == 200
    page = client.post(f"/admin/users/{analyst.id}/active", data={"active": "no"}, follow_redirects=True)
    assert "analyst@example.org is deactivated and signed out everywhere" in page.get_data(as_text=True)
    assert elsewhere.get("/analysis/").status_code == 302
    assert elsewhere.post("/auth/login", data={"email": analyst.email, "password": PASSWORD}).status_code == 400


def test_a_session_ends_after_its_absolute_lifetime_however_active(app, client, login):
    login("admin")
    for hours, status in ((11.9, 200), (12.1, 302)):
        with client.session_transaction() as cookie:
            cookie["t"] = int(time.time() - hours * 3600)  # signed in that long ago, active since
        assert client.get("/admin/").status_code == status, hours


def test_admin_resets_a_password_and_common_passwords_are_refused(app, client, login, make_user):
    login("admin")
    analyst = make_user("analyst@example.org", "analyst")
    refused = client.post(f"/admin/users/{analyst.id}/password", data={"password": "password1234"})
    assert refused.status_code == 400 and "commonly used passwords" in refused.get_data(as_text=True)
    assert client.post(f"/admin/users/{analyst.id}/password",
                       data={"password": "tangerine velvet harbour"}).status_code == 302
    other = app.test_client()
    assert other.post("/auth/login", data={"email": analyst.email, "password": PASSWORD}).status_code == 400
    assert other.post("/auth/login", data={"email": analyst.email,
                                           "password": "tangerine velvet harbour"}).status_code == 302
    with app.app_context():
        actions = [e.action for e in _db.session.query(AuditEvent)]
    assert "password-reset" in actions


def test_users_deactivate_and_activate_on_the_command_line(app, runner, make_user):
    make_user("admin@example.org", "admin")
    make_user("analyst@example.org", "analyst")
    result = runner.invoke(args=["users", "deactivate", "analyst@example.org"])
    assert result.exit_code == 0 and "Deactivated analyst@example.org" in result.output
    assert "(deactivated)" in runner.invoke(args=["users", "list"]).output
    last = runner.invoke(args=["users", "deactivate", "admin@example.org"])
    assert last.exit_code == 1 and "last active admin" in last.output
    assert runner.invoke(args=["users", "activate", "analyst@example.org"]).exit_code == 0
    assert "(deactivated)" not in runner.invoke(args=["users", "list"]).output
    missing = runner.invoke(args=["users", "deactivate", "nobody@example.org"])
    assert missing.exit_code == 1 and "There is no user" in missing.output


# ---------------------------------------------------------------- finding 3: throttling under concurrency

from concurrent.futures import ThreadPoolExecutor

from feedback_app import security as _security
from feedback_app.models import ThrottleCounter


def test_60_parallel_wrong_passwords_let_at_most_5_through_and_no_5xx(app, make_user, monkeypatch):
    user = make_user("admin@example.org", "admin")
    checked = []
    from feedback_app.auth import views as auth_views

    real = auth_views.authenticate

    def counting(session, email, password):
        checked.append(password)
        return real(session, email, password)

    monkeypatch.setattr(auth_views, "authenticate", counting)

    def attempt(n):
        client = app.test_client()
        password = PASSWORD if n == 30 else f"wrong password {n}"
        return client.post("/auth/login", data={"email": user.email, "password": password}).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(attempt, range(60)))
    assert len(checked) <= 5, f"{len(checked)} passwords were checked"
    assert all(status < 500 for status in statuses), statuses
    assert statuses.count(429) >= 55
    with app.app_context():
        rows = _db.session.query(AuditEvent).filter(AuditEvent.action.in_(["login-failed", "login-throttled"])).all()
    assert len(rows) <= 4 and sum(r.count for r in rows) == 60 - statuses.count(302)


def test_the_window_slides_so_no_window_edge_doubles_the_limit(app):
    from datetime import datetime, timedelta, timezone

    window = timedelta(minutes=15)
    edge = datetime(2026, 1, 1, 12, 14, 59, tzinfo=timezone.utc)
    with app.app_context():
        allowed = [_security.take("login", "x", window, 5, now=edge) for _ in range(5)]
        later = [_security.take("login", "x", window, 5, now=edge + timedelta(seconds=s)) for s in range(1, 10)]
        assert all(allowed) and not any(later)  # 10 guesses in 9 s are impossible
        assert _security.take("login", "x", window, 5, now=edge + timedelta(minutes=15, seconds=1))


def test_expired_throttle_counters_are_pruned(app):
    from datetime import timedelta

    with app.app_context():
        old = _security.utcnow() - timedelta(days=3)
        for n in range(20):
            _security.hit("link", f"old-{n}", timedelta(minutes=1), now=old)
        _security.hit("link", "new", timedelta(minutes=1))
        keys = {row.key for row in _db.session.query(ThrottleCounter)}
    assert keys == {"new"}


def test_a_week_of_sign_ins_leaves_the_throttle_table_bounded(app, client, monkeypatch):
    """One failed sign-in an hour for a week, each from a new address (no key ever comes back):
    the counters table holds about a day of them, never the whole week."""
    from datetime import datetime, timedelta, timezone

    start = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    sizes = []
    for hour in range(7 * 24):
        monkeypatch.setattr(_security, "utcnow", lambda: start + timedelta(hours=hour))
        response = client.post("/auth/login", data={"email": f"someone{hour}@example.org", "password": "x" * 12})
        assert b"The email address or password is not right" in response.data  # never throttled: every address is new
        with app.app_context():
            sizes.append(_db.session.query(ThrottleCounter).count())
    retained_hours = int(_security.COUNTER_RETENTION / timedelta(hours=1))
    assert max(sizes) <= retained_hours + 1
    assert sizes[-1] == retained_hours + 1  # the last day's attempts are all still counted


def test_failed_logins_for_unknown_accounts_are_counted_not_stored_each(app, client):
    for n in range(12):
        client.post("/auth/login", data={"email": f"attacker{n}@evil.example", "password": "x" * 12})
    with app.app_context():
        rows = _db.session.query(AuditEvent).filter(AuditEvent.action == "login-failed").all()
    assert [(r.actor, r.count) for r in rows] == [("(unknown account)", 12)]


# ---------------------------------------------------------------- finding 4: overflowing integers


@pytest.mark.parametrize("path", [
    "/admin/audit?page=99999999999999999999",
    "/admin/export?round=99999999999999999999",
    "/admin/rounds/99999999999999999999",
    "/admin/links/99999999999999999999/qr.png",
    "/admin/users/99999999999999999999/password",
])
def test_huge_integers_in_urls_are_a_400_or_404_never_a_500(client, login, path):
    login("admin")
    assert client.get(path).status_code in (400, 404)


def test_a_huge_response_cap_on_the_link_form_is_refused_with_a_message(client, login, make_round):
    login("admin")
    round_ = make_round("children", 2)
    page = client.post(f"/admin/rounds/{round_.id}/links",
                       data={"kind": "open", "count": "1", "max_responses": "99999999999999999999999"})
    assert page.status_code == 400
    assert "The response cap must be between 1 and 1,000,000" in page.get_data(as_text=True)


# ---------------------------------------------------------------- finding 8: junk bursts on open links

from feedback_app.insights.data import load_answers
from feedback_app.models import Response as StoredResponse

HONEST = ["my social worker listened to me", "school was a safe place for me", "nothing really helped at home",
          "having food in the cupboard", "the worker came every week and played games", "my nan looked after us"]


def test_a_burst_of_near_identical_posts_is_marked_shown_and_can_be_excluded(app, client, login, make_round,
                                                                              make_link, respondent):
    round_ = make_round("children", 2)
    link = make_link(round_)
    for text in HONEST:
        assert respondent.answer(link.token, {"what_helped": text}).status_code == 302
    for n in range(6):
        junk = f"this survey is rubbish rubbish rubbish buy cheap watches now at the shop {'!' * n}"
        assert respondent.answer(link.token, {"what_helped": junk}).status_code == 302
    with app.app_context():
        marked = _db.session.query(StoredResponse).filter(StoredResponse.burst_id.is_not(None)).count()
        assert marked == 6, "the six junk posts, and none of the honest ones"
        assert len(load_answers(_db.session, "children", "what_helped")) == 12
    login("admin")
    page = client.get(f"/admin/rounds/{round_.id}").get_data(as_text=True)
    assert "Possible junk bursts" in page and "Exclude from analysis" in page
    with app.app_context():
        burst_id = _db.session.query(StoredResponse.burst_id).filter(StoredResponse.burst_id.is_not(None)).first()[0]
    excluded = client.post(f"/admin/rounds/{round_.id}/bursts/{burst_id}", data={"exclude": "yes"},
                           follow_redirects=True)
    assert "6 responses excluded from analysis" in excluded.get_data(as_text=True)
    with app.app_context():
        frame = load_answers(_db.session, "children", "what_helped")
        assert len(frame) == 6 and not frame["value"].str.contains("rubbish").any()
        assert _db.session.query(StoredResponse).count() == 12, "nothing is deleted"
        assert _db.session.query(AuditEvent).filter(AuditEvent.action == "burst-exclude").count() == 1
    client.post(f"/admin/rounds/{round_.id}/bursts/{burst_id}", data={"exclude": "no"})
    with app.app_context():
        assert len(load_answers(_db.session, "children", "what_helped")) == 12


def test_the_per_link_throttle_is_kept(make_app, database_url, synced, make_round, make_link):
    link = make_link(make_round("children", 2))
    app = make_app(database_url, LINK_SUBMISSIONS_PER_MINUTE=2)
    from tests.conftest import Respondent

    respondent = Respondent(app.test_client())
    statuses = [respondent.answer(link.token, {"what_helped": f"answer {n}"}).status_code for n in range(3)]
    assert statuses == [302, 302, 429]


# ---------------------------------------------------------------- audit gaps (finding 7)


def test_staff_actions_that_change_or_take_out_data_are_audited(app, client, login, make_round, make_link):
    login("admin")
    round_ = make_round("children", 2)
    client.post("/admin/users", data={"email": "new@example.org", "role": "analyst",
                                      "password": "tangerine velvet harbour"})
    client.post(f"/admin/rounds/{round_.id}/links", data={"kind": "open", "count": "2"})
    link = make_link(round_)
    client.post(f"/admin/links/{link.id}/revoke")
    client.post(f"/admin/rounds/{round_.id}/close")
    client.post(f"/admin/rounds/{round_.id}/open")
    client.get(f"/admin/rounds/{round_.id}/links.csv")
    client.get("/analysis/children/report.html")
    client.post("/analysis/codebook/add_pattern", data={"key": "practical_needs", "pattern": "bus pass*",
                                                         "kind": "pattern"})
    client.post("/analysis/codebook/remove_pattern", data={"key": "practical_needs", "pattern": "bus pass*",
                                                            "kind": "pattern"})
    with app.app_context():
        actions = [e.action for e in _db.session.query(AuditEvent)]
    for action in ("user-create", "links-create", "link-revoke", "round-close", "round-open", "links-download",
                   "report-download", "codebook-edit"):
        assert action in actions, action
    assert actions.count("codebook-edit") == 2
    page = client.get("/admin/audit?action=round-close").get_data(as_text=True)
    assert "round-close" in page and "links-download</td>" not in page
    page = client.get("/admin/audit?actor=admin@example.org&action=user-create").get_data(as_text=True)
    assert "new@example.org" in page


def test_an_analyst_removes_a_pattern_on_the_codebook_page(app, client, login):
    login("analyst")
    client.post("/analysis/codebook/add_pattern", data={"key": "practical_needs", "pattern": "aa*a*a*a*b",
                                                         "kind": "pattern"})
    page = client.get("/analysis/codebook").get_data(as_text=True)
    assert "Remove<span class=\"visually-hidden\"> pattern aa*a*a*a*b from" in page
    removed = client.post("/analysis/codebook/remove_pattern", data={"key": "practical_needs",
                                                                     "pattern": "aa*a*a*a*b", "kind": "pattern"},
                          follow_redirects=True)
    text = removed.get_data(as_text=True)
    assert "Removed pattern “aa*a*a*a*b” from practical_needs" in text
    assert "<code>aa*a*a*a*b</code>" not in text


# ---------------------------------------------------------------- a time budget on every request


def test_a_request_past_its_time_budget_is_stopped_with_a_503(make_app, database_url):
    app = make_app(database_url, REQUEST_TIME_LIMIT_SECONDS=1)

    def slow_page():
        time.sleep(30)  # stands for any runaway work in a respondent's request
        return "finished"

    app.add_url_rule("/r/slow-test-page", "slow_test_page", slow_page)
    started = time.monotonic()
    response = app.test_client().get("/r/slow-test-page")
    assert response.status_code == 503 and "This took too long" in response.get_data(as_text=True)
    assert time.monotonic() - started < 25  # stopped by the budget, long before the page finished
    assert app.test_client().get("/healthz").status_code == 200  # the next request is served as usual


def test_gunicorn_backstop_timeout_is_above_the_staff_budget(app):
    from feedback_app.server import server_options

    options = server_options("127.0.0.1", 8000, 2, app.config["STAFF_REQUEST_TIME_LIMIT_SECONDS"] + 10)
    assert options["timeout"] > app.config["STAFF_REQUEST_TIME_LIMIT_SECONDS"] > app.config["REQUEST_TIME_LIMIT_SECONDS"]
    assert options["accesslog"] is None and options["logger_class"].__name__ == "AddressFreeLogger"


# ---------------------------------------------------------------- dependencies: pip-audit in CI

import json


def _fake_pip_audit(folder, report: dict | None, stderr: str = "") -> str:
    script = folder / "pip-audit"
    body = json.dumps(report) if report is not None else ""
    script.write_text(f"#!/bin/sh\nprintf '%s' '{body}'\necho '{stderr}' >&2\nexit {1 if report is None else 0}\n")
    script.chmod(0o755)
    return str(script)


@pytest.mark.parametrize(("report", "stderr", "code", "says", "never_says"), [
    ({"dependencies": [{"name": "flask", "version": "3.1.3", "skip_reason": "Dependency not found on PyPI"}]}, "",
     0, "1 of 1 installed packages could NOT be checked", "no known vulnerabilities"),
    (None, "requests.exceptions.ConnectionError: Max retries exceeded", 0,
     "the advisory service could not be reached", "no known vulnerabilities"),
    ({"dependencies": [{"name": "flask", "version": "0.1", "vulns": [{"id": "PYSEC-1", "fix_versions": ["3.1"]}]}]},
     "", 1, "VULNERABLE flask 0.1: PYSEC-1", "could NOT"),
    ({"dependencies": [{"name": "flask", "version": "3.1.3", "vulns": []}]}, "", 0,
     "no known vulnerabilities in the 1 packages it could check", "NOT"),
])
def test_ci_dependency_audit_says_plainly_what_it_could_check(tmp_path, report, stderr, code, says, never_says):
    fake = _fake_pip_audit(tmp_path, report, stderr)
    result = subprocess.run([sys.executable, str(ROOT / ".ci" / "audit_dependencies.py"), fake, sys.executable],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == code
    assert says in result.stdout and never_says not in result.stdout
