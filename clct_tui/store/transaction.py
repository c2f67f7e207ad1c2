"""One transaction that, when it fails, reports why it failed rather than why its rollback failed."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import peewee as pw

# SQLite rolls a transaction back by itself on some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM…);
# the ROLLBACK that follows then fails with this, hiding the error that mattered ("database or disk is full").
_ALREADY_ROLLED_BACK = "no transaction is active"


@contextlib.contextmanager
def atomic(db: pw.Database) -> Iterator[None]:
    """``db.atomic()``, raising the original error when the database had already rolled back."""
    try:
        with db.atomic():
            yield
    except pw.OperationalError as exc:
        if _ALREADY_ROLLED_BACK not in str(exc):
            raise
        # The failed ROLLBACK's context chain leads back to the statement (or COMMIT) that failed.
        cause: BaseException | None = exc.__context__
        while cause is not None and _ALREADY_ROLLED_BACK in str(cause):
            cause = cause.__context__
        if isinstance(cause, pw.PeeweeException):
            raise cause from None
        raise
