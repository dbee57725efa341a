"""The shop's forms (Flask-WTF, so every one carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, PasswordField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import EqualTo, InputRequired, Length, NumberRange, Regexp

from .deadlines import KINDS

_EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an e-mail address."))
_PHONE = Regexp(r"^\+?[0-9 ()-]{8,20}$", message=_l("Enter a phone number, e.g. +852 5555 0123."))


#: How the kinds and states of data requests read (``deadlines.KINDS``, ``deadlines.STATUSES``).
REQUEST_KINDS = {"access": _l("A copy of my data"), "correction": _l("Correct my data"),
                 "deletion": _l("Delete my data")}
REQUEST_STATUSES = {"open": _l("Open"), "completed": _l("Completed")}


class RegisterForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=120)])
    email = StringField(_l("E-mail"), validators=[InputRequired(), _EMAIL, Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(min=10, max=200)])
    confirm = PasswordField(_l("Repeat password"), validators=[EqualTo("password", message=_l("Passwords differ."))])


class LoginForm(FlaskForm):
    email = StringField(_l("E-mail"), validators=[InputRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=120)])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    address = TextAreaField(_l("Delivery address"), validators=[Length(max=400)])


class ReviewForm(FlaskForm):
    rating = SelectField(_l("Rating (5 is best)"), choices=[str(n) for n in range(5, 0, -1)],
                         validators=[InputRequired()])
    body = TextAreaField(_l("Your review"), validators=[InputRequired(), Length(min=3, max=2000)])


class CartForm(FlaskForm):
    quantity = IntegerField(_l("Quantity"), default=1, validators=[InputRequired(), NumberRange(min=0, max=99)])


class CheckoutForm(FlaskForm):
    consignee = StringField(_l("Consignee"), validators=[InputRequired(), Length(max=120)])
    address = TextAreaField(_l("Delivery address"), validators=[InputRequired(), Length(max=400)])
    phone = StringField(_l("Phone"), validators=[InputRequired(), _PHONE])
    share_with_partner = BooleanField(_l("Share this order with Lantau Partner Offers for their own offers"))


class DataRequestForm(FlaskForm):
    kind = SelectField(_l("Kind of request"), choices=[SelectChoice(k, REQUEST_KINDS[k]) for k in KINDS],
                       validators=[InputRequired()])
    details = TextAreaField(_l("Details"), validators=[Length(max=2000)])


class CancelForm(FlaskForm):
    password = PasswordField(_l("Your password, to confirm"), validators=[InputRequired(), Length(max=200)])
    confirm = BooleanField(_l("I understand that my account and personal data will be deleted"),
                           validators=[InputRequired()])


class PhotoForm(FlaskForm):
    photo = FileField(_l("Photo of a product"), validators=[FileRequired()], render_kw={"accept": "image/*"})


class SimpleForm(FlaskForm):
    """A form with nothing but the CSRF token (buttons that change state)."""


def local_path(value: str | None) -> str | None:
    """``value`` when it is a path on this site (``/cart``), else None: never redirect off-site."""
    if not value or len(value) > 500 or not value.startswith("/") or value.startswith("//"):
        return None
    if any(ord(ch) < 33 or ch in "\\\x7f" for ch in value):
        return None
    return value


#: What a member can contact customer service about (``SupportCase.kind``), and how cases stand.
SUPPORT_KINDS = {"question": _l("A question about an order"), "dispute": _l("A dispute about an order"),
                 "return": _l("A return")}
SUPPORT_STATUSES = {"open": _l("Waiting for our answer"), "answered": _l("Answered")}


class SupportForm(FlaskForm):
    """A new customer-service case; ``order`` choices are the member's own orders (set by the view)."""

    kind = SelectField(_l("What is it about?"), choices=[SelectChoice(k, v) for k, v in SUPPORT_KINDS.items()],
                       validators=[InputRequired()])
    order = SelectField(_l("Order"), choices=[])
    message = TextAreaField(_l("Your message"), validators=[InputRequired(), Length(min=3, max=4000)])


class SupportReplyForm(FlaskForm):
    reply = TextAreaField(_l("Answer"), validators=[InputRequired(), Length(min=3, max=4000)])
