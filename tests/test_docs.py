"""The README documents every setting and every command."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from feedback_app.settings import SETTINGS, readme_settings_table

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented_in_the_readme(setting):
    assert f"| `{setting.name}` |" in README.read_text(encoding="utf-8")


def test_the_readme_settings_table_is_the_one_made_from_settings_py():
    """Names, defaults and help text: the README says exactly what settings.py declares."""
    readme = README.read_text(encoding="utf-8")
    start = readme.index("<!-- settings:start")
    block = readme[readme.index("\n", start) + 1:readme.index("<!-- settings:end -->")].strip()
    expected = readme_settings_table()
    assert block == expected, (
        "README.md's settings table differs from feedback_app/settings.py; replace the lines between "
        "the settings:start and settings:end markers with:\n" + expected)


def _commands(app_group: click.Group, prefix: str = "feedback-app"):
    ctx = click.Context(app_group)
    for name in app_group.list_commands(ctx):
        command = app_group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}"


def test_every_command_is_documented_in_the_readme(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'd.sqlite3'}")
    readme = README.read_text(encoding="utf-8")
    from feedback_app import create_app

    app = create_app(instance_path=str(tmp_path))
    missing = [name for name in _commands(app.cli) if f"`{name}" not in readme]
    app.extensions["feedback_db"].engine.dispose()
    assert missing == []
