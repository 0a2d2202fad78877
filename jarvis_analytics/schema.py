"""The DuckDB schema of the JARVIS event store, and its version, in one place.

Event tables and their columns are a contract: other parts of the project and outside tools emit
them (see the README). Columns carry their units (``duration_ms``, ``cost_usd``). Timestamps are
stored as ``TIMESTAMPTZ`` in UTC (every connection runs with ``TimeZone = 'UTC'``, so a timestamp
without a zone is read as UTC).

Version history
---------------
1. The four event tables (``request``, ``llm_call``, ``health_check``, ``session``).
2. Book-keeping and summaries: ``ingested_files`` (idempotent ingest), ``quarantine`` (malformed
   rows with file and line), ``flips`` (health status changes), ``restart_actions``, ``alerts``,
   and the summary tables maintained on every insert (``request_minute``, ``request_hist_hour``,
   ``llm_day``, ``user_day``), back-filled from the raw events of a version-1 store.
"""

from __future__ import annotations

__all__ = [
    "SCHEMA_VERSION",
    "EVENT_COLUMNS",
    "MIGRATIONS",
    "REQUIRED_COLUMNS",
    "ENUM_VALUES",
    "NONNEGATIVE_COLUMNS",
    "HIST_BINS_PER_DECADE",
    "summary_statements",
]

#: The schema version this code writes and understands.
SCHEMA_VERSION = 2

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

#: Columns a row must carry to be stored (otherwise it is quarantined).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "request": ("ts", "service", "status", "duration_ms"),
    "llm_call": ("ts", "provider", "model"),  # cost_usd NULL = price unknown (never a silent $0)
    "health_check": ("ts", "service", "status"),
    "session": ("ts", "user_id", "session_id", "event"),
}

#: Columns restricted to a set of values.
ENUM_VALUES: dict[str, dict[str, tuple[str, ...]]] = {
    "health_check": {"status": ("up", "degraded", "down")},
    "session": {"event": ("start", "end")},
}

#: Numeric columns that may not be negative.
NONNEGATIVE_COLUMNS: dict[str, tuple[str, ...]] = {
    "request": ("duration_ms",),
    "llm_call": ("tokens_in", "tokens_out", "cost_usd", "latency_ms"),
    "health_check": ("latency_ms",),
    "session": (),
}

#: Resolution of the latency histograms in ``request_hist_hour`` (bin width 10**(1/50) = 4.7 %).
HIST_BINS_PER_DECADE = 50


def _create_event_tables() -> list[str]:
    stmts = []
    for table, cols in EVENT_COLUMNS.items():
        body = ", ".join(f"{name} {typ}" for name, typ in cols)
        stmts.append(f"CREATE TABLE IF NOT EXISTS {table} ({body})")
    return stmts


