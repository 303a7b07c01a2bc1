"""The gazetteer: search and read places (any logged-in user), add, rename, import (admin).

The gazetteer is deployment-wide reference data, not team data: every authenticated user
reads all of it, and only administrators change it.
"""

from __future__ import annotations

import io
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.schemas.places import (
    ImportResultSchema,
    PlaceCreateSchema,
    PlaceExportArgs,
    PlaceExportPageSchema,
    PlaceListSchema,
    PlaceSchema,
    PlaceSearchArgs,
    PlaceUpdateSchema,
    place_view,
)
from app.security.guards import accepts_body
from app.security.permissions import permission, require_principal
from app.services import gazetteer

blp = Blueprint("places", __name__, url_prefix="/api/v1/places", description="Gazetteer")

CSV_BODY = {
    "required": True,
    "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
}


def _one(place: Any) -> dict[str, Any]:
    return place_view(place, gazetteer.ancestors([place])[place.id])


@blp.route("")
class PlacesView(MethodView):
    @permission("authenticated")
    @blp.arguments(PlaceSearchArgs, location="query")
    @blp.response(200, PlaceListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Find places by Arabic or English name or P-code prefix, best match first."""
        parent = gazetteer.get_place(args["parent"]) if args.get("parent") else None
        found = gazetteer.search(args["q"], args.get("level"), parent, args["limit"])
        chains = gazetteer.ancestors(found)
        return {"places": [place_view(p, chains[p.id]) for p in found]}

    @permission("admin")
    @blp.arguments(PlaceCreateSchema)
    @blp.response(201, PlaceSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Add a place (usually a neighbourhood) under a parent place."""
        parent = gazetteer.get_place(data["parent_id"]) if data["parent_id"] else None
        place = gazetteer.add_place(
            require_principal().user,
            parent,
            data["level"],
            name_ar=data["name_ar"],
            name_en=data["name_en"],
            pcode=data["pcode"],
        )
        return _one(place)


@blp.route("/export")
class PlacesExportView(MethodView):
    @permission("authenticated")
    @blp.arguments(PlaceExportArgs, location="query")
    @blp.response(200, PlaceExportPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The whole gazetteer, page by page, parents before children (for offline use)."""
        places, after = gazetteer.export_page(args.get("after"), args["limit"], args.get("since"))
        return {"places": places, "next": after}


@blp.route("/import")
class PlacesImportView(MethodView):
    @permission("admin")
    @accepts_body("text/csv")
    @blp.doc(requestBody=CSV_BODY)
    @blp.response(200, ImportResultSchema)
    def post(self) -> Any:
        """Import a CSV in the OCHA COD layout (UTF-8); all or nothing, safe to repeat."""
        text = io.TextIOWrapper(request.stream, encoding="utf-8-sig", newline="")
        try:
            return gazetteer.import_cod(require_principal().user, text, source="api")
        finally:
            text.detach()  # the request owns its stream; don't close it


@blp.route("/<string:place_id>")
class PlaceView(MethodView):
    @permission("authenticated")
    @blp.response(200, PlaceSchema)
    def get(self, place_id: str) -> dict[str, Any]:
        """One place with its ancestors."""
        return _one(gazetteer.get_place(place_id))

    @permission("admin")
    @blp.arguments(PlaceUpdateSchema)
    @blp.response(200, PlaceSchema)
    def patch(self, data: dict[str, str], place_id: str) -> dict[str, Any]:
        """Change a place's Arabic or English name."""
        place = gazetteer.rename_place(
            require_principal().user,
            gazetteer.get_place(place_id),
            name_ar=data.get("name_ar"),
            name_en=data.get("name_en"),
        )
        return _one(place)
