"""The one writer of the JARVIS event store (DuckDB), and the readers that never fight its lock.

DuckDB lets one process hold a database file read-write; any other process that opens it then
fails with a lock error, read-only or not. So:

- :class:`Store` is the writer. Open it once per process (the ingest command, the monitor daemon or
  :func:`jarvis_analytics.emitter.run_writer`). It appends events in batches (Arrow/pandas
  ``INSERT ... SELECT``, never ``executemany``), keeps the summary tables up to date in the same
  transaction, and **publishes read-only snapshots**: ``CHECKPOINT``, copy the file to a temporary
  name, atomic rename to ``<db>.snapshot``.
- :func:`open_reader` is what dashboards, notebooks and reports use. It opens the newest snapshot
  read-only (falling back to the database file itself only while no snapshot exists), so a reader
  never opens the file the writer holds.
- Other processes that want to *write* use :class:`jarvis_analytics.emitter.Emitter` (spool files
  renamed into place, consumed by the writer).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .exceptions import SchemaError, StoreError
from .schema import EVENT_COLUMNS, MIGRATIONS, SCHEMA_VERSION, summary_parts

__all__ = ["Store", "Reader", "open_reader", "snapshot_path", "connect"]

_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def snapshot_path(db: str | os.PathLike[str]) -> Path:
    """Where the writer publishes read-only snapshots of ``db`` (``<db>.snapshot``).

    Examples
    --------
    >>> snapshot_path("data/jarvis.duckdb").name
    'jarvis.duckdb.snapshot'
    """
    p = Path(db)
    return p.with_name(p.name + ".snapshot")


def connect(path: str | os.PathLike[str], *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB connection with the store's settings (UTC, no extension downloads)."""
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=dict(_CONFIG))
    except duckdb.IOException as exc:
        raise StoreError(f"cannot open event store {str(path)!r}: {exc}") from exc
    con.execute("SET TimeZone = 'UTC'")
    return con


def _schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()
    if not exists or exists[0] == 0:
        return 0
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    out = {}
    for table in EVENT_COLUMNS:
        row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        out[table] = int(row[0]) if row else 0
    return out


class Reader:
    """A read-only view of the event store that never touches the writer's file.

    Use :func:`open_reader` to make one. ``con`` is a plain DuckDB connection (``TimeZone = 'UTC'``);
    pass it to :mod:`jarvis_analytics.metrics` functions.

    Parameters
    ----------
    path : path-like
        The file actually opened (a snapshot, or the database while no snapshot exists).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        self.con = connect(self.path, read_only=True)

    def schema_version(self) -> int:
        """The schema version recorded in the store."""
        return _schema_version(self.con)

    def counts(self) -> dict[str, int]:
        """Number of rows per event table."""
        return _counts(self.con)

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run a parameterised read query and return a DataFrame."""
        return self.con.cursor().execute(sql, params or []).df()

    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _resolve_read_path(db: str | os.PathLike[str]) -> Path:
    snap = snapshot_path(db)
    if snap.exists():
        return snap
    if Path(db).exists():
        return Path(db)
    raise StoreError(
        f"no event store at {str(db)!r} (nor a snapshot {str(snap)!r}); create one with 'jarvis demo-data'"
    )


def _upgrade_old_store(db: str | os.PathLike[str]) -> None:
    """A store written before snapshots existed: migrate it and publish its first snapshot, if no one holds it."""
    try:
        con = connect(db, read_only=True)
    except StoreError:
        return  # a writer holds it; it publishes a snapshot on open
    try:
        old = _schema_version(con) < SCHEMA_VERSION
    finally:
        con.close()
    if old:
        with contextlib.suppress(StoreError):
            Store(db, lock_timeout_s=0.0).close()


