"""SQL spelled for the database at hand, for the few statements clct writes itself instead of through peewee."""

from __future__ import annotations

import peewee as pw


class Sql:
    """Names and parameters as the database spells them (SQLite quotes names with ", MySQL with `)."""

    def __init__(self, db: pw.Database) -> None:
        self._left, self._right = db.quote
        self.param = db.param

    def column(self, field: pw.Field) -> str:
        return f"{self._left}{field.column_name}{self._right}"

    def table(self, model: type[pw.Model]) -> str:
        return f"{self._left}{model._meta.table_name}{self._right}"

    def equals(self, field: pw.Field) -> str:
        return f"{self.column(field)} = {self.param}"
