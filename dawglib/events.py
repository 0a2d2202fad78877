"""The event-sink interface through which dawglib reports to the outside (e.g. JARVIS analytics).

dawglib never imports ``jarvis_analytics``. Code that produces events worth tracking (the brain's
LLM calls, coach sessions) takes a ``sink`` argument: any object with
``emit(event_type: str, record: Mapping[str, Any]) -> None``. Apps, notebooks and CLIs pass the
sink that ``jarvis_analytics`` provides (it writes to the DuckDB store); tests pass a
:class:`ListSink`; the default is :class:`NullSink`.

Event types and fields follow the JARVIS contract, e.g. ``llm_call``: ts, provider, model,
tokens_in, tokens_out, cost_usd, latency_ms, ok, user_id, persona, feature.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

__all__ = ["EventSink", "NullSink", "ListSink", "JsonlSpoolSink", "utc_now"]


def utc_now() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


@runtime_checkable
class EventSink(Protocol):
    """Anything that accepts events: ``sink.emit("llm_call", {...})``."""

    def emit(self, event_type: str, record: Mapping[str, Any]) -> None:
        """Accept one event; must not raise for a well-formed record."""


class NullSink:
    """Drops every event (the default when nothing is wired)."""

    def emit(self, event_type: str, record: Mapping[str, Any]) -> None:
        """Do nothing."""


class ListSink:
    """Keeps events in memory as ``(event_type, record)`` pairs (tests, notebooks)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def emit(self, event_type: str, record: Mapping[str, Any]) -> None:
        """Append the event."""
        with self._lock:
            self.events.append((event_type, dict(record)))

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        """The records of one event type, in order."""
        return [r for t, r in self.events if t == event_type]


class JsonlSpoolSink:
    """Writes events as JSON Lines spool files that the JARVIS writer ingests.

    Each :meth:`flush` (or every ``batch_size`` events) writes one file under a temporary name and
    renames it into ``spool_dir`` atomically, so a reader never sees a half-written file and many
    processes can emit at once. Every line has a ``type`` field and ISO 8601 UTC timestamps.

    Parameters
    ----------
    spool_dir : path
        Folder the JARVIS ingester watches.
    batch_size : int
        Events buffered before a file is written.
    """

    def __init__(self, spool_dir: str | os.PathLike[str], *, batch_size: int = 100) -> None:
        self.spool_dir = Path(spool_dir)
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        self.batch_size = int(batch_size)
        self._buf: list[str] = []
        self._lock = threading.Lock()

    def emit(self, event_type: str, record: Mapping[str, Any]) -> None:
        """Buffer one event; writes a spool file when the batch is full."""
        rec = {"type": event_type, **{k: _jsonable(v) for k, v in record.items()}}
        rec.setdefault("ts", utc_now().isoformat())
        with self._lock:
            self._buf.append(json.dumps(rec, separators=(",", ":")))
            full = len(self._buf) >= self.batch_size
        if full:
            self.flush()

    def flush(self) -> Path | None:
        """Write buffered events to one spool file; returns its path (None when empty)."""
        with self._lock:
            lines, self._buf = self._buf, []
        if not lines:
            return None
        name = f"{utc_now():%Y%m%dT%H%M%S%f}-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
        tmp = self.spool_dir / f".{name}.tmp"
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        final = self.spool_dir / name
        os.replace(tmp, final)
        return final

    def __del__(self) -> None:  # best effort: never lose buffered events at interpreter exit
        try:
            self.flush()
        except Exception:  # noqa: BLE001, S110 - nothing sensible to do during teardown
            pass


def _jsonable(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=dt.UTC)
        return v.astimezone(dt.UTC).isoformat()
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return v
