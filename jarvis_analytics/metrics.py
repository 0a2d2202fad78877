"""Read-only metrics over the event store: services, LLM costs, users.

Every function takes a DuckDB connection (``open_reader(db).con``, or the writer's
``store.cursor()``) and a half-open window ``[since, until)`` of timezone-aware datetimes (naive ones
are read as UTC; ``None`` means open-ended) and returns a DataFrame. Nothing here writes.

Two families:

- exact ones over the raw events (:func:`service_stats`, :func:`uptime`, :func:`llm_costs`,
  :func:`user_stats`; ``jarvis metrics`` uses them);
- the dashboard's, over the summary tables kept on ingest so they stay under 100 ms at 10 M events
  (:func:`requests_per_minute`, :func:`error_rate_hourly`, :func:`latency_hourly` — percentiles from
  log-spaced histograms, within ±2.4 % —, :func:`cost_daily`, :func:`active_users_daily`), plus
  :func:`latency_minutely` (exact, raw, meant for windows of a day or so).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from .exceptions import JarvisError
from .schema import HIST_BINS_PER_DECADE

__all__ = [
    "resolve_window",
    "service_stats",
    "uptime",
    "llm_costs",
    "user_stats",
    "metrics_summary",
    "requests_per_minute",
    "error_rate_hourly",
    "latency_hourly",
    "latency_minutely",
    "cost_daily",
    "active_users_daily",
]

_FAR_PAST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_FAR_FUTURE = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


def _utc(ts: dt.datetime | pd.Timestamp | str | None) -> dt.datetime | None:
    if ts is None:
        return None
    t = pd.Timestamp(ts)
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    return t.to_pydatetime()


def _bounds(since: Any, until: Any) -> tuple[dt.datetime, dt.datetime]:
    s, u = _utc(since) or _FAR_PAST, _utc(until) or _FAR_FUTURE
    if u <= s:
        raise JarvisError(f"empty window: since={s.isoformat()} is not before until={u.isoformat()}")
    return s, u


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> pd.DataFrame:
    return con.cursor().execute(sql, params).df()


def resolve_window(
    con: duckdb.DuckDBPyConnection, *, since: Any = None, until: Any = None
) -> tuple[dt.datetime, dt.datetime]:
    """Fill an open window from the data: ``since`` = first event, ``until`` = last event + 1 µs.

    Examples
    --------
    >>> from jarvis_analytics.store import Store
    >>> s, u = resolve_window(Store().con, since="2026-11-01", until="2026-11-02")
    >>> (u - s).days
    1
    """
    s, u = _utc(since), _utc(until)
    if s is None or u is None:
        row = (
            con.cursor()
            .execute(
                """SELECT min(lo), max(hi) FROM (
                 SELECT min(ts) lo, max(ts) hi FROM request UNION ALL SELECT min(ts), max(ts) FROM llm_call
                 UNION ALL SELECT min(ts), max(ts) FROM health_check UNION ALL SELECT min(ts), max(ts) FROM session)"""
            )
            .fetchone()
        )
        lo, hi = (row or (None, None))[:2]
        lo_t, hi_t = _utc(lo), _utc(hi)
        if s is None:
            s = lo_t or _FAR_PAST
        if u is None:
            u = hi_t + dt.timedelta(microseconds=1) if hi_t is not None else s + dt.timedelta(seconds=1)
    if u <= s:
        raise JarvisError(f"empty window: since={s.isoformat()} is not before until={u.isoformat()}")
    return s, u


def service_stats(con: duckdb.DuckDBPyConnection, *, since: Any = None, until: Any = None) -> pd.DataFrame:
    """Requests, error rate and exact latency percentiles per service (raw events).

    Returns
    -------
    stats : DataFrame
        Columns ``service, requests, errors_5xx, error_rate`` (share of status >= 500),
        ``p50_ms, p95_ms, p99_ms`` (``quantile_cont`` of ``duration_ms``), ``requests_per_min``
        (over the window length, when the window is bounded).
    """
    s, u = _bounds(since, until)
    out = _df(
        con,
        """SELECT service, count(*) AS requests, count(*) FILTER (WHERE status >= 500) AS errors_5xx,
                  count(*) FILTER (WHERE status >= 500) / count(*) AS error_rate,
                  quantile_cont(duration_ms, 0.5) AS p50_ms, quantile_cont(duration_ms, 0.95) AS p95_ms,
                  quantile_cont(duration_ms, 0.99) AS p99_ms
           FROM request WHERE ts >= ? AND ts < ? GROUP BY service ORDER BY service""",
        [s, u],
    )
    minutes = (u - s).total_seconds() / 60 if since is not None and until is not None else float("nan")
    out["requests_per_min"] = out["requests"] / minutes
    return out


def uptime(con: duckdb.DuckDBPyConnection, *, since: Any = None, until: Any = None) -> pd.DataFrame:
    """Time-weighted uptime per service from health checks.

    A check's status holds until the next check of the same service (the last one until ``until``);
    the last check before ``since`` carries into the window. ``up`` and ``degraded`` count as up.

    Returns
    -------
    uptime : DataFrame
        Columns ``service, up_s, down_s, known_s, uptime_pct`` (``100 * up_s / known_s``).
    """
    s, u = _bounds(since, until)
    return _df(
        con,
        """WITH carry AS (
                SELECT service, arg_max(status, ts) AS status, max(ts) AS ts FROM health_check
                WHERE ts < ? GROUP BY service),
             checks AS (
                SELECT service, status, ts FROM health_check WHERE ts >= ? AND ts < ?
                UNION ALL SELECT service, status, ts FROM carry),
             spans AS (
                SELECT service, status, greatest(ts, ?::TIMESTAMPTZ) AS t0,
                       coalesce(lead(ts) OVER (PARTITION BY service ORDER BY ts), ?::TIMESTAMPTZ) AS t1
                FROM checks)
           SELECT service,
                  sum(epoch(t1) - epoch(t0)) FILTER (WHERE status IN ('up', 'degraded')) AS up_s,
                  coalesce(sum(epoch(t1) - epoch(t0)) FILTER (WHERE status = 'down'), 0) AS down_s,
                  sum(epoch(t1) - epoch(t0)) AS known_s,
                  100 * coalesce(up_s, 0) / sum(epoch(t1) - epoch(t0)) AS uptime_pct
           FROM spans WHERE t1 > t0 GROUP BY service ORDER BY service""",
        [s, s, u, s, u],
    ).fillna({"up_s": 0.0})


_COST_KEYS = ("provider", "model", "day", "user_id", "feature", "persona")


def llm_costs(
    con: duckdb.DuckDBPyConnection, *, since: Any = None, until: Any = None, by: tuple[str, ...] = ("provider",)
) -> pd.DataFrame:
    """LLM spend and tokens grouped by any of provider, model, day, user_id, feature, persona.

    Returns
    -------
    costs : DataFrame
        The ``by`` columns, then ``calls, errors, tokens_in, tokens_out, cost_usd``, most expensive first.
    """
    bad = [k for k in by if k not in _COST_KEYS]
    if bad or not by:
        raise JarvisError(f"llm_costs(by={by!r}): expected a non-empty subset of {_COST_KEYS}")
    s, u = _bounds(since, until)
    keys = ", ".join("CAST(ts AS DATE) AS day" if k == "day" else k for k in by)
    return _df(
        con,
        f"""SELECT {keys}, count(*) AS calls, count(*) FILTER (WHERE NOT coalesce(ok, true)) AS errors,
                   coalesce(sum(tokens_in), 0) AS tokens_in, coalesce(sum(tokens_out), 0) AS tokens_out,
                   sum(cost_usd) AS cost_usd
            FROM llm_call WHERE ts >= ? AND ts < ? GROUP BY ALL ORDER BY cost_usd DESC, {", ".join(by)}""",
        [s, u],
    )


_USER_EVENTS = """(SELECT ts, user_id FROM request UNION ALL SELECT ts, user_id FROM llm_call
                   UNION ALL SELECT ts, user_id FROM session)"""


def user_stats(con: duckdb.DuckDBPyConnection, *, since: Any = None, until: Any = None) -> dict[str, int]:
    """Active users (distinct ``user_id`` over every event type), new users and sessions in the window.

    ``new`` counts users whose first event ever falls in the window; ``sessions`` counts distinct
    ``session_id`` of ``session`` events in the window.
    """
    s, u = _bounds(since, until)
    row = (
        con.cursor()
        .execute(
            f"""WITH ev AS (SELECT ts, user_id FROM {_USER_EVENTS} WHERE user_id IS NOT NULL),
                 first AS (SELECT user_id, min(ts) AS first_ts FROM ev GROUP BY user_id)
            SELECT (SELECT count(DISTINCT user_id) FROM ev WHERE ts >= ? AND ts < ?),
                   (SELECT count(*) FROM first WHERE first_ts >= ? AND first_ts < ?),
                   (SELECT count(DISTINCT session_id) FROM session WHERE ts >= ? AND ts < ?)""",
            [s, u, s, u, s, u],
        )
        .fetchone()
    )
    active, new, sessions = (int(x) for x in (row or (0, 0, 0)))
    return {"active": active, "new": new, "sessions": sessions}


def _num(x: Any) -> float | None:
    if x is None:
        return None
    f = float(x)
    return None if math.isnan(f) else round(f, 6)


def metrics_summary(con: duckdb.DuckDBPyConnection, *, since: Any = None, until: Any = None) -> dict[str, Any]:
    """The JSON of ``jarvis metrics``: services, costs and users over a window.

    Returns
    -------
    summary : dict
        ``window.{since,until}``; ``services.<name>.{requests, errors_5xx, error_rate, p50_ms, p95_ms,
        p99_ms, requests_per_min, uptime_pct}``; ``costs.{total_usd, by_provider.<p>, by_model.<m>,
        tokens_in, tokens_out}``; ``users.{active, new, sessions}``.
    """
    s, u = resolve_window(con, since=since, until=until)
    stats = service_stats(con, since=s, until=u).set_index("service")
    up = uptime(con, since=s, until=u).set_index("service")
    services: dict[str, dict[str, Any]] = {}
    for name in sorted(set(stats.index) | set(up.index)):
        st = stats.loc[name] if name in stats.index else None
        services[str(name)] = {
            "requests": int(st["requests"]) if st is not None else 0,
            "errors_5xx": int(st["errors_5xx"]) if st is not None else 0,
            "error_rate": _num(st["error_rate"]) if st is not None else 0.0,
            "p50_ms": _num(st["p50_ms"]) if st is not None else None,
            "p95_ms": _num(st["p95_ms"]) if st is not None else None,
            "p99_ms": _num(st["p99_ms"]) if st is not None else None,
            "requests_per_min": _num(st["requests_per_min"]) if st is not None else 0.0,
            "uptime_pct": _num(up.loc[name, "uptime_pct"]) if name in up.index else None,
        }
    by_provider = llm_costs(con, since=s, until=u, by=("provider",))
    by_model = llm_costs(con, since=s, until=u, by=("model",))
    return {
        "window": {"since": s.isoformat(), "until": u.isoformat()},
        "services": services,
        "costs": {
            "total_usd": _num(by_provider["cost_usd"].sum()) or 0.0,
            "by_provider": {str(r.provider): _num(r.cost_usd) for r in by_provider.itertuples()},
            "by_model": {str(r.model): _num(r.cost_usd) for r in by_model.itertuples()},
            "tokens_in": int(by_provider["tokens_in"].sum()),
            "tokens_out": int(by_provider["tokens_out"].sum()),
        },
        "users": user_stats(con, since=s, until=u),
    }


# -- dashboard queries over the summary tables ---------------------------------------------


def requests_per_minute(con: duckdb.DuckDBPyConnection, *, since: Any = None, until: Any = None) -> pd.DataFrame:
    """Requests and 5xx per service per minute (summary table ``request_minute``).

    Returns
    -------
    frame : DataFrame
        Columns ``minute, service, requests, errors_5xx, mean_ms``.
    """
    s, u = _bounds(since, until)
    return _df(
        con,
        """SELECT minute, service, requests, errors_5xx, sum_duration_ms / requests AS mean_ms
           FROM request_minute WHERE minute >= date_trunc('minute', ?::TIMESTAMPTZ) AND minute < ?
           ORDER BY minute, service""",
        [s, u],
    )


def error_rate_hourly(con: duckdb.DuckDBPyConnection, *, since: Any = None, until: Any = None) -> pd.DataFrame:
    """Requests, 5xx and error rate per service per hour (summary table ``request_minute``)."""
    s, u = _bounds(since, until)
    return _df(
        con,
        """SELECT date_trunc('hour', minute) AS hour, service, sum(requests) AS requests,
                  sum(errors_5xx) AS errors_5xx, sum(errors_5xx) / sum(requests) AS error_rate,
                  sum(sum_duration_ms) / sum(requests) AS mean_ms
           FROM request_minute WHERE minute >= date_trunc('hour', ?::TIMESTAMPTZ) AND minute < ?
           GROUP BY ALL ORDER BY hour, service""",
        [s, u],
    )


def latency_hourly(con: duckdb.DuckDBPyConnection, *, since: Any = None, until: Any = None) -> pd.DataFrame:
    """p50/p95/p99 ``duration_ms`` per service per hour from the log-spaced histograms.

    Each estimate is the geometric centre of the histogram bin holding the quantile, so it is within
    a factor ``10**(±1/(2*50))`` (±2.4 %) of the exact value. Use :func:`latency_minutely` or
    :func:`service_stats` for exact values.

    Returns
    -------
    frame : DataFrame
        Columns ``hour, service, requests, p50_ms, p95_ms, p99_ms``.
    """
    s, u = _bounds(since, until)
    h = (
        con.cursor()
        .execute(
            """SELECT hour, service, bin, n FROM request_hist_hour
               WHERE hour >= date_trunc('hour', ?::TIMESTAMPTZ) AND hour < ? ORDER BY hour, service, bin""",
            [s, u],
        )
        .fetchnumpy()
    )
    cols = ["hour", "service", "requests", "p50_ms", "p95_ms", "p99_ms"]
    if len(h["n"]) == 0:
        return pd.DataFrame(columns=cols)
    # cumulative counts per (hour, service) group in numpy: a windowed SQL sum is ~5x slower here
    n = np.asarray(h["n"], dtype=np.int64)
    hours, services = pd.Series(h["hour"]), pd.Series(h["service"])
    new_group = np.ones(len(n), dtype=bool)
    new_group[1:] = (hours.to_numpy()[1:] != hours.to_numpy()[:-1]) | (
        services.to_numpy()[1:] != services.to_numpy()[:-1]
    )
    starts = np.flatnonzero(new_group)
    cum = np.cumsum(n)
    before = np.concatenate([[0], cum[starts[1:] - 1]])
    totals = np.add.reduceat(n, starts)
    group = np.cumsum(new_group) - 1
    within = cum - before[group]
    out = {"hour": hours.to_numpy()[starts], "service": services.to_numpy()[starts], "requests": totals}
    bins = np.asarray(h["bin"], dtype=float)
    for q, name in ((0.5, "p50_ms"), (0.95, "p95_ms"), (0.99, "p99_ms")):
        reached = within >= q * totals[group]
        # first row of each group where the cumulative count reaches q * total
        first = np.minimum.reduceat(np.where(reached, np.arange(len(n)), len(n)), starts)
        out[name] = 10 ** ((bins[first] + 0.5) / HIST_BINS_PER_DECADE)
    return pd.DataFrame(out, columns=cols)


def latency_minutely(con: duckdb.DuckDBPyConnection, *, since: Any = None, until: Any = None) -> pd.DataFrame:
    """Exact p50/p95/p99 ``duration_ms`` per service per minute (raw events; meant for ~24 h windows)."""
    s, u = _bounds(since, until)
    return _df(
        con,
        """SELECT date_trunc('minute', ts) AS minute, service, count(*) AS requests,
                  quantile_cont(duration_ms, [0.5, 0.95, 0.99]) AS q
           FROM request WHERE ts >= ? AND ts < ? GROUP BY ALL ORDER BY minute, service""",
        [s, u],
    ).pipe(
        lambda f: f.assign(
            p50_ms=f.q.map(lambda q: q[0]), p95_ms=f.q.map(lambda q: q[1]), p99_ms=f.q.map(lambda q: q[2])
        ).drop(columns="q")
    )


def cost_daily(
    con: duckdb.DuckDBPyConnection, *, since: Any = None, until: Any = None, by: str = "provider"
) -> pd.DataFrame:
    """LLM spend per day and provider/model/feature (summary table ``llm_day``; whole UTC days)."""
    if by not in ("provider", "model", "feature"):
        raise JarvisError(f"cost_daily(by={by!r}): expected 'provider', 'model' or 'feature'")
    s, u = _bounds(since, until)
    return _df(
        con,
        f"""SELECT day, {by}, sum(calls) AS calls, sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out,
                   sum(cost_usd) AS cost_usd
            FROM llm_day WHERE day >= CAST(?::TIMESTAMPTZ AS DATE) AND day < CAST(?::TIMESTAMPTZ AS DATE)
            GROUP BY ALL ORDER BY day, {by}""",
        [s, u],
    )


def active_users_daily(con: duckdb.DuckDBPyConnection, *, since: Any = None, until: Any = None) -> pd.DataFrame:
    """DAU, rolling 7-day WAU and new users per UTC day (summary table ``user_day``)."""
    s, u = _bounds(since, until)
    return _df(
        con,
        """WITH days AS (SELECT DISTINCT day FROM user_day
                         WHERE day >= CAST(?::TIMESTAMPTZ AS DATE) AND day < CAST(?::TIMESTAMPTZ AS DATE)),
                firsts AS (SELECT first_day AS day, count(*) AS new_users FROM (
                             SELECT min(day) AS first_day FROM user_day GROUP BY user_id) GROUP BY 1),
                dau AS (SELECT day, count(*) AS dau FROM user_day WHERE day IN (SELECT day FROM days) GROUP BY day),
                wau AS (SELECT d.day, count(DISTINCT x.user_id) AS wau FROM days d
                        JOIN user_day x ON x.day > d.day - 7 AND x.day <= d.day GROUP BY d.day)
           SELECT d.day, dau.dau, wau.wau, coalesce(firsts.new_users, 0) AS new_users
           FROM days d JOIN dau USING (day) JOIN wau USING (day) LEFT JOIN firsts USING (day)
           ORDER BY d.day""",
        [s, u],
    )
