"""Serving the app with gunicorn, each worker building its own app (and database pool).

No IP address reaches a log: the access log is off, and every message of gunicorn's error
log (which names the peer of a malformed request: "Invalid request from ip=...") has its
addresses replaced before it is written.
"""

from __future__ import annotations

import ipaddress
import logging
import re

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

REDACTED = "[address withheld]"
# Candidates only: each is checked with ``ipaddress`` so "12:30:45" or "1.2.3" stay as they are.
_ADDRESS_CANDIDATE = re.compile(
    r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])"  # IPv4, perhaps followed by :port
    r"|(?<![\w.:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?:%\w+)?(?![\w.:])"
)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    return True


def redact_addresses(message: str) -> str:
    """``message`` with every IPv4 and IPv6 address replaced by a placeholder."""
    return _ADDRESS_CANDIDATE.sub(lambda m: REDACTED if _is_address(m.group(0)) else m.group(0), message)


class RedactAddresses(logging.Filter):
    """A logging filter that takes IP addresses out of each record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_addresses(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_addresses(record.exc_text)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class AddressFreeLogger(Logger):
    """gunicorn's logger with :class:`RedactAddresses` on the error log (the access log is off)."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.addFilter(RedactAddresses())
            for handler in log.handlers:
                handler.addFilter(RedactAddresses())


class FeedbackServer(BaseApplication):
    """A gunicorn application that calls ``create_app()`` in every worker."""

    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from . import create_app

        app = create_app()
        for handler in app.logger.handlers:  # the app's own error log (tracebacks of 500s)
            handler.addFilter(RedactAddresses())
        return app


def _warm_worker(_worker) -> None:
    from .text_analysis import warm_up

    warm_up()


def server_options(host: str, port: int, workers: int = 2, timeout: int = 130) -> dict:
    """gunicorn settings: no access log, addresses kept out of the error log, and a worker
    timeout (``timeout`` seconds, a backstop above the app's own per-request time budget)."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "accesslog": None,
        "errorlog": "-",
        "logger_class": AddressFreeLogger,
        "timeout": timeout,
        "graceful_timeout": 10,
        "post_worker_init": _warm_worker,
        # gunicorn's control socket sits at one path per user: two servers on a host
        # (or two test runs) would share it. The app does not use it.
        "control_socket_disable": True,
    }


def run_server(host: str, port: int, workers: int = 2, timeout: int = 130) -> None:
    """Serve on ``host:port`` until stopped. No access log: it would hold respondents' IPs.

    One task-queue worker runs beside gunicorn unless ``SERVE_STARTS_WORKER`` is off (issue 13).
    """
    from .cli.worker import worker_beside_server

    with worker_beside_server():
        FeedbackServer(server_options(host, port, workers, timeout)).run()
