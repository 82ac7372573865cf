"""Forms of the evidence pages: an indicator figure, an indicator CSV, an action, the pack.

The forms check what a browser can get wrong; the rules (a period of the indicator's
cadence, a known agency) are checked by ``analysis.evidence``, whose messages are shown.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from analysis.evidence import ACTION_STATUSES

from ..admin.forms import DayField

SOURCE_KINDS = [
    SelectChoice("line-of-enquiry", "A line of enquiry"),
    SelectChoice("audit-lesson", "An audit lesson"),
    SelectChoice("red-area", "A Red area of an action plan"),
    SelectChoice("indicator", "An indicator off target"),
    SelectChoice("other", "Other evidence"),
]


class IndicatorValueForm(FlaskForm):
    """One figure of one indicator for one period (and agency)."""

    indicator = SelectField("Indicator", validators=[InputRequired("Choose an indicator")])
    period = StringField("Period", validators=[DataRequired("Enter the period, such as 2024-Q1")])
    value = StringField("Figure", validators=[DataRequired("Enter the figure, such as 35.7")])
    agency = SelectField("Agency (only for indicators reported per agency)")


class IndicatorImportForm(FlaskForm):
    """A CSV file of figures: indicator,period,value[,agency]."""

    file = FileField("CSV file of figures (UTF-8)", validators=[FileRequired("Choose a CSV file to import")])


class ActionForm(FlaskForm):
    """A new action for the action log."""

    what = TextAreaField("What will be done", validators=[DataRequired("Say what will be done"), Length(max=2000)])
    owner_agency = SelectField("Owner agency", validators=[InputRequired("Choose the agency that owns the action")])
    due_on = DayField("Due date (YYYY-MM-DD)", "due date", validators=[DataRequired("Enter the due date")])
    source_kind = SelectField("Where it came from", choices=SOURCE_KINDS)
    source_evidence = TextAreaField("The evidence or line of enquiry it came from",
                                    validators=[DataRequired("Give the evidence the action came from"), Length(max=4000)])


class ActionUpdateForm(FlaskForm):
    """A new status (and note) for an action."""

    status = SelectField("Status", choices=[SelectChoice(s, s.replace("-", " ").capitalize())
                                           for s in ACTION_STATUSES])
    note = StringField("Note", validators=[Length(max=2000)])


class PackForm(FlaskForm):
    """The period of a scrutiny pack."""

    start = DayField("From (YYYY-MM-DD)", "start date", validators=[DataRequired("Enter the first day of the period")])
    end = DayField("To (YYYY-MM-DD)", "end date", validators=[DataRequired("Enter the last day of the period")])
