"""Migrations are the only way the schema is built, and they match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from feedback_app import migrate
from feedback_app.db import Base, db


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], f"models and migrations differ; write a migration: {differences}"


def test_migrations_go_down_and_up_again(app):
    with app.app_context():
        migrate.downgrade(db.engine, "base")
        assert migrate.current_revision(db.engine) is None
        migrate.upgrade(db.engine)
        assert migrate.current_revision(db.engine) == migrate.head_revision(db.engine)
