"""Issue 2, item 3: the server-rendered banner, its second layer, the reopen control, and injection."""

from __future__ import annotations

import re

from conftest import choose, record_count
from core_util import checkbox, cookie_of, forms, submit, tags
from flask import render_template_string


def _banner(html: str) -> str:
    start = html.index('<section id="consent-banner"')
    return html[start: html.index("</section>", start) + len("</section>")]


def test_first_layer_has_statement_policy_link_and_three_equal_buttons(client):  # C1, C2, C10
    banner = _banner(client.get("/").get_data(as_text=True))
    assert "We use cookies" in banner
    assert re.search(r'<a href="/consent/declaration">Privacy policy</a>', banner)
    (form,) = forms(banner)
    buttons = {b["attrs"].get("value"): b for b in form["buttons"]}
    accept, reject = buttons["accept_all"], buttons["reject_all"]
    assert (accept["text"], reject["text"]) == ("Accept all", "Reject all"), "both are real <button>s"
    assert accept["attrs"]["type"] == reject["attrs"]["type"] == "submit"
    assert accept["attrs"]["class"] == reject["attrs"]["class"], "Reject shares Accept's style (size, font, weight)"
    (summary,) = tags(banner, "summary")
    assert summary["class"] == accept["attrs"]["class"] and ">Customise</summary>" in banner
    # C1: Reject sits right beside Accept on the first layer, before the second layer opens.
    after_accept = banner[banner.index(">Accept all</button>") + len(">Accept all</button>"):]
    assert re.match(r"\s*<button[^>]*>Reject all</button>", after_accept)
    assert banner.index(">Reject all<") < banner.index("<details")


def test_policy_link_follows_config(make_app):  # C10
    client = make_app(CONSENT_POLICY_URL="/privacy/policy").test_client()
    assert '<a href="/privacy/policy">Privacy policy</a>' in _banner(client.get("/").get_data(as_text=True))


def test_nothing_but_necessary_is_ticked_when_a_layer_opens(client):  # C4, C9
    for html in (_banner(client.get("/").get_data(as_text=True)),
                 client.get("/consent/preferences").get_data(as_text=True)):
        boxes = tags(html, "input", type="checkbox")
        assert len(boxes) == 6
        for box in boxes:
            if box["value"] == "necessary":
                assert "checked" in box and "disabled" in box
            else:
                assert "checked" not in box, box


def test_second_layer_has_a_labelled_checkbox_per_purpose_with_its_facts(client, app):  # C9, C10
    banner = _banner(client.get("/").get_data(as_text=True))
    assert "<details" in banner and 'value="save">Save choices</button>' in banner
    for p in app.extensions["consent"].registry.optional:
        box = checkbox(banner, f"consent-b-{p.key}")
        assert box["name"] == "purposes" and box["value"] == p.key and "checked" not in box
        assert tags(banner, "label", for_=f"consent-b-{p.key}") and f">{p.title}</label>" in banner
        assert p.description in banner
        for vendor in p.vendors:
            assert vendor in banner
    assert "<code>recs_*</code> (Lifetime: 30 days)" in banner
    assert "<code>_shop_analytics</code> (Lifetime: 13 months)" in banner
    assert "If you refuse</dt><dd>You see bestsellers instead." in banner
    assert "Why it is necessary</dt><dd>" in banner


def test_browsing_on_without_choosing_records_nothing(client, app):  # C7
    for path in ("/", "/other", "/hello", "/recommendations", "/consent/preferences", "/consent/state"):
        response = client.get(path)
        assert not [h for h in response.headers.getlist("Set-Cookie") if h.startswith("consent=")]
    assert record_count(app) == 0 and cookie_of(client) is None
    assert 'id="consent-banner"' in client.get("/other").get_data(as_text=True)
    assert client.get("/granted/analytics").get_data(as_text=True) == "False"


