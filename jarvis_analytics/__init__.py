"""jarvis_analytics — the operator side of the DAWG Workbench.

Ops and business analytics for JARVIS in DuckDB: events, health checks with a restart policy,
uptime/latency/error/cost/user metrics, alerts, anomalies and forecasts. It never imports
dawglib internals (only its public API where a feature needs it).
"""

from __future__ import annotations

from .exceptions import JarvisError, SchemaError, StoreError

__version__ = "0.1.0"

__all__ = ["JarvisError", "SchemaError", "StoreError", "__version__"]
