"""Issue 2, item 5: ``@consent_required`` with a fallback, the just-in-time prompt page and the JSON 403."""

from __future__ import annotations

from conftest import choose, record_count
from core_util import forms, submit, tags


def test_fallback_is_called_with_the_same_arguments(make_app):  # C26
    app = make_app()
    from flask_consent import consent_required

    def plain(sku: str) -> str:
        return f"plain {sku}"

    @consent_required("recommendations", fallback=plain)
    def personal(sku: str) -> str:
        return f"personal {sku}"

    app.add_url_rule("/p/<sku>", view_func=personal)
    client = app.test_client()
    assert client.get("/p/A1").get_data(as_text=True) == "plain A1"
    choose(client, "grant", ("recommendations",))
    assert client.get("/p/A1").get_data(as_text=True) == "personal A1"


def test_html_client_gets_a_prompt_page(client):  # C25, C2
    response = client.get("/nearby?district=central", headers={"Referer": "http://localhost/other"})
    assert response.status_code == 403 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Allow nearby offers?" in html  # the title, as a sentence
    assert "Stores and offers near you." in html  # what it is
    assert "To find stores near you." in html  # why it is needed
    assert "Pick a district by hand instead." in html  # what refusing changes
    (form,) = forms(html)
    (allow,) = form["buttons"]
    (not_now,) = tags(html, "a", href="/other")
    assert allow["text"] == "Allow" and ">Not now</a>" in html
    assert allow["attrs"]["class"] == not_now["class"], "Allow and Not now look the same"
    assert 'name="next" value="/nearby?district=central"' in html
    assert "nearby stores" not in html
    assert "Cookie" in response.headers["Vary"]


def test_allowing_on_the_prompt_returns_to_the_original_url(client, app):  # C25, C32
    (form,) = forms(client.get("/nearby?district=central").get_data(as_text=True))
    response = submit(client, form)
    assert response.status_code == 303 and response.headers["Location"] == "/nearby?district=central"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert page.startswith("<html><body>") and page.endswith("nearby stores</body></html>")
    assert [r.method for r in app.extensions["consent"].store.iter_records()] == ["prompt"]
    assert client.get("/granted/analytics").get_data(as_text=True) == "False"


def test_not_now_goes_back_without_recording(client, app):  # C7
    html = client.get("/nearby").get_data(as_text=True)
    assert '<a class="consent-btn" href="/">Not now</a>' in html
    assert record_count(app) == 0


def test_json_client_gets_a_403_body(client):
    response = client.get("/nearby", headers={"Accept": "application/json"})
    assert response.status_code == 403
    body = response.get_json()
    assert {k: body[k] for k in ("error", "purpose", "grant_url")} == {
        "error": "consent_required", "purpose": "location", "grant_url": "/consent"}


def test_granted_view_runs(client):
    choose(client, "accept_all")
    assert client.get("/nearby").status_code == 200
    assert client.get("/recommendations").get_data(as_text=True) == "personalised"


def test_refusal_is_honoured_after_withdrawal(client):  # C6
    choose(client, "accept_all")
    choose(client, "reject_all")
    assert client.get("/nearby").status_code == 403
    assert client.get("/recommendations").get_data(as_text=True) == "bestsellers"


def test_prompt_page_escapes_the_return_path(client):
    html = client.get('/nearby?q="><script>alert(1)</script>').get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html


def test_prompt_for_a_refused_form_post_returns_to_the_form_page(make_app):  # C25
    from flask_consent import consent_required

    app = make_app()

    @app.post("/share")
    @consent_required("third_party_sharing")
    def share() -> str:
        return "shared"

    client = app.test_client()
    html = client.post("/share", headers={"Referer": "http://localhost/other"}).get_data(as_text=True)
    assert 'name="next" value="/other"' in html
