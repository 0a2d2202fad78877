"""jarvis_analytics — the operator side of the DAWG Workbench.

Ops and business analytics for JARVIS in DuckDB: events, health checks with a restart policy,
uptime/latency/error/cost/user metrics, alerts, anomalies and forecasts. It never imports
dawglib internals (only its public API where a feature needs it).

Entry points: :func:`open_reader` (dashboards, notebooks, reports: read without fighting the
writer's lock), :class:`Store` (the one writer), :class:`Emitter` (events from any process).
Submodules: ``schema``, ``store``, ``ingest``, ``emitter``, ``metrics``, ``health``, ``restart``,
``alerts``, ``anomalies``, ``forecast``, ``costs``, ``demo``, ``cli``.
"""

from __future__ import annotations

from typing import Any

from .exceptions import IngestError, JarvisError, SchemaError, StoreError

__version__ = "0.2.0"

__all__ = ["JarvisError", "SchemaError", "StoreError", "IngestError", "Store", "open_reader", "Emitter", "__version__"]


def __getattr__(name: str) -> Any:
    # lazy: importing the package does not load duckdb/pandas
    if name in ("Store", "open_reader"):
        from . import store

        return getattr(store, name)
    if name == "Emitter":
        from .emitter import Emitter

        return Emitter
    raise AttributeError(f"module 'jarvis_analytics' has no attribute {name!r}")
