"""The brain's memory in DuckDB: conversations (multi-turn history) and retrieval memory of facts.

One :class:`Memory` object is the one writer of its database file (DuckDB allows one read-write
process per file). Conversations are stored turn by turn per ``conversation_id``; facts are stored
with a 384-d all-MiniLM-L6-v2 embedding (``FLOAT[384]``) and searched with DuckDB's built-in
``array_cosine_similarity``. API keys are never stored (there is no column for them).

Schema (version 1)::

    brain_meta(key VARCHAR PRIMARY KEY, value VARCHAR)
    conversation_turns(conversation_id VARCHAR, turn INTEGER, ts TIMESTAMPTZ, role VARCHAR,
                       content VARCHAR, user_id VARCHAR, persona VARCHAR, provider VARCHAR, model VARCHAR,
                       PRIMARY KEY (conversation_id, turn))
    facts(fact_id BIGINT PRIMARY KEY, ts TIMESTAMPTZ, user_id VARCHAR, source VARCHAR, text VARCHAR,
          embedding FLOAT[384])
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..events import utc_now
from ..exceptions import ParameterError
from .base import Message

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Memory", "Fact", "Embedder", "SCHEMA_VERSION", "DEFAULT_DB"]

SCHEMA_VERSION = 1
DEFAULT_DB = Path("data") / "brain.duckdb"


class Embedder(Protocol):
    """Anything with ``dim`` and ``encode(texts) -> (n, dim) float32`` unit vectors."""

    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed texts."""
        ...


@dataclass(frozen=True)
class Fact:
    """A recalled fact with its cosine similarity to the query (−1…1)."""

    fact_id: int
    text: str
    score: float
    user_id: str | None
    source: str | None
    ts: dt.datetime