def open_reader(db: str | os.PathLike[str], *, timeout_s: float = 5.0) -> Reader:
    """Open the event store for reading without ever fighting the writer's lock.

    Parameters
    ----------
    db : path-like
        The database file (``data/jarvis.duckdb``). The reader opens ``<db>.snapshot`` — the
        newest snapshot the writer published — or, while none exists, the file itself read-only.
        A store of an older schema that no writer holds is migrated (and snapshotted) first.
    timeout_s : float
        How long to wait for a snapshot when the file is locked by a writer that has not
        published one yet.

    Returns
    -------
    reader : Reader
        Close it (or use ``with``) when done; snapshots are refreshed by the writer every few
        seconds, so reopen to see new events.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "j.duckdb"
    >>> Store(db).close()
    >>> with open_reader(db) as r:
    ...     r.counts()["request"]
    0
    """
    deadline = time.monotonic() + timeout_s
    if not snapshot_path(db).exists() and Path(db).exists():
        _upgrade_old_store(db)
    upgraded = False
    while True:
        path = _resolve_read_path(db)
        try:
            reader = Reader(path)
        except StoreError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)
            continue
        if upgraded or path == Path(db) or reader.schema_version() >= SCHEMA_VERSION:
            return reader
        # a snapshot of an older schema: migrate the store (if no writer holds it) and read the new snapshot
        reader.close()
        _upgrade_old_store(db)
        upgraded = True


