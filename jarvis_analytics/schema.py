"""The DuckDB schema of the JARVIS event store, and its version, in one place.

Event tables and their columns are a contract: other parts of the project and outside tools emit
them (see the README). Columns carry their units (``duration_ms``, ``cost_usd``). Timestamps are
stored as ``TIMESTAMPTZ`` in UTC.
"""

from __future__ import annotations

__all__ = ["SCHEMA_VERSION", "EVENT_COLUMNS", "MIGRATIONS"]

#: The schema version this code writes and understands.
SCHEMA_VERSION = 1

#: Event type -> ordered (column, DuckDB type) pairs; ``ts`` first.
EVENT_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "request": (
        ("ts", "TIMESTAMPTZ"),
        ("service", "VARCHAR"),
        ("endpoint", "VARCHAR"),
        ("method", "VARCHAR"),
        ("status", "INTEGER"),
        ("duration_ms", "DOUBLE"),
        ("user_id", "VARCHAR"),
        ("session_id", "VARCHAR"),
    ),
    "llm_call": (
        ("ts", "TIMESTAMPTZ"),
        ("provider", "VARCHAR"),
        ("model", "VARCHAR"),
        ("tokens_in", "BIGINT"),
        ("tokens_out", "BIGINT"),
        ("cost_usd", "DOUBLE"),
        ("latency_ms", "DOUBLE"),
        ("ok", "BOOLEAN"),
        ("user_id", "VARCHAR"),
        ("persona", "VARCHAR"),
        ("feature", "VARCHAR"),
    ),
    "health_check": (
        ("ts", "TIMESTAMPTZ"),
        ("service", "VARCHAR"),
        ("status", "VARCHAR"),  # 'up' | 'degraded' | 'down'
        ("latency_ms", "DOUBLE"),
        ("detail", "VARCHAR"),
    ),
    "session": (
        ("ts", "TIMESTAMPTZ"),
        ("user_id", "VARCHAR"),
        ("session_id", "VARCHAR"),
        ("event", "VARCHAR"),  # 'start' | 'end'
    ),
}


def _create_event_tables() -> list[str]:
    stmts = []
    for table, cols in EVENT_COLUMNS.items():
        body = ", ".join(f"{name} {typ}" for name, typ in cols)
        stmts.append(f"CREATE TABLE IF NOT EXISTS {table} ({body})")
    return stmts


#: version -> statements that bring a store from ``version - 1`` to ``version``.
MIGRATIONS: dict[int, list[str]] = {
    1: [
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TIMESTAMPTZ NOT NULL)",
        *_create_event_tables(),
    ],
}
