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


def _tune_gc() -> None:
    """Keep the cyclic garbage collector off the long-lived objects of a server.

    The objects made at start-up (modules, the app, SQLAlchemy's mappers) live as long as
    the process; freezing them spares every full collection from walking them again, and a
    larger first threshold lets the short-lived rows of a streamed export die young. Without
    this, about a quarter of an export's record scan went to the collector.
    """
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option(
    "--sync-every",
    default=None,
    help="Sync with every peer that has a URL this often (e.g. 10m), retrying with backoff.",
)
@click.option(
    "--tls",
    is_flag=True,
    help="Serve HTTPS to the local network through caddy (after `tawthiq hub setup`); "
    "waitress stays on loopback.",
)
@click.option("--https-port", default=443, show_default=True, type=int, help="With --tls.")
@click.option(
    "--http-port",
    default=80,
    show_default=True,
    type=int,
    help="With --tls: plain HTTP, serving only /trust and redirecting the rest to HTTPS.",
)
@click.option(
    "--bind",
    "bind_addresses",
    multiple=True,
    help="With --tls: the front listens on this address only (repeatable; default: all).",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    threads: int,
    sync_every: str | None,
    tls: bool,
    https_port: int,
    http_port: int,
    bind_addresses: tuple[str, ...],
) -> None:
    """Serve the app with waitress until Ctrl-C (with --tls: caddy in front, HTTPS)."""
    import waitress

    app = _app(ctx)
    _tune_gc()
    if tls:
        _serve_tls(app, host, port, threads, sync_every, https_port, http_port, bind_addresses)
        return
    stop = None
    if sync_every:
        from app.services import peer_rules, peer_sync

        every = _run(peer_rules.parse_duration, sync_every)
        with app.app_context():
            from app.services import hub_keys

            hub_keys.current()  # made at first start, before any request needs them
        stop = peer_sync.start_background(app, every.total_seconds())
        click.echo(f"Syncing with peers every {sync_every}.", err=True)
    click.echo(f"Tawthiq serving on http://{host}:{port}  (Ctrl-C stops it)", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        waitress.serve(app, host=host, port=port, threads=threads, ident="tawthiq")
    if stop is not None:
        stop.set()
    click.echo("Tawthiq stopped.", err=True)


def _start_peer_sync(app: Flask, sync_every: str) -> Any:
    from app.services import hub_keys, peer_rules, peer_sync

    every = _run(peer_rules.parse_duration, sync_every)
    with app.app_context():
        hub_keys.current()  # made at first start, before any request needs them
    stop = peer_sync.start_background(app, every.total_seconds())
    click.echo(f"Syncing with peers every {sync_every}.", err=True)
    return stop


def _serve_tls(
    app: Flask,
    host: str,
    port: int,
    threads: int,
    sync_every: str | None,
    https_port: int,
    http_port: int,
    bind_addresses: tuple[str, ...],
) -> None:
    from app.tls import authority, caddy, front

    if host not in ("127.0.0.1", "localhost", "::1"):
        raise click.UsageError("With --tls waitress listens on loopback only (--host 127.0.0.1).")
    hub_tls = authority.read_hub(Path(app.config["DATA_DIR"]))
    if hub_tls is None:
        raise click.ClickException("No certificate for this hub yet: run `tawthiq hub setup`.")
    if caddy.caddy_binary() is None:
        raise click.ClickException("caddy is not installed (apt-get install caddy).")
    # Served over TLS: Secure cookies and HSTS (app/security/guards.py), and the trust
    # page knows which port the app is on.
    app.config["SESSION_COOKIE_SECURE"] = True
    app.config["TLS_HTTPS_PORT"] = https_port
    app.config["TLS_HTTP_PORT"] = http_port
    config = caddy.FrontConfig(
        https_port=https_port, http_port=http_port, bind=list(bind_addresses)
    )

    def say(text: str) -> None:
        click.echo(text, err=True)

    try:
        code = front.serve_with_front(
            app,
            hub_tls,
            config,
            host=host,
            port=port,
            threads=threads,
            say=say,
            after_start=(lambda: _start_peer_sync(app, sync_every)) if sync_every else None,
        )
    except front.FrontFailed as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("Tawthiq stopped.", err=True)
    if code:
        sys.exit(code)


@main.command()
@click.pass_context
def setup(ctx: click.Context) -> None:
    """Bring the database to the latest schema and create a first admin if there is none."""
    from app import migrate
    from app.services import accounts

    app = _app(ctx)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    before = migrate.current_revision(url)
    migrate.upgrade(url)
    with app.app_context():
        if migrate.needs_records_rebuild(url, before):
            from app.services.rebuild import rebuild_records

            # New typed columns of the records cache are filled from the change log, so an
            # upgraded hub's dashboard counts its old records too.
            click.echo(f"Records cache rebuilt after the upgrade: {rebuild_records()} records.")
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


# --- hubs: identity, peers, bundles ----------------------------------------------------


def _split(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


@main.group()
def hub() -> None:
    """This hub's identity."""


@hub.command("id")
@click.option(
    "--export",
    "export_to",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the public keys to FILE (for a peer reached only by courier).",
)
@click.pass_context
def hub_id(ctx: click.Context, export_to: str | None) -> None:
    """Print this hub's id and the fingerprint of its public keys (check it out of band)."""
    import json

    from app.services import hub_keys

    with _app(ctx).app_context():
        keys = hub_keys.current()
        ident = hub_keys.hub_id()
        from app.extensions import db as database

        database.session.commit()
    click.echo(f"hub id:      {ident}")
    click.echo(f"fingerprint: {keys.fingerprint}")
    for name, value in keys.public.items():
        click.echo(f"{name + ' key:':12} {value}")
    if export_to:
        doc = {"hub_id": ident, "hub_keys": keys.public, "fingerprint": keys.fingerprint}
        Path(export_to).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


@hub.command("setup")
@click.option("--name", default=None, help="The hub's local name (default: hub.local).")
@click.option(
    "--address",
    "addresses",
    multiple=True,
    help="A LAN address phones use (repeatable; this machine's are found too).",
)
@click.option("--no-detect", is_flag=True, help="Use only --address, not the detected ones.")
@click.option(
    "--forget-addresses",
    is_flag=True,
    help="Drop the addresses of the previous certificate (kept by default).",
)
@click.pass_context
def hub_setup(
    ctx: click.Context,
    name: str | None,
    addresses: tuple[str, ...],
    no_detect: bool,
    forget_addresses: bool,
) -> None:
    """Make (or reuse) this hub's certificate authority and issue its HTTPS certificate.

    Safe to run again (e.g. when the laptop's address changed): the authority is kept,
    so phones need do nothing; only the server certificate is issued anew.
    """
    from app.tls import authority, caddy

    data_dir = _data_dir(ctx)
    try:
        result = authority.setup(
            data_dir,
            name,
            _split(addresses),
            detect=not no_detect,
            keep_previous=not forget_addresses,
        )
    except authority.TlsError as exc:
        raise click.ClickException(str(exc)) from exc
    caddy.write_caddyfile(result.hub, caddy.FrontConfig())
    _print_tls(result, "made" if result.ca_created else "kept (the same as before)")


@hub.command("rotate-cert")
@click.pass_context
def hub_rotate_cert(ctx: click.Context) -> None:
    """Issue a new HTTPS certificate from the same authority (phones need do nothing)."""
    from app.tls import authority

    data_dir = _data_dir(ctx)
    try:
        result = authority.rotate(data_dir)
    except authority.TlsError as exc:
        raise click.ClickException(str(exc)) from exc
    _print_tls(result, "kept (the same as before)")
    click.echo("Restart `tawthiq serve --tls` for the front to use the new certificate.")


def _data_dir(ctx: click.Context) -> Path:
    """The data folder, without building the app (no database needed for TLS files)."""
    from app.config import data_dir_from_env

    given = (ctx.ensure_object(dict).get("config") or {}).get("DATA_DIR")
    return Path(given) if given else data_dir_from_env()


def _print_tls(result: Any, ca_state: str) -> None:
    from app.tls import authority

    hub_tls = result.hub
    click.echo(f"Certificate authority {ca_state}: {hub_tls.ca_cert_path}")
    click.echo(f"  SHA-256 fingerprint: {authority.fingerprint(result.ca)}")
    names = ", ".join([hub_tls.name, "localhost", *hub_tls.addresses, "127.0.0.1", "::1"])
    click.echo(f"Server certificate for {names}")
    click.echo(
        f"  valid until {result.leaf.not_valid_after_utc:%Y-%m-%d}, "
        f"SHA-256 {authority.fingerprint(result.leaf)}"
    )
    click.echo(f"TLS front configuration: {hub_tls.caddyfile_path}")
    if not hub_tls.addresses:
        click.echo("No LAN address found: add one with --address 192.168.1.10.")
    for where in hub_tls.addresses or [hub_tls.name]:
        click.echo(
            f"Phones: open http://{where}/trust, install the authority, check the "
            "fingerprint above, then use https://" + where + "/"
        )


@main.group()
def peer() -> None:
    """Other hubs: replication tokens, sharing rules, sync."""


_RULE_OPTIONS = [
    click.option("--teams", multiple=True, help="Teams shared (names or ids, comma-separated)."),
    click.option("--kinds", multiple=True, help="Record kinds shared (default: all)."),
    click.option(
        "--max-sensitivity",
        type=click.Choice(["public", "restricted", "confidential", "strictly_confidential"]),
        default=None,
        help="Highest sensitivity shared (default: confidential).",
    ),
    click.option("--allow-edits", is_flag=True, help="Accept the peer's edits of our teams."),
    click.option(
        "--readers", multiple=True, help="Local teams whose coordinators read what arrives."
    ),
]


def _rule_options(fn: Any) -> Any:
    for option in reversed(_RULE_OPTIONS):
        fn = option(fn)
    return fn


def _rule(
    teams: tuple[str, ...],
    kinds: tuple[str, ...],
    max_sensitivity: str | None,
    allow_edits: bool,
    readers: tuple[str, ...],
    teams_required: bool,
) -> dict[str, Any]:
    from app.services import peer_rules

    team_list = _split(teams)
    if teams_required and not team_list:
        raise click.UsageError("Say which teams are shared: --teams NAME[,NAME].")
    return _run(
        peer_rules.make_rule,
        team_list if team_list else None,
        _split(kinds) or None,
        max_sensitivity,
        allow_edits,
        _split(readers),
    )


@peer.group("token")
def peer_token() -> None:
    """Replication tokens this hub issues to peers."""


@peer_token.command("create")
@click.option("--for", "name", required=True, help="The peer's name on this hub.")
@_rule_options
@click.option("--expires", default=None, help="Lifetime, e.g. 30d (default: none).")
@click.pass_context
def peer_token_create(
    ctx: click.Context,
    name: str,
    teams: tuple[str, ...],
    kinds: tuple[str, ...],
    max_sensitivity: str | None,
    allow_edits: bool,
    readers: tuple[str, ...],
    expires: str | None,
) -> None:
    """Set the sharing rule for peer NAME and issue it a token (shown once)."""
    from app.services import peer_rules

    with _app(ctx).app_context():
        rule = _rule(teams, kinds, max_sensitivity, allow_edits, readers, True)
        row, token = _run(peer_rules.create_token, name, rule, expires)
        expiry = row.expires_at.isoformat() if row.expires_at else "never"
        click.echo(f"Token {row.id} for {name} (expires: {expiry}). Shown once:")
        click.echo(token)


@peer_token.command("revoke")
@click.argument("name")
@click.option("--token-id", default=None, help="Only this token (default: all of NAME's).")
@click.pass_context
def peer_token_revoke(ctx: click.Context, name: str, token_id: str | None) -> None:
    """Revoke NAME's replication tokens now."""
    from app.services import peer_rules

    with _app(ctx).app_context():
        count = _run(peer_rules.revoke_tokens, name, token_id)
    click.echo(f"Revoked {count} token(s) of {name}.")


@peer.command("add")
@click.argument("name")
@click.argument("url", required=False, default="")
@click.option("--token", default="", help="The token the other hub issued to us.")
@click.option("--fingerprint", default="", help="Pin the other hub's key fingerprint.")
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="The other hub's `hub id --export` file (courier-only peers).",
)
@_rule_options
@click.pass_context
def peer_add(
    ctx: click.Context,
    name: str,
    url: str,
    token: str,
    fingerprint: str,
    keys_file: str | None,
    teams: tuple[str, ...],
    kinds: tuple[str, ...],
    max_sensitivity: str | None,
    allow_edits: bool,
    readers: tuple[str, ...],
) -> None:
    """Add (or update) peer NAME: its URL and token, our sharing rule for it."""
    import json

    from app.extensions import db as database
    from app.services import hub_keys, peer_rules, peer_serve

    with _app(ctx).app_context():
        rule = _rule(teams, kinds, max_sensitivity, allow_edits, readers, False)
        row = peer_rules.get_or_create_peer(name)
        row.rule = rule
        if url:
            row.url = url.rstrip("/")
        if token:
            row.token = token
        if fingerprint:
            if row.fingerprint and hub_keys.normalise_fingerprint(
                row.fingerprint
            ) != hub_keys.normalise_fingerprint(fingerprint):
                raise click.ClickException(
                    f"{name} is pinned to {row.fingerprint}; not changing the pin."
                )
            row.fingerprint = fingerprint
        if keys_file:
            doc = json.loads(Path(keys_file).read_text(encoding="utf-8"))
            _run(peer_serve.pin, row, str(doc["hub_id"]), doc["hub_keys"])
        database.session.commit()
        click.echo(f"Peer {name}: {row.url or 'no URL (it connects to us, or by courier)'}")
        if row.fingerprint:
            click.echo(f"  pinned fingerprint: {row.fingerprint}")
        elif url:
            click.echo("  no fingerprint given: the first sync pins what the hub shows.")
        if not rule["readers"]:
            click.echo("  note: no --readers: records from other hubs stay unread here.")


@peer.command("list")
@click.pass_context
def peer_list(ctx: click.Context) -> None:
    """List peers: last exchange, checkpoints, errors."""
    import json

    from app.services.sync_monitor import peers as peer_view

    with _app(ctx).app_context():
        for entry in peer_view():
            click.echo(json.dumps(entry, ensure_ascii=False, default=str))


@peer.command("sync")
@click.argument("name", required=False)
@click.option("--all", "every", is_flag=True, help="Every peer that has a URL.")
@click.pass_context
def peer_sync_cmd(ctx: click.Context, name: str | None, every: bool) -> None:
    """Push to and pull from peer NAME now."""
    import sqlalchemy as sqla

    from app.extensions import db as database
    from app.models import Peer
    from app.services import peer_sync

    with _app(ctx).app_context():
        names = (
            [p.name for p in database.session.scalars(sqla.select(Peer)) if p.url]
            if every
            else [name]
        )
        if not names or names == [None]:
            raise click.UsageError("Give a peer NAME or --all.")
        failed = False
        for n in names:
            try:
                report = peer_sync.sync_peer(str(n))
                click.echo(f"{n}: {report.line()}")
            except peer_sync.PeerSyncError as exc:
                click.echo(f"{n}: {exc}", err=True)
                failed = True
            except Exception as exc:
                click.echo(f"{n}: {_message(exc)}", err=True)
                failed = True
        if failed:
            sys.exit(1)


@main.group()
def bundle() -> None:
    """USB bundles: signed, encrypted changes carried by hand (docs/bundles.md)."""


def _passphrase(var: str | None) -> str | None:
    import os

    if var is None:
        return None
    value = os.environ.get(var)
    if not value:
        raise click.UsageError(f"The environment variable {var} holds no passphrase.")
    return value


@bundle.command("export")
@click.option("--peer", "peer_name", default=None, help="From this peer's checkpoint, by its rule.")
@click.option("--since", type=int, default=None, help="From this hub_seq instead.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.option("--passphrase-env", default=None, help="Lock with the passphrase in this variable.")
@click.option("--to-peer", default=None, help="Encrypt to this peer's pinned key.")
@click.pass_context
def bundle_export(
    ctx: click.Context,
    peer_name: str | None,
    since: int | None,
    output: str,
    passphrase_env: str | None,
    to_peer: str | None,
) -> None:
    """Write the changes a peer may hold into one signed, encrypted file."""
    from app.services import bundles

    if peer_name is None and since is None:
        raise click.UsageError("Give --peer NAME or --since SEQ.")
    if passphrase_env and to_peer:
        raise click.UsageError("Either --passphrase-env or --to-peer, not both.")
    name = peer_name or to_peer
    if name is None:
        raise click.UsageError("Name the peer whose sharing rule applies: --peer or --to-peer.")
    if peer_name and to_peer and peer_name != to_peer:
        raise click.UsageError("--peer and --to-peer name different peers.")
    with _app(ctx).app_context():
        try:
            result = bundles.export_bundle(
                Path(output), name, since=since, passphrase=_passphrase(passphrase_env)
            )
        except bundles.BundleRejected as exc:
            raise click.ClickException(str(exc)) from exc
        except Exception as exc:
            raise click.ClickException(_message(exc)) from exc
    click.echo(
        f"Wrote {output}: bundle {result.bundle_id}, {result.changes} changes "
        f"(hub_seq {result.seq_from}..{result.seq_to}) for {result.recipient}."
    )


@bundle.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--passphrase-env", default=None, help="The passphrase is in this variable.")
@click.option(
    "--receipt",
    "receipt_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Where to write the receipt (default: FILE.receipt.json).",
)
@click.pass_context
def bundle_import(
    ctx: click.Context, file: str, passphrase_env: str | None, receipt_path: str | None
) -> None:
    """Check a bundle whole, apply it, and write a signed receipt to carry back."""
    import json

    from app.services import bundles

    with _app(ctx).app_context():
        try:
            result = bundles.import_bundle(Path(file), _passphrase(passphrase_env))
        except bundles.BundleRejected as exc:
            raise click.ClickException(str(exc)) from exc
    out = Path(receipt_path or f"{file}.receipt.json")
    out.write_text(json.dumps(result.receipt, ensure_ascii=False, indent=1) + "\n", "utf-8")
    counts = ", ".join(f"{k} {v}" for k, v in result.counts.items() if v) or "nothing"
    again = " (imported before: nothing new)" if result.repeated else ""
    click.echo(f"Imported bundle {result.bundle_id} from {result.source}: {counts}{again}.")
    click.echo(f"Receipt: {out}")


@bundle.command("receipt")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def bundle_receipt(ctx: click.Context, file: str) -> None:
    """Apply a receipt that came back: the peer's checkpoint moves past the bundle."""
    import json

    from app.services import bundles

    with _app(ctx).app_context():
        try:
            doc = json.loads(Path(file).read_text("utf-8"))
            peer, row, advanced = bundles.apply_receipt(doc)
        except ValueError as exc:
            raise click.ClickException("Rejected: the receipt is not JSON.") from exc
        except bundles.BundleRejected as exc:
            raise click.ClickException(str(exc)) from exc
        moved = (
            f"checkpoint now {peer.push_seq}" if advanced else f"checkpoint stays {peer.push_seq}"
        )
        click.echo(f"Receipt for bundle {row.bundle_id} from {peer.name}: {moved}.")


def _message(exc: Exception) -> str:
    from app.api.errors import ApiError

    return exc.message if isinstance(exc, ApiError) else str(exc)


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