def test_everything_works_with_all_refused(client):  # C8
    choose(client, "reject_all")
    for path in ("/", "/other", "/hello", "/consent/preferences", "/consent/declaration"):
        assert client.get(path).status_code == 200, path
    assert client.get("/recommendations").get_data(as_text=True) == "bestsellers"


def test_reopen_control_on_every_page_once_decided(client):  # C11, C12
    choose(client, "reject_all")
    for path in ("/", "/other"):
        html = client.get(path).get_data(as_text=True)
        assert 'id="consent-banner"' not in html, "a refusal must be remembered like a consent (C12)"
        (reopen,) = tags(html, "a", id="consent-reopen")
        assert reopen["href"] == "/consent/preferences" and re.search(r'id="consent-reopen"[^>]*>Privacy choices</a>',
                                                                      html)


def test_preferences_show_the_stored_state(client):  # C11
    choose(client, "save", ("analytics", "location"))
    html = client.get("/consent/preferences").get_data(as_text=True)
    for key, on in (("analytics", True), ("location", True), ("recommendations", False), ("advertising", False)):
        assert ("checked" in checkbox(html, f"consent-p-{key}")) is on, key
    assert html.count("Currently: Allowed") == 2 and html.count("Currently: Refused") == 3


def test_withdrawing_takes_no_more_clicks_than_granting(client):  # C11
    choose(client, "accept_all")
    page = forms(client.get("/consent/preferences").get_data(as_text=True))[0]
    response = submit(client, page, "reject_all")
    assert response.status_code == 303
    assert client.get("/granted/analytics").get_data(as_text=True) == "False"


def test_banner_forms_work_with_javascript_off(client):  # C32
    (form,) = forms(client.get("/other").get_data(as_text=True))
    assert form["attrs"]["method"] == "post" and form["attrs"]["action"] == "/consent"
    response = submit(client, form, "save", tick=("analytics", "recommendations"))
    assert response.status_code == 303 and response.headers["Location"] == "/other"
    assert client.get("/granted/analytics").get_data(as_text=True) == "True"
    assert client.get("/granted/location").get_data(as_text=True) == "False"
    assert 'id="consent-banner"' not in client.get("/").get_data(as_text=True)


def test_banner_is_injected_before_body_end(client):
    html = client.get("/").get_data(as_text=True)
    assert html.count('id="consent-banner"') == 1
    assert html.index('id="consent-banner"') < html.index("</body>") and html.rstrip().endswith("</html>")
    assert "/consent/static/consent/consent.css" in html and "/consent/static/consent/consent.js" in html


def test_injection_is_not_duplicated_when_the_template_renders_the_banner(make_app):
    app = make_app()

    @app.get("/own")
    def own() -> str:
        return render_template_string("<html><body><header>{{ consent_banner() }}</header><p>x</p></body></html>")

    client = app.test_client()
    html = client.get("/own").get_data(as_text=True)
    assert html.count('id="consent-banner"') == 1 and html.index("consent-banner") < html.index("<p>x</p>")
    choose(client, "reject_all")
    html = client.get("/own").get_data(as_text=True)
    assert html.count('id="consent-reopen"') == 1 and html.index("consent-reopen") < html.index("<p>x</p>")


def test_no_injection_into_non_html_or_when_disabled(make_app, client):
    assert "consent" not in client.get("/hello").get_data(as_text=True)
    assert "consent-banner" not in client.get("/consent/state").get_data(as_text=True)
    off = make_app(CONSENT_AUTO_INJECT=False).test_client()
    assert 'id="consent-banner"' not in off.get("/").get_data(as_text=True)


def test_app_templates_override_the_banner(make_app, tmp_path):
    from jinja2 import FileSystemLoader

    folder = tmp_path / "app_templates" / "consent"
    folder.mkdir(parents=True)
    (folder / "banner.html").write_text('<div id="consent-banner" class="shop-own">{{ t.accept_all }}</div>')
    app = make_app()
    app.jinja_loader = FileSystemLoader(str(tmp_path / "app_templates"))
    html = app.test_client().get("/").get_data(as_text=True)
    assert '<div id="consent-banner" class="shop-own">Accept all</div>' in html


