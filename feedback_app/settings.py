"""Configuration settings, declared as data so each one is documented.

Every setting can be given, in increasing priority, by its default here, by the
instance file ``instance/config.py``, or by an environment variable of the same
name. The README's Configuration table is made from ``SETTINGS`` (``readme_settings_table``);
``tests/test_docs.py`` checks that it matches, names and help text alike.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Setting:
    """One configuration setting: its name, default and the help text shown in the README."""

    name: str
    default: Any
    help: str

    def parse(self, raw: str) -> Any:
        """Return ``raw`` (an environment variable's text) converted to the default's type.

        Raises ValueError when the text cannot be read as that type.
        """
        if isinstance(self.default, bool):
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(f"{self.name} must be true or false, not {raw!r}")
        if isinstance(self.default, int):
            try:
                return int(raw)
            except ValueError:
                raise ValueError(f"{self.name} must be a whole number, not {raw!r}") from None
        return raw


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATABASE_URL",
        None,
        "SQLAlchemy URL of the database. Unset: a SQLite file `feedback.sqlite3` in the "
        "instance folder. Production: `postgresql+psycopg://user:password@host/dbname` "
        "(`postgresql://` and `postgres://` are accepted and use psycopg 3).",
    ),
    Setting(
        "SECRET_KEY",
        None,
        "Key that signs sessions and CSRF tokens. Unset: a random key is generated into "
        "`instance/secret_key` on first run and reused. With several hosts, set the same "
        "value on each.",
    ),
    Setting(
        "SQLITE_BUSY_TIMEOUT_MS",
        15000,
        "How long (milliseconds) a SQLite connection waits for another writer before giving up.",
    ),
    Setting(
        "SUPPRESSION_THRESHOLD",
        5,
        "Counts below this are shown as \"fewer than N\" in pages, exports and reports, "
        "and the shares derived from them are withheld.",
    ),
    Setting(
        "LOCAL_HELP_NAME",
        "Children's services front door",
        "Name of the local service that the children's and parents' thank-you page signposts.",
    ),
    Setting(
        "LOCAL_HELP_NUMBER",
        None,
        "Telephone number of the local front door shown on every children's and parents' "
        "thank-you page. Unset: no children's or parents' round can open, and `serve` warns.",
    ),
    Setting(
        "PARTNERSHIP_NAME",
        "Safeguarding Children Partnership",
        "The partnership's name, shown at the top of every page respondents see (children "
        "and parents see who is asking, not the word \"neglect\").",
    ),
    Setting(
        "QUESTIONNAIRES_DIR",
        None,
        "Folder of questionnaire definition files that `serve` and `questionnaires sync` "
        "load. Unset: the definitions shipped with the app.",
    ),
    Setting(
        "PUBLIC_BASE_URL",
        None,
        "Base URL that share links, their CSV file and QR codes are built from (e.g. "
        "`https://feedback.example.org`); the app also accepts requests only for this host "
        "(and loopback), Flask's `TRUSTED_HOSTS`. Links never follow a request's `Host:` "
        "header: unset, the admin pages show link paths only, `links create/list` refuse "
        "without `--base-url`, and `serve` refuses to listen on a non-loopback address "
        "(on loopback it uses the address it serves).",
    ),
    Setting(
        "LOGIN_ATTEMPTS_LIMIT",
        5,
        "Sign-in attempts allowed for one email address in any 15 minutes (a sliding window, counted "
        "in the database and shared by every process); each attempt is counted before its password is "
        "checked, and a successful sign-in clears the count.",
    ),
    Setting(
        "LINK_SUBMISSIONS_PER_MINUTE",
        600,
        "Responses one share link accepts per minute (shared by every process): an idle link takes "
        "this many at once, then one more each minute divided by this number (a token bucket kept on "
        "the link's row); further posts are asked to wait and try again, and what was typed is kept.",
    ),
    Setting(
        "SAFEGUARDING_OVERDUE_WORKING_DAYS",
        2,
        "Working days (Monday to Friday) a new safeguarding flag may wait before the queue "
        "marks it overdue and counts it in the admin bar.",
    ),
    Setting(
        "DRAFT_EXPIRY_DAYS",
        14,
        "Days that answers saved with \"Save and finish later\" are kept for their resume code; "
        "then they are deleted (on the next save, and by `feedback-app drafts purge`).",
    ),
    Setting(
        "API_REQUESTS_PER_MINUTE",
        120,
        "Requests one API token may make per minute (shared by every process); further requests "
        "get 429 with `Retry-After: 60`.",
    ),
    Setting(
        "SESSION_COOKIE_SECURE",
        False,
        "Send the staff session cookie only over HTTPS. Set it to true wherever the app is "
        "served over HTTPS (production).",
    ),
    # -- learned models and coding (issue 14)
    Setting(
        "SENTIMENT_DEVELOPMENT_DATA",
        "",
        "Path of the labelled FFT development CSV that `feedback-app model train` learns from besides the "
        "partnership's own coded answers (`--development-data` overrides it). Unset: training uses the "
        "coded answers alone. The file is not shipped; with no trained model stored, sentiment comes from "
        "the shipped default model (see `SENTIMENT_DEFAULT_MODEL`).",
    ),
    Setting(
        "SENTIMENT_DEFAULT_MODEL",
        "shipped",
        "What labels sentiment while no model version is chosen with `feedback-app model use`: `shipped` "
        "(the default model shipped in `analysis/sentiment_model.npz`, trained on the FFT development file) "
        "or `rules` (the lexicon rules).",
    ),
    Setting(
        "THEME_MODEL_MIN_EXAMPLES",
        20,
        "Coded answers carrying a theme before `feedback-app model train` learns a classifier for it; "
        "the classifier adds answers the codebook's patterns missed (the patterns stay the explanation).",
    ),
)

SETTINGS += (
    # ---- issue 11: security hardening
    Setting(
        "SESSION_ABSOLUTE_LIFETIME_HOURS",
        12,
        "A staff sign-in ends this many hours after it began, however active it is (on top of "
        "the 30-minute idle limit).",
    ),
    Setting(
        "REQUEST_TIME_LIMIT_SECONDS",
        10,
        "Time budget of a respondent's or anonymous visitor's request: one still running after "
        "this many seconds is stopped with a \"try again\" page (503), so no post can hold a worker.",
    ),
    Setting(
        "STAFF_REQUEST_TIME_LIMIT_SECONDS",
        120,
        "Time budget of a staff page (imports, reports and exports can take longer). gunicorn's "
        "own worker timeout is set 10 seconds above it as a backstop.",
    ),
    Setting(
        "BURST_WINDOW_SECONDS",
        600,
        "Responses through one link that arrive within this many seconds of each other and look "
        "alike are marked as a possible junk burst on the round page.",
    ),
    Setting(
        "BURST_SIMILARITY_PERCENT",
        90,
        "How alike (percent of shared words and word pairs in the free-text answers) two responses must be to count as "
        "near-duplicates in a burst.",
    ),
    Setting(
        "BURST_MIN_RESPONSES",
        5,
        "How many near-duplicate responses through one link within the window make a burst.",
    ),
)

SETTINGS += (
    # ---- issue 13: the task queue (feedback_app/tasks.py, `feedback-app worker`)
    Setting(
        "REDIS_URL",
        None,
        "URL of a Redis server for the task queue (e.g. `redis://queue.internal:6379/0`), so app "
        "hosts and workers on several machines share one queue. Unset: the queue is a SQLite file "
        "`queue.sqlite3` in the instance folder (no other service to run; one host).",
    ),
    Setting(
        "QUEUE_NAME",
        None,
        "Name of the task queue in Redis or the queue file. Unset: derived from `DATABASE_URL`, so two "
        "apps on different databases never take each other's tasks. Set the same name on every host "
        "when hosts reach the one database by different URLs.",
    ),
    Setting(
        "ANALYSE_IN_BACKGROUND",
        True,
        "Sentiment, themes, noun phrases and embeddings of new answers are computed by the queue's "
        "worker instead of inside the respondent's request, and a codebook edit of any size is "
        "re-analysed in the background with its progress on the codebook page. Screening for possible "
        "disclosures always stays in the request. Off: all of it inline, as before.",
    ),
    Setting(
        "SERVE_STARTS_WORKER",
        True,
        "`serve` starts one queue worker (`feedback-app worker`) beside gunicorn and stops it with "
        "the server. Set it to false where workers run on their own (e.g. on other hosts with `REDIS_URL`).",
    ),
    Setting(
        "QUEUE_SWEEP_MINUTES",
        1,
        "Every this many minutes (1 to 59) a worker sweeps the answers whose features are missing or "
        "stale, so a lost task (a killed worker) only delays the analysis.",
    ),
    Setting(
        "QUEUE_IMMEDIATE",
        False,
        "Run queued tasks at once inside the process that queues them (Huey's immediate mode, in "
        "memory): for tests and one-off scripts, never for serving.",
    ),
)


def readme_settings_table() -> str:
    """The README's Configuration table, one row per setting in SETTINGS order (Markdown).

    The README holds a copy between ``<!-- settings:start -->`` and ``<!-- settings:end -->``;
    ``tests/test_docs.py`` fails when the copy differs, and prints the table to paste there.
    """
    rows = ["| setting | default | what it does |", "|---|---|---|"]
    for setting in SETTINGS:
        default = "(unset)" if setting.default in (None, "") else f"`{setting.default}`"
        rows.append(f"| `{setting.name}` | {default} | {setting.help} |")
    return "\n".join(rows)


def settings_from_environment(environ: os._Environ[str] | dict[str, str]) -> dict[str, Any]:
    """Return the settings present in ``environ``, converted to their types.

    Raises ValueError naming the variable when a value cannot be converted.
    """
    found = {}
    for setting in SETTINGS:
        if setting.name in environ:
            found[setting.name] = setting.parse(environ[setting.name])
    return found


def load_or_create_secret_key(instance_path: str | Path) -> str:
    """Return the secret key kept in ``instance/secret_key``, generating it on first use.

    The file is created with mode 0600 so only the app's user can read it.
    """
    path = Path(instance_path) / "secret_key"
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def normalise_database_url(url: str) -> str:
    """Return ``url`` with PostgreSQL URLs pointed at the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
