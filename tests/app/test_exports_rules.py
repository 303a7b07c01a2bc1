"""Which records may leave, decided on one record at a time (profiles.admits)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from app.exports.profiles import admits


def row(kind: str = "casualty", conflicts: dict[str, Any] | None = None, **values: Any) -> Any:
    return SimpleNamespace(
        kind=kind,
        visible=True,
        purged=False,
        sensitivity=values.pop("sensitivity", "confidential"),
        verification_status=values.pop("verification_status", "corroborated"),
        has_conflicts=bool(conflicts),
        conflicts={k: [{"value": v} for v in vs] for k, vs in (conflicts or {}).items()},
        values=values,
    )


PERSON = {"fate_status": "missing", "consent_scope": ["internal", "partners", "tracing_agency"]}


@pytest.mark.parametrize("profile", ["partner", "public", "tracing"])
def test_a_conflicting_candidate_counts_against_sharing(profile):
    """If one side of an open conflict says strictly confidential, or discounted, or
    withdraws consent, the record does not leave the team."""
    kind = "missing_person"
    assert admits(profile, row(kind, **PERSON))
    assert not admits(profile, row(kind, {"sensitivity": ["strictly_confidential"]}, **PERSON))
    assert not admits(profile, row(kind, {"verification_status": ["discounted"]}, **PERSON))
    if profile != "public":
        narrowed = {"consent_scope": [["internal"]]}
        assert not admits(profile, row(kind, narrowed, **PERSON))


@pytest.mark.parametrize("profile", ["internal", "partner", "public", "tracing"])
def test_a_possible_death_waits_for_the_family_everywhere(profile):
    """A death in a conflict candidate, or a doubt about notification, keeps it home."""
    kind = "missing_person"
    dead = PERSON | {"fate_status": "believed_dead", "family_notified": True}
    assert admits(profile, row(kind, **dead))
    assert not admits(profile, row(kind, **(dead | {"family_notified": False})))
    assert not admits(profile, row(kind, {"family_notified": [False]}, **dead))
    assert not admits(profile, row(kind, {"fate_status": ["confirmed_dead"]}, **PERSON))


def test_deleted_and_purged_never_leave():
    """Not even to the team's own export."""
    gone = row()
    gone.visible = False
    purged = row()
    purged.purged = True
    for profile in ("internal", "partner", "public"):
        assert not admits(profile, gone)
        assert not admits(profile, purged)
