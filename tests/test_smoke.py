"""Quick end-to-end checks of the core flow on both databases."""

from __future__ import annotations

from conftest import choose, record_count


def test_first_visit_shows_banner_with_reject_beside_accept(client):  # C1
    html = client.get("/").get_data(as_text=True)
    assert 'id="consent-banner"' in html
    assert html.index('value="accept_all"') < html.index('value="reject_all"') < html.index("</form>")


def test_reject_all_is_remembered_and_banner_gone(client, app):  # C12, C14
    r = choose(client, "reject_all", scope="due", next="/other")
    assert r.status_code == 303 and r.headers["Location"] == "/other"
    html = client.get("/").get_data(as_text=True)
    assert 'id="consent-banner"' not in html and 'id="consent-reopen"' in html
    assert record_count(app) == 1
