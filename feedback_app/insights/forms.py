"""Forms of the analysis pages: the comparison filters and the codebook edits.

The forms check what a browser can get wrong; the codebook's own rules (a duplicate
key, a bad pattern) are checked by ``analysis.codebook``, whose messages the views show.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

THEME_KEY_MESSAGE = "Enter a theme key of lower-case letters, digits and underscores, starting with a letter"


class FilterForm(FlaskForm):
    """Agency and round range of a comparison (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    agency = SelectField("Agency", choices=[], validators=[Optional()])
    round_from = SelectField("From round", choices=[], validators=[Optional()])
    round_to = SelectField("To round", choices=[], validators=[Optional()])


def _note():
    return StringField("Why (saved with the version)", validators=[Optional(), Length(max=300)])


class AddThemeForm(FlaskForm):
    """A new theme with its first pattern."""

    key = StringField("Key", validators=[DataRequired(THEME_KEY_MESSAGE), Length(max=60),
                                         Regexp(r"^[a-z][a-z0-9_]*$", message=THEME_KEY_MESSAGE)])
    name = StringField("Name", validators=[DataRequired("Enter the theme's name"), Length(max=120)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=1000)])
    pattern = StringField("First pattern", validators=[DataRequired("Enter a pattern, such as bus pass*")])
    note = _note()


class RenameThemeForm(FlaskForm):
    """A new display name for a theme (its key stays)."""

    key = SelectField("Theme", choices=[], validators=[DataRequired("Choose the theme to rename")])
    name = StringField("New name", validators=[DataRequired("Enter the new name"), Length(max=120)])
    note = _note()


class MergeThemesForm(FlaskForm):
    """Fold one theme into another."""

    into = SelectField("Keep this theme", choices=[], validators=[DataRequired("Choose the theme to keep")])
    merged = SelectField("Fold this theme into it", choices=[],
                         validators=[DataRequired("Choose the theme to fold in")])
    note = _note()


class AddPatternForm(FlaskForm):
    """One more pattern (or exclude pattern) for a theme."""

    key = SelectField("Theme", choices=[], validators=[DataRequired("Choose the theme")])
    pattern = StringField("Pattern", validators=[DataRequired("Enter a pattern")])
    kind = SelectField("Kind", choices=[SelectChoice("pattern", "Counts as the theme"),
                                        SelectChoice("exclude", "Excluded from the theme")],
                       default="pattern")
    note = _note()


class RemovePatternForm(FlaskForm):
    """Take one pattern (or exclude pattern) out of a theme: a button beside each pattern."""

    key = HiddenField(validators=[DataRequired("No theme was sent"), Length(max=60)])
    pattern = HiddenField(validators=[DataRequired("No pattern was sent"), Length(max=200)])
    kind = HiddenField(default="pattern", validators=[DataRequired(), Regexp(r"^(pattern|exclude)$")])
    note = _note()


class MakeThemeForm(FlaskForm):
    """Turn an emerging phrase into a theme whose pattern is the phrase."""

    phrase = HiddenField(validators=[DataRequired("No phrase was sent"), Length(max=120)])


def theme_choices(codebook) -> list[SelectChoice]:
    """A choice (key, "Name (key)") for every theme of ``codebook``."""
    return [SelectChoice(theme.key, f"{theme.name} ({theme.key})") for theme in codebook.themes]


def choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    """Select choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]
