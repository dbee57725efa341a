"""The shop's forms (Flask-WTF, so every one carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import EqualTo, InputRequired, Length, NumberRange, Regexp

from .deadlines import KINDS

_EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an e-mail address.")
_PHONE = Regexp(r"^\+?[0-9 ()-]{8,20}$", message="Enter a phone number, e.g. +852 5555 0123.")


class RegisterForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=120)])
    email = StringField("E-mail", validators=[InputRequired(), _EMAIL, Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(min=10, max=200)])
    confirm = PasswordField("Repeat password", validators=[EqualTo("password", message="Passwords differ.")])


class LoginForm(FlaskForm):
    email = StringField("E-mail", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in on this device")


class ProfileForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=120)])
    phone = StringField("Phone", validators=[Length(max=40)])
    address = TextAreaField("Delivery address", validators=[Length(max=400)])


class ReviewForm(FlaskForm):
    rating = SelectField("Rating (5 is best)", choices=[str(n) for n in range(5, 0, -1)],
                         validators=[InputRequired()])
    body = TextAreaField("Your review", validators=[InputRequired(), Length(min=3, max=2000)])


class CartForm(FlaskForm):
    quantity = IntegerField("Quantity", default=1, validators=[InputRequired(), NumberRange(min=0, max=99)])


class CheckoutForm(FlaskForm):
    consignee = StringField("Consignee", validators=[InputRequired(), Length(max=120)])
    address = TextAreaField("Delivery address", validators=[InputRequired(), Length(max=400)])
    phone = StringField("Phone", validators=[InputRequired(), _PHONE])
    share_with_partner = BooleanField("Share this order with Lantau Partner Offers for their own offers")


class DataRequestForm(FlaskForm):
    kind = SelectField("Kind of request", choices=list(KINDS),
                       validators=[InputRequired()])
    details = TextAreaField("Details", validators=[Length(max=2000)])


class CancelForm(FlaskForm):
    password = PasswordField("Your password, to confirm", validators=[InputRequired(), Length(max=200)])
    confirm = BooleanField("I understand that my account and personal data will be deleted",
                           validators=[InputRequired()])


class PhotoForm(FlaskForm):
    photo = FileField("Photo of a product", validators=[FileRequired()], render_kw={"accept": "image/*"})


class SimpleForm(FlaskForm):
    """A form with nothing but the CSRF token (buttons that change state)."""


def local_path(value: str | None) -> str | None:
    """``value`` when it is a path on this site (``/cart``), else None: never redirect off-site."""
    if not value or len(value) > 500 or not value.startswith("/") or value.startswith("//"):
        return None
    if any(ord(ch) < 33 or ch in "\\\x7f" for ch in value):
        return None
    return value
