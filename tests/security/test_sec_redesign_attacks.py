"""The attacks found in the core's last review, each reproduced, each refused (issue 16, item 6)."""

from __future__ import annotations

import json
import multiprocessing
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import build_app, choose, csrf_token, record_count
from core_util import records, with_members
from flask import Flask, render_template_string

from flask_consent import ConsentRecord, consent_required
from flask_consent.recording import IP_HASH_KEY_NAME, IpHasher
from flask_consent.spool import Spool

flask_login = pytest.importorskip("flask_login")


def test_a_shared_device_never_receives_the_members_subject_history_or_records(db_url: str, tmp_path: Any) -> None:
    """A member signs in on a kiosk that has decided nothing, then signs out: the next person there is a new
    visitor who is asked again, cannot read the member's history or receipts, and cannot wipe them."""
    app = with_members(build_app(db_url, str(tmp_path / "i"), CONSENT_RATE_LIMIT=None))
    phone = app.test_client()
    phone.get("/login/7")
    choose(phone, "save", ("analytics",))
    member_subject = phone.get("/consent/state").get_json()
    (member_record,) = records(app)

    kiosk = app.test_client()
    kiosk.get("/login/7")
    assert kiosk.get("/consent/state").get_json()["granted"] == ["necessary", "analytics"]  # decisions follow
    kiosk_records = [r for r in records(app) if r.id != member_record.id]
    assert all(r.subject_id != member_record.subject_id for r in kiosk_records)  # never the member's subject
    kiosk.get("/logout")

    after = kiosk.get("/consent/state").get_json()
    assert after["banner_due"] is True and after["granted"] == ["necessary"]  # a new visitor, asked again
    history = kiosk.get("/consent/history").get_json()
    assert history["records"] == [] and history["subject_id"] != member_record.subject_id
    assert kiosk.get(f"/consent/receipt/{member_record.id}").status_code == 404
    choose(kiosk, "reject_all")
    assert phone.get("/consent/state").get_json()["granted"] == member_subject["granted"]
    assert [r for r in records(app) if r.subject_id == member_record.subject_id] == [member_record]


def _with_own_reopen_template(app: Flask, tmp_path: Any) -> Flask:
    """``app`` overriding ``consent/reopen.html`` with one that shows who the visitor is."""
    from jinja2 import ChoiceLoader, FileSystemLoader

    templates = tmp_path / "app_templates" / "consent"
    templates.mkdir(parents=True)
    (templates / "reopen.html").write_text(
        '<div id="consent-reopen">Signed in as {{ request.args.get("who", "nobody") }}</div>')
    app.jinja_loader = ChoiceLoader([FileSystemLoader(str(tmp_path / "app_templates")), app.jinja_loader])
    return app


def test_an_overridden_reopen_template_is_never_kept_for_another_visitor(sqlite_url: str, tmp_path: Any) -> None:
    """An app whose ``consent/reopen.html`` shows something per visitor must have it rendered per visitor."""
    app = _with_own_reopen_template(build_app(sqlite_url, str(tmp_path / "i")), tmp_path)
    page = "<html><body>{{ consent_banner() }}</body></html>"
    app.add_url_rule("/page", "page", lambda: render_template_string(page))
    alice, bob = app.test_client(), app.test_client()
    for client in (alice, bob):
        choose(client, "accept_all")
    assert "Signed in as alice@example.test" in alice.get("/page?who=alice@example.test").get_data(as_text=True)
    html = bob.get("/page?who=bob").get_data(as_text=True)
    assert "alice" not in html and "Signed in as bob" in html
    assert len(app.extensions["consent"].banners) == 0


def test_a_flood_of_cookieless_gpc_requests_cannot_fill_the_log(sqlite_url: str, tmp_path: Any) -> None:
    """300 cookieless requests with ``Sec-GPC: 1`` (a page, a 404, a static file) write no more ``gpc`` records
    than the consent rate limit allows, and every one of them is still refused."""
    app = build_app(sqlite_url, str(tmp_path / "i"), CONSENT_RATE_LIMIT="5/minute")
    paths = ["/", "/no-such-page", "/consent/static/consent/consent.css"]
    for i in range(300):
        response = app.test_client().get(paths[i % 3], headers={"Sec-GPC": "1"})
        assert response.status_code in (200, 404)
    assert record_count(app) == 5
    page = app.test_client().get("/granted/advertising", headers={"Sec-GPC": "1"})
    assert page.get_data(as_text=True) == "False"  # beyond the limit the signal is still honoured


