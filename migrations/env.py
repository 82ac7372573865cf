"""Alembic environment: runs the migrations on the engine that feedback_app hands over."""

from alembic import context
from sqlalchemy import create_engine

from feedback_app import models  # noqa: F401  (registers every table on the metadata)
from feedback_app.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    """Run migrations online, on the app's engine (or one built from sqlalchemy.url)."""
    engine = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run `feedback-app db upgrade`.")
run_migrations()
