"""Serving the app with gunicorn, each worker building its own app (and database pool)."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


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

        return create_app()


def _warm_worker(_worker) -> None:
    from .text_analysis import warm_up

    warm_up()


def run_server(host: str, port: int, workers: int = 2) -> None:
    """Serve on ``host:port`` until stopped. No access log: it would hold respondents' IPs."""
    FeedbackServer(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "accesslog": None,
            "errorlog": "-",
            "timeout": 60,
            "graceful_timeout": 10,
            "post_worker_init": _warm_worker,
            # gunicorn's control socket sits at one path per user: two servers on a host
            # (or two test runs) would share it. The app does not use it.
            "control_socket_disable": True,
        }
    ).run()
