"""Emit events from many processes at once, and the writer loop that consumes them.

DuckDB allows one writer per file, so producers (the brain, the coach, the monitor, outside tools)
never open the database. An :class:`Emitter` buffers events and writes them as JSON Lines spool
files: written under a hidden temporary name, flushed and ``fsync``-ed, then renamed into place
(``os.replace`` is atomic), so the writer only ever sees complete files. The one writer
(:func:`drain_spool`, :func:`run_writer`, ``jarvis writer``) ingests each spool file in one
transaction keyed by its unique name and deletes it only after the commit: a crash (even ``kill -9``)
before the commit leaves the file to be ingested again, a crash after it leaves a key that makes the
re-ingest a no-op — every committed event is stored exactly once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .exceptions import StoreError
from .ingest import FileReport, IngestReport, ingest_file
from .schema import EVENT_COLUMNS
from .store import Store

__all__ = ["Emitter", "spool_dir_for", "drain_spool", "run_writer"]


def spool_dir_for(db: str | os.PathLike[str]) -> Path:
    """The default spool folder of a store: ``<db>.spool``.

    Examples
    --------
    >>> spool_dir_for("data/jarvis.duckdb").name
    'jarvis.duckdb.spool'
    """
    p = Path(db)
    return p.with_name(p.name + ".spool")


def _json_default(v: object) -> str:
    if isinstance(v, dt.datetime):
        return v.isoformat()
    return str(v)


class Emitter:
    """A process-safe event sink: buffered events, written as spool files renamed into place.

    Parameters
    ----------
    spool_dir : path-like
        Folder the writer consumes (see :func:`spool_dir_for`).
    batch_size : int
        Events per spool file; :meth:`emit` flushes when the buffer reaches it.
    clock : callable
        Returns the current UTC time (``datetime``); used for events without ``ts``.

    Examples
    --------
    >>> import tempfile
    >>> with Emitter(tempfile.mkdtemp()) as emit:
    ...     emit.emit("request", service="producer", endpoint="/beat", method="POST",
    ...               status=200, duration_ms=412.0, user_id="u1", session_id="s1")
    """

    def __init__(
        self,
        spool_dir: str | os.PathLike[str],
        *,
        batch_size: int = 1000,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.spool_dir = Path(spool_dir)
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        self.batch_size = batch_size
        self.clock = clock
        self._buf: list[str] = []
        self._lock = threading.Lock()
        self._prefix = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._seq = 0

    def emit(self, event_type: str, **fields: Any) -> None:
        """Queue one event; ``fields`` are the event's columns (``ts`` defaults to now)."""
        if event_type not in EVENT_COLUMNS:
            raise StoreError(f"unknown event type {event_type!r}; expected one of {sorted(EVENT_COLUMNS)}")
        fields.setdefault("ts", self.clock())
        line = json.dumps({"type": event_type, **fields}, default=_json_default)
        with self._lock:
            self._buf.append(line)
            full = len(self._buf) >= self.batch_size
        if full:
            self.flush()

    def __call__(self, event: Mapping[str, Any]) -> None:
        """Sink interface: ``emitter({"type": "llm_call", ...})``."""
        fields = dict(event)
        self.emit(str(fields.pop("type", "")), **fields)

    def flush(self) -> Path | None:
        """Write the buffered events as one spool file (temp name, fsync, atomic rename)."""
        with self._lock:
            if not self._buf:
                return None
            lines, self._buf = self._buf, []
            self._seq += 1
            name = f"{time.time_ns():020d}-{self._prefix}-{self._seq:06d}.jsonl"
        final = self.spool_dir / name
        tmp = self.spool_dir / f".{name}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        return final

    def close(self) -> None:
        """Flush what is left."""
        self.flush()

    def __enter__(self) -> Emitter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def drain_spool(store: Store, spool_dir: str | os.PathLike[str], *, max_files: int | None = None) -> IngestReport:
    """Ingest every complete spool file (oldest first), deleting each after its commit.

    Parameters
    ----------
    store : Store
        The one writer.
    spool_dir : path-like
    max_files : int or None
        Stop after this many files (keeps a writer loop responsive).

    Returns
    -------
    report : IngestReport
    """
    spool = Path(spool_dir)
    if not spool.is_dir():
        return IngestReport(())
    files = sorted(p for p in spool.glob("*.jsonl") if not p.name.startswith("."))
    reports: list[FileReport] = []
    for f in files[:max_files]:
        reports.append(ingest_file(store, f, key=f"spool:{f.name}"))
        f.unlink()  # only after the commit; a crash before this line makes the re-ingest a no-op
    return IngestReport(tuple(reports))


def run_writer(
    db: str | os.PathLike[str],
    *,
    spool_dir: str | os.PathLike[str] | None = None,
    poll_s: float = 0.2,
    stop: threading.Event | None = None,
    idle_exit_s: float | None = None,
    snapshot_interval_s: float = 2.0,
    on_cycle: Callable[[Store], None] | None = None,
) -> int:
    """The writer loop: drain the spool, publish snapshots, repeat until ``stop`` is set.

    Parameters
    ----------
    db : path-like
        The database this process owns.
    spool_dir : path-like or None
        Default :func:`spool_dir_for` ``(db)``.
    poll_s : float
        Sleep between polls when the spool is empty.
    stop : threading.Event or None
        Set it to end the loop (after a final drain and snapshot).
    idle_exit_s : float or None
        Also end after this long with an empty spool (``jarvis writer --once`` uses 0).
    snapshot_interval_s : float
        Minimum time between published snapshots.
    on_cycle : callable or None
        Called with the store once per cycle (the monitor hooks its checks here).

    Returns
    -------
    rows : int
        Events stored by this run.
    """
    spool = Path(spool_dir) if spool_dir is not None else spool_dir_for(db)
    spool.mkdir(parents=True, exist_ok=True)
    stop = stop or threading.Event()
    total = 0
    idle_since = time.monotonic()
    with Store(db, snapshot_interval_s=snapshot_interval_s) as store:
        while True:
            report = drain_spool(store, spool, max_files=50)
            total += report.rows
            if on_cycle is not None:
                on_cycle(store)
            store.publish_snapshot()
            if report.files:
                idle_since = time.monotonic()
                continue
            if stop.is_set() or (idle_exit_s is not None and time.monotonic() - idle_since >= idle_exit_s):
                break
            stop.wait(poll_s)
        total += drain_spool(store, spool).rows
    return total
