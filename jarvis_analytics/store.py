"""The one writer of the JARVIS event store (DuckDB).

DuckDB lets one process hold a database file read-write; any other process that opens it then
fails with a lock error. :class:`Store` is that writer: open it once per process, append events
in batches (Arrow/pandas ``INSERT ... SELECT``, never ``executemany``), and hand read cursors to
threads with :meth:`Store.cursor`.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .exceptions import SchemaError, StoreError
from .schema import EVENT_COLUMNS, MIGRATIONS, SCHEMA_VERSION

__all__ = ["Store"]


class Store:
    """A DuckDB event store opened read-write (the one writer) or read-only.

    Parameters
    ----------
    path : str or path-like
        Database file; ``":memory:"`` for a throw-away store.
    read_only : bool
        Open without write access (fails while another process holds the writer lock).

    Examples
    --------
    >>> store = Store(":memory:")
    >>> store.schema_version()
    1
    """

    def __init__(self, path: str | os.PathLike[str] = ":memory:", *, read_only: bool = False) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(self.path, read_only=read_only, config={"autoinstall_known_extensions": False})
        except duckdb.IOException as exc:
            raise StoreError(f"cannot open event store {self.path!r}: {exc}") from exc
        self.read_only = read_only
        if not read_only:
            self.migrate()

    # -- schema ---------------------------------------------------------------------------
    def schema_version(self) -> int:
        """The schema version recorded in the store (0 for an empty file)."""
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        ).fetchone()
        if not exists or exists[0] == 0:
            return 0
        row = self.con.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def migrate(self) -> int:
        """Apply pending migrations in one transaction each; returns the resulting version."""
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise SchemaError(
                f"store {self.path!r} has schema version {current}, newer than this code's {SCHEMA_VERSION}"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            self.con.execute("BEGIN TRANSACTION")
            try:
                for stmt in MIGRATIONS[version]:
                    self.con.execute(stmt)
                self.con.execute("INSERT INTO schema_version VALUES (?, ?)", [version, dt.datetime.now(dt.UTC)])
                self.con.execute("COMMIT")
            except Exception:
                self.con.execute("ROLLBACK")
                raise
        return SCHEMA_VERSION

    # -- writing --------------------------------------------------------------------------
    def append(self, event_type: str, frame: pd.DataFrame) -> int:
        """Append a batch of events of one type; returns the number of rows written.

        Parameters
        ----------
        event_type : {'request', 'llm_call', 'health_check', 'session'}
        frame : pandas.DataFrame
            Must hold every column of the event type (extra columns are refused).
        """
        if self.read_only:
            raise StoreError(f"store {self.path!r} is open read-only")
        if event_type not in EVENT_COLUMNS:
            raise StoreError(f"unknown event type {event_type!r}; expected one of {sorted(EVENT_COLUMNS)}")
        cols = [c for c, _ in EVENT_COLUMNS[event_type]]
        missing = [c for c in cols if c not in frame.columns]
        extra = [c for c in frame.columns if c not in cols]
        if missing or extra:
            raise StoreError(f"{event_type} batch: missing columns {missing}, unexpected columns {extra}")
        batch = frame[cols]  # noqa: F841 - referenced by name in the SQL below
        col_list = ", ".join(cols)
        self.con.execute(f"INSERT INTO {event_type} ({col_list}) SELECT {col_list} FROM batch")
        return len(frame)

    # -- reading --------------------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one reader thread (shares the writer's connection safely)."""
        return self.con.cursor()

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run a parameterised read query and return a DataFrame."""
        return self.con.cursor().execute(sql, params or []).df()

    def counts(self) -> dict[str, int]:
        """Number of rows per event table."""
        out = {}
        for table in EVENT_COLUMNS:
            row = self.con.execute(f"SELECT count(*) FROM {table}").fetchone()
            out[table] = int(row[0]) if row else 0
        return out

    def close(self) -> None:
        """Close the connection (releases the writer lock)."""
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
