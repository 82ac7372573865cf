"""A respondent over real HTTP: for tests and benchmarks that drive a running server.

Used by ``tests/test_load.py``, ``tests/test_serve.py`` and ``bench/harness.py``.
"""

from __future__ import annotations

import http.client
import re
import socket
import urllib.parse
from dataclasses import dataclass


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection (gunicorn's sync workers close after each)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        connection.close()


@dataclass
class Form:
    """What a respondent's browser keeps from the questions page to send it back."""

    cookie: str
    csrf: str
    submission_key: str


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    if not match:
        raise RuntimeError(f"no {name} in the page")
    return match.group(1)


def open_form(port: int, token: str, timeout: float = 30) -> Form:
    """GET the questions page of link ``token``; raises RuntimeError unless it is served."""
    status, headers, body = request(port, "GET", f"/r/{token}/questions", timeout=timeout)
    if status != 200:
        raise RuntimeError(f"GET form: {status} {body[:300]!r}")
    page = body.decode("utf-8")
    return Form(headers.get("set-cookie", "").split(";", 1)[0], _hidden(page, "csrf_token"),
                _hidden(page, "submission_key"))


def form_body(form: Form, answers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """The POST body and headers that send ``answers`` ({question key: value}) with ``form``."""
    fields = {f"q_{key}": value for key, value in answers.items()}
    fields.update(csrf_token=form.csrf, submission_key=form.submission_key)
    return urllib.parse.urlencode(fields).encode(), {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": form.cookie}
