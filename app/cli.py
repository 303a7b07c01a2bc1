"""The `tawthiq` command: serve, database, teams, users, places, exports and partner tokens.

Commands that change accounts write the same audit events as the API, with the actor
recorded as "cli" (the person at the hub's keyboard).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask

from app import create_app
from app.models.places import LEVELS


def _app(ctx: click.Context) -> Flask:
    obj = ctx.ensure_object(dict)
    if "app" not in obj:
        obj["app"] = create_app(obj.get("config"))
    return obj["app"]


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Tawthiq: offline-first incident documentation."""
    ctx.ensure_object(dict)


# --- serving ---------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, threads: int) -> None:
    """Serve the app with waitress until Ctrl-C."""
    import waitress

    app = _app(ctx)
    click.echo(f"Tawthiq serving on http://{host}:{port}  (Ctrl-C stops it)", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        waitress.serve(app, host=host, port=port, threads=threads, ident="tawthiq")
    click.echo("Tawthiq stopped.", err=True)


@main.command()
@click.pass_context
def setup(ctx: click.Context) -> None:
    """Bring the database to the latest schema and create a first admin if there is none."""
    from app import migrate
    from app.services import accounts

    app = _app(ctx)
    migrate.upgrade(app.config["SQLALCHEMY_DATABASE_URI"])
    with app.app_context():
        created = accounts.ensure_first_admin()
        from app.services.sync_push import reexamine_parked

        counts = reexamine_parked()
    if counts["applied"]:
        click.echo(f"Parked changes applied after the upgrade: {counts['applied']}.")
    if created:
        username, password = created
        click.echo("")
        click.echo("A first administrator account was created. Write this password down now:")
        click.echo(f"  username: {username}")
        click.echo(f"  password: {password}")
        click.echo("It is shown only once and must be changed at first login.")
        click.echo("")


# --- database --------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema migrations."""


@db.command("upgrade")
@click.argument("revision", default="head")
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from app import migrate

    migrate.upgrade(_app(ctx).config["SQLALCHEMY_DATABASE_URI"], revision)
    click.echo(f"Database upgraded to {revision}.")


@db.command("downgrade")
@click.argument("revision")
@click.pass_context
def db_downgrade(ctx: click.Context, revision: str) -> None:
    """Undo migrations down to REVISION (`base` empties the database)."""
    from app import migrate

    migrate.downgrade(_app(ctx).config["SQLALCHEMY_DATABASE_URI"], revision)
    click.echo(f"Database downgraded to {revision}.")


@db.command("rebuild-records")
@click.option(
    "--shuffle-seed",
    type=int,
    default=None,
    help="Apply each record's changes in a random order from this seed (a check).",
)
@click.pass_context
def db_rebuild_records(ctx: click.Context, shuffle_seed: int | None) -> None:
    """Drop the records cache and rebuild it from the change log."""
    from app.services.rebuild import rebuild_records

    with _app(ctx).app_context():
        count = rebuild_records(shuffle_seed=shuffle_seed)
    click.echo(f"Rebuilt {count} records from the change log.")


# --- demo data -------------------------------------------------------------------------


@main.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Load the Homs demo data set (teams, users, records, conflicts); safe to repeat."""
    from app.services import demo as demo_data

    with _app(ctx).app_context():
        report = _run(lambda _actor: demo_data.load_demo(), None)
    for line in report.lines():
        click.echo(line)
    click.echo("Users:")
    for spec in report.users:
        password = report.passwords.get(spec.username)
        shown = (
            f"one-time password (shown once): {password}"
            if password
            else "already existed (tawthiq user reset-password gives a new password)"
        )
        click.echo(f"  {spec.username}  {spec.role}, {spec.display_name}: {shown}")


# --- teams and users -------------------------------------------------------------------


@main.group()
def team() -> None:
    """Teams (councils, organisations)."""


@team.command("create")
@click.argument("name")
@click.pass_context
def team_create(ctx: click.Context, name: str) -> None:
    """Create a team called NAME and print its id."""
    from app.services import accounts

    with _app(ctx).app_context():
        created = _run(accounts.create_team, None, name=name)
        click.echo(created.id)


@team.command("list")
@click.pass_context
def team_list(ctx: click.Context) -> None:
    """List teams: id and name."""
    from app.extensions import db as database
    from app.models import Team

    with _app(ctx).app_context():
        for t in database.session.scalars(sa.select(Team).order_by(Team.name)):
            click.echo(f"{t.id}\t{t.name}")


@main.group()
def user() -> None:
    """User accounts."""


@user.command("create")
@click.argument("username")
@click.option("--team", "team_name", help="Team name or id to join.")
@click.option("--role", type=click.Choice(["reporter", "coordinator"]), help="Role in --team.")
@click.option("--admin", is_flag=True, help="Deployment administrator.")
@click.option("--display-name", default="")
@click.pass_context
def user_create(
    ctx: click.Context,
    username: str,
    team_name: str | None,
    role: str | None,
    admin: bool,
    display_name: str,
) -> None:
    """Create a user and print their one-time password."""
    from app.services import accounts

    if bool(team_name) != bool(role):
        raise click.UsageError("--team and --role go together.")
    with _app(ctx).app_context():
        memberships = []
        if team_name:
            memberships = [{"team_id": _run(accounts.find_team, team_name).id, "role": role}]
        created, password = _run(
            accounts.create_user,
            None,
            username=username,
            display_name=display_name,
            is_admin=admin,
            memberships=memberships,
        )
        click.echo(f"Created {created.username}. One-time password (shown once): {password}")


@user.command("reset-password")
@click.argument("username")
@click.pass_context
def user_reset_password(ctx: click.Context, username: str) -> None:
    """Give USERNAME a new one-time password and end their sessions."""
    from app.services import accounts

    with _app(ctx).app_context():
        target = _run(accounts.find_user, username)
        password = _run(accounts.reset_password, None, target)
        click.echo(f"New one-time password for {target.username} (shown once): {password}")


@user.command("disable")
@click.argument("username")
@click.pass_context
def user_disable(ctx: click.Context, username: str) -> None:
    """Disable USERNAME: they cannot log in and their sessions end at once."""
    from app.services import accounts

    with _app(ctx).app_context():
        target = _run(accounts.find_user, username)
        _run(accounts.set_disabled, None, target, True)
        click.echo(f"Disabled {target.username}.")


@user.command("enable")
@click.argument("username")
@click.pass_context
def user_enable(ctx: click.Context, username: str) -> None:
    """Enable USERNAME again."""
    from app.services import accounts

    with _app(ctx).app_context():
        target = _run(accounts.find_user, username)
        _run(accounts.set_disabled, None, target, False)
        click.echo(f"Enabled {target.username}.")


# --- sync -----------------------------------------------------------------------------


@main.group("sync")
def sync_group() -> None:
    """Sync housekeeping."""


@sync_group.command("reexamine")
@click.pass_context
def sync_reexamine(ctx: click.Context) -> None:
    """Try parked changes again and apply those this version can now accept."""
    from app.services.sync_push import reexamine_parked

    with _app(ctx).app_context():
        counts = reexamine_parked()
    click.echo(
        f"{counts['examined']} examined, {counts['applied']} applied, "
        f"{counts['still_parked']} still parked."
    )


# --- places (the gazetteer) ------------------------------------------------------------


@main.group()
def places() -> None:
    """The gazetteer: governorates down to neighbourhoods."""


@places.command("import")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--sample", is_flag=True, help="Import the demo Homs/Hama gazetteer shipped.")
@click.pass_context
def places_import(ctx: click.Context, files: tuple[str, ...], sample: bool) -> None:
    """Import CSV FILES in the OCHA COD layout (all or nothing per file; safe to repeat)."""
    from app.services import gazetteer

    paths = [*(gazetteer.sample_files() if sample else []), *map(Path, files)]
    if not paths:
        raise click.UsageError("Give a FILE to import, or --sample.")
    with _app(ctx).app_context():
        for path in paths:
            with path.open(encoding="utf-8-sig", newline="") as stream:
                result = _run(gazetteer.import_cod, None, stream, source=path.name)
            click.echo(
                f"{path.name}: {result.places} places, {result.created} created, "
                f"{result.updated} renamed, {result.unchanged} unchanged."
            )


@places.command("add")
@click.option("--parent", required=True, help="P-code or id of the place it lies in.")
@click.option("--level", type=click.Choice(LEVELS[1:]), default="neighbourhood", show_default=True)
@click.option("--ar", "name_ar", default="", help="Arabic name.")
@click.option("--en", "name_en", default="", help="English name.")
@click.option("--pcode", default=None, help="Its P-code, if it has one.")
@click.pass_context
def places_add(
    ctx: click.Context,
    parent: str,
    level: str,
    name_ar: str,
    name_en: str,
    pcode: str | None,
) -> None:
    """Add a place (by default a neighbourhood) under --parent and print its id."""
    from app.services import gazetteer

    with _app(ctx).app_context():
        where = _run(lambda _actor: gazetteer.find_place(parent), None)
        place = _run(gazetteer.add_place, None, where, level, name_ar, name_en, pcode)
        click.echo(place.id)


# --- exports and partner tokens ---------------------------------------------------------


def _team_for(team_name: str | None) -> Any:
    """The team named (name or id), or the only team there is."""
    from app.extensions import db as database
    from app.models import Team
    from app.services import accounts

    if team_name:
        return _run(accounts.find_team, team_name)
    teams = list(database.session.scalars(sa.select(Team).limit(2)))
    if len(teams) != 1:
        raise click.UsageError("Say which team with --team.")
    return teams[0]


@main.command("export")
@click.option("--team", "team_name", help="Team name or id (needed when there are several).")
@click.option(
    "--profile",
    type=click.Choice(["internal", "partner", "public", "tracing"]),
    default="internal",
    show_default=True,
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "csv_bom", "hxl", "json", "jsonl", "hxl_json", "pfif"]),
    default="csv",
    show_default=True,
)
@click.option("--kind", "kinds", multiple=True, help="Record kind (repeat for several).")
@click.option("--since", help="next_since of the last export, or an ISO date: changes since.")
@click.option("--date-from", type=click.DateTime(["%Y-%m-%d"]), help="Occurred on or after.")
@click.option("--date-to", type=click.DateTime(["%Y-%m-%d"]), help="Occurred on or before.")
@click.option("--place", help="Place id or P-code: there and below.")
@click.option("--verification", multiple=True, help="Verification status (repeatable).")
@click.option("--recipient", help="Who receives it (needed outside internal: ids are scoped).")
@click.option("--geo-level", type=click.Choice(["district", "governorate"]), default="district")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
@click.pass_context
def export_command(
    ctx: click.Context,
    team_name: str | None,
    profile: str,
    fmt: str,
    kinds: tuple[str, ...],
    since: str | None,
    date_from: Any,
    date_to: Any,
    place: str | None,
    verification: tuple[str, ...],
    recipient: str | None,
    geo_level: str,
    output: str,
) -> None:
    """Write an export to a file, logged like one from the API (actor "cli")."""
    from app.exports.service import Actor, ExportRequest, prepare

    with _app(ctx).app_context():
        team = _team_for(team_name)
        request = ExportRequest(
            team_id=team.id,
            profile=profile,
            format=fmt,
            kinds=kinds,
            date_from=date_from.date() if date_from else None,
            date_to=date_to.date() if date_to else None,
            place=place,
            verification=verification,
            since=since,
            recipient=recipient,
            geo_level=geo_level,
        )
        export = _run(prepare, request, Actor(None, "cli", "cli"))
        with open(output, "wb") as out:
            for chunk in export.body:
                out.write(chunk)
    click.echo(
        f"{export.counts['records']} records, {export.counts['withdrawn']} withdrawn, "
        f"written to {output}. Next incremental export: --since "
        f"{export.headers['X-Export-Next-Since']}",
        err=True,
    )


@main.group()
def partner() -> None:
    """Partners: tokens for their scripts."""


@partner.group("token")
def partner_token() -> None:
    """Partner tokens (scoped, expiring, revocable)."""


@partner_token.command("create")
@click.option("--team", "team_name", help="Team name or id (needed when there are several).")
@click.option("--recipient", required=True, help="The partner organisation.")
@click.option("--profile", type=click.Choice(["partner", "public", "tracing"]), required=True)
@click.option(
    "--kind", "kinds", multiple=True, help="Kinds it covers (default: all of the profile)."
)
@click.option("--place", help="Place id or P-code it is limited to.")
@click.option("--verification", multiple=True, help="Verification statuses it covers.")
@click.option("--expires-in-days", type=click.IntRange(1, 366), default=90, show_default=True)
@click.pass_context
def partner_token_create(
    ctx: click.Context,
    team_name: str | None,
    recipient: str,
    profile: str,
    kinds: tuple[str, ...],
    place: str | None,
    verification: tuple[str, ...],
    expires_in_days: int,
) -> None:
    """Issue a token and print it (shown once)."""
    from datetime import timedelta

    from app.db_types import utcnow
    from app.services import gazetteer, partner_tokens

    with _app(ctx).app_context():
        team = _team_for(team_name)
        filters = {
            "kinds": list(kinds),
            "verification": list(verification),
            "place": _run(lambda _x: gazetteer.find_place(place).id, None) if place else None,
        }
        row, token = _run(
            partner_tokens.issue,
            None,
            team.id,
            recipient,
            profile,
            filters,
            utcnow() + timedelta(days=expires_in_days),
        )
        click.echo(f"Token {row.id} for {row.recipient} ({row.profile}), expires {row.expires_at}.")
        click.echo(f"Give it to the partner now; it is shown only once: {token}")


@partner_token.command("list")
@click.pass_context
def partner_token_list(ctx: click.Context) -> None:
    """List tokens: id, team, recipient, profile, expiry, state."""
    from app.services import partner_tokens

    with _app(ctx).app_context():
        for row in partner_tokens.visible_tokens(None):
            state = "revoked" if row.revoked_at else "active"
            click.echo(
                f"{row.id}\t{row.team_id}\t{row.recipient}\t{row.profile}\t"
                f"{row.expires_at}\t{state}"
            )


@partner_token.command("revoke")
@click.argument("token_id")
@click.option("--reason", default="")
@click.pass_context
def partner_token_revoke(ctx: click.Context, token_id: str, reason: str) -> None:
    """Revoke a token now."""
    from app.services import partner_tokens

    with _app(ctx).app_context():
        row = _run(partner_tokens.get_manageable, None, token_id)
        partner_tokens.revoke(None, row, reason)
        click.echo(f"Revoked {row.id} ({row.recipient}).")


def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a service (or a lookup), turning its API errors into a clean CLI error."""
    from app.api.errors import ApiError

    try:
        return fn(*args, **kwargs)
    except ApiError as exc:
        detail = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.fields.items())
        raise click.ClickException(f"{exc.message} {detail}".strip()) from exc


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
