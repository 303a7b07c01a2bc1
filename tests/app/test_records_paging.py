"""Record lists at scale: capped totals, keyset pages, and the two name-search paths.

The cap (1,000) and the breadth at which another token drives a search (20,000) are
lowered here so that a handful of records take the same code paths as a million.
"""

from __future__ import annotations

import pytest

from app.services import record_queries


@pytest.fixture
def coordinator(make_team, login_as):
    return login_as("coordinator", make_team("Homs"))


def _add(client, name):
    body = {"kind": "casualty", "full_name": name, "sex": "male", "outcome": "injured"}
    body |= {"civilian_status": "civilian", "cause": "gunfire_sniper"}
    r = client.post("/api/v1/records", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def _page(client, **query):
    r = client.get("/api/v1/records", query_string=query)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _walk(client, per_page, **query):
    """Every record of a list, page by page with `after`; the ids in order."""
    ids, after = [], None
    for _ in range(50):
        page = _page(client, per_page=per_page, **query, **({"after": after} if after else {}))
        ids += [r["id"] for r in page["records"]]
        assert page["has_more"] == (page["next_after"] is not None)
        if not page["has_more"]:
            return ids
        after = page["next_after"]
    raise AssertionError("no last page")


@pytest.fixture
def people(coordinator):
    """Seven people named محمد (one of them twice: محمد محمود) and three others."""
    names = [
        "محمد بن أحمد الحمصي",
        "محمد العلي",
        "محمد محمود الخطيب",
        "عمر الحمصي",
        "محمد خالد",
        "فاطمة الحلبي",
        "محمد بن عمر",
        "محمد الحمصي",
        "خالد الرستني",
        "محمد نور",
    ]
    return {name: _add(coordinator, name) for name in names}


def test_many_matches_are_capped_and_paged_newest_first(coordinator, people, monkeypatch):
    """Past the cap a search says "more than N" and still pages through every match,
    newest first, each once, the same as when every match is counted."""
    mohammed = [rid for name, rid in people.items() if name.startswith("محمد")]
    exact = _walk(coordinator, 2, q="محمد")
    assert exact == list(reversed(mohammed))  # newest first

    first = _page(coordinator, q="محمد", per_page=50)
    assert (first["total"], first["total_exact"], first["has_more"]) == (7, True, False)

    monkeypatch.setattr(record_queries, "TOTAL_CAP", 3)
    capped = _page(coordinator, q="محمد", per_page=2)
    assert (capped["total"], capped["total_exact"], capped["has_more"]) == (3, False, True)
    assert _walk(coordinator, 2, q="محمد") == exact
    assert _walk(coordinator, 3, q="مح") == exact  # محمد محمود appears once
    monkeypatch.setattr(record_queries, "BROAD", 2)  # and through the newest-first walk
    assert _walk(coordinator, 2, q="محمد") == exact
    assert _walk(coordinator, 3, q="مح") == exact


def test_a_narrow_token_drives_a_search_of_a_broad_one(coordinator, people, monkeypatch):
    """Whichever token walks the index, a chain finds the same records."""
    both = {people["محمد بن أحمد الحمصي"], people["محمد الحمصي"]}
    assert set(_walk(coordinator, 1, q="محمد الحمصي")) == both
    monkeypatch.setattr(record_queries, "BROAD", 2)  # every token counts as broad
    assert set(_walk(coordinator, 1, q="محمد الحمصي")) == both
    assert set(_walk(coordinator, 1, q="الحمصي محمد")) == both
    monkeypatch.setattr(record_queries, "TOTAL_CAP", 1)  # and the newest-first walk
    assert _walk(coordinator, 1, q="الحمصي محمد") == [
        people["محمد الحمصي"],
        people["محمد بن أحمد الحمصي"],
    ]


def test_plain_lists_page_with_after_past_the_cap(coordinator, people, monkeypatch):
    """Without a search the list pages the same way, and totals are capped too."""
    everyone = list(reversed(people.values()))
    assert _walk(coordinator, 4) == everyone
    monkeypatch.setattr(record_queries, "TOTAL_CAP", 5)
    page = _page(coordinator, per_page=4)
    assert (page["total"], page["total_exact"]) == (5, False)
    assert _walk(coordinator, 4) == everyone
    assert _walk(coordinator, 3, kind="casualty") == everyone


def test_a_bad_cursor_is_a_422_naming_after(coordinator, people):
    """`after` must be a `next_after` value."""
    r = coordinator.get("/api/v1/records", query_string={"after": "not-a-cursor"})
    assert r.status_code == 422
    assert "after" in r.get_json()["error"]["fields"]
