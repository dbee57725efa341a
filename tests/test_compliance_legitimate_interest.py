"""No "legitimate interest" basis is offered for cookies or SDKs: consent is the only basis (C5)."""

from __future__ import annotations

import re

import pytest
from conftest import csrf_token, record_count


@pytest.mark.parametrize("language", ["en", "zh-HK", "zh-CN"])
def test_no_layer_offers_legitimate_interest(client, language):  # C5
    headers = {"Accept-Language": language}
    pages = [client.get(path, headers=headers).get_data(as_text=True)
             for path in ("/", "/consent/preferences", "/nearby", "/consent/declaration")]
    for page in pages:
        assert not re.search(r"legitimate|正當利益|正当利益|合法權益|合法权益", page, re.I)
    actions = set(re.findall(r'name="action" value="([^"]+)"', "".join(pages)))
    assert actions and actions <= {"accept_all", "reject_all", "save", "grant"}


def test_the_api_refuses_a_legitimate_interest_action(client, app):  # C5
    token = csrf_token(client)
    r = client.post("/consent", json={"action": "legitimate_interest", "purposes": ["analytics"]},
                    headers={"X-CSRFToken": token})
    assert r.status_code == 400 and record_count(app) == 0
