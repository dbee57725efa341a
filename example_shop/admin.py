"""The shop admin: the queue of data requests, overdue ones first and highlighted (C27)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from .data_requests import open_requests
from .extensions import db
from .forms import SimpleForm
from .models import DataRequest, utcnow

bp = Blueprint("admin", __name__, url_prefix="/admin")
F = TypeVar("F", bound=Callable[..., Any])


def admin_required(view: F) -> F:
    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return cast(F, wrapper)


def admin_guard() -> Any:
    """The consent dashboard's guard: members who are not admins get 403, visitors the sign-in page."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    if not current_user.is_admin:
        abort(403)
    return None


@bp.get("/")
@admin_required
def requests() -> str:
    return render_template("admin/requests.html", queue=open_requests(), form=SimpleForm())


@bp.post("/requests/<int:request_id>/complete")
@admin_required
def complete(request_id: int) -> Response:
    row = db.session.get(DataRequest, request_id)
    if row is None or not SimpleForm().validate_on_submit():
        abort(400)
    row.status = "completed"
    row.completed_at = utcnow()
    db.session.commit()
    return redirect(url_for("admin.requests"), 303)
