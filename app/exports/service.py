"""Running one export: check the request, log it, and stream it.

`prepare()` validates a request against its profile, writes the start of its log entry
(committed before the first byte leaves), and returns an `Export` whose `body` is a
generator of UTF-8 bytes. Reading the body to its end (or dropping it) completes the log
entry with the record count and writes the `export` audit event: who, which profile and
filters, how many records, when. Callers (the API, the CLI) only move bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app

from app.api.errors import ApiError
from app.db_types import utcnow
from app.exports import formats
from app.exports.aggregate import MEASURES, aggregate_rows
from app.exports.pfif import pfif_body
from app.exports.places import PlaceIndex
from app.exports.profiles import (
    PROFILES,
    RECORD_PROFILES,
    Column,
    ExportContext,
    admits,
    columns_for,
    row_reader,
)
from app.exports.stream import ExportRow, Scope, scan
from app.extensions import db
from app.models import ExportLog, PartnerToken, User
from app.schemas.records.kinds import RECORD_KINDS
from app.services.audit import audit
from app.services.changelog import current_seq

__all__ = ["EXPORT_SCHEMA_VERSION", "Actor", "Export", "ExportRequest", "prepare", "recipient_key"]

EXPORT_SCHEMA_VERSION = 1
DEFAULT_SMALL_CELL_K = 5
FORMATS_OF = {
    "internal": ("csv", "csv_bom", "hxl", "json", "jsonl", "hxl_json"),
    "partner": ("csv", "csv_bom", "hxl", "json", "jsonl", "hxl_json"),
    "public": ("csv", "csv_bom", "hxl", "json", "jsonl", "hxl_json"),
    "tracing": ("pfif",),
}
KINDS_OF = {
    "internal": RECORD_KINDS,
    "partner": RECORD_KINDS,
    "public": tuple(MEASURES),
    "tracing": ("missing_person",),
}
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class ExportRequest:
    """What is asked for (already narrowed to a partner token's scope by the caller)."""

    team_id: str
    profile: str
    format: str
    kinds: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    place: str | None = None
    verification: tuple[str, ...] = ()
    since: str | None = None
    recipient: str | None = None
    geo_level: str = "district"

    def filters(self) -> dict[str, Any]:
        """The filters as logged and as echoed in JSON metadata."""
        out: dict[str, Any] = {"kinds": list(self.kinds)}
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value.isoformat()
        if self.place:
            out["place"] = self.place
        if self.verification:
            out["verification"] = list(self.verification)
        if self.since:
            out["since"] = self.since
        if self.profile == "public":
            out["geo_level"] = self.geo_level
        return out


@dataclass
class Actor:
    """Who exports: a user (session or CLI) or a partner token."""

    user: User | None
    name: str
    via: str  # session | token | cli
    token: PartnerToken | None = None


@dataclass
class Export:
    """A prepared export: headers now, bytes as the body is read."""

    log_id: str
    content_type: str
    filename: str
    headers: dict[str, str]
    body: Iterator[bytes]
    counts: dict[str, int] = field(default_factory=dict)


def recipient_key(team_id: str, recipient: str) -> bytes:
    """The key of one recipient's ids: stable across their tokens, distinct per recipient."""
    secret = current_app.config["SECRET_KEY"].encode()
    label = f"tawthiq-export-ids\0{team_id}\0{recipient.strip().casefold()}".encode()
    return hmac.new(secret, label, hashlib.sha256).digest()


def _invalid(message: str, name: str) -> ApiError:
    return ApiError(422, message, fields={name: [message]})


def parse_since(text: str | None) -> tuple[int | None, datetime | None]:
    """`since` as a sequence cursor (an integer from `next_since`) or an ISO date/time."""
    if text is None or text == "":
        return None, None
    text = text.strip()
    if text.isdigit():
        return int(text), None
    try:
        if _DATE_ONLY.match(text):
            return None, datetime.fromisoformat(text).replace(tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid("Use a cursor (next_since) or an ISO date or date-time.", "since") from None
    return None, moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _check(req: ExportRequest) -> None:
    if req.profile not in PROFILES:
        raise _invalid(f"Unknown profile; one of {', '.join(PROFILES)}.", "profile")
    if req.format not in FORMATS_OF[req.profile]:
        raise _invalid(
            f"Profile {req.profile} exports as {', '.join(FORMATS_OF[req.profile])}.", "format"
        )
    allowed = KINDS_OF[req.profile]
    for kind in req.kinds:
        if kind not in allowed:
            raise _invalid(f"Profile {req.profile} exports {', '.join(allowed)}.", "kind")
    if not req.kinds:
        req.kinds = tuple(allowed)
    if req.profile in RECORD_PROFILES and req.format in formats.TABULAR and len(req.kinds) != 1:
        raise _invalid("A table holds one kind of record: choose one kind.", "kind")
    if req.profile in ("partner", "tracing") and not (req.recipient or "").strip():
        raise _invalid("Say who receives it: their ids are scoped to them.", "recipient")
    if req.profile == "public" and req.since:
        raise _invalid("Public aggregates are whole tables; since does not apply.", "since")
    if req.geo_level not in ("district", "governorate"):
        raise _invalid("geo_level is district or governorate.", "geo_level")


def validate(req: ExportRequest) -> tuple[tuple[int | None, Any], str | None]:
    """Refuse (422, naming the field) what `prepare` would refuse, logging nothing:
    ((since_seq, since_time), the place's path)."""
    _check(req)
    since = parse_since(req.since)
    place_path = None
    if req.place:
        from app.services.gazetteer import find_place

        try:
            place_path = find_place(req.place).path
        except ApiError:
            raise _invalid("Unknown place.", "place") from None
    return since, place_path


def prepare(req: ExportRequest, actor: Actor) -> Export:
    """Validate, log the start, and return the streaming export."""
    (since_seq, since_time), place_path = validate(req)
    places = PlaceIndex()
    key = (
        recipient_key(req.team_id, req.recipient or "")
        if req.profile in ("partner", "tracing")
        else None
    )
    ctx = ExportContext(profile=req.profile, places=places, key=key)
    shared = req.profile != "internal"
    scope = Scope(
        team_id=req.team_id,
        kinds=req.kinds,
        until_seq=current_seq(),
        since_seq=since_seq,
        since_time=since_time,
        date_from=req.date_from,
        date_to=req.date_to,
        place_path=place_path,
        verification=req.verification or None,
        exclude_sensitivity=("strictly_confidential",) if shared else (),
        exclude_verification=("discounted",) if shared else (),
        timestamps=req.profile in ("internal", "tracing"),
    )
    now = utcnow()
    k = int(current_app.config.get("EXPORT_SMALL_CELL_K", DEFAULT_SMALL_CELL_K))
    log = ExportLog(
        team_id=req.team_id,
        actor_id=actor.user.id if actor.user else None,
        actor_name=actor.name,
        partner_token_id=actor.token.id if actor.token else None,
        via=actor.via,
        profile=req.profile,
        format=req.format,
        filters=req.filters(),
        until_seq=scope.until_seq,
        started_at=now,
    )
    db.session.add(log)
    db.session.flush()
    details = {"profile": req.profile, "format": req.format, "filters": req.filters()}
    # Logged before the first byte leaves: a crash mid-stream still leaves a trace.
    audit(
        "export_started",
        actor.user,
        actor_name=actor.name,
        target_type="export",
        target_id=log.id,
        team_id=req.team_id,
        partner_token_id=actor.token.id if actor.token else None,
        **details,
    )
    if actor.token is not None:
        actor.token.last_used_at = now
        audit(
            "partner_token_used",
            None,
            actor_name=actor.name,
            target_type="partner_token",
            target_id=actor.token.id,
            team_id=req.team_id,
            export_id=log.id,
            **details,
        )
    db.session.commit()
    log_id = log.id
    meta = {
        "schema_version": EXPORT_SCHEMA_VERSION,
        "export_id": log_id,
        "profile": req.profile,
        "format": req.format,
        "generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "filters": req.filters(),
        "suppression_threshold": k if req.profile == "public" else None,
        "ids": {"internal": "internal", "public": "none"}.get(req.profile, "recipient_scoped"),
        "next_since": scope.until_seq,
    }
    counts = {"records": 0, "withdrawn": 0}
    text = _body(req, scope, ctx, meta, counts, k)
    content_type, ext = formats.CONTENT_TYPES[req.format]
    kinds = req.kinds[0] if len(req.kinds) == 1 else "all"
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    filename = f"tawthiq-{req.profile}-{kinds}-{stamp}.{ext}"
    headers = {
        "X-Export-Id": log_id,
        "X-Export-Next-Since": str(scope.until_seq),
        "X-Export-Profile": req.profile,
        "Cache-Control": "no-store",
    }
    body = _logged(text, log_id, actor, req, counts)
    return Export(log_id, content_type, filename, headers, body, counts)


def _classify(req: ExportRequest, scope: Scope) -> Callable[[ExportRow], str | None]:
    profile = req.profile

    def classify(row: ExportRow) -> str | None:
        if admits(profile, row) and scope.matches(row):
            return "upsert"
        return "withdraw" if scope.incremental else None

    return classify


def _record_items(
    req: ExportRequest, scope: Scope, counts: dict[str, int]
) -> Iterator[tuple[str, ExportRow]]:
    classify = _classify(req, scope)
    for row in scan(scope):
        action = classify(row)
        if action is None:
            continue
        counts["records" if action == "upsert" else "withdrawn"] += 1
        yield action, row


def _table(
    req: ExportRequest, scope: Scope, ctx: ExportContext, counts: dict[str, int], k: int
) -> tuple[list[str], Iterator[list[Any]]]:
    """Headers and typed rows of a record or aggregate table."""
    if req.profile == "public":
        classify = _classify(req, scope)

        def eligible() -> Iterator[ExportRow]:
            for row in scan(scope):
                if classify(row) == "upsert":
                    counts["records"] += 1
                    yield row

        return aggregate_rows(eligible(), ctx.places, req.kinds, level=req.geo_level, k=k)
    columns: list[Column] = columns_for(req.profile, req.kinds[0]) if len(req.kinds) == 1 else []
    headers = [c.header for c in columns]
    incremental = scope.incremental
    if incremental:
        headers = ["action", *headers]
    read = row_reader(columns)
    id_at = headers.index("id")

    def rows() -> Iterator[list[Any]]:
        for action, row in _record_items(req, scope, counts):
            if action == "withdraw":
                cells: list[Any] = [None] * len(headers)
                cells[0] = "withdraw"
                cells[id_at] = ctx.ref(row.id)
                yield cells
                continue
            values = read(ctx, row)
            yield ["upsert", *values] if incremental else values

    return headers, rows()


def _objects(
    req: ExportRequest, scope: Scope, ctx: ExportContext, counts: dict[str, int], k: int
) -> Iterator[dict[str, Any]]:
    """JSON objects: one per record (any kinds) or per aggregate row."""
    if req.profile == "public":
        headers, rows = _table(req, scope, ctx, counts, k)
        for row in rows:
            yield dict(zip(headers, row, strict=True))
        return
    per_kind = {}
    for kind in req.kinds:
        columns = columns_for(req.profile, kind)
        per_kind[kind] = ([c.header for c in columns], row_reader(columns))
    incremental = scope.incremental
    for action, row in _record_items(req, scope, counts):
        if action == "withdraw":
            if incremental and req.format == "jsonl":
                yield {"action": "withdraw", "id": ctx.ref(row.id), "kind": row.kind}
            continue
        obj: dict[str, Any] = {"action": "upsert"} if incremental and req.format == "jsonl" else {}
        headers, read = per_kind[row.kind]
        for header, value in zip(headers, read(ctx, row), strict=True):
            if value is not None:
                obj[header] = value
        yield obj


def _body(
    req: ExportRequest,
    scope: Scope,
    ctx: ExportContext,
    meta: dict[str, Any],
    counts: dict[str, int],
    k: int,
) -> Iterator[str]:
    fmt = req.format
    if fmt in ("csv", "csv_bom", "hxl"):
        headers, rows = _table(req, scope, ctx, counts, k)
        return formats.csv_body(headers, rows, bom=fmt == "csv_bom", hxl=fmt == "hxl")
    if fmt == "hxl_json":
        headers, rows = _table(req, scope, ctx, counts, k)
        return formats.hxl_json_body(headers, rows)
    if fmt == "jsonl":
        return formats.jsonl_body(_objects(req, scope, ctx, counts, k))
    if fmt == "pfif":
        domain = current_app.config.get("PFIF_DOMAIN", "tawthiq.invalid")
        author = current_app.config.get("EXPORT_AUTHOR_NAME", "Documentation team")
        items = ((a == "withdraw", r) for a, r in _record_items(req, scope, counts))
        return pfif_body(ctx, items, domain=domain, author=author, now=meta["generated_at"])
    # One JSON document: withdrawn ids come from a second pass over the same scope.
    withdrawn: Callable[[], Iterable[str]] | None = None
    if scope.incremental and req.profile != "public":
        second = {"records": 0, "withdrawn": 0}

        def withdrawn() -> Iterator[str]:
            for action, row in _record_items(req, scope, second):
                if action == "withdraw":
                    counts["withdrawn"] += 1
                    yield ctx.ref(row.id) or ""

    def objects() -> Iterator[dict[str, Any]]:
        yield from _objects(req, scope, ctx, counts, k)
        counts["withdrawn"] = 0  # counted again, by the second pass

    def tail() -> dict[str, Any]:
        return {"record_count": counts["records"], "withdrawn_count": counts["withdrawn"]}

    return formats.json_body(meta, objects(), withdrawn, tail)


def _logged(
    text: Iterator[str], log_id: str, actor: Actor, req: ExportRequest, counts: dict[str, int]
) -> Iterator[bytes]:
    """The body as bytes; when it ends (or is dropped) the log entry is completed.

    A streamed body may run in a later app context with a new database session, so only
    plain ids cross over, never the ORM objects of the request.
    """
    who = (
        actor.user.id if actor.user else None,
        actor.name,
        actor.token.id if actor.token else None,
    )

    def body() -> Iterator[bytes]:
        status = "aborted"
        try:
            for chunk in text:
                yield chunk.encode("utf-8")
            status = "completed"
        except Exception:
            status = "failed"
            raise
        finally:
            _finish(log_id, who, req, counts, status)

    return body()


def _finish(
    log_id: str,
    who: tuple[str | None, str, str | None],
    req: ExportRequest,
    counts: dict[str, int],
    status: str,
) -> None:
    user_id, name, token_id = who
    db.session.rollback()
    log = db.session.get(ExportLog, log_id)
    if log is None:  # pragma: no cover - the row was committed before streaming
        return
    log.status = status
    log.finished_at = utcnow()
    log.record_count = counts["records"]
    log.withdrawn_count = counts["withdrawn"]
    audit(
        "export",
        db.session.get(User, user_id) if user_id else None,
        actor_name=name,
        target_type="export",
        target_id=log_id,
        team_id=req.team_id,
        profile=req.profile,
        format=req.format,
        filters=req.filters(),
        record_count=counts["records"],
        withdrawn_count=counts["withdrawn"],
        status=status,
        partner_token_id=token_id,
    )
    db.session.commit()
