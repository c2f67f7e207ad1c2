"""Opening a database: pragmas, schema versions, migrations, and clear errors for bad files."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from clct_tui.errors import StoreError
from clct_tui.store import SCHEMA_VERSION, Store

from .conftest import raw


def schema_version(db_path) -> str:
    return raw(db_path, "select value from meta where key = 'schema_version'")[0][0]


def test_the_folder_of_the_database_is_created(store, db_path):
    assert db_path.is_file()


def test_the_database_is_in_wal_mode(store, db_path):
    assert raw(db_path, "pragma journal_mode") == [("wal",)]


def test_reads_have_foreign_keys_on(store):
    assert store._read(lambda: store.db.execute_sql("pragma foreign_keys").fetchone()) == (1,)


def test_writes_have_foreign_keys_on(store):
    with pytest.raises(StoreError, match="FOREIGN KEY"):
        store.add_agent(4242, None, "ghost", None, "acceptEdits")


def test_the_schema_version_is_recorded(store, db_path):
    assert schema_version(db_path) == str(SCHEMA_VERSION)


def test_an_older_schema_is_migrated_on_open(url, db_path):
    Store(url).open().close()
    with sqlite3.connect(db_path) as db:  # make it look like a version-1 database: run had no pid
        db.execute("alter table run drop column pid")
        db.execute("update meta set value = '1' where key = 'schema_version'")
    db.close()
    Store(url).open().close()
    assert "pid" in {row[1] for row in raw(db_path, "pragma table_info(run)")}
    assert schema_version(db_path) == str(SCHEMA_VERSION)


def test_a_newer_schema_is_refused(url, db_path):
    Store(url).open().close()
    with sqlite3.connect(db_path) as db:
        db.execute("update meta set value = '999' where key = 'schema_version'")
    db.close()
    with pytest.raises(StoreError, match="newer clct"):
        Store(url).open()


def test_history_survives_reopening(url):
    with Store(url) as store:
        repo = store.ensure_repo("/src/app", "main")
    with Store(url) as store:
        assert store.ensure_repo("/src/app", None) == repo


def test_a_file_that_is_not_a_database_is_an_error_naming_it(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=f"{bad}.*cannot be opened"):
        Store(f"sqlite:///{bad}").open()


def test_a_database_whose_folder_cannot_be_made_is_an_error_naming_it(tmp_path):
    (tmp_path / "file").write_text("in the way")
    where = tmp_path / "file" / "history.db"
    with pytest.raises(StoreError, match=f"{where}.*cannot be opened"):
        Store(f"sqlite:///{where}").open()


def test_an_in_memory_database_is_refused():
    # Each thread has its own connection, so an in-memory database would be a different one per thread.
    with pytest.raises(StoreError, match="must name a file"):
        Store("sqlite:///:memory:").open()


def test_two_stores_in_one_process_keep_to_their_own_files(tmp_path):
    with Store(f"sqlite:///{tmp_path}/a.db") as a, Store(f"sqlite:///{tmp_path}/b.db") as b:
        a.create_session(a.ensure_repo("/src/a", "main").id, "plan-a")
        b.create_session(b.ensure_repo("/src/b", "main").id, "plan-b")
        assert [s.name for s in a.list_sessions()] == ["plan-a"]
        assert [s.name for s in b.list_sessions()] == ["plan-b"]


def test_a_closed_store_refuses_work(url):
    store = Store(url).open()
    store.close()
    with pytest.raises(StoreError, match="not open"):
        store.ensure_repo("/src/app", "main")


def test_a_new_database_another_process_is_still_setting_up_is_waited_for(url, db_path):
    """Turning a file to WAL fails at once, busy timeout or not, while another connection holds a write
    lock on it — as when several clct processes start together on a new database."""
    db_path.parent.mkdir(parents=True)
    other = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    other.execute("begin immediate")  # still writing in its rollback journal
    done = threading.Timer(0.5, lambda: other.execute("commit"))
    done.start()
    try:
        with Store(url) as store:
            assert store.list_agents() == []
    finally:
        done.join()
        other.close()
    assert raw(db_path, "pragma journal_mode") == [("wal",)]