def test_consent_script_is_inert_until_granted(make_app):
    app = make_app()

    @app.get("/script")
    def script() -> str:
        return render_template_string('{{ consent_script("analytics", src="/sdk.js", id="sdk", defer=True) }}')

    client = app.test_client()
    (inert,) = tags(client.get("/script").get_data(as_text=True), "script")
    assert inert == {"data-consent": "analytics", "type": "text/plain", "data-src": "/sdk.js", "id": "sdk",
                     "defer": None}
    choose(client, "save", ("analytics",))
    (live,) = tags(client.get("/script").get_data(as_text=True), "script")
    assert live == {"data-consent": "analytics", "src": "/sdk.js", "id": "sdk", "defer": None}
    choose(client, "reject_all")
    (inert,) = tags(client.get("/script").get_data(as_text=True), "script")
    assert inert["type"] == "text/plain" and "src" not in inert


def test_pages_that_depend_on_consent_vary_on_cookie(client):
    for path in ("/", "/recommendations", "/nearby", "/consent/state"):
        assert "Cookie" in client.get(path).headers.get("Vary", ""), path


def test_injection_across_the_shapes_a_response_body_takes(make_app, tmp_path):
    """Any text/html body with a </body> gets the banner once, with a right Content-Length; a streamed body,
    a file sent as it is, a HEAD request and a body without </body> are left exactly as they were."""
    from flask import Response, send_file

    page = "<html><body><p>x</p></body></html>"
    (tmp_path / "static.html").write_text(page)
    app = make_app()
    shapes = {
        "/flask-str": lambda: page,
        "/plain-text-html": lambda: Response(page, content_type="text/html"),
        "/latin1": lambda: Response(page.encode("latin-1"), content_type="TEXT/HTML; Charset=ISO-8859-1"),
        "/utf8-spelt-otherwise": lambda: Response(page, content_type="text/html; charset=UTF-8"),
        "/unknown-charset": lambda: Response(page.encode(), content_type="text/html; charset=x-no-such"),
        "/upper": lambda: page.replace("</body>", "</BODY>"),
        "/chunks": lambda: Response([b"<html><body>", b"<p>x</p></body>", b"</html>"], mimetype="text/html"),
        "/streamed": lambda: Response((c for c in ["<html><body>", "<p>x</p></body></html>"]), mimetype="text/html"),
        "/file": lambda: send_file(tmp_path / "static.html", mimetype="text/html"),
        "/passthrough": lambda: Response([page.encode()], mimetype="text/html", direct_passthrough=True),
        "/no-body-end": lambda: "<p>x</p>",
        "/not-html": lambda: Response(page, mimetype="application/xml"),
    }
    for path, view in shapes.items():
        app.add_url_rule(path, path.strip("/"), view)
    client = app.test_client()
    for path in shapes:
        response = client.get(path)
        body = response.get_data()
        if path in ("/flask-str", "/plain-text-html", "/latin1", "/utf8-spelt-otherwise", "/unknown-charset",
                    "/upper", "/chunks"):
            assert body.count(b'id="consent-banner"') == 1, path
            assert body.index(b'id="consent-banner"') < body.lower().index(b"</body>") < body.index(b"</html>"), path
            assert response.headers["Content-Length"] == str(len(body)), path
            # The banner text is in the page's charset; what the charset cannot hold becomes a reference.
            in_utf8 = path not in ("/latin1", "/unknown-charset")
            quote = "“Privacy choices”".encode() if in_utf8 else b"&#8220;Privacy choices&#8221;"
            assert quote in body, path
        else:
            assert b"consent" not in body and body.decode() in (page, "<p>x</p>"), path
    head = client.head("/flask-str")
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(page))