class Store:
    """The DuckDB event store opened read-write (the one writer) or read-only.

    Parameters
    ----------
    path : str or path-like
        Database file; ``":memory:"`` for a throw-away store.
    read_only : bool
        Open for reading only. This goes through the same path as :func:`open_reader`: the newest
        published snapshot, never the file a writer holds.
    lock_timeout_s : float
        The writer retries for this long if the file is locked (a reader of an old store without a
        snapshot may hold it briefly).
    snapshot_interval_s : float
        Minimum time between two published snapshots (:meth:`publish_snapshot` with ``force=False``);
        a snapshot is always published at :meth:`close`.

    Examples
    --------
    >>> store = Store(":memory:")
    >>> store.schema_version()
    3
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = ":memory:",
        *,
        read_only: bool = False,
        lock_timeout_s: float = 10.0,
        snapshot_interval_s: float = 2.0,
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        self.snapshot_interval_s = snapshot_interval_s
        self._lock = threading.RLock()
        self._last_snapshot = 0.0
        self._dirty = False
        if read_only:
            self.con = connect(_resolve_read_path(self.path), read_only=True)
            return
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + lock_timeout_s
        while True:
            try:
                self.con = connect(self.path, read_only=False)
                break
            except StoreError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)
        self.migrate()
        self.publish_snapshot(force=True)

    # -- schema ---------------------------------------------------------------------------
    def schema_version(self) -> int:
        """The schema version recorded in the store (0 for an empty file)."""
        return _schema_version(self.con)

    def migrate(self) -> int:
        """Apply pending migrations in one transaction each; returns the resulting version."""
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise SchemaError(
                f"store {self.path!r} has schema version {current}, newer than this code's {SCHEMA_VERSION}"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                for stmt in MIGRATIONS[version]:
                    self.con.execute(stmt)
                self.con.execute("INSERT INTO schema_version VALUES (?, ?)", [version, dt.datetime.now(dt.UTC)])
        return SCHEMA_VERSION

    # -- writing --------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write transaction on the writer's connection: committed on success, rolled back on error."""
        if self.read_only:
            raise StoreError(f"store {self.path!r} is open read-only")
        with self._lock:
            self.con.execute("BEGIN TRANSACTION")
            try:
                yield self.con
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            self.con.execute("COMMIT")
            self._dirty = True

    def insert_relation(
        self, event_type: str, relation: str, *, partials: Callable[[], dict[str, Any]] | None = None
    ) -> int:
        """Insert validated, typed events from a relation and fold them into the summaries.

        Call inside :meth:`transaction`. ``relation`` names a table/view/registered Arrow table, or
        is a parenthesised subquery, holding the event columns (by name) with the schema's types.
        The summaries are merged from the same relation in the same transaction. Returns the
        number of rows inserted.

        ``partials``, if given, is called after the insert and returns, per summary table, the
        batch's aggregate (:attr:`jarvis_analytics.schema.SummaryPart.aggregate`, e.g. as an Arrow
        table computed concurrently on another connection); those are merged instead of
        aggregating ``relation`` again.
        """
        cols = ", ".join(c for c, _ in EVENT_COLUMNS[event_type])
        row = self.con.execute(f"INSERT INTO {event_type} ({cols}) SELECT {cols} FROM {relation}").fetchone()
        parts = summary_parts(event_type, relation)
        ready = partials() if partials is not None else None
        for part in parts:
            if ready is None:
                self.con.execute(part.merge_sql())
                continue
            name = f"_partial_{part.table}"
            self.con.register(name, ready[part.table])
            try:
                self.con.execute(part.merge_sql(name))
            finally:
                with contextlib.suppress(duckdb.Error):  # an aborted transaction refuses it; the error matters
                    self.con.unregister(name)
        return int(row[0]) if row else 0

    def append(self, event_type: str, frame: Any) -> int:
        """Append a batch of trusted events of one type; returns the number of rows written.

        Parameters
        ----------
        event_type : {'request', 'llm_call', 'health_check', 'session'}
        frame : pandas.DataFrame or pyarrow.Table
            Must hold every column of the event type (extra columns are refused). Untrusted input
            goes through :func:`jarvis_analytics.ingest.ingest_table` (validation + quarantine).
        """
        if event_type not in EVENT_COLUMNS:
            raise StoreError(f"unknown event type {event_type!r}; expected one of {sorted(EVENT_COLUMNS)}")
        cols = [c for c, _ in EVENT_COLUMNS[event_type]]
        names = list(frame.column_names if hasattr(frame, "column_names") else frame.columns)
        missing = [c for c in cols if c not in names]
        extra = [c for c in names if c not in cols]
        if missing or extra:
            raise StoreError(f"{event_type} batch: missing columns {missing}, unexpected columns {extra}")
        casts = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in EVENT_COLUMNS[event_type])
        with self.transaction() as con:
            con.register("_append_src", frame)
            try:
                con.execute(f"CREATE OR REPLACE TEMP TABLE _append AS SELECT {casts} FROM _append_src")
                self.insert_relation(event_type, "_append")
                con.execute("DROP TABLE _append")
            finally:
                con.unregister("_append_src")
        return len(frame)

    def record(self, table: str, frame: pd.DataFrame) -> None:
        """Append rows to a book-keeping table (``flips``, ``restart_actions``, ``alerts``)."""
        if table not in ("flips", "restart_actions", "alerts"):
            raise StoreError(f"record() writes flips, restart_actions or alerts, not {table!r}")
        with self.transaction() as con:
            con.register("_record_src", frame)
            try:
                cols = ", ".join(frame.columns)
                con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _record_src")
            finally:
                con.unregister("_record_src")

    def publish_snapshot(self, *, force: bool = False) -> Path | None:
        """Publish a read-only snapshot: ``CHECKPOINT``, copy to a temp name, atomic rename.

        Returns the snapshot path, or None when skipped (in-memory store, nothing new, or the last
        snapshot is younger than ``snapshot_interval_s`` and ``force`` is False).
        """
        if self.read_only or self.path == ":memory:":
            return None
        now = time.monotonic()
        if not force and (not self._dirty or now - self._last_snapshot < self.snapshot_interval_s):
            return None
        snap = snapshot_path(self.path)
        tmp = snap.with_name(f".{snap.name}.{os.getpid()}.tmp")
        with self._lock:
            self.con.execute("CHECKPOINT")
            shutil.copyfile(self.path, tmp)
            self._dirty = False
        os.replace(tmp, snap)
        self._last_snapshot = time.monotonic()
        return snap

    # -- reading --------------------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one reader thread inside the writer process (shares the connection safely)."""
        return self.con.cursor()

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run a parameterised read query and return a DataFrame."""
        return self.con.cursor().execute(sql, params or []).df()

    def counts(self) -> dict[str, int]:
        """Number of rows per event table."""
        return _counts(self.con)

    def close(self) -> None:
        """Publish a final snapshot (writer) and close the connection (releases the lock)."""
        try:
            if not self.read_only and self._dirty:
                self.publish_snapshot(force=True)
        finally:
            self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
