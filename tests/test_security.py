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
        analyst_allowed = rule.endpoint.startswith("insights.")
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


def adversarial_codebook() -> Codebook:
    codebook = load_codebook()
    for pattern in ADVERSARIAL_PATTERNS:
        codebook = add_pattern(codebook, codebook.keys[0], pattern)
    return codebook


@pytest.mark.parametrize("shape", ADVERSARIAL_ANSWERS)
def test_codebook_matching_time_is_linear_in_answer_length_on_adversarial_patterns(shape):
    codebook = adversarial_codebook()
    ratio = growth(codebook.matches, ADVERSARIAL_ANSWERS[shape])  # 10k and 100k characters
    # Linear time gives about 10; quadratic about 100; the old regex never finished.
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
