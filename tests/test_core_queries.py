"""Issue 2, item 6: a normal page view makes no database query (counted through SQLAlchemy events)."""

from __future__ import annotations

from conftest import choose
from core_util import count_statements, ext


def test_page_views_make_zero_queries(client, app):
    engine = ext(app).store.engine
    with count_statements(engine) as seen:
        for path in ("/", "/other", "/hello", "/recommendations", "/nearby", "/consent/state",
                     "/consent/preferences", "/consent/declaration", "/.well-known/gpc.json"):
            assert client.get(path).status_code in (200, 403)
    assert seen == [], "first visit"

    with count_statements(engine) as seen:
        for path in ("/", "/other", "/consent/state"):
            client.get(path, headers={"Sec-GPC": "1"})
    inserts = [s for s in seen if s.lstrip().upper().startswith("INSERT")]
    assert len(seen) == len(inserts) == 1, "the one exception: the single gpc record of the first honouring request"

    choose(client, "save", ("recommendations", "location"))
    with count_statements(engine) as seen:
        for path in ("/", "/other", "/recommendations", "/nearby", "/consent/state", "/consent/preferences"):
            assert client.get(path).status_code == 200
    assert seen == [], "decided visitor"


def test_the_counter_sees_the_write_of_a_choice(client, app):
    """The probe itself works: a choice is one INSERT, in one statement."""
    engine = ext(app).store.engine
    client.get("/consent/state")
    with count_statements(engine) as seen:
        choose(client, "accept_all")
    inserts = [s for s in seen if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1
