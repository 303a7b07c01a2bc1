"""Helpers for the gazetteer tests: the shipped sample and CSV bodies."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import Place
from app.services import gazetteer

HEADER = "ADM1_PCODE,ADM1_EN,ADM1_AR,ADM2_PCODE,ADM2_EN,ADM2_AR,ADM3_PCODE,ADM3_EN,ADM3_AR\n"


def import_sample() -> None:
    """Import both shipped sample files through the service, as the CLI does."""
    for path in gazetteer.sample_files():
        with path.open(encoding="utf-8-sig", newline="") as stream:
            gazetteer.import_cod(None, stream)


def sample_bytes(name: str) -> bytes:
    return next(p for p in gazetteer.sample_files() if p.name == name).read_bytes()


def post_csv(client: Any, body: str | bytes) -> Any:
    data = body.encode() if isinstance(body, str) else body
    return client.post("/api/v1/places/import", data=data, content_type="text/csv")


def place_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Place))


def by_pcode(pcode: str) -> Place:
    return db.session.scalar(sa.select(Place).where(Place.pcode == pcode))
