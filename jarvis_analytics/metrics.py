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
from .schema import HIST_BINS_PER_DECADE, bucket_sql, bucket_ts_sql

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
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


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


def _floor(t: dt.datetime, step_s: int) -> dt.datetime:
    """``t`` floored to a multiple of ``step_s`` seconds since the Unix epoch (UTC)."""
    return _EPOCH + ((t - _EPOCH) // dt.timedelta(seconds=step_s)) * dt.timedelta(seconds=step_s)


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
           FROM request_minute WHERE minute >= ? AND minute < ?
           ORDER BY minute, service""",
        [_floor(s, 60), u],
    )


def error_rate_hourly(con: duckdb.DuckDBPyConnection, *, since: Any = None, until: Any = None) -> pd.DataFrame:
    """Requests, 5xx and error rate per service per hour (summary table ``request_minute``).

    Returns
    -------
    frame : DataFrame
        Columns ``hour, service, requests, errors_5xx, error_rate, mean_ms``.
    """
    s, u = _bounds(since, until)
    hour = bucket_sql("minute", "hour")
    return _df(
        con,
        f"""SELECT {bucket_ts_sql("h", "hour")} AS hour, service, requests, errors_5xx,
                   errors_5xx / requests AS error_rate, sum_ms / requests AS mean_ms
            FROM (SELECT {hour} AS h, service, sum(requests) AS requests, sum(errors_5xx) AS errors_5xx,
                         sum(sum_duration_ms) AS sum_ms
                  FROM request_minute WHERE minute >= ? AND minute < ? GROUP BY ALL)
            ORDER BY h, service""",
        [_floor(s, 3600), u],
    )


def latency_hourly(con: duckdb.DuckDBPyConnection, *, since: Any = None, until: Any = None) -> pd.DataFrame:
    """p50/p95/p99 ``duration_ms`` per service per hour from the log-spaced histograms.

    Like ``quantile_cont``, each percentile interpolates between the two order statistics around
    rank ``(n - 1) q``; each of them is estimated by the geometric centre of the histogram bin that
    holds it (within a factor ``10**(±1/(2*50))``, ±2.4 %), so the result is within ±2.4 % of the
    exact ``quantile_cont`` (``bench/analytics.py`` reports the error in ms). Use
    :func:`latency_minutely` or :func:`service_stats` for exact values.

    Returns
    -------
    frame : DataFrame
        Columns ``hour, service, requests, p50_ms, p95_ms, p99_ms``.
    """
    s, u = _bounds(since, until)
    cur = con.cursor()
    lo = _floor(s, 3600)
    names = [
        r[0]
        for r in cur.execute(
            "SELECT DISTINCT service FROM request_hist_hour WHERE hour >= ? AND hour < ? AND service IS NOT NULL "
            "ORDER BY service",
            [lo, u],
        ).fetchall()
    ]
    cols = ["hour", "service", "requests", "p50_ms", "p95_ms", "p99_ms"]
    if not names:
        return pd.DataFrame(columns=cols)
    # one integer per row, (hour, service code, bin) in sort order, so that numpy sorts plain ints:
    # fetching and factorising the service strings cost more than the rest of the query together
    h = cur.execute(
        f"""SELECT ({bucket_sql("hour", "hour")} * {len(names)} + list_position(?, service) - 1) * {1 << 21}
                   + (bin + {1 << 20}) AS k, n
            FROM request_hist_hour WHERE hour >= ? AND hour < ? AND service IS NOT NULL""",
        [names, lo, u],
    ).fetchnumpy()
    order = np.argsort(np.asarray(h["k"], dtype=np.int64), kind="stable")
    k, n = np.asarray(h["k"], dtype=np.int64)[order], np.asarray(h["n"], dtype=np.int64)[order]
    key, bins = k >> 21, (k & ((1 << 21) - 1)) - (1 << 20)
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    cum = np.cumsum(n)
    totals = np.add.reduceat(n, starts)
    before = cum[starts] - n[starts]
    out = {
        "hour": pd.to_datetime(key[starts] // len(names) * 3600, unit="s", utc=True),
        "service": np.asarray(names, dtype=object)[key[starts] % len(names)],
        "requests": totals,
    }
    centre = 10 ** ((bins + 0.5) / HIST_BINS_PER_DECADE)
    for q, name in ((0.5, "p50_ms"), (0.95, "p95_ms"), (0.99, "p99_ms")):
        # like quantile_cont: interpolate between the order statistics of 0-based ranks floor(h) and
        # ceil(h), h = (n - 1) q, each estimated by the centre of the bin that holds it (the first
        # row whose cumulative count within the group exceeds the rank; cum is non-decreasing)
        rank = (totals - 1) * q
        r_lo = np.floor(rank).astype(np.int64)
        at_lo = np.searchsorted(cum, before + r_lo + 1, side="left")
        at_hi = np.searchsorted(cum, before + np.ceil(rank).astype(np.int64) + 1, side="left")
        out[name] = centre[at_lo] + (rank - r_lo) * (centre[at_hi] - centre[at_lo])
    return pd.DataFrame(out, columns=cols)


def latency_minutely(con: duckdb.DuckDBPyConnection, *, since: Any = None, until: Any = None) -> pd.DataFrame:
    """Exact p50/p95/p99 ``duration_ms`` per service per minute (raw events; meant for ~24 h windows).

    Returns
    -------
    frame : DataFrame
        Columns ``minute, service, requests, p50_ms, p95_ms, p99_ms`` (``quantile_cont``).
    """
    s, u = _bounds(since, until)
    return _df(
        con,
        f"""SELECT {bucket_ts_sql("m", "minute")} AS minute, service, requests,
                   q[1] AS p50_ms, q[2] AS p95_ms, q[3] AS p99_ms
            FROM (SELECT {bucket_sql("ts", "minute")} AS m, service, count(*) AS requests,
                         quantile_cont(duration_ms, [0.5, 0.95, 0.99]) AS q
                  FROM request WHERE ts >= ? AND ts < ? GROUP BY ALL)
            ORDER BY m, service""",
        [s, u],
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


def _bits(masks: np.ndarray) -> np.ndarray:
    """(n,) uint64 -> (n, 64) uint8, column i = bit i."""
    return np.unpackbits(np.ascontiguousarray(masks, dtype="<u8").view(np.uint8), bitorder="little").reshape(-1, 64)


def active_users_daily(con: duckdb.DuckDBPyConnection, *, since: Any = None, until: Any = None) -> pd.DataFrame:
    """DAU, rolling 7-day WAU and new users per UTC day (summary table ``user_activity``).

    ``user_activity`` holds, per user and 64-day block, a bit mask of the UTC days with any event
    (request, LLM call or session). DAU of day ``d`` counts the users with bit ``d``; WAU counts
    users active on any of ``d-6 .. d`` (each mask is spread over the 6 following days, with the
    spill into the next block, then OR-ed per user); a user is new on the first day of their
    first mask. Exact (the same numbers as ``count(DISTINCT user_id)`` over the raw events).

    Returns
    -------
    frame : DataFrame
        Columns ``day, dau, wau, new_users``: whole UTC days from ``since``'s day up to (not
        including) ``until``'s day, that have at least one active user.
    """
    s, u = _bounds(since, until)
    d0 = max(int(_floor(s, 86400).timestamp() // 86400), -(2**31))
    d1 = min(int(_floor(u, 86400).timestamp() // 86400), 2**31 - 1)
    cols = ["day", "dau", "wau", "new_users"]
    if d1 <= d0:
        return pd.DataFrame(columns=cols)
    b0, b1 = d0 // 64, (d1 - 1) // 64
    spread = " | ".join(f"((days & CAST({(1 << (64 - k)) - 1} AS UBIGINT)) << {k})" for k in range(1, 7))
    spill = " | ".join(f"(days >> {64 - k})" for k in range(1, 7))
    cur = con.cursor()
    act = cur.execute(
        f"""SELECT block, bit_or(days) AS days, bit_or(cover) AS cover FROM (
                SELECT user_id, block, days, days | {spread} AS cover FROM user_activity
                WHERE block BETWEEN ? AND ?
                UNION ALL
                SELECT user_id, block + 1, CAST(0 AS UBIGINT), {spill} FROM user_activity
                WHERE block BETWEEN ? AND ?)
            GROUP BY user_id, block""",
        [b0, b1, b0 - 1, b1 - 1],
    ).fetchnumpy()
    first = cur.execute(
        """SELECT min_block, days FROM (
               SELECT min(block) AS min_block, arg_min(days, block) AS days FROM user_activity
               WHERE days <> 0 GROUP BY user_id)
           WHERE min_block BETWEEN ? AND ?""",
        [b0, b1],
    ).fetchnumpy()
    blocks = np.asarray(act["block"], dtype=np.int64)
    if len(blocks) == 0:
        return pd.DataFrame(columns=cols)
    order = np.argsort(blocks, kind="stable")
    blocks = blocks[order]
    ub, starts = np.unique(blocks, return_index=True)
    # per present block, the number of users with each of its 64 day bits set
    dau = np.add.reduceat(_bits(np.asarray(act["days"])[order]).astype(np.int64), starts, axis=0)
    wau = np.add.reduceat(_bits(np.asarray(act["cover"])[order]).astype(np.int64), starts, axis=0)
    days = (ub[:, None] * 64 + np.arange(64)).ravel()
    new = np.zeros(len(days), dtype=np.int64)
    fm = np.asarray(first["days"], dtype=np.uint64)
    if len(fm):
        low = fm & (~fm + np.uint64(1))  # the lowest set bit: the user's first active day in the block
        bit = np.log2(low.astype(float)).astype(np.int64)
        pos = np.searchsorted(ub, np.asarray(first["min_block"], dtype=np.int64)) * 64 + bit
        np.add.at(new, pos, 1)
    dau_f, wau_f = dau.ravel(), wau.ravel()
    keep = (days >= d0) & (days < d1) & (dau_f > 0)
    return pd.DataFrame(
        {
            "day": (days[keep] * 86_400_000_000).astype("datetime64[us]"),
            "dau": dau_f[keep],
            "wau": wau_f[keep],
            "new_users": new[keep],
        },
        columns=cols,
    )
