"""PostgreSQL names and DDL as text: no driver import, so modules that only describe a
table (the audit layout) do not load psycopg when PostgreSQL is not configured."""

from __future__ import annotations

import re
from collections.abc import Mapping

from symphony.errors import ValidationFailed
from symphony.store.log import LogLayout

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def check_name(name: str) -> str:
    """Refuse schema/table names that would need quoting (they go into SQL text)."""
    if not _NAME.match(name):
        raise ValidationFailed(f"postgresql name must match {_NAME.pattern}, got {name!r}")
    return name


def pg_log_schema(
    layout: LogLayout, types: Mapping[str, str], indexes: tuple[str, ...] = ()
) -> str:
    """DDL for a log with this layout; `types` gives each column's SQL type (default TEXT)."""
    table = check_name(layout.table)
    seq, *rest = layout.columns
    cols = [f"{seq} BIGINT PRIMARY KEY"]
    cols += [
        f"{c} {types.get(c, 'TEXT')}" + (" NOT NULL UNIQUE" if c == layout.key else "")
        for c in rest
    ]
    ddl = [
        f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(cols)});",
        f"CREATE TABLE IF NOT EXISTS {table}_head "
        "(id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, hash TEXT NOT NULL);",
    ]
    ddl += [
        f"CREATE INDEX IF NOT EXISTS {table}_{'_'.join(c.split(', '))} ON {table} ({c});"
        for c in indexes
    ]
    return "\n".join(ddl)
