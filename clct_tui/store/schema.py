"""Opening the database: pragmas, tables, the schema version and its migrations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import peewee as pw
from playhouse.db_url import connect

from clct_tui.errors import StoreError
from clct_tui.store.models import MODELS, Meta, database_proxy

SCHEMA_VERSION = 2

SQLITE_PRAGMAS = {
    "journal_mode": "wal",  # readers never block the writer
    "foreign_keys": 1,
    "synchronous": "normal",  # durable at each checkpoint; WAL keeps the file consistent after a crash
    "busy_timeout": 5000,  # a second clct process waits its turn rather than failing
    "cache_size": -16_000,
}


def _add_run_pid(db: pw.Database) -> None:
    from playhouse.migrate import SqliteMigrator, migrate

    columns = {c.name for c in db.get_columns("run")}
    if "pid" not in columns:
        migrate(SqliteMigrator(db).add_column("run", "pid", pw.IntegerField(null=True)))


# version -> the step that brings a database from version-1 to it
MIGRATIONS: dict[int, Callable[[pw.Database], None]] = {2: _add_run_pid}


def open_database(url: str) -> pw.Database:
    """Connect, create what is missing, migrate older schemas. StoreError names the path on failure."""
    where = url
    try:
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///")).expanduser()
            where = str(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            db: pw.Database = pw.SqliteDatabase(str(path), pragmas=SQLITE_PRAGMAS, check_same_thread=False)
        else:
            db = connect(url)
        database_proxy.initialize(db)
        db.connect(reuse_if_open=True)
        with db.atomic():
            db.create_tables(MODELS, safe=True)
            migrate_schema(db)
    except StoreError:
        raise
    except (pw.DatabaseError, pw.OperationalError, OSError) as exc:
        raise StoreError(f"the database {where} cannot be opened: {exc}") from None
    return db


def stored_version(db: pw.Database) -> int | None:
    row = Meta.get_or_none(Meta.key == "schema_version")
    return int(row.value) if row else None


def migrate_schema(db: pw.Database) -> None:
    version = stored_version(db)
    if version is None:  # a new database: the tables were just created at the current version
        Meta.replace(key="schema_version", value=str(SCHEMA_VERSION)).execute()
        return
    if version > SCHEMA_VERSION:
        raise StoreError(f"the database was written by a newer clct (schema {version} > {SCHEMA_VERSION}); upgrade clct")
    for step in range(version + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[step](db)
        Meta.replace(key="schema_version", value=str(step)).execute()
