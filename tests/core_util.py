"""Helpers for the core and compliance tests: forging cookies, reading forms, counting SQL statements."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import Any
from unittest import mock

import sqlalchemy as sa
from flask import Flask
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from flask_consent.cookie import SALT

DAY = 86400


def ext(app: Flask) -> Any:
    return app.extensions["consent"]


def cookie_of(client: Any, name: str = "consent") -> str | None:
    cookie = client.get_cookie(name)
    return cookie.value if cookie is not None else None


def sign(data: Any, secret: str | bytes | list[str | bytes], *, at: float | None = None) -> str:
    """Sign ``data`` the way the consent cookie is signed, optionally as if at time ``at`` (epoch seconds)."""
    serializer = URLSafeTimedSerializer(secret, salt=SALT)
    if at is None:
        return str(serializer.dumps(data))
    with mock.patch.object(TimestampSigner, "get_timestamp", return_value=int(at)):
        return str(serializer.dumps(data))


def payload(decisions: dict[str, list[int]], *, policy: str = "1", at: float | None = None, **extra: Any) -> dict:
    """A well-formed cookie payload deciding ``decisions`` ({key: [granted, version]})."""
    data = {
        "v": 1, "c": "consent-id-0001", "s": "subject-id-0001", "r": None, "p": policy,
        "t": int(at if at is not None else time.time()), "m": "banner_custom", "d": decisions,
    }
    data.update(extra)
    return data


def set_consent_cookie(client: Any, value: str, name: str = "consent") -> None:
    client.set_cookie(name, value)


def set_cookie_headers(response: Any) -> list[str]:
    return list(response.headers.getlist("Set-Cookie"))


def set_cookie_named(response: Any, name: str) -> list[str]:
    return [h for h in set_cookie_headers(response) if h.split("=", 1)[0].strip() == name]


class FormParser(HTMLParser):
    """Collects every <form> with its inputs and submit buttons, like a browser without JavaScript."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._button: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._form = {"attrs": a, "inputs": [], "buttons": []}
            self.forms.append(self._form)
        elif self._form is not None and tag == "input":
            self._form["inputs"].append(a)
        elif self._form is not None and tag == "button":
            self._button = {"attrs": a, "text": ""}
            self._form["buttons"].append(self._button)

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "button" and self._button is not None:
            self._button["text"] = self._button["text"].strip()
            self._button = None


def forms(html: str) -> list[dict[str, Any]]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def submit(client: Any, form: dict[str, Any], button_value: str | None = None, tick: tuple[str, ...] = ()) -> Any:
    """Submit ``form`` as a browser with JavaScript off would: hidden fields, ticked boxes, the button pressed."""
    data: list[tuple[str, str]] = []
    for i in form["inputs"]:
        kind = (i.get("type") or "text").lower()
        if "disabled" in i or not i.get("name"):
            continue
        if kind == "checkbox":
            if ("checked" in i and not tick) or i.get("value") in tick:
                data.append((i["name"], i.get("value") or "on"))
        else:
            data.append((i["name"], i.get("value") or ""))
    if button_value is not None:
        button = next(b for b in form["buttons"] if b["attrs"].get("value") == button_value)
        if button["attrs"].get("name"):
            data.append((button["attrs"]["name"], button_value))
    method = (form["attrs"].get("method") or "get").lower()
    assert method == "post"
    from werkzeug.datastructures import MultiDict

    return client.post(form["attrs"]["action"], data=MultiDict(data))


@contextmanager
def count_statements(engine: sa.engine.Engine) -> Iterator[list[str]]:
    """Every SQL statement sent through ``engine`` while the block runs."""
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def records(app: Flask) -> list[Any]:
    """Every record of the app's consent log, oldest first."""
    return list(ext(app).store.iter_records())


class _TagParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str, name: str, **having: str) -> list[dict[str, str | None]]:
    """The attributes of every ``<name>`` start tag whose attributes include ``having`` (order-independent)."""
    parser = _TagParser()
    parser.feed(html)
    wanted = {k.rstrip("_").replace("_", "-"): v for k, v in having.items()}
    return [a for t, a in parser.tags if t == name and all(a.get(k) == v for k, v in wanted.items())]


def checkbox(html: str, element_id: str) -> dict[str, str | None]:
    """The attributes of the checkbox with id ``element_id``."""
    (box,) = tags(html, "input", id=element_id)
    assert box.get("type") == "checkbox", box
    return box


def with_members(app: Flask) -> Flask:
    """``app`` with Flask-Login: ``/login/<uid>`` signs member ``uid`` in, ``/logout`` signs them out."""
    import flask_login

    class Member(flask_login.UserMixin):
        def __init__(self, user_id: str):
            self.id = user_id

    manager = flask_login.LoginManager(app)
    manager.user_loader(Member)

    @app.get("/login/<uid>")
    def login(uid: str) -> str:
        flask_login.login_user(Member(uid))
        return "in"

    @app.get("/logout")
    def logout() -> str:
        flask_login.logout_user()
        return "out"

    return app