def test_one_record_the_database_rejects_does_not_block_the_others(db_url: str, tmp_path: Any) -> None:
    """A spooled record the database refuses for good is dead-lettered; the others are replayed, and
    ``flask consent flush`` succeeds and ``check`` reports the dead letter."""
    app = build_app(db_url, str(tmp_path / "i"))
    comps = app.extensions["consent"]
    spool: Spool = comps.spool
    good = [ConsentRecord(subject_id=f"subject-{i:04d}", consent_id=f"consent-{i:04d}", policy_version="1",
                          banner_hash="h" * 64, granted={"necessary": 1}, denied={}, method="banner_reject_all")
            for i in range(3)]
    poison = ConsentRecord(subject_id="subject-poison", consent_id="consent-poison", policy_version="1",
                           banner_hash="h" * 64, granted={}, denied={}, method="api",
                           locale=None)  # type: ignore[arg-type]  # NOT NULL column: refused for good
    for record in (good[0], poison, good[1], good[2]):
        spool.append(record)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["consent", "flush"])
    assert result.exit_code == 0, result.output
    assert {r.id for r in records(app)} == {r.id for r in good}
    assert not spool.pending()
    (dead,) = spool.dead_letters()
    assert dead["record"]["id"] == poison.id and dead["error"]
    check = runner.invoke(args=["consent", "check"])
    assert "rejected by the database for good" in check.output


def test_a_long_user_id_never_reaches_the_log_unchecked(db_url: str, tmp_path: Any) -> None:
    app = with_members(build_app(db_url, str(tmp_path / "i")))
    client = app.test_client()
    client.get("/login/" + "u" * 300)
    choose(client, "accept_all")
    (record,) = records(app)
    assert record.user_id is not None and len(record.user_id) <= 128 and record.user_id.startswith("sha256:")


def _first_key(instance: str, out: Any) -> None:
    out.put(IpHasher(None, instance).key().decode())


