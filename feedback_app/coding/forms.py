"""The coding form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice


class CodingForm(FlaskForm):
    """An analyst's code of one answer: its sentiment and its themes."""

    sentiment = RadioField("Sentiment", choices=[SelectChoice("positive", "Positive"),
                                                 SelectChoice("neutral", "Neutral or mixed"),
                                                 SelectChoice("negative", "Negative")], validate_choice=True)
    themes = SelectMultipleField("Themes", choices=[], validate_choice=True,
                                 option_widget=widgets.CheckboxInput(), widget=widgets.ListWidget(prefix_label=False))
