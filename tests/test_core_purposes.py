"""Issue 2, item 1: purposes, the necessary purpose, and developer mistakes caught at start-up."""

from __future__ import annotations

import pytest
from flask import Flask

from flask_consent import ConfigurationError, Consent, Cookie, Purpose, consent_required
from flask_consent.purposes import PurposeRegistry

SECRET = "test-secret-key-0123456789abcdef"


def _app(tmp_path) -> Flask:
    app = Flask("purpose_test", instance_path=str(tmp_path / "inst"))
    app.config.update(SECRET_KEY=SECRET, TESTING=True, CONSENT_DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}")
    return app


def test_purpose_carries_every_declared_fact():
    p = Purpose("analytics", "Analytics", "Counts visits.", cookies=["_ga*", Cookie("_id", lifetime="13 months",
                path="/shop", domain="example.test")], vendors=["Local Analytics"], version=3, gpc_opt_out=True,
                gcm=["analytics_storage"], refusal_effect="No statistics.")
    assert p.cookies[0] == Cookie("_ga*")
    assert p.owns_cookie("_ga_123") and p.owns_cookie("_id") and not p.owns_cookie("_idx")
    assert (p.cookies[1].lifetime, p.cookies[1].path, p.cookies[1].domain) == ("13 months", "/shop", "example.test")
    assert (p.vendors, p.version, p.gpc_opt_out, p.gcm) == (("Local Analytics",), 3, True, ("analytics_storage",))


@pytest.mark.parametrize(
    "kwargs, fix",
    [
        ({"key": "Bad Key"}, "lower-case letters"),
        ({"key": "x", "version": 0}, "int >= 1"),
        ({"key": "x", "cookies": "_ga"}, "cookies=['name']"),
        ({"key": "x", "gcm": ["ad_tracking"]}, "ad_storage"),
        ({"key": "x", "required": True, "gpc_opt_out": True}, "cannot be refused"),
    ],
)
def test_bad_purpose_definitions_say_the_fix(kwargs, fix):
    with pytest.raises(ConfigurationError, match=fix.replace("[", r"\[").replace("]", r"\]")):
        Purpose(**kwargs)


def test_duplicate_key_is_refused_with_the_fix(tmp_path):
    with pytest.raises(ConfigurationError, match="registered twice; give each Purpose a unique key"):
        Consent(_app(tmp_path), purposes=[Purpose("analytics"), Purpose("analytics")])


def test_unknown_key_in_consent_required_fails_at_start_up(tmp_path):
    app = _app(tmp_path)

    @app.get("/x")
    @consent_required("locaton")
    def x() -> str:
        return "x"

    with pytest.raises(ConfigurationError) as info:
        Consent(app, purposes=[Purpose("location")])
    message = str(info.value)
    assert "'locaton'" in message and "location" in message and "Add Purpose('locaton'" in message


def test_unknown_key_in_view_added_after_init_fails_before_any_request_is_served(tmp_path):
    app = _app(tmp_path)
    Consent(app, purposes=[Purpose("location")])

    @app.get("/late")
    @consent_required("nowhere")
    def late() -> str:
        return "late"

    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(ConfigurationError, match="nowhere"):
        app.test_client().get("/")


def test_unknown_key_on_a_method_views_method_fails_at_start_up(tmp_path):
    from flask.views import MethodView

    app = _app(tmp_path)

    class Nearby(MethodView):
        @consent_required("locaton")
        def get(self) -> str:
            return "x"

    app.add_url_rule("/nearby", view_func=Nearby.as_view("nearby"))
    with pytest.raises(ConfigurationError, match="'locaton'"):
        Consent(app, purposes=[Purpose("location")])


@pytest.mark.parametrize(("url", "fix"), [
    ("not a url", "use e.g. sqlite:////path/consent.db"),
    ("mysql://shop@127.0.0.1/shop", "pip install"),  # the default MySQL driver (mysqlclient) is not installed
    ("nosuchdb://x", "install it"),
])
def test_a_database_url_that_cannot_work_fails_at_start_up_with_the_fix(tmp_path, url, fix):
    app = _app(tmp_path)
    app.config["CONSENT_DATABASE_URL"] = url
    with pytest.raises(ConfigurationError, match="CONSENT_DATABASE_URL") as info:
        Consent(app, purposes=[Purpose("location")])
    assert fix in str(info.value)


def test_necessary_purpose_always_exists_and_is_granted(client):
    registry = client.application.extensions["consent"].registry
    assert "necessary" in registry and registry["necessary"].required
    assert client.get("/granted/necessary").get_data(as_text=True) == "True"
    assert client.get("/granted/analytics").get_data(as_text=True) == "False"


def test_necessary_cannot_be_refused(client):  # C4
    from conftest import choose

    choose(client, "reject_all")
    assert client.get("/granted/necessary").get_data(as_text=True) == "True"
    state = client.get("/consent/state").get_json()
    necessary = next(p for p in state["purposes"] if p["key"] == "necessary")
    assert necessary["granted"] and necessary["required"] and "necessary" not in state["denied"]


def test_own_required_purpose_replaces_the_default_and_gets_the_framework_cookies():
    own = Purpose("essential", "Essential", required=True, cookies=["cart"], justification="The cart needs it.")
    registry = PurposeRegistry([own, Purpose("analytics")], necessary_cookies=["session"])
    assert list(registry) == ["essential", "analytics"]
    assert [c.pattern for c in registry["essential"].cookies] == ["cart", "session"]


