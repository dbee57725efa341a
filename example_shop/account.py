"""Members: register, sign in and out, profile, favourites and orders. Browsing needs no account."""

from __future__ import annotations

import math

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.security import check_password_hash
from werkzeug.wrappers import Response

from .extensions import db, login_manager
from .forms import LoginForm, ProfileForm, RegisterForm, SimpleForm, local_path
from .models import Favourite, Interest, Order, User
from .seed import CATEGORIES, hash_password
from .seller import seller_of
from .shop import DRAFT
from .signins import KEEP, sign_ins_of
from .throttle import login_throttle
from .withdrawal import forget_device_data

bp = Blueprint("account", __name__, url_prefix="/account")


@login_manager.user_loader
def load_user(login_id: str) -> User | None:
    """The member whose random ``login_id`` the session or remember cookie holds (see ``User``)."""
    return db.session.scalar(db.select(User).where(User.login_id == login_id))


def _leave_previous_member(user: User) -> None:
    """Signing in (or registering) over another member who never signed out is their sign-out first: their
    cart and delivery drafts are theirs, and what the device collected while nobody was signed in goes."""
    if current_user.is_authenticated and current_user.id != user.id:
        forget_device_data()
        session.pop("cart", None)
        session.pop(DRAFT, None)


@bp.route("/register", methods=["GET", "POST"])
def register() -> str | Response:
    form = RegisterForm()
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        if db.session.scalar(db.select(User.id).where(User.email == email)) is not None:
            form.email.errors = [*form.email.errors, _("An account with this e-mail already exists.")]
        else:
            user = User(email=email, name=form.name.data or "", password_hash=hash_password(form.password.data or ""))
            db.session.add(user)
            db.session.commit()
            _leave_previous_member(user)
            login_user(user)
            return redirect(url_for("account.profile"), 303)
    return render_template("account/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int, dict[str, str]]:
    """Sign in; too many wrong passwords for the account or from the address get a 429 (``throttle``)."""
    form = LoginForm()
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        address = request.remote_addr or ""
        throttle = login_throttle()
        wait = throttle.wait_seconds(email, address)
        if wait:
            form.password.errors = [*form.password.errors, _(
                "Too many wrong passwords. For your account's safety, please try again in %(minutes)d minutes.",
                minutes=math.ceil(wait / 60))]
            return render_template("account/login.html", form=form), 429, {"Retry-After": str(wait)}
        user = db.session.scalar(db.select(User).where(User.email == email))
        if user is not None and check_password_hash(user.password_hash, form.password.data or ""):
            _leave_previous_member(user)
            login_user(user, remember=bool(form.remember.data))
            return redirect(local_path(request.args.get("next")) or url_for("shop.index"), 303)
        throttle.failed(email, address)
        form.password.errors = [*form.password.errors, _("E-mail or password is wrong.")]
    return render_template("account/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    if SimpleForm().validate_on_submit():
        forget_device_data()  # read while the device still holds its consent subject and analytics cookie
        logout_user()
        session.pop("cart", None)
    return redirect(url_for("shop.index"), 303)


@bp.get("/security")
@login_required
def security() -> str:
    """The member's security log: their sign-ins with time and browser (``signins``)."""
    return render_template("account/security.html", sign_ins=sign_ins_of(current_user.id), keep_days=KEEP.days)


@bp.route("/", methods=["GET", "POST"])
@login_required
def profile() -> str | Response:
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        current_user.name = form.name.data or ""
        current_user.phone = form.phone.data or ""
        current_user.address = form.address.data or ""
        db.session.commit()
        flash(_("Your profile is saved."))
        return redirect(url_for("account.profile"), 303)
    orders = db.session.scalars(
        db.select(Order).where(Order.user_id == current_user.id).order_by(Order.created_at.desc())
    ).all()
    favourites = db.session.scalars(db.select(Favourite).where(Favourite.user_id == current_user.id)).all()
    return render_template("account/profile.html", form=form, orders=orders, favourites=favourites,
                           categories=CATEGORIES, interests=interests_of(current_user.id),
                           is_seller=seller_of(current_user.id) is not None)


def interests_of(user_id: int) -> set[str]:
    """The categories a member picked as interests."""
    return set(db.session.scalars(db.select(Interest.category).where(Interest.user_id == user_id)))


@bp.post("/interests")
@login_required
def interests() -> Response:
    """Replace the member's interests with the ticked categories (unknown ones are ignored)."""
    if not SimpleForm().validate_on_submit():
        abort(400)
    picked = {c for c in request.form.getlist("interests") if c in CATEGORIES}
    db.session.execute(db.delete(Interest).where(Interest.user_id == current_user.id))
    db.session.add_all(Interest(user_id=current_user.id, category=c) for c in sorted(picked))
    db.session.commit()
    flash(_("Your interests are saved."))
    return redirect(url_for("account.profile", _anchor="interests-h"), 303)