def summary_statements(event_type: str, source: str) -> list[str]:
    """SQL that folds new events of one type (a relation named ``source``) into the summary tables.

    Parameters
    ----------
    event_type : str
        One of :data:`EVENT_COLUMNS`.
    source : str
        Name of a relation (table, view or registered Arrow table) with the event columns, already
        validated and typed.

    Returns
    -------
    statements : list of str
        Upserts, to run inside the transaction that inserts the events.

    Examples
    --------
    >>> len(summary_statements("request", "batch"))
    3
    """
    b = HIST_BINS_PER_DECADE
    if event_type == "request":
        return [
            f"""INSERT INTO request_minute
                SELECT date_trunc('minute', ts), service, count(*), count(*) FILTER (WHERE status >= 500),
                       sum(duration_ms)
                FROM {source} GROUP BY ALL
                ON CONFLICT (minute, service) DO UPDATE SET
                  requests = requests + EXCLUDED.requests,
                  errors_5xx = errors_5xx + EXCLUDED.errors_5xx,
                  sum_duration_ms = sum_duration_ms + EXCLUDED.sum_duration_ms""",
            f"""INSERT INTO request_hist_hour
                SELECT date_trunc('hour', ts), service,
                       CAST(floor({b} * log10(greatest(duration_ms, 0.001))) AS INTEGER), count(*)
                FROM {source} GROUP BY ALL
                ON CONFLICT (hour, service, bin) DO UPDATE SET n = n + EXCLUDED.n""",
            f"""INSERT INTO user_day
                SELECT DISTINCT CAST(ts AS DATE), user_id FROM {source} WHERE user_id IS NOT NULL
                ON CONFLICT DO NOTHING""",
        ]
    if event_type == "llm_call":
        return [
            f"""INSERT INTO llm_day
                SELECT CAST(ts AS DATE), provider, model, coalesce(feature, ''), count(*),
                       count(*) FILTER (WHERE NOT coalesce(ok, true)),
                       coalesce(sum(tokens_in), 0), coalesce(sum(tokens_out), 0), sum(cost_usd)
                FROM {source} GROUP BY ALL
                ON CONFLICT (day, provider, model, feature) DO UPDATE SET
                  calls = calls + EXCLUDED.calls, errors = errors + EXCLUDED.errors,
                  tokens_in = tokens_in + EXCLUDED.tokens_in, tokens_out = tokens_out + EXCLUDED.tokens_out,
                  cost_usd = cost_usd + EXCLUDED.cost_usd""",
            f"""INSERT INTO user_day
                SELECT DISTINCT CAST(ts AS DATE), user_id FROM {source} WHERE user_id IS NOT NULL
                ON CONFLICT DO NOTHING""",
        ]
    if event_type == "session":
        return [
            f"""INSERT INTO user_day
                SELECT DISTINCT CAST(ts AS DATE), user_id FROM {source} WHERE user_id IS NOT NULL
                ON CONFLICT DO NOTHING"""
        ]
    return []


_V2_TABLES = [
    """CREATE TABLE IF NOT EXISTS ingested_files (
         key VARCHAR PRIMARY KEY, path VARCHAR, sha256 VARCHAR, rows BIGINT, quarantined BIGINT,
         ingested_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS quarantine (
         source VARCHAR, line BIGINT, event_type VARCHAR, reason VARCHAR, raw VARCHAR, ingested_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS flips (
         ts TIMESTAMPTZ, service VARCHAR, from_status VARCHAR, to_status VARCHAR, detail VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS restart_actions (
         ts TIMESTAMPTZ, service VARCHAR, attempt INTEGER, argv VARCHAR, returncode INTEGER,
         verified BOOLEAN, detail VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS alerts (
         ts TIMESTAMPTZ, rule VARCHAR, severity VARCHAR, subject VARCHAR, message VARCHAR,
         state VARCHAR, dedup_key VARCHAR, resolved_at TIMESTAMPTZ, value DOUBLE)""",
    """CREATE TABLE IF NOT EXISTS request_minute (
         minute TIMESTAMPTZ, service VARCHAR, requests BIGINT, errors_5xx BIGINT, sum_duration_ms DOUBLE,
         PRIMARY KEY (minute, service))""",
    """CREATE TABLE IF NOT EXISTS request_hist_hour (
         hour TIMESTAMPTZ, service VARCHAR, bin INTEGER, n BIGINT, PRIMARY KEY (hour, service, bin))""",
    """CREATE TABLE IF NOT EXISTS llm_day (
         day DATE, provider VARCHAR, model VARCHAR, feature VARCHAR, calls BIGINT, errors BIGINT,
         tokens_in BIGINT, tokens_out BIGINT, cost_usd DOUBLE, PRIMARY KEY (day, provider, model, feature))""",
    """CREATE TABLE IF NOT EXISTS user_day (day DATE, user_id VARCHAR, PRIMARY KEY (day, user_id))""",
]

#: version -> statements that bring a store from ``version - 1`` to ``version``.
MIGRATIONS: dict[int, list[str]] = {
    1: [
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TIMESTAMPTZ NOT NULL)",
        *_create_event_tables(),
    ],
    2: [
        *_V2_TABLES,
        # back-fill the summaries from the raw events of a version-1 store
        *summary_statements("request", "request"),
        *summary_statements("llm_call", "llm_call"),
        *summary_statements("session", "session"),
    ],
}