def test_workers_making_their_first_record_at_once_share_one_full_key(tmp_path: Any) -> None:
    instance = str(tmp_path / "instance")
    queue: Any = multiprocessing.get_context("fork").Queue()
    workers = [multiprocessing.get_context("fork").Process(target=_first_key, args=(instance, queue))
               for _ in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    keys = {queue.get(timeout=5) for _ in workers}
    assert len(keys) == 1 and len(keys.pop()) >= 32
    assert [p.name for p in Path(instance).iterdir()] == [IP_HASH_KEY_NAME]  # no temporary file left


def test_a_short_ip_hash_key_is_refused(sqlite_url: str, tmp_path: Any) -> None:
    from flask_consent.exc import ConfigurationError

    instance = tmp_path / "i"
    instance.mkdir()
    (instance / IP_HASH_KEY_NAME).write_bytes(b"")
    with pytest.raises(ConfigurationError, match="delete the file"):
        IpHasher(None, str(instance)).key()
    with pytest.raises(ConfigurationError, match="at least 32"):
        build_app(sqlite_url, str(tmp_path / "j"), CONSENT_IP_HASH_KEY="short")


def test_json_nested_too_deep_is_a_400_not_a_500(sqlite_url: str, tmp_path: Any) -> None:
    app = build_app(sqlite_url, str(tmp_path / "i"))
    client = app.test_client()
    body = "[" * 100_000 + "]" * 100_000
    r = client.post("/consent", data=body, content_type="application/json", headers={"X-CSRFToken": csrf_token(client)})
    assert r.status_code == 400 and r.get_json()["error"] == "bad_request"
    assert record_count(app) == 0


def test_csv_export_neutralises_formulas(sqlite_url: str, tmp_path: Any) -> None:
    app = build_app(sqlite_url, str(tmp_path / "i"))
    store = app.extensions["consent"].store
    store.init_db()
    for i, value in enumerate(["=HYPERLINK(\"http://evil\")", "+1+1", "-2", "@SUM(A1)"]):
        store.append(ConsentRecord(subject_id=f"subject-{i:04d}", consent_id="c" * 8, policy_version="1",
                                   banner_hash="h", granted={}, denied={}, method="api", user_id=value))
    out = app.test_cli_runner().invoke(args=["consent", "export", "--format", "csv"]).output
    cells = [line.split(",")[4] for line in out.splitlines()[1:]]
    assert sorted(cells) == sorted(["'+1+1", "'-2", "'@SUM(A1)", "\"'=HYPERLINK(\"\"http://evil\"\")\""])


def test_over_https_the_csrf_cookie_is_host_prefixed_and_the_consent_cookie_secure(
    sqlite_url: str, tmp_path: Any
) -> None:
    app = build_app(sqlite_url, str(tmp_path / "i"))
    client = app.test_client()
    token = client.get("/consent/state", base_url="https://shop.test").get_json()["csrf_token"]
    assert client.get_cookie("__Host-consent_csrf", domain="shop.test") is not None
    assert client.get_cookie("consent_csrf", domain="shop.test") is None
    # A plain-named cookie tossed in by a sibling subdomain is not what an HTTPS post is checked against.
    client.set_cookie("consent_csrf", "A" * 22, domain="shop.test")
    r = client.post("/consent", json={"action": "accept_all"}, headers={"X-CSRFToken": token},
                    base_url="https://shop.test")
    assert r.status_code == 200
    set_cookie = [h for h in r.headers.getlist("Set-Cookie") if h.startswith("consent=")]
    assert set_cookie and "Secure" in set_cookie[0]
    plain = app.test_client()
    plain.get("/consent/state")
    assert plain.get_cookie("consent_csrf") is not None and plain.get_cookie("__Host-consent_csrf") is None


@pytest.mark.parametrize("path", ["/consent/state", "/consent/history", "/consent/receipt/{id}"])
def test_answers_with_personal_data_or_a_token_are_never_stored_or_sniffed(
    sqlite_url: str, tmp_path: Any, path: str
) -> None:
    app = build_app(sqlite_url, str(tmp_path / "i"))
    client = app.test_client()
    choose(client, "accept_all")
    (record,) = records(app)
    r = client.get(path.format(id=record.id), headers={"Accept": "application/json"})
    assert r.status_code == 200 and json.loads(r.get_data())
    assert r.headers["Cache-Control"] == "no-store" and r.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/consent/state", "/consent/history", "/consent/preferences", "/gated"])
def test_an_app_hook_that_makes_every_page_cacheable_cannot_make_a_private_answer_so(
    sqlite_url: str, tmp_path: Any, path: str
) -> None:
    """A shop's ``after_request`` hook setting a public ``Cache-Control`` on everything (registered after the
    extension, so it runs after the view) must not expose a visitor's data or form token to shared caches."""
    app = build_app(sqlite_url, str(tmp_path / "i"))

    @app.get("/gated")
    @consent_required("location")
    def gated() -> str:
        return "near you"

    @app.after_request
    def cache_everything(response: Any) -> Any:
        response.headers["Cache-Control"] = "public, max-age=300"
        response.headers["X-Content-Type-Options"] = "sniff-away"
        return response

    r = app.test_client().get(path)
    assert r.status_code in (200, 403)
    assert r.headers["Cache-Control"] == "no-store" and r.headers["X-Content-Type-Options"] == "nosniff"
    assert app.test_client().get("/").headers["Cache-Control"] == "public, max-age=300"  # other pages: the app's


def test_cookies_set_by_hooks_registered_before_the_extension_are_filtered(tmp_path: Any) -> None:
    """``after_request`` hooks run last-registered first, so one registered before ``Consent(app)`` ran after
    the filter and its cookies got through; now the filter runs after every hook."""
    from flask_consent import Consent, Cookie, Purpose

    app = Flask("hooks", instance_path=str(tmp_path / "i"))
    app.config.update(SECRET_KEY="test-secret-key-0123456789abcdef", TESTING=True,
                      CONSENT_UNDECLARED_COOKIES="block")

    @app.after_request
    def early(response: Any) -> Any:
        response.set_cookie("_early_tracker", "1")
        response.set_cookie("_shop_analytics", "1")
        return response

    Consent(app, purposes=[Purpose("analytics", cookies=[Cookie("_shop_analytics")])])

    @app.after_request
    def late(response: Any) -> Any:
        response.set_cookie("_late_tracker", "1")
        return response

    app.add_url_rule("/", "index", lambda: "<html><body>x</body></html>")
    names = [h.split("=", 1)[0] for h in app.test_client().get("/").headers.getlist("Set-Cookie")]
    assert "_early_tracker" not in names and "_late_tracker" not in names and "_shop_analytics" not in names


def test_an_overridden_reopen_template_inside_the_first_layer_is_never_kept(sqlite_url: str, tmp_path: Any) -> None:
    """The first-layer banner includes ``consent/reopen.html`` (for the script to put in place after a choice):
    an app overriding it per visitor must not have one first visitor's version shown to the next."""
    app = _with_own_reopen_template(build_app(sqlite_url, str(tmp_path / "i")), tmp_path)
    first = app.test_client().get("/?who=alice@example.test").get_data(as_text=True)
    assert 'id="consent-banner"' in first and "alice@example.test" in first
    second = app.test_client().get("/?who=bob").get_data(as_text=True)
    assert "alice" not in second and "Signed in as bob" in second


def test_an_overridden_records_macro_inside_the_first_layer_is_never_kept(sqlite_url: str, tmp_path: Any) -> None:
    """The banner's purposes name their vendors through ``vendor_names`` of ``consent/_records.html``: an app
    overriding that file per visitor must not have one first visitor's version shown to the next."""
    from jinja2 import ChoiceLoader, FileSystemLoader

    app = build_app(sqlite_url, str(tmp_path / "i"))
    templates = tmp_path / "app_templates" / "consent"
    templates.mkdir(parents=True)
    (templates / "_records.html").write_text(
        '{% macro vendor_names(names) %}vendors for {{ request.args.get("who", "nobody") }}{% endmacro %}')
    app.jinja_loader = ChoiceLoader([FileSystemLoader(str(tmp_path / "app_templates")), app.jinja_loader])
    first = app.test_client().get("/?who=alice@example.test").get_data(as_text=True)
    assert 'id="consent-banner"' in first and "vendors for alice@example.test" in first
    second = app.test_client().get("/?who=bob").get_data(as_text=True)
    assert "alice" not in second and "vendors for bob" in second


def test_signing_out_takes_the_members_purpose_cookies_off_the_device(db_url: str, tmp_path: Any) -> None:
    app = with_members(build_app(db_url, str(tmp_path / "i"), CONSENT_RATE_LIMIT=None))
    kiosk = app.test_client()
    kiosk.get("/login/7")
    choose(kiosk, "save", ("recommendations",))
    kiosk.set_cookie("recs_history", "member-browsing-history")
    out = kiosk.get("/logout")
    expired = [h for h in out.headers.getlist("Set-Cookie") if h.startswith("recs_history=")]
    assert expired and ("Max-Age=0" in expired[0] or "1970" in expired[0])
    assert kiosk.get_cookie("recs_history") is None


def test_signing_out_after_a_new_policy_still_takes_the_members_purpose_cookies_off(
    sqlite_url: str, tmp_path: Any
) -> None:
    """The member's grant no longer holds (the policy changed since), but the browser still has its cookie: the
    next person on the device must not get the member's "Recently viewed"."""
    app = with_members(build_app(sqlite_url, str(tmp_path / "i"), CONSENT_RATE_LIMIT=None))
    kiosk = app.test_client()
    kiosk.get("/login/7")
    choose(kiosk, "save", ("recommendations",))
    kiosk.set_cookie("recs_history", "member-browsing-history")
    app.extensions["consent"].settings = replace(app.extensions["consent"].settings, policy_version="2")
    kiosk.get("/logout")
    assert kiosk.get_cookie("recs_history") is None


def test_a_member_who_never_signed_out_keeps_their_records_from_the_next_person(db_url: str, tmp_path: Any) -> None:
    """A member chose while signed in and simply closed the browser (the session ended, the consent cookie
    stayed): the next anonymous person on that device sees neither those records nor their receipts."""
    app = with_members(build_app(db_url, str(tmp_path / "i"), CONSENT_RATE_LIMIT=None))
    device = app.test_client()
    device.get("/login/7")
    choose(device, "save", ("analytics",))
    (member_record,) = [r for r in records(app) if r.user_id == "7"][-1:]
    device.delete_cookie("session")  # the browser session ended without a sign-out
    assert device.get("/consent/history").get_json()["records"] == []
    assert device.get(f"/consent/receipt/{member_record.id}").status_code == 404
    device.get("/login/7")
    assert member_record.id in {r["id"] for r in device.get("/consent/history").get_json()["records"]}


def test_a_long_user_ids_decisions_and_history_follow_the_member(db_url: str, tmp_path: Any) -> None:
    app = with_members(build_app(db_url, str(tmp_path / "i"), CONSENT_RATE_LIMIT=None))
    long_id = "u" * 200
    phone = app.test_client()
    phone.get("/login/" + long_id)
    choose(phone, "save", ("analytics",))
    laptop = app.test_client()
    laptop.get("/login/" + long_id)
    assert laptop.get("/consent/state").get_json()["granted"] == ["necessary", "analytics"]
    assert len(laptop.get("/consent/history").get_json()["records"]) >= 1


def test_rate_limit_storage_down_is_no_500(sqlite_url: str, tmp_path: Any) -> None:
    pytest.importorskip("redis")  # the redis extra: without it a redis:// storage fails at start-up, by design
    app = build_app(sqlite_url, str(tmp_path / "i"), CONSENT_RATE_LIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    client = app.test_client()
    assert client.get("/", headers={"Sec-GPC": "1"}).status_code == 200
    assert choose(client, "reject_all").status_code == 303


def test_a_retried_batch_does_not_dead_letter_a_record_twice(sqlite_url: str, tmp_path: Any) -> None:
    app = build_app(sqlite_url, str(tmp_path / "i"))
    comps = app.extensions["consent"]
    poison = ConsentRecord(subject_id="subject-poison", consent_id="consent-poison", policy_version="1",
                           banner_hash="h" * 64, granted={}, denied={}, method="api",
                           locale=None)  # type: ignore[arg-type]
    comps.spool.append(poison)
    comps.flush_spool()
    comps.spool._write_line(comps.spool.path, poison.to_dict())  # the same batch kept by a transient failure
    comps.flush_spool()
    assert [d["record"]["id"] for d in comps.spool.dead_letters()] == [poison.id]


def test_a_custom_store_is_replayed_through_append(sqlite_url: str, tmp_path: Any) -> None:
    class ListStore:
        def __init__(self) -> None:
            self.records: list[ConsentRecord] = []

        def append(self, record: ConsentRecord) -> None:
            self.records.append(record)

        def history(self, subject_id: Any, user_id: Any = None, limit: int = 100) -> list[ConsentRecord]:
            return []

        def latest_for_user(self, user_id: str) -> None:
            return None

        def get(self, record_id: str) -> None:
            return None

    from flask_consent import Consent, Purpose

    app = Flask("custom", instance_path=str(tmp_path / "i"))
    app.config.update(SECRET_KEY="test-secret-key-0123456789abcdef", TESTING=True)
    store = ListStore()
    Consent(app, purposes=[Purpose("analytics")], store=store)
    comps = app.extensions["consent"]
    spooled = ConsentRecord(subject_id="subject-0001", consent_id="consent-0001", policy_version="1",
                            banner_hash="h", granted={}, denied={}, method="api")
    comps.spool.append(spooled)
    assert comps.flush_spool() == 1 and store.records == [spooled] and not comps.spool.pending()


def test_check_reports_a_short_ip_hash_key_file(sqlite_url: str, tmp_path: Any) -> None:
    app = build_app(sqlite_url, str(tmp_path / "i"))
    (tmp_path / "i").mkdir(exist_ok=True)
    (tmp_path / "i" / IP_HASH_KEY_NAME).write_bytes(b"short")
    result = app.test_cli_runner().invoke(args=["consent", "check"])
    assert result.exit_code == 1 and IP_HASH_KEY_NAME in result.output


def test_the_prompt_page_is_never_stored(sqlite_url: str, tmp_path: Any) -> None:
    app = build_app(sqlite_url, str(tmp_path / "i"))
    response = app.test_client().get("/nearby")
    assert response.status_code == 403 and response.headers["Cache-Control"] == "no-store"
