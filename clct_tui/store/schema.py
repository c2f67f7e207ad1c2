"""Opening the database: pragmas, tables, the schema version and its migrations."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import peewee as pw
from playhouse.db_url import connect
from playhouse.migrate import SchemaMigrator, migrate

from clct_tui.errors import StoreError
from clct_tui.store.models import Models
from clct_tui.store.transaction import atomic

SCHEMA_VERSION = 4

SQLITE_PRAGMAS = {
    "journal_mode": "wal",  # readers never block the writer
    "foreign_keys": 1,
    "synchronous": "normal",  # with WAL a crash loses at most the last commits, never consistency
    "busy_timeout": 5000,  # a second clct process waits its turn rather than failing
    # Per connection, and every thread that reads has its own: 16 MB each grew the app by ~100 MB while
    # a long transcript was paged through. Reads walk an index in order; the OS caches the file anyway.
    "cache_size": -4_000,
}


def _add_column(table: str, column: str, field: pw.Field) -> Callable[[pw.Database], None]:
    def step(db: pw.Database) -> None:
        if column not in {c.name for c in db.get_columns(table)}:
            migrate(SchemaMigrator.from_database(db).add_column(table, column, field))

    return step


# version -> the step that brings a database from version-1 to it. Version 1 is the first set of tables.
# 2: runs name the clct process that ran them; 3: agents name the clct process that holds them;
# 4: another process may ask that holder to stop an agent.
MIGRATIONS: dict[int, Callable[[pw.Database], None]] = {
    2: _add_column("run", "pid", pw.IntegerField(null=True)),
    3: _add_column("agent", "pid", pw.IntegerField(null=True)),
    4: _add_column("agent", "stop_requested", pw.FloatField(null=True)),
}


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` url (``sqlite:////abs/x.db`` is ``/abs/x.db``); None for other databases."""
    if not url.startswith("sqlite:///"):
        return None
    return Path(url.removeprefix("sqlite:///")).expanduser()


def open_database(url: str) -> tuple[pw.Database, Models]:
    """Connect, create what is missing, migrate older schemas. StoreError names the path on failure."""
    path = sqlite_path(url)
    where = str(path) if path is not None else url.split("@")[-1]  # never echo a password in the url
    if path is not None and str(path) in ("", ":memory:"):
        # Every thread has its own connection, and an in-memory database is per connection.
        raise StoreError(f"the database url {url!r} must name a file, e.g. sqlite:////home/me/clct.db")
    db: pw.Database | None = None
    try:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            # IMMEDIATE: a transaction takes the write lock when it begins. A deferred one that reads
            # and then writes fails at once with "database is locked" when another clct process wrote
            # in between (busy_timeout does not help there); an immediate one waits its turn.
            db = pw.SqliteDatabase(str(path), pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
        else:
            db = connect(url)
        models = Models(db)
        _connect(db)
        with atomic(db):
            migrate_schema(db, models)
            # A write at open finds a read-only file now rather than at the first transcript event.
            models.Meta.replace(key="opened_at", value=str(time.time())).execute()
    except (StoreError, pw.DatabaseError, pw.InterfaceError, OSError, ValueError) as exc:
        if db is not None:
            db.close()
        if isinstance(exc, StoreError):
            raise
        raise StoreError(f"the database {where} cannot be opened: {exc}{full_disk_note(path)}; move it aside "
                         f"or point database_url at another file") from None
    return db, models


def full_disk_note(path: Path | None) -> str:
    """Say so when the disk holding the database is full: SQLite may only report "disk I/O error" then."""
    if path is None:
        return ""
    try:
        free = shutil.disk_usage(path.parent).free
    except OSError:
        return ""
    return " (the disk holding it is full)" if free < _ALMOST_NOTHING else ""


_ALMOST_NOTHING = 1 << 20  # bytes: less than this free and SQLite cannot grow its files


def _connect(db: pw.Database, patience: float = 5.0) -> None:
    """Connect, waiting while another clct process turns a new database file to WAL.

    SQLite answers that switch with "database is locked" at once, without the busy timeout, when
    another connection is making the same switch: several clct processes started together on a
    new database would fail to open it.
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            db.connect(reuse_if_open=True)
            return
        except pw.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            db.close()
            time.sleep(0.05)


def stored_version(models: Models) -> int | None:
    row = models.Meta.get_or_none(models.Meta.key == "schema_version")
    return int(row.value) if row else None


def migrate_schema(db: pw.Database, models: Models) -> None:
    """Bring the tables to SCHEMA_VERSION: create a new database, or run each step from the stored version."""
    version = stored_version(models) if db.table_exists("meta") else None
    if version is None:  # a new database: the tables are created at the current version
        db.create_tables(models.all, safe=True)
        _record(models, SCHEMA_VERSION)
        return
    if version > SCHEMA_VERSION:
        raise StoreError(f"the database was written by a newer clct (schema {version} > {SCHEMA_VERSION}); "
                         "upgrade clct")
    for step in range(version + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[step](db)
        _record(models, step)
    # Steps change existing tables; tables that are new since the stored version are simply created.
    db.create_tables(models.all, safe=True)


def _record(models: Models, version: int) -> None:
    models.Meta.replace(key="schema_version", value=str(version)).execute()
