"""The API describes itself: /api/v1/openapi.json is a valid OpenAPI 3 document."""

from __future__ import annotations

import pytest

ACCOUNT_OPERATIONS = {
    "/api/v1/session": {"get", "post", "delete"},
    "/api/v1/session/password": {"post"},
    "/api/v1/teams": {"get", "post"},
    "/api/v1/teams/{team_id}": {"get", "patch"},
    "/api/v1/teams/{team_id}/members": {"get"},
    "/api/v1/users": {"get", "post"},
    "/api/v1/users/{user_id}": {"get", "patch"},
    "/api/v1/users/{user_id}/reset-password": {"post"},
    "/api/v1/users/{user_id}/disable": {"post"},
    "/api/v1/users/{user_id}/enable": {"post"},
    "/api/v1/audit": {"get"},
}


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_spec_is_public_and_lists_the_account_endpoints(spec):
    """Anyone can read the description, and it lists every account operation."""
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "Tawthiq"
    for path, methods in ACCOUNT_OPERATIONS.items():
        assert path in spec["paths"], path
        assert methods <= set(spec["paths"][path]), path


def test_spec_describes_bodies_and_refs_resolve(spec):
    """Request bodies have schemas, and every $ref points at a defined component."""
    create = spec["paths"]["/api/v1/users"]["post"]
    assert "application/json" in create["requestBody"]["content"]
    refs = set()

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.add(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec["paths"])
    assert refs
    for ref in refs:
        _hash, components, kind, name = ref.split("/")
        assert components == "components"
        assert name in spec["components"][kind], ref


def test_spec_validates_against_openapi_schema(spec):
    """The document passes openapi-spec-validator (skipped where it is not installed)."""
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(spec)


def test_spec_describes_the_pull_query(spec):
    """The pull operation lists since, limit and the optional ack (an integer from 0)."""
    params = {p["name"]: p for p in spec["paths"]["/api/v1/sync/pull"]["get"]["parameters"]}
    assert {"since", "limit", "ack"} <= set(params)
    assert params["ack"]["in"] == "query" and not params["ack"]["required"]
    assert params["ack"]["schema"] == {"type": "integer", "minimum": 0}


def test_spec_says_how_the_language_of_errors_is_chosen(spec):
    """The description names Accept-Language, and a header parameter documents it."""
    assert "Accept-Language" in spec["info"]["description"]
    header = spec["components"]["parameters"]["AcceptLanguage"]
    assert header["in"] == "header" and header["name"] == "Accept-Language"
