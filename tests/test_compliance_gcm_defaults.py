"""Issue 17, item 7: purposes with well-known keys grant their Google Consent Mode types without ``gcm=``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import csrf_token
from flask import Flask, render_template_string

from flask_consent import Consent, Cookie, Purpose
from flask_consent.purposes import DEFAULT_GCM

ADS = ("ad_storage", "ad_user_data", "ad_personalization")


@pytest.mark.parametrize("key, types", [
    ("analytics", ("analytics_storage",)),
    ("advertising", ADS),
    ("marketing", ADS),
    ("recommendations", ("personalization_storage",)),
    ("personalisation", ("personalization_storage",)),
    ("personalization", ("personalization_storage",)),
    ("necessary", ("security_storage",)),
    ("location", ()),
])
def test_well_known_keys_get_their_consent_mode_types(key: str, types: tuple[str, ...]) -> None:
    assert Purpose(key, "Title", "What it does.").gcm == types
    assert DEFAULT_GCM.get(key, ()) == types


def test_explicit_gcm_wins_and_an_empty_list_means_none() -> None:
    assert Purpose("analytics", gcm=[]).gcm == ()
    assert Purpose("analytics", gcm=["ad_storage"]).gcm == ("ad_storage",)
    assert Purpose("stats", gcm=["analytics_storage"]).gcm == ("analytics_storage",)


def _readme_shop(tmp_path: Path, *extra: Purpose) -> Flask:
    """The README's quick start, plus purposes written the same way (no ``gcm=``)."""
    app = Flask("readme_shop", instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY="a long random value", CONSENT_RATE_LIMIT=None)
    Consent(app, purposes=[
        Purpose("recommendations", title="Personalised recommendations",
                description="Suggestions from what you browse and buy.",
                cookies=[Cookie("recs_*", lifetime="30 days")]),
        Purpose("location", title="Nearby offers", description="Stores and offers near you."),
        *extra,
    ])

    @app.get("/")
    def index() -> str:
        return render_template_string("<html><head>{{ consent_gcm_default() }}</head><body>shop</body></html>")

    return app


ANALYTICS = Purpose("analytics", title="Analytics", description="Counts visits to improve the shop.")
ADVERTISING = Purpose("advertising", title="Advertising", description="Offers based on your visits.",
                      gpc_opt_out=True)


def _accept_all_as_the_banner_does(app: Flask) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """"Accept all" as consent.js posts it; the gcm map it hands gtag('consent','update'), the one of
    /consent/state, and the next page's gtag('consent','default')."""
    client = app.test_client()
    client.get("/")
    answer = client.post("/consent", json={"action": "accept_all", "purposes": [], "scope": "due"},
                         headers={"X-CSRFToken": csrf_token(client), "X-Consent-Client": "banner"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    state = client.get("/consent/state", headers={"Accept": "application/json"}).get_json()
    page = client.get("/").get_data(as_text=True)
    match = re.search(r"gtag\('consent','default',(\{.*?\})\);", page)
    assert match, page
    return answer.get_json()["gcm"], state["gcm"], json.loads(match.group(1))


def test_accept_all_grants_google_analytics_and_ads_with_readme_purposes(tmp_path: Path) -> None:
    update, state, default = _accept_all_as_the_banner_does(_readme_shop(tmp_path, ANALYTICS, ADVERTISING))
    for gcm in (update, state, default):
        assert gcm["analytics_storage"] == "granted"
        assert all(gcm[t] == "granted" for t in ADS)
        assert gcm["personalization_storage"] == "granted"
        assert gcm["functionality_storage"] == "denied"


def test_an_empty_gcm_keeps_google_tags_denied(tmp_path: Path) -> None:
    opted_out = Purpose("analytics", title="Analytics", description="Counts visits.", gcm=[])
    update, state, default = _accept_all_as_the_banner_does(_readme_shop(tmp_path, opted_out))
    assert update["analytics_storage"] == state["analytics_storage"] == default["analytics_storage"] == "denied"
