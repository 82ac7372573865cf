"""Shared fixtures: an app on a freshly migrated database, its client and CLI runner.

The database is SQLite unless ``TEST_DATABASE_URL`` names a PostgreSQL server (CI runs
the suite on both). The schema is built once per session by running the Alembic
migrations into a template, and every test gets its own copy of that template.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from feedback_app import create_app, migrate
from feedback_app.db import make_engine
from feedback_app.settings import normalise_database_url

REPO_ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


class SqliteDatabases:
    """Per-test SQLite files copied from one migrated template."""

    def __init__(self, folder: Path):
        self.template = folder / "template.sqlite3"
        engine = make_engine(f"sqlite:///{self.template}")
        migrate.upgrade(engine)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()

    def create(self, folder: Path) -> str:
        target = folder / "test.sqlite3"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        """Files are removed with the test's temporary folder."""

    def empty(self, folder: Path) -> str:
        return f"sqlite:///{folder / 'empty.sqlite3'}"

    def close(self) -> None:
        """Nothing to close."""


class PostgresDatabases:
    """Per-test PostgreSQL databases created from one migrated template database."""

    def __init__(self, admin_url: str):
        self.admin_url = make_url(normalise_database_url(admin_url))
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        self.template_name = f"fb_template_{uuid.uuid4().hex[:8]}"
        self.names: list[str] = []
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.template_name}"'))
        engine = create_engine(self.admin_url.set(database=self.template_name))
        migrate.upgrade(engine)
        engine.dispose()

    def _new(self, template: str | None) -> str:
        name = f"fb_test_{uuid.uuid4().hex[:12]}"
        clause = f' TEMPLATE "{template}"' if template else ""
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        self.names.append(name)
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def create(self, _folder: Path) -> str:
        return self._new(self.template_name)

    def empty(self, _folder: Path) -> str:
        return self._new(None)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.template_name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    """The database factory for this run: SQLite, or PostgreSQL when TEST_DATABASE_URL is set."""
    if POSTGRES_URL:
        factory = PostgresDatabases(POSTGRES_URL)
    else:
        factory = SqliteDatabases(tmp_path_factory.mktemp("template"))
    yield factory
    factory.close()


@pytest.fixture
def database_url(databases, tmp_path):
    """URL of a fresh, fully migrated database for one test."""
    url = databases.create(tmp_path)
    yield url
    databases.drop(url)


@pytest.fixture
def make_app(tmp_path):
    """Build apps with test settings; their engines are disposed after the test."""
    apps = []

    def _make(database_url: str, **config):
        settings = {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "DATABASE_URL": database_url,
            "LOCAL_HELP_NUMBER": "01234 000111",
            # Forms are tested without CSRF tokens; tests/test_security.py turns it back on.
            "WTF_CSRF_ENABLED": False,
            # Share links are built only from PUBLIC_BASE_URL (issue 11); tests that need it unset say so.
            "PUBLIC_BASE_URL": "http://localhost",
            # The first free-text answer of a test process loads TextBlob (gunicorn warms each worker
            # before it serves; tests do not): a loaded CI machine may take more than the 10 s default.
            "REQUEST_TIME_LIMIT_SECONDS": 60,
            # Expectations about sentiment labels were written against the lexicon rules; the tests of
            # the shipped default model (tests/test_learning_cli.py) turn it back on (issue 14).
            "SENTIMENT_DEFAULT_MODEL": "rules",
            # Queued tasks run where they are queued (issue 13); tests of a real worker say otherwise.
            "QUEUE_IMMEDIATE": True,
        }
        settings.update(config)
        app = create_app(settings, instance_path=str(tmp_path / "instance"))
        apps.append(app)
        return app

    yield _make
    for app in apps:
        app.extensions["feedback_db"].engine.dispose()


@pytest.fixture
def app(make_app, database_url):
    """The app on a fresh migrated database."""
    return make_app(database_url)


@pytest.fixture
def client(app):
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner of ``app``."""
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    """A database session of ``app``, inside an application context."""
    from feedback_app.db import db

    with app.app_context():
        yield db.session


@pytest.fixture
def synced(app, runner):
    """The app with the shipped questionnaires published."""
    result = runner.invoke(args=["questionnaires", "sync"])
    assert result.exit_code == 0, result.output
    return app


# ---------------------------------------------------------------- builders and user actions

PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_user(app):
    """Create a staff user: ``make_user("a@example.org", "admin")``."""
    from feedback_app.db import db
    from feedback_app.staff import create_user

    def _make(email: str, role: str = "admin", password: str = PASSWORD):
        with app.app_context():
            return create_user(db.session, email, password, role)

    return _make


@pytest.fixture
def login(client, make_user):
    """Sign ``client`` in as a new user of ``role``: ``login("analyst")``."""

    def _login(role: str = "admin", email: str | None = None):
        user = make_user(email or f"{role}@example.org", role)
        response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.data
        return user

    return _login


@pytest.fixture
def make_round(synced):
    """Create an open round: ``make_round("children", version=2)`` (today within its dates)."""
    from datetime import date

    from feedback_app.db import db
    from feedback_app.rounds import create_round, find_version

    def _make(slug: str = "children", version: int | None = None, label: str | None = None,
              opens_on: date = date(2020, 1, 1), closes_on: date = date(2099, 12, 31)):
        with synced.app_context():
            found = find_version(db.session, slug, version)
            return create_round(db.session, found, label or f"{slug} round", opens_on, closes_on)

    return _make


@pytest.fixture
def make_link(app):
    """Create a share link for a round: ``make_link(round, "agency", agency="Police")``."""
    from feedback_app.db import db
    from feedback_app.definitions import load_agencies
    from feedback_app.links import create_links
    from feedback_app.models import Round

    def _make(round_, kind: str = "open", **options):
        with app.app_context():
            round_ = db.session.get(Round, round_.id)
            return create_links(db.session, round_, kind, load_agencies(), **options)[0]

    return _make


class Respondent:
    """Acts like a person answering through a link."""

    def __init__(self, client):
        self.client = client

    def open_form(self, token: str):
        """GET the questions page; returns (response, submission_key)."""
        import re

        page = self.client.get(f"/r/{token}/questions")
        match = re.search(rb'name="submission_key" type="hidden" value="([^"]+)"', page.data) or re.search(
            rb'id="submission_key" name="submission_key" type="hidden" value="([^"]+)"', page.data)
        return page, (match.group(1).decode() if match else None)

    def answer(self, token: str, answers: dict, submission_key: str | None = None, follow: bool = False):
        """Submit ``answers`` ({question_key: value or list}) through the link ``token``."""
        if submission_key is None:
            _page, submission_key = self.open_form(token)
        data = {f"q_{key}": value for key, value in answers.items()}
        if submission_key:
            data["submission_key"] = submission_key
        return self.client.post(f"/r/{token}/questions", data=data, follow_redirects=follow)


@pytest.fixture
def respondent(client):
    """A respondent using the test client."""
    return Respondent(client)
