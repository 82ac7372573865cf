"""Forms of the admin pages: a new round, new share links, a new staff user.

The forms check what a browser can get wrong (a missing field, a malformed date);
the business rules (closes before opens, unknown agency, short password) are checked
by ``rounds``, ``links`` and ``staff``, whose messages the views show.
"""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import DateInput

from ..models import LinkKind, QuestionnaireVersion, Role, RoundStatus
from ..rounds import RoundError, parse_day
from ..staff import MIN_PASSWORD_LENGTH


class DayField(StringField):
    """A date typed or picked as ``YYYY-MM-DD``; a malformed one is reported in plain words."""

    widget = DateInput()

    def __init__(self, label: str, what: str, **kwargs):
        super().__init__(label, **kwargs)
        self.what = what
        self.day: date | None = None

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        self.day = None
        if self.data and self.data.strip():
            try:
                self.day = parse_day(self.data, self.what)
            except RoundError as error:
                raise ValueError(str(error)) from None


class RoundForm(FlaskForm):
    """A new round of one published questionnaire version."""

    version_id = SelectField("Questionnaire version", validators=[DataRequired("Choose a questionnaire version")])
    label = StringField(
        "Label",
        validators=[DataRequired("Enter a label for the round"), Length(max=200, message="Keep the label under 200 characters")],
    )
    opens = DayField("Opens on", "opening date", validators=[DataRequired("Enter the date the round opens")])
    closes = DayField("Closes on", "closing date", validators=[DataRequired("Enter the date the round closes")])
    status = RadioField(
        "Status",
        choices=[
            SelectChoice(RoundStatus.OPEN.value, "Open: links take answers between the dates"),
            SelectChoice(RoundStatus.DRAFT.value, "Draft: links can be made, but take no answers yet"),
        ],
        default=RoundStatus.OPEN.value,
        validators=[DataRequired("Choose whether the round is open or a draft")],
    )
    reason = TextAreaField(
        "Why open another round in the same period? (only when the cadence already has one)",
        validators=[Optional(), Length(max=500, message="Keep the reason under 500 characters")],
    )

    def set_versions(self, versions: list[QuestionnaireVersion]) -> None:
        """Offer ``versions`` in the questionnaire select, newest version of each first."""
        self.version_id.choices = [SelectChoice("", "Choose a questionnaire")] + [
            SelectChoice(str(version.id), f"{version.title} ({version.slug} v{version.version}, {version.cadence.value})")
            for version in versions
        ]


class LinkForm(FlaskForm):
    """New share links for a round."""

    kind = RadioField(
        "Kind of link",
        choices=[
            SelectChoice(LinkKind.OPEN.value, "Open: anyone with the link can answer"),
            SelectChoice(LinkKind.AGENCY.value, "Agency: answers carry the agency chosen below"),
            SelectChoice(LinkKind.SINGLE_USE.value, "Single-use: one answer per link, for invitations"),
        ],
        default=LinkKind.OPEN.value,
        validators=[DataRequired("Choose the kind of link")],
    )
    # Not checked against its choices here: links.create_links names the agencies it knows.
    agency = SelectField("Agency", validate_choice=False)
    count = IntegerField(
        "How many links",
        default=1,
        validators=[
            InputRequired("Enter how many links to make"),
            NumberRange(min=1, max=5000, message="Make between 1 and 5000 links at a time"),
        ],
    )
    expires = DayField("Expires on (optional)", "expiry date", validators=[Optional()])
    max_responses = IntegerField(
        "Most answers a link takes (optional)",
        validators=[Optional(), NumberRange(min=1, message="The response cap must be at least 1")],
    )
    label = StringField(
        "Label (optional)", validators=[Optional(), Length(max=200, message="Keep the label under 200 characters")]
    )

    def set_agencies(self, agencies: list[str]) -> None:
        """Offer ``agencies`` (and no agency) in the agency select."""
        self.agency.choices = [SelectChoice("", "No agency")] + [SelectChoice(name, name) for name in agencies]


class UserForm(FlaskForm):
    """A new staff user."""

    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter an email address"), Length(max=254, message="Enter an email address under 254 characters")],
    )
    role = RadioField(
        "Role",
        choices=[
            SelectChoice(Role.ADMIN.value, "Admin: rounds, links, users and exports"),
            SelectChoice(Role.ANALYST.value, "Analyst: the Working Group's analysis pages"),
        ],
        validators=[DataRequired("Choose a role")],
    )
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Enter a password"),
            Length(min=MIN_PASSWORD_LENGTH, message=f"The password must be at least {MIN_PASSWORD_LENGTH} characters long."),
            Length(max=200, message="Keep the password under 200 characters"),
        ],
    )
