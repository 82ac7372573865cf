"""Forms of the sign-in pages."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email address", validators=[DataRequired("Enter your email address"), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password"), Length(max=200)])


class PasswordChangeForm(FlaskForm):
    """The current password and a new one, typed twice."""

    current = PasswordField("Current password", validators=[DataRequired("Enter your current password"), Length(max=200)])
    new = PasswordField("New password", validators=[DataRequired("Enter a new password"), Length(max=200)])
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired("Enter the new password again"), EqualTo("new", message="The two new passwords differ")],
    )
