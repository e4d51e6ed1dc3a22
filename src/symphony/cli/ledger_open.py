"""The usage ledger the command line reads and writes: the server's own.

PostgreSQL when SYMPHONY_DATABASE_URL is set (the table every replica records to, in the
SYMPHONY_STORE_NAMESPACE schema), else `ledger.db` in the data directory.
"""

from __future__ import annotations

from symphony.settings import Settings
from symphony.store.pg_conn import PgConn
from symphony.windows.ledger import SqliteUsageStore
from symphony.windows.pg_ledger import PgUsageStore

LEDGER_FILE = "ledger.db"


def open_ledger(settings: Settings, *, create: bool) -> SqliteUsageStore | PgUsageStore | None:
    """The ledger; None when it is embedded, not created yet and `create` is False (a
    read-only command creates no files)."""
    if settings.database_url:
        conn = PgConn(
            settings.database_url, settings.store_namespace, timeout_s=settings.store_timeout_s
        )
        return PgUsageStore.open(conn)
    if create:
        return SqliteUsageStore.open(settings.data_dir)
    ledger = settings.data_dir / LEDGER_FILE
    return SqliteUsageStore(ledger) if ledger.exists() else None


def ledger_where(settings: Settings) -> str:
    """Where `open_ledger` writes, for messages."""
    if settings.database_url:
        conn = PgConn(settings.database_url, settings.store_namespace)
        return f"{conn.where} ({conn.schema}.usage_ledger)"
    return str(settings.data_dir / LEDGER_FILE)