class Memory:
    """Conversations and retrieval memory in one DuckDB file.

    Parameters
    ----------
    path : path or ':memory:'
        Database file (created with its folder); default ``data/brain.duckdb``.
    embedder : Embedder, optional
        Default: :class:`~dawglib.brain.embed.MiniLMEmbedder` (loaded on the first fact).
    now : callable, optional
        UTC clock (injected by tests).

    Examples
    --------
    >>> with Memory(":memory:") as mem:
    ...     mem.add_turn("c1", "user", "hi")
    ...     mem.add_turn("c1", "assistant", "hello")  # returns the turn number
    ...     [m.role for m in mem.history("c1")]
    0
    1
    ['user', 'assistant']
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = DEFAULT_DB,
        *,
        embedder: Embedder | None = None,
        now: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        import duckdb

        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(self.path, config={"autoinstall_known_extensions": "false"})
        self._embedder = embedder
        self._now = now
        self._lock = threading.Lock()
        self._migrate()

    @property
    def embedder(self) -> Embedder:
        """The embedder (MiniLM by default, loaded on first use)."""
        if self._embedder is None:
            from .embed import MiniLMEmbedder

            self._embedder = MiniLMEmbedder()
        return self._embedder

    def _migrate(self) -> None:
        con = self._con
        con.execute("CREATE TABLE IF NOT EXISTS brain_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        rows = con.execute("SELECT value FROM brain_meta WHERE key = 'schema_version'").fetchall()
        row = rows[0] if rows else None
        if row is not None and int(row[0]) > SCHEMA_VERSION:
            raise ParameterError(
                f"{self.path} has brain schema version {row[0]}, newer than this code's {SCHEMA_VERSION}"
            )
        con.execute(
            """CREATE TABLE IF NOT EXISTS conversation_turns (
                conversation_id VARCHAR NOT NULL, turn INTEGER NOT NULL, ts TIMESTAMPTZ NOT NULL,
                role VARCHAR NOT NULL, content VARCHAR NOT NULL, user_id VARCHAR, persona VARCHAR,
                provider VARCHAR, model VARCHAR, PRIMARY KEY (conversation_id, turn))"""
        )
        con.execute(
            """CREATE TABLE IF NOT EXISTS facts (
                fact_id BIGINT PRIMARY KEY, ts TIMESTAMPTZ NOT NULL, user_id VARCHAR, source VARCHAR,
                text VARCHAR NOT NULL, embedding FLOAT[384] NOT NULL)"""
        )
        con.execute("INSERT OR REPLACE INTO brain_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])

    def close(self) -> None:
        """Close the database."""
        self._con.close()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- conversations ----------------------------------------------------------------------------
    def add_turn(
        self,
        conversation_id: str,
        role: str,
        content: str,
        *,
        user_id: str | None = None,
        persona: str | None = None,
        provider: str | None = None,
        model: str | None = None,
    ) -> int:
        """Append one turn; returns its number (0-based)."""
        Message(role, content)  # validates role and content
        with self._lock:
            (n,) = self._con.execute(
                "SELECT coalesce(max(turn) + 1, 0) FROM conversation_turns WHERE conversation_id = ?",
                [conversation_id],
            ).fetchall()[0]
            self._con.execute(
                "INSERT INTO conversation_turns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [conversation_id, n, self._now(), role, content, user_id, persona, provider, model],
            )
        return int(n)

    def history(self, conversation_id: str, *, last_n: int | None = None) -> list[Message]:
        """The turns of a conversation in order (the last ``last_n`` only, when given)."""
        with self._lock:
            rows = self._con.execute(
                "SELECT role, content FROM conversation_turns WHERE conversation_id = ? ORDER BY turn",
                [conversation_id],
            ).fetchall()
        msgs = [Message(r, c) for r, c in rows]
        return msgs[-last_n:] if last_n else msgs

    def conversations(self) -> pd.DataFrame:
        """One row per conversation: id, turns, first and last time, user, persona."""
        with self._lock:
            return self._con.execute(
                """SELECT conversation_id, count(*) AS turns, min(ts) AS first_ts, max(ts) AS last_ts,
                          any_value(user_id) AS user_id, any_value(persona) AS persona
                   FROM conversation_turns GROUP BY conversation_id ORDER BY last_ts"""
            ).df()

    # -- retrieval memory -------------------------------------------------------------------------
    def remember(
        self, texts: str | Sequence[str], *, user_id: str | None = None, source: str | None = None
    ) -> list[int]:
        """Store facts with their embeddings; returns their ids."""
        items = [texts] if isinstance(texts, str) else list(texts)
        if not items or not all(isinstance(t, str) and t.strip() for t in items):
            raise ParameterError(f"remember() needs non-empty strings, given {items!r:.200}")
        vecs = self.embedder.encode(items)
        if vecs.shape != (len(items), 384):
            raise ParameterError(f"the embedder returned shape {vecs.shape}, expected ({len(items)}, 384)")
        import pandas as pd

        with self._lock:
            (start,) = self._con.execute("SELECT coalesce(max(fact_id) + 1, 0) FROM facts").fetchall()[0]
            ids = list(range(int(start), int(start) + len(items)))
            ts = self._now()
            df = pd.DataFrame(
                {
                    "fact_id": ids,
                    "ts": [ts] * len(items),
                    "user_id": [user_id] * len(items),
                    "source": [source] * len(items),
                    "text": items,
                    "embedding": [v.astype(np.float32).tolist() for v in vecs],
                }
            )
            self._con.register("_new_facts", df)
            try:
                self._con.execute(
                    "INSERT INTO facts SELECT fact_id, ts, user_id, source, text, "
                    "CAST(embedding AS FLOAT[384]) FROM _new_facts"
                )
            finally:
                self._con.unregister("_new_facts")
        return ids

    def recall(self, query: str, *, k: int = 3, user_id: str | None = None, min_score: float = -1.0) -> list[Fact]:
        """The ``k`` facts most similar to the query (cosine similarity, DuckDB ``array_cosine_similarity``).

        Parameters
        ----------
        query : str
        k : int
        user_id : str, optional
            Only this user's facts (and facts without a user).
        min_score : float
            Drop facts below this similarity.
        """
        if k < 1:
            raise ParameterError(f"k must be >= 1, given {k}")
        q = self.embedder.encode([query])[0].astype(np.float32).tolist()
        sql = """SELECT fact_id, text, array_cosine_similarity(embedding, CAST(? AS FLOAT[384])) AS score,
                        user_id, source, ts
                 FROM facts WHERE (? IS NULL OR user_id = ? OR user_id IS NULL)
                 ORDER BY score DESC, fact_id LIMIT ?"""
        with self._lock:
            rows = self._con.execute(sql, [q, user_id, user_id, int(k)]).fetchall()
        return [Fact(int(i), t, float(s), u, src, ts) for i, t, s, u, src, ts in rows if s >= min_score]

    def facts(self) -> pd.DataFrame:
        """All facts (without embeddings)."""
        with self._lock:
            return self._con.execute("SELECT fact_id, ts, user_id, source, text FROM facts ORDER BY fact_id").df()

    def context_for(self, query: str, *, k: int = 3, user_id: str | None = None, min_score: float = 0.3) -> str:
        """Recalled facts as a short system-prompt block ("" when none is relevant)."""
        facts = self.recall(query, k=k, user_id=user_id, min_score=min_score)
        if not facts:
            return ""
        return "Things you know about this user:\n" + "\n".join(f"- {f.text}" for f in facts)
