"""The durable corpus: documents, their overlapping chunks and an FTS5 index, in SQLite.

One file (`<data_dir>/rag.sqlite`), written through the store's group-commit writer. The
FTS5 table indexes the chunks table as external content (stored once), kept in step by
triggers; a document and all its chunks are replaced in one transaction.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from symphony.clock import parse_instant
from symphony.rag.chunk import Chunk
from symphony.rag.models import CorpusStats, DocumentRecord, NewDocument, iso
from symphony.store.sqlite import Durability, SqliteWriter, Statement

RAG_DB_NAME = "rag.sqlite"
SIMHASH_BITS = 64

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    final_url TEXT NOT NULL,
    title TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    simhash TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    indexed_at TEXT NOT NULL,
    fetch_seconds REAL NOT NULL,
    strategy TEXT NOT NULL,
    tokens INTEGER NOT NULL,
    chars INTEGER NOT NULL,
    snapshot_id TEXT,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_content ON documents(content_sha256);
CREATE INDEX IF NOT EXISTS documents_fetched ON documents(fetched_at);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    document_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    tokens INTEGER NOT NULL,
    start_char INTEGER NOT NULL,
    UNIQUE (document_id, seq)
);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    title, text, content='chunks', content_rowid='id', tokenize='porter unicode61'
);
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, title, text)
    VALUES ('delete', old.id, old.title, old.text);
END;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_DOC_COLUMNS = (
    "id, url, final_url, title, content_sha256, simhash, fetched_at, indexed_at, "
    "fetch_seconds, strategy, tokens, chars, snapshot_id"
)


def document_id(url: str) -> str:
    """A stable id for the document at `url`."""
    return "doc_" + hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def simhash_similarity(a: str, b: str) -> float:
    """1 - Hamming distance / 64 between two hex Simhash fingerprints."""
    return (SIMHASH_BITS - (int(a, 16) ^ int(b, 16)).bit_count()) / SIMHASH_BITS


def _record(row: Sequence[Any]) -> DocumentRecord:
    return DocumentRecord(
        id=row[0],
        url=row[1],
        final_url=row[2],
        title=row[3],
        content_sha256=row[4],
        simhash=row[5],
        fetched_at=parse_instant(row[6]),
        indexed_at=parse_instant(row[7]),
        fetch_seconds=float(row[8]),
        strategy=row[9],
        tokens=int(row[10]),
        chars=int(row[11]),
        snapshot_id=row[12],
    )


class Corpus:
    """Documents, chunks and the FTS5 index of one corpus."""

    def __init__(self, writer: SqliteWriter) -> None:
        self._db = writer

    @classmethod
    def open(cls, data_dir: Path, durability: Durability = "process") -> Corpus:
        """Open (creating if needed) `<data_dir>/rag.sqlite`."""
        return cls(SqliteWriter(data_dir / RAG_DB_NAME, SCHEMA, durability))

    @property
    def path(self) -> Path:
        return self._db.path

    @property
    def writer(self) -> SqliteWriter:
        """The group-commit writer (its failed commits are exported as a metric)."""
        return self._db

    def close(self) -> None:
        self._db.close()

    async def put(self, doc: NewDocument, chunks: Sequence[Chunk], now: datetime) -> str:
        """Store `doc` and replace its chunks, atomically; return the document id."""
        doc_id = document_id(doc.url)
        tokens = sum(c.tokens for c in chunks)
        statements: list[Statement] = [
            ("DELETE FROM chunks WHERE document_id = ?", (doc_id,)),
            (
                "INSERT INTO documents (" + _DOC_COLUMNS + ", text) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
                "final_url=excluded.final_url, title=excluded.title, "
                "content_sha256=excluded.content_sha256, simhash=excluded.simhash, "
                "fetched_at=excluded.fetched_at, indexed_at=excluded.indexed_at, "
                "fetch_seconds=excluded.fetch_seconds, strategy=excluded.strategy, "
                "tokens=excluded.tokens, chars=excluded.chars, "
                "snapshot_id=excluded.snapshot_id, text=excluded.text",
                (
                    doc_id,
                    doc.url,
                    doc.final_url,
                    doc.title,
                    doc.content_sha256,
                    doc.simhash,
                    iso(doc.fetched_at),
                    iso(now),
                    doc.fetch_seconds,
                    doc.strategy,
                    tokens,
                    len(doc.text),
                    doc.snapshot_id,
                    doc.text,
                ),
            ),
        ]
        statements.extend(
            (
                "INSERT INTO chunks (document_id, seq, title, text, tokens, start_char) "
                "VALUES (?,?,?,?,?,?)",
                (doc_id, c.seq, doc.title, c.text, c.tokens, c.start_char),
            )
            for c in chunks
        )
        statements.append(self._meta_statement("last_indexed_at", iso(now) or ""))
        await self._db.write(statements)
        return doc_id

    async def touch(
        self, doc_id: str, *, fetched_at: datetime, fetch_seconds: float, snapshot_id: str | None
    ) -> None:
        """Record that the document was fetched again and had not changed."""
        await self._db.write(
            [
                (
                    "UPDATE documents SET fetched_at = ?, fetch_seconds = ?, "
                    "snapshot_id = COALESCE(?, snapshot_id) WHERE id = ?",
                    (iso(fetched_at), fetch_seconds, snapshot_id, doc_id),
                )
            ]
        )

    async def mark_indexed(self, now: datetime) -> None:
        """Record a completed (re)index at `now`."""
        await self._db.write([self._meta_statement("last_indexed_at", iso(now) or "")])

    @staticmethod
    def _meta_statement(key: str, value: str) -> Statement:
        return (
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    async def by_url(self, url: str) -> DocumentRecord | None:
        def read(conn: sqlite3.Connection) -> DocumentRecord | None:
            row = conn.execute(
                f"SELECT {_DOC_COLUMNS} FROM documents WHERE url = ?", (url,)
            ).fetchone()
            return None if row is None else _record(row)

        return await self._db.aread(read)

    async def text_of(self, doc_id: str) -> str | None:
        def read(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT text FROM documents WHERE id = ?", (doc_id,)).fetchone()
            return None if row is None else str(row[0])

        return await self._db.aread(read)

    async def same_content(self, content_sha256: str, *, except_url: str) -> DocumentRecord | None:
        """Another document with exactly this content hash, if any."""

        def read(conn: sqlite3.Connection) -> DocumentRecord | None:
            row = conn.execute(
                f"SELECT {_DOC_COLUMNS} FROM documents WHERE content_sha256 = ? AND url != ? "
                "ORDER BY fetched_at LIMIT 1",
                (content_sha256, except_url),
            ).fetchone()
            return None if row is None else _record(row)

        return await self._db.aread(read)

    async def nearest(
        self, simhash: str, *, except_url: str
    ) -> tuple[DocumentRecord, float] | None:
        """The document whose Simhash is closest to `simhash` (a linear scan), if any."""

        def read(conn: sqlite3.Connection) -> tuple[str, float] | None:
            best: tuple[str, float] | None = None
            target = int(simhash, 16)
            for doc_id, other in conn.execute(
                "SELECT id, simhash FROM documents WHERE url != ?", (except_url,)
            ):
                sim = (SIMHASH_BITS - (target ^ int(other, 16)).bit_count()) / SIMHASH_BITS
                if best is None or sim > best[1]:
                    best = (doc_id, sim)
            return best

        found = await self._db.aread(read)
        if found is None:
            return None
        record = await self.by_id(found[0])
        return None if record is None else (record, found[1])

    async def by_id(self, doc_id: str) -> DocumentRecord | None:
        def read(conn: sqlite3.Connection) -> DocumentRecord | None:
            row = conn.execute(
                f"SELECT {_DOC_COLUMNS} FROM documents WHERE id = ?", (doc_id,)
            ).fetchone()
            return None if row is None else _record(row)

        return await self._db.aread(read)

    async def fetched_before(self, cutoff: datetime) -> list[DocumentRecord]:
        """Documents fetched before `cutoff`, oldest first."""

        def read(conn: sqlite3.Connection) -> list[DocumentRecord]:
            rows = conn.execute(
                f"SELECT {_DOC_COLUMNS} FROM documents WHERE fetched_at < ? ORDER BY fetched_at",
                (iso(cutoff),),
            ).fetchall()
            return [_record(r) for r in rows]

        return await self._db.aread(read)

    async def count_fetched_before(self, cutoff: datetime) -> int:
        """How many documents were fetched before `cutoff`."""

        def read(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                "SELECT COUNT(*) FROM documents WHERE fetched_at < ?", (iso(cutoff),)
            ).fetchone()
            return int(row[0])

        return await self._db.aread(read)

    async def newest_fetched(self, prefixes: Sequence[str]) -> datetime | None:
        """The latest fetch time among documents whose URL starts with one of `prefixes`."""
        if not prefixes:
            return None
        where = " OR ".join("substr(url, 1, ?) = ?" for _ in prefixes)
        args: list[Any] = []
        for prefix in prefixes:
            args += [len(prefix), prefix]

        def read(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(f"SELECT MAX(fetched_at) FROM documents WHERE {where}", args)
            value = row.fetchone()[0]
            return None if value is None else str(value)

        found = await self._db.aread(read)
        return None if found is None else parse_instant(found)

    async def page(self, limit: int, offset: int) -> tuple[list[DocumentRecord], int]:
        """Documents newest fetch first, `limit` from `offset`, and how many there are."""

        def read(conn: sqlite3.Connection) -> tuple[list[DocumentRecord], int]:
            rows = conn.execute(
                f"SELECT {_DOC_COLUMNS} FROM documents ORDER BY fetched_at DESC, id "
                "LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
            (total,) = conn.execute("SELECT COUNT(*) FROM documents").fetchone()
            return [_record(r) for r in rows], int(total)

        return await self._db.aread(read)

    async def stats(self) -> CorpusStats:
        def read(conn: sqlite3.Connection) -> CorpusStats:
            docs, tokens, oldest = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(tokens), 0), MIN(fetched_at) FROM documents"
            ).fetchone()
            (chunks,) = conn.execute("SELECT COUNT(*) FROM chunks").fetchone()
            row = conn.execute("SELECT value FROM meta WHERE key = 'last_indexed_at'").fetchone()
            return CorpusStats(
                documents=int(docs),
                chunks=int(chunks),
                tokens=int(tokens),
                last_indexed_at=parse_instant(row[0]) if row else None,
                oldest_fetched_at=parse_instant(oldest) if oldest else None,
            )

        return await self._db.aread(read)

    async def search(self, match: str, k: int) -> list[tuple[Any, ...]]:
        """Raw FTS5 hits for an FTS5 `match` expression, best (lowest bm25) first."""

        def read(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return conn.execute(
                "SELECT bm25(chunks_fts, 0.5, 1.0) AS rank, c.document_id, c.seq, c.text, "
                "c.tokens, d.title, d.final_url, d.content_sha256, d.fetched_at "
                "FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid "
                "JOIN documents d ON d.id = c.document_id "
                "WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?",
                (match, k),
            ).fetchall()

        return await self._db.aread(read)
