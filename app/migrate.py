"""Running the alembic migrations from the app (CLI, `make run`, tests)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

# Migrations that add records-cache columns only a rebuild from the change log can fill
# (the cache is derived data; its new typed columns have no SQL default to compute).
REBUILD_RECORDS_AFTER = frozenset({"0007_dashboard", "0008_dash_denorm"})


def alembic_config(database_url: str) -> Config:
    """An alembic Config pointing at our migrations and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Undo migrations down to `revision` (`base` for an empty database)."""
    command.downgrade(alembic_config(database_url), revision)


def current_revision(database_url: str) -> str | None:
    """The revision the database is at (None for a database alembic has not touched)."""
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def needs_records_rebuild(database_url: str, before: str | None) -> bool:
    """Whether upgrading from `before` to head passed a migration whose new cache columns
    only `rebuild_records` fills. A new database (`before` None) has nothing to fill."""
    if before is None:
        return False
    script = ScriptDirectory.from_config(alembic_config(database_url))
    passed = {rev.revision for rev in script.iterate_revisions("heads", before)}
    return bool(passed & REBUILD_RECORDS_AFTER)
