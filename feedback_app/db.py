"""The database: one SQLAlchemy engine per app, one session per application context.

SQLite (the default) gets WAL journalling, a busy timeout and foreign keys on every
connection; PostgreSQL is used through psycopg 3 when ``DATABASE_URL`` says so.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Iterator

from flask import Flask, current_app, g
from sqlalchemy import Engine, MetaData, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import QueuePool

# Named constraints keep Alembic's autogenerate and SQLite batch migrations predictable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: SQLite connections kept open per process (a sync worker uses two or three at once)
SQLITE_POOL_SIZE = 4


class Base(DeclarativeBase):
    """Declarative base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, sqlite_busy_timeout_ms: int = 15000) -> Engine:
    """Return an engine for ``url``; SQLite connections get WAL, a busy timeout and foreign keys."""
    options: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        # The driver's timeout is SQLite's busy timeout (PRAGMA busy_timeout), per connection.
        options["connect_args"] = {"timeout": sqlite_busy_timeout_ms / 1000}
        # A few connections are kept open per process: closing the last connection to a WAL
        # database checkpoints it (and reopening re-runs the pragmas), which cost a respondent's
        # post more than its insert (issue 13). Overflow is unbounded, so a request never waits
        # for a pooled connection that another request holds; extra ones are closed on return.
        options.update(poolclass=QueuePool, pool_size=SQLITE_POOL_SIZE, max_overflow=-1)
    else:
        options["pool_pre_ping"] = True
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    else:
        _ping_unless_trusted(engine)
    return engine


# Issue 13, round 8: a checkout inside ``trusting_the_pool()`` skips the pool's pre-ping.
_PING_SKIPPED: ContextVar[bool] = ContextVar("feedback_db_ping_skipped", default=False)


@contextmanager
def trusting_the_pool() -> Iterator[None]:
    """Connections checked out inside the block skip the pool's pre-ping (PostgreSQL; SQLite
    has none): one round trip fewer. Only for a write that is safe to run again and runs
    itself again when its connection turns out dead (``submission.store_post``); every other
    checkout, and this one's retry, is pinged as before."""
    token = _PING_SKIPPED.set(True)
    try:
        yield
    finally:
        _PING_SKIPPED.reset(token)


def _ping_unless_trusted(engine: Engine) -> None:
    """The engine's pre-ping (``Dialect.do_ping``, which the pool calls on each checkout of a
    pooled connection) answers "alive" without a round trip inside :func:`trusting_the_pool`."""
    dialect = engine.dialect
    ping = dialect.do_ping

    def do_ping(dbapi_connection) -> bool:
        return True if _PING_SKIPPED.get() else ping(dbapi_connection)

    dialect.do_ping = do_ping  # type: ignore[method-assign]


def _configure_sqlite(engine: Engine) -> None:
    wal_set = False

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised by every test
        nonlocal wal_set
        # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit transactions are unreliable).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not wal_set:  # WAL is kept in the database file: once per engine is enough
            cursor.execute("PRAGMA journal_mode=WAL")
            wal_set = True
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # pragma: no cover - exercised by every test
        # IMMEDIATE takes the write lock at the start of a write transaction, so two writers
        # queue on the busy timeout instead of failing on a lock upgrade.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


# PostgreSQL: the oldest transaction still running and the next to start. A mark found now
# may be taken up once the oldest running is at least this next one (ids commit out of order).
PG_SNAPSHOT = ("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, "
               "pg_snapshot_xmax(pg_current_snapshot())::text::bigint")


def settled_mark(mark: int, candidate: int | None, candidate_xmax: int | None, oldest_running: int,
                 top: int) -> int:
    """PostgreSQL: where a mark may move now. The last advance's ``candidate`` is taken up
    (never past ``top``, what this advance found) once the oldest transaction running is at
    least ``candidate_xmax``, the next one to start when it was found; else the mark stays."""
    if candidate is not None and candidate_xmax is not None and oldest_running >= candidate_xmax:
        return max(mark, min(candidate, top))
    return mark


def dialect_insert(session: Session):
    """The ``insert`` of the session's dialect (PostgreSQL or SQLite), for upserts
    (``on_conflict_do_update``)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert

@dataclass
class _DatabaseState:
    engine: Engine
    sessions: sessionmaker[Session]


class Database:
    """Flask extension giving each application context its own session.

    Created at module level and bound to an app with :meth:`init_app`.
    """

    def init_app(self, app: Flask) -> None:
        """Create the app's engine from ``DATABASE_URL`` and close sessions at teardown."""
        engine = make_engine(app.config["DATABASE_URL"], app.config["SQLITE_BUSY_TIMEOUT_MS"])
        app.extensions["feedback_db"] = _DatabaseState(
            engine=engine, sessions=sessionmaker(bind=engine, expire_on_commit=False)
        )
        app.teardown_appcontext(self._close_session)

    @staticmethod
    def _state() -> _DatabaseState:
        return current_app.extensions["feedback_db"]

    @property
    def engine(self) -> Engine:
        """The current app's engine."""
        return self._state().engine

    @property
    def session(self) -> Session:
        """The session of the current application context (created on first use)."""
        if "db_session" not in g:
            g.db_session = self._state().sessions()
        return g.db_session

    def write_session(self) -> Session:
        """A separate session for one short write transaction.

        On SQLite its transaction starts with ``BEGIN IMMEDIATE``, taking the write lock
        first, so concurrent writers wait on the busy timeout instead of failing; on
        PostgreSQL it is an ordinary session.
        """
        engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        return Session(bind=engine, expire_on_commit=False)

    @staticmethod
    def _close_session(_exc: BaseException | None = None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    def ping(self) -> None:
        """Run a trivial query; raises the driver's error when the database is unreachable."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))


db = Database()
