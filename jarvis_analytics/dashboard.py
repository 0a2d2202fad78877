"""What the ops dashboard shows, as plain functions over a reader connection (the app holds no SQL).

``dashboards/ops.py`` (Panel) is a thin layer over this module: every number on the page comes from
here, and everything here comes from :mod:`jarvis_analytics.metrics` and friends (plus the few
small queries the metrics module has no function for: the latest check per service, restarts,
sessions per day). Tests compare the page with these functions for the same window.

Time reference: the dashboard shows the store **as of its last event** (:func:`data_end`), so a demo
store from last month and a live store fed by ``jarvis monitor`` both show full windows; the page
says the as-of time and its age.

First render: the app computes the health tiles, alerts and as-of line before it sends the page and
fills the charts right after (:func:`chart_data`); :class:`ResultMemo` shares the results between
the sessions of one server (keyed by snapshot, so a second visitor pays no query), and keeps the
anomalies and the forecast, which depend on whole hours only, until the hour changes; the app's memo
then recomputes them in a worker thread while refreshes show the previous hour's
(:meth:`ResultMemo.latest`, ``ChartData.hourly_current``), so no refresh waits for them.

Live refresh: :class:`LiveReader` reopens the newest snapshot the writer published (never the file
the writer holds) only when it changed; :class:`UptimeCache` keeps the 30-day uptime cheap to
refresh (time-weighted uptime is additive over adjacent windows, so the whole hours in the middle are
cached and only the two edges are queried).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from .exceptions import JarvisError

__all__ = [
    "RANGES",
    "DEFAULT_RANGE",
    "LiveReader",
    "Lease",
    "UptimeCache",
    "AckBook",
    "data_end",
    "window_for",
    "latest_checks",
    "restart_counts",
    "health_tiles",
    "traffic",
    "anomaly_marks",
    "request_forecast",
    "cost_view",
    "CostView",
    "sessions_daily",
    "users_view",
    "ChartData",
    "ResultMemo",
    "chart_data",
    "alerts_view",
    "live_state",
    "ops_answer",
    "ops_tool_functions",
    "fmt_pct",
    "fmt_ts",
]

#: The time-range picker's choices: label -> window length.
RANGES: dict[str, dt.timedelta] = {
    "1 h": dt.timedelta(hours=1),
    "6 h": dt.timedelta(hours=6),
    "24 h": dt.timedelta(hours=24),
    "7 d": dt.timedelta(days=7),
    "30 d": dt.timedelta(days=30),
}
DEFAULT_RANGE = "7 d"
#: Windows up to this long are charted per minute; longer ones per hour (summary tables).
MINUTE_CHARTS_UP_TO = dt.timedelta(hours=6)
_ANOMALY_CONTEXT = dt.timedelta(days=7)  # seasonal anomaly detection needs >= 2 days of hours


def _utc(ts: Any) -> dt.datetime:
    t = pd.Timestamp(ts)
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    return t.to_pydatetime()


def _utc_col(col: pd.Series) -> pd.Series:
    """A datetime column as tz-aware UTC (naive values are UTC)."""
    c = pd.to_datetime(col)
    return c.dt.tz_localize("UTC") if c.dt.tz is None else c.dt.tz_convert("UTC")


def fmt_pct(x: float | None, *, digits: int = 3) -> str:
    """A percentage for the page (``'99.896 %'``; ``'–'`` when unknown).

    Examples
    --------
    >>> fmt_pct(99.8958333), fmt_pct(None)
    ('99.896 %', '–')
    """
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "–"
    return f"{x:.{digits}f} %"


def fmt_ts(ts: Any) -> str:
    """A UTC time for the page, to the second (``'2026-11-26 00:09:05 UTC'``).

    Examples
    --------
    >>> fmt_ts("2026-11-26T00:09:05.7Z")
    '2026-11-26 00:09:05 UTC'
    """
    if ts is None or (isinstance(ts, float) and np.isnan(ts)) or ts is pd.NaT:
        return "–"
    return f"{_utc(ts):%Y-%m-%d %H:%M:%S} UTC"


# -- reading without fighting the writer --------------------------------------------------------


class LiveReader:
    """One reader of a store that follows the writer's snapshots.

    :meth:`get` returns a connection to the newest published snapshot, reopening only when the
    snapshot file changed (the writer renames a new one into place), so a refresh with nothing new
    costs one ``stat``. The old connection is closed before the new one opens (DuckDB caches
    database instances by path, so an open old one would hide the new file); while a worker holds a
    :meth:`lease` on it, the swap waits for the next call after the release.

    Parameters
    ----------
    db : path-like
        The store (``data/jarvis.duckdb``); read through :func:`jarvis_analytics.store.open_reader`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from jarvis_analytics.store import Store
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "j.duckdb"
    >>> Store(db).close()
    >>> live = LiveReader(db)
    >>> con, changed = live.get()
    >>> changed, live.get()[1]
    (True, False)
    """

    def __init__(self, db: str | os.PathLike[str]) -> None:
        self.db = Path(db)
        self._reader: Any = None
        self._ident: tuple[int, int, int] | None = None
        self._lock = threading.Lock()
        self._leases = 0
        self.opened = 0
        self.deferred = 0

    def _identity(self) -> tuple[int, int, int] | None:
        from .store import snapshot_path

        for p in (snapshot_path(self.db), self.db):
            try:
                st = p.stat()
            except OSError:
                continue
            return (st.st_ino, st.st_mtime_ns, st.st_size)
        return None

    def get(self) -> tuple[duckdb.DuckDBPyConnection, bool]:
        """``(connection, changed)``: ``changed`` is True when a newer snapshot was opened."""
        from .store import open_reader

        ident = self._identity()
        with self._lock:
            if self._reader is not None and ident == self._ident:
                return self._reader.con, False
            if self._reader is not None and self._leases:  # a worker still reads it: swap on a later call
                self.deferred += 1
                return self._reader.con, False
            if self._reader is not None:
                self._reader.close()
                self._reader = None
            self._reader = open_reader(self.db)
            self._ident = ident
            self.opened += 1
            return self._reader.con, True

    def lease(self) -> Lease:
        """A cursor of the current snapshot for another thread; the snapshot stays open until it is released.

        DuckDB closes a connection's cursors with it (and refuses to close one whose cursor is busy),
        so while a lease is out :meth:`get` keeps the current snapshot (counted in ``deferred``) and
        opens the newer one on the first call after the last release. Call it in the thread that
        owns the reader (or in a worker: it never swaps snapshots); release it (or use ``with``) in the
        worker.
        """
        from .store import open_reader

        with self._lock:  # never swaps snapshots (it may run in a worker while the owner reads)
            if self._reader is None:
                self._reader = open_reader(self.db)
                self._ident = self._identity()
                self.opened += 1
            self._leases += 1
            cur = self._reader.con.cursor()
        return Lease(cur, release=self._unlease)

    def _unlease(self) -> None:
        with self._lock:
            self._leases -= 1

    def close(self) -> None:
        """Close the current connection."""
        with self._lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
                self._ident = None


class Lease:
    """A DuckDB cursor lent to a worker thread (:meth:`LiveReader.lease`); :meth:`release` closes it.

    Parameters
    ----------
    con : DuckDB connection
        The cursor (``connection.cursor()``), made in the lending thread.
    release : callable or None
        Called once after the cursor is closed.

    Examples
    --------
    >>> import duckdb
    >>> with Lease(duckdb.connect().cursor()) as lease:
    ...     lease.con.execute("SELECT 42").fetchone()[0]
    42
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, *, release: Callable[[], None] | None = None) -> None:
        self.con = con
        self._release = release
        self._done = False

    def release(self) -> None:
        """Close the cursor and return the lease (idempotent)."""
        if self._done:
            return
        self._done = True
        try:
            self.con.close()
        finally:
            if self._release is not None:
                self._release()

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def data_end(con: duckdb.DuckDBPyConnection) -> dt.datetime:
    """The dashboard's "now": just after the store's last event (see :func:`metrics.resolve_window`).

    Examples
    --------
    >>> from jarvis_analytics.store import Store
    >>> data_end(Store().con).year  # an empty store: the epoch
    1970
    """
    from .metrics import resolve_window

    return resolve_window(con)[1]


def window_for(range_label: str, *, until: Any) -> tuple[dt.datetime, dt.datetime]:
    """The window ``[until - RANGES[range_label], until)``.

    Examples
    --------
    >>> s, u = window_for("24 h", until="2026-11-26")
    >>> (u - s).total_seconds() / 3600
    24.0
    """
    if range_label not in RANGES:
        raise JarvisError(f"unknown range {range_label!r}; expected one of {list(RANGES)}")
    u = _utc(until)
    return u - RANGES[range_label], u


# -- health tiles -------------------------------------------------------------------------------


def latest_checks(con: duckdb.DuckDBPyConnection, *, until: Any = None) -> pd.DataFrame:
    """The last health check of each service before ``until`` (default: ever).

    Returns
    -------
    checks : DataFrame
        Columns ``service, status, last_check, latency_ms, detail``, by service.
    """
    u = _utc(until) if until is not None else dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
    return (
        con.cursor()
        .execute(
            """SELECT service, arg_max(status, ts) AS status, max(ts) AS last_check,
                      arg_max(latency_ms, ts) AS latency_ms, arg_max(detail, ts) AS detail
               FROM health_check WHERE ts < ? GROUP BY service ORDER BY service""",
            [u],
        )
        .df()
    )


def restart_counts(con: duckdb.DuckDBPyConnection, *, since: Any, until: Any) -> pd.DataFrame:
    """Restarts the monitor ran per service in ``[since, until)`` (table ``restart_actions``).

    Returns
    -------
    restarts : DataFrame
        Columns ``service, restarts, verified``.
    """
    return (
        con.cursor()
        .execute(
            """SELECT service, count(*) AS restarts, count(*) FILTER (WHERE verified) AS verified
               FROM restart_actions WHERE ts >= ? AND ts < ? GROUP BY service ORDER BY service""",
            [_utc(since), _utc(until)],
        )
        .df()
    )


def _combine_uptime(parts: list[pd.DataFrame]) -> pd.DataFrame:
    cols = ["service", "up_s", "down_s", "known_s", "uptime_pct"]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=cols)
    total = pd.concat(parts).groupby("service", as_index=False)[["up_s", "down_s", "known_s"]].sum()
    total["uptime_pct"] = 100 * total["up_s"] / total["known_s"]
    return total[cols].sort_values("service").reset_index(drop=True)


def _uptime(con: duckdb.DuckDBPyConnection, since: dt.datetime, until: dt.datetime) -> pd.DataFrame:
    from .metrics import uptime

    if until <= since:
        return pd.DataFrame(columns=["service", "up_s", "down_s", "known_s", "uptime_pct"])
    return uptime(con, since=since, until=until)


class UptimeCache:
    """Time-weighted uptime over a long trailing window, cheap to refresh.

    Uptime over ``[s, u)`` is the sum of its parts over adjacent windows (each check's status holds
    until the next check, the last one before a window carries into it), so
    ``[s, u) = [s, h0) + [h0, h1) + [h1, u)`` with ``h0``/``h1`` the whole hours inside: the middle
    part is cached, the edges (under an hour each) are queried. The middle is recomputed when the
    hours move or after ``ttl_s`` (so late-ingested old checks show up within ``ttl_s``).

    Parameters
    ----------
    length : timedelta
        The window length (30 days for the tiles).
    ttl_s : float
        Maximum age of the cached middle part.
    clock : callable
        Monotonic seconds (injected in tests).

    Examples
    --------
    >>> from jarvis_analytics.store import Store
    >>> UptimeCache(dt.timedelta(days=30)).get(Store().con, until="2026-11-26").empty
    True
    """

    def __init__(
        self, length: dt.timedelta, *, ttl_s: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.length = length
        self.ttl_s = ttl_s
        self.clock = clock
        self._key: tuple[dt.datetime, dt.datetime, int] | None = None
        self._middle = pd.DataFrame()
        self._at = -np.inf
        self.recomputed = 0

    def get(self, con: duckdb.DuckDBPyConnection, *, until: Any) -> pd.DataFrame:
        """Uptime per service over ``[until - length, until)``; columns as :func:`metrics.uptime`."""
        u = _utc(until)
        s = u - self.length
        h0 = pd.Timestamp(s).ceil("h").to_pydatetime()
        h1 = pd.Timestamp(u).floor("h").to_pydatetime()
        if h1 <= h0:
            return _uptime(con, s, u)
        key = (h0, h1, id(con))
        if key != self._key or self.clock() - self._at > self.ttl_s:
            self._middle = _uptime(con, h0, h1)
            self._key, self._at = key, self.clock()
            self.recomputed += 1
        return _combine_uptime([_uptime(con, s, h0), self._middle, _uptime(con, h1, u)])


def health_tiles(con: duckdb.DuckDBPyConnection, *, until: Any, cache_30d: UptimeCache | None = None) -> pd.DataFrame:
    """One row per service for the health tiles.

    Parameters
    ----------
    con : DuckDB connection
    until : datetime
        The as-of time (:func:`data_end`).
    cache_30d : UptimeCache or None
        Reused across refreshes by the app; default a fresh one (exact, slower).

    Returns
    -------
    tiles : DataFrame
        Columns ``service, status, last_check, latency_ms, detail, uptime_24h_pct, uptime_30d_pct,
        restarts_24h, restarts_30d``; services with a health check, by name.
    """
    u = _utc(until)
    checks = latest_checks(con, until=u + dt.timedelta(microseconds=1))
    up24 = _uptime(con, u - dt.timedelta(hours=24), u).set_index("service")["uptime_pct"]
    up30 = (cache_30d or UptimeCache(dt.timedelta(days=30))).get(con, until=u).set_index("service")["uptime_pct"]
    r24 = restart_counts(con, since=u - dt.timedelta(hours=24), until=u).set_index("service")["restarts"]
    r30 = restart_counts(con, since=u - dt.timedelta(days=30), until=u).set_index("service")["restarts"]
    out = checks.copy()
    out["uptime_24h_pct"] = out["service"].map(up24).astype(float)
    out["uptime_30d_pct"] = out["service"].map(up30).astype(float)
    out["restarts_24h"] = out["service"].map(r24).fillna(0).astype(int)
    out["restarts_30d"] = out["service"].map(r30).fillna(0).astype(int)
    return out


# -- charts -------------------------------------------------------------------------------------


def traffic(con: duckdb.DuckDBPyConnection, *, since: Any, until: Any) -> tuple[str, pd.DataFrame]:
    """Request rate, error rate and p50/p95/p99 latency per service over a window.

    Windows up to :data:`MINUTE_CHARTS_UP_TO` are per minute (:func:`metrics.requests_per_minute`,
    exact :func:`metrics.latency_minutely`); longer ones per hour (:func:`metrics.error_rate_hourly`,
    :func:`metrics.latency_hourly`, histogram percentiles within ±2.4 %).

    Returns
    -------
    step : {'minute', 'hour'}
    frame : DataFrame
        Columns ``t, service, requests, errors_5xx, req_per_min, error_pct, p50_ms, p95_ms, p99_ms``
        (``t`` the bucket start, UTC).
    """
    from .metrics import error_rate_hourly, latency_hourly, latency_minutely, requests_per_minute

    s, u = _utc(since), _utc(until)
    cols = ["t", "service", "requests", "errors_5xx", "req_per_min", "error_pct", "p50_ms", "p95_ms", "p99_ms"]
    if u - s <= MINUTE_CHARTS_UP_TO:
        step = "minute"
        rate = requests_per_minute(con, since=s, until=u).rename(columns={"minute": "t"})
        lat = latency_minutely(con, since=s, until=u).rename(columns={"minute": "t"})
        minutes = 1.0
    else:
        step = "hour"
        rate = error_rate_hourly(con, since=s, until=u).rename(columns={"hour": "t"})
        lat = latency_hourly(con, since=s, until=u).rename(columns={"hour": "t"})
        minutes = 60.0
    if rate.empty:
        return step, pd.DataFrame(columns=cols)
    rate = rate[["t", "service", "requests", "errors_5xx"]].assign(t=lambda f: _utc_col(f["t"]))
    lat = lat[["t", "service", "p50_ms", "p95_ms", "p99_ms"]].assign(t=lambda f: _utc_col(f["t"]))
    out = rate.merge(lat, on=["t", "service"], how="left")
    out["req_per_min"] = out["requests"].astype(float) / minutes
    out["error_pct"] = 100.0 * out["errors_5xx"].astype(float) / out["requests"].astype(float)
    return step, out[cols].sort_values(["service", "t"]).reset_index(drop=True)


#: anomaly metric -> (chart, column of the traffic frame it is drawn on)
ANOMALY_CHART = {
    "requests": ("requests", "req_per_min"),
    "error_rate": ("errors", "error_pct"),
    "mean_ms": ("latency", "mean_ms"),
    "cost_usd": ("cost", "cost_usd"),
}


def anomaly_marks(con: duckdb.DuckDBPyConnection, *, since: Any, until: Any, threshold: float = 5.0) -> pd.DataFrame:
    """Anomalous hours to mark on the charts (:func:`anomalies.detect_anomalies`).

    Detection runs on whole hours over at least the 7 days before ``until`` (the seasonal model
    needs two days of hours; a partial last hour would look like a drop), and the marks of hours
    overlapping ``[since, until)`` are kept.

    Returns
    -------
    marks : DataFrame
        Columns of :func:`~jarvis_analytics.anomalies.detect_anomalies` (``hour, metric, service,
        value, expected, score``) plus ``chart`` ('requests', 'errors', 'latency', 'cost') and ``y``
        (the value in the chart's unit: requests per minute, error %, mean ms, USD per hour).
    """
    from .anomalies import detect_anomalies

    s, u = _utc(since), _utc(until)
    end = pd.Timestamp(u).floor("h").to_pydatetime()  # whole hours only: a partial last hour looks like a drop
    ctx = min(pd.Timestamp(s).floor("h").to_pydatetime(), end - _ANOMALY_CONTEXT)
    found = detect_anomalies(con, since=ctx, until=end, threshold=threshold)
    found = found[pd.to_datetime(found["hour"], utc=True) >= pd.Timestamp(s).floor("h")].copy()
    found["chart"] = found["metric"].map(lambda m: ANOMALY_CHART[m][0])
    scale = found["metric"].map({"requests": 1 / 60, "error_rate": 100.0, "mean_ms": 1.0, "cost_usd": 1.0})
    found["y"] = found["value"].astype(float) * scale.astype(float)
    return found.reset_index(drop=True)


def request_forecast(
    con: duckdb.DuckDBPyConnection, *, until: Any, horizon_h: int = 24, history_d: int = 14, level: float = 0.9
) -> tuple[pd.Series, pd.DataFrame]:
    """Requests per hour (all services) and their forecast with a prediction interval.

    Returns
    -------
    history : Series
        Hourly requests over the last ``history_d`` days (:func:`anomalies.metric_series`).
    forecast : DataFrame
        :func:`~jarvis_analytics.forecast.seasonal_forecast` (``mean, lower, upper``) for the next
        ``horizon_h`` hours; empty when there is too little history.
    """
    from .anomalies import metric_series
    from .forecast import seasonal_forecast

    u = pd.Timestamp(_utc(until)).floor("h")
    hist = metric_series(con, "requests", since=u - pd.Timedelta(days=history_d), until=u)
    try:
        fc = seasonal_forecast(hist, horizon=horizon_h, period=24, level=level)
    except JarvisError:
        fc = pd.DataFrame(columns=["mean", "lower", "upper"])
    return hist, fc


@dataclasses.dataclass(frozen=True)
class CostView:
    """LLM spend for the cost panel.

    Attributes
    ----------
    daily : DataFrame
        ``day, <by>, cost_usd`` over the window (:func:`metrics.cost_daily`).
    month_to_date : DataFrame
        ``day, cost_usd, cumulative_usd`` for the days of the as-of month before the as-of day.
    projection : MonthEndProjection or None
        :func:`~jarvis_analytics.forecast.month_end_cost` (None with too little history).
    budget_usd : float
        The monthly budget line.
    """

    daily: pd.DataFrame
    month_to_date: pd.DataFrame
    projection: Any
    budget_usd: float

    def to_frame(self) -> pd.DataFrame:
        """The daily costs."""
        return self.daily

    @property
    def over_budget(self) -> bool:
        """True when the projected month-end spend exceeds the budget."""
        return self.projection is not None and self.projection.projected_usd > self.budget_usd


def cost_view(
    con: duckdb.DuckDBPyConnection, *, since: Any, until: Any, by: str = "provider", budget_usd: float
) -> CostView:
    """Daily LLM spend by provider or model, month-to-date spend and the month-end projection."""
    from .forecast import month_end_cost
    from .metrics import cost_daily

    s, u = _utc(since), _utc(until)
    day_start = pd.Timestamp(s).normalize().to_pydatetime()  # whole days: the summary is per day
    daily = cost_daily(con, since=day_start, until=u + dt.timedelta(days=1), by=by)
    month_start = pd.Timestamp(u).normalize().replace(day=1).to_pydatetime()
    today = pd.Timestamp(u).normalize().to_pydatetime()
    mtd = pd.DataFrame(columns=["day", "cost_usd", "cumulative_usd"])
    if today > month_start:
        m = cost_daily(con, since=month_start, until=today, by="provider").groupby("day", as_index=False)["cost_usd"]
        mtd = pd.DataFrame(m.sum())
        mtd["cumulative_usd"] = mtd["cost_usd"].cumsum()
    try:
        proj = month_end_cost(con, now=u)
    except JarvisError:
        proj = None
    return CostView(daily=daily, month_to_date=mtd, projection=proj, budget_usd=float(budget_usd))


def sessions_daily(con: duckdb.DuckDBPyConnection, *, since: Any, until: Any) -> pd.DataFrame:
    """Sessions started per UTC day (``session`` events with ``event = 'start'``).

    Returns
    -------
    sessions : DataFrame
        Columns ``day, sessions``.
    """
    return (
        con.cursor()
        .execute(
            """SELECT CAST(ts AS DATE) AS day, count(DISTINCT session_id) AS sessions FROM session
               WHERE event = 'start' AND ts >= ? AND ts < ? GROUP BY 1 ORDER BY 1""",
            [_utc(since), _utc(until)],
        )
        .df()
    )


def users_view(con: duckdb.DuckDBPyConnection, *, since: Any, until: Any) -> tuple[pd.DataFrame, dict[str, int]]:
    """Active users, new users and sessions per day, and the numbers on the users tiles.

    Days are whole UTC days overlapping the window.

    Returns
    -------
    daily : DataFrame
        ``day, dau, wau, new_users, sessions`` (:func:`metrics.active_users_daily` + :func:`sessions_daily`).
    tiles : dict
        ``dau`` and ``wau`` of the last day, ``new_users`` and ``sessions`` summed over the days.
    """
    from .metrics import active_users_daily

    s, u = _utc(since), _utc(until)
    d0 = pd.Timestamp(s).normalize().to_pydatetime()
    d1 = pd.Timestamp(u).normalize().to_pydatetime() + dt.timedelta(days=1)
    au = active_users_daily(con, since=d0, until=d1)
    se = sessions_daily(con, since=d0, until=d1)
    au["day"] = pd.to_datetime(au["day"])
    se["day"] = pd.to_datetime(se["day"])
    daily = au.merge(se, on="day", how="outer").fillna(0).sort_values("day").reset_index(drop=True)
    for c in ("dau", "wau", "new_users", "sessions"):
        daily[c] = daily[c].astype(int) if c in daily else 0
    last = daily.iloc[-1] if len(daily) else None
    tiles = {
        "dau": int(last["dau"]) if last is not None else 0,
        "wau": int(last["wau"]) if last is not None else 0,
        "new_users": int(daily["new_users"].sum()) if len(daily) else 0,
        "sessions": int(daily["sessions"].sum()) if len(daily) else 0,
    }
    return daily[["day", "dau", "wau", "new_users", "sessions"]], tiles


# -- everything the charts show, memoised per snapshot ------------------------------------------


class ResultMemo:
    """A small memo of dashboard results shared by the sessions of one server.

    Keys name what a result depends on: the snapshot generation (:attr:`LiveReader.opened`) for
    results exact to a snapshot (:meth:`get`). The anomalies and the forecast read whole hours only
    and are kept per *slot* with the hour they were computed for (:meth:`latest`); ``ttl_s`` bounds
    how long late-ingested old events stay unseen. Least recently used entries of :meth:`get` are
    dropped beyond ``max_entries``.

    With ``background=True``, :meth:`latest` never makes a caller wait for a recomputation once a
    slot holds a result: when the hour moved on (or the result expired) it returns the held result
    at once, marked not current, and recomputes in a worker thread; the next call after it landed
    gets the new one (``refreshed`` counts the recomputations that finished, landed or failed, so an
    app knows to ask again and redraw; a failed one is retried by the next call).

    Parameters
    ----------
    max_entries : int
        Entries kept.
    clock : callable
        Monotonic seconds (injected in tests).
    background : bool
        Recompute the hour-keyed results of :meth:`latest` in a worker thread.

    Examples
    --------
    >>> memo = ResultMemo(max_entries=2)
    >>> calls = []
    >>> memo.get(("x", 1), lambda: calls.append(1) or 42), memo.get(("x", 1), lambda: calls.append(1) or 0)
    (42, 42)
    >>> len(calls), memo.hits, memo.misses
    (1, 1, 1)
    """

    def __init__(
        self, *, max_entries: int = 64, clock: Callable[[], float] = time.monotonic, background: bool = False
    ) -> None:
        self.max_entries = int(max_entries)
        self.clock = clock
        self.background = bool(background)
        self._data: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._latest: dict[Hashable, tuple[float, Hashable, Any]] = {}
        self._pending: dict[Hashable, Future[Any] | None] = {}  # None: held back by deferred()
        self._held = threading.local()
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.stale = 0
        self.refreshed = 0
        self.errors: list[BaseException] = []

    def get(self, key: Hashable, compute: Callable[[], Any], *, ttl_s: float | None = None) -> Any:
        """The memoised result for ``key``, computing it when missing or older than ``ttl_s``."""
        with self._lock:
            got = self._data.get(key)
            if got is not None and (ttl_s is None or self.clock() - got[0] <= ttl_s):
                self._data.move_to_end(key)
                self.hits += 1
                return got[1]
        value = compute()  # outside the lock: two sessions may compute the same key once each
        with self._lock:
            self.misses += 1
            self._data[key] = (self.clock(), value)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)
        return value

    def latest(
        self,
        slot: Hashable,
        version: Hashable,
        compute: Callable[[duckdb.DuckDBPyConnection], Any],
        *,
        con: duckdb.DuckDBPyConnection,
        lease: Callable[[], Lease] | None = None,
        ttl_s: float | None = None,
    ) -> tuple[Any, bool]:
        """The result of ``slot`` for ``version`` (an hour), and whether it is that version's.

        Parameters
        ----------
        slot : hashable
            What is computed (``("marks", "7 d")``).
        version : hashable
            What it is computed for (the last whole hour).
        compute : callable
            ``compute(con)``; called in this thread with ``con`` when the slot is empty (or without
            ``background``), else in the worker with a cursor from ``lease()``.
        con : DuckDB connection
            This thread's connection.
        lease : callable or None
            Lends the worker a cursor of the same snapshot (:meth:`LiveReader.lease`); default
            ``Lease(con.cursor())`` (``con`` must then stay open until the worker is done).
        ttl_s : float or None
            Maximum age of a result.

        Returns
        -------
        value : object
        current : bool
            False when ``value`` is the previous result, returned while the worker recomputes it.
        """
        with self._lock:
            got = self._latest.get(slot)
            if got is not None and got[1] == version and (ttl_s is None or self.clock() - got[0] <= ttl_s):
                self.hits += 1
                return got[2], True
            if got is not None and self.background:
                self.stale += 1
                if slot not in self._pending:
                    job = (slot, version, compute, lease() if lease is not None else Lease(con.cursor()))
                    held = getattr(self._held, "jobs", None)
                    if held is not None:
                        held.append(job)
                        self._pending[slot] = None
                    else:
                        self._submit(job)
                return got[2], False
        value = compute(con)
        with self._lock:
            self.misses += 1
            self._latest[slot] = (self.clock(), version, value)
        return value, True

    def _submit(self, job: tuple[Hashable, Hashable, Callable[[Any], Any], Lease]) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jarvis-ops-hourly")
        self._pending[job[0]] = self._pool.submit(self._recompute, *job)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Hold this thread's background recomputations back until the block ends.

        :func:`chart_data` runs its queries in such a block, so the worker's pandas work does not
        compete with the refresh it was queued by (they share the GIL).
        """
        if getattr(self._held, "jobs", None) is not None:  # nested: the outer block submits
            yield
            return
        self._held.jobs = []
        try:
            yield
        finally:
            jobs, self._held.jobs = self._held.jobs, None
            with self._lock:
                for job in jobs:
                    self._submit(job)

    def _recompute(self, slot: Hashable, version: Hashable, compute: Callable[[Any], Any], lent: Lease) -> None:
        try:
            with lent:
                value = compute(lent.con)
        except Exception as exc:  # noqa: BLE001 - e.g. the snapshot went away: the next call retries
            with self._lock:
                self.errors.append(exc)
                del self.errors[:-16]  # the last few, for the logs and the tests
                self.refreshed += 1  # a caller waiting for it should ask again (and so retry)
                self._pending.pop(slot, None)
            return
        with self._lock:
            self.misses += 1
            self.refreshed += 1
            self._latest[slot] = (self.clock(), version, value)
            self._pending.pop(slot, None)

    def pending(self) -> int:
        """Recomputations queued or running in the worker."""
        with self._lock:
            return len(self._pending)

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait for the worker's recomputations; True when none is left."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            with self._lock:
                futures = [f for f in self._pending.values() if f is not None]
            if not futures:
                return True
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            wait(futures, timeout=left)
            if deadline is not None and time.monotonic() >= deadline:
                return self.pending() == 0

    def clear(self) -> None:
        """Forget every result."""
        with self._lock:
            self._data.clear()
            self._latest.clear()


@dataclasses.dataclass(frozen=True)
class ChartData:
    """What the charts of one time range show, from one snapshot.

    Attributes
    ----------
    range_label : str
        A key of :data:`RANGES`.
    since, until : datetime
        The window (UTC).
    step : {'minute', 'hour'}
        The traffic charts' bucket.
    traffic : DataFrame
        :func:`traffic`.
    marks : DataFrame
        :func:`anomaly_marks`.
    history : Series
        Requests per hour behind the forecast (:func:`request_forecast`).
    forecast : DataFrame
        ``mean, lower, upper`` for the next 24 h (:func:`request_forecast`).
    costs : CostView
        :func:`cost_view`.
    users_daily : DataFrame
        :func:`users_view` (per day).
    users_tiles : dict
        :func:`users_view` (the tiles' numbers).
    hourly_current : bool
        False when ``marks``, ``history`` and ``forecast`` are the previous hour's (or expired)
        results, shown while a worker recomputes them (:meth:`ResultMemo.latest`); True when they
        are this window's.
    """

    range_label: str
    since: dt.datetime
    until: dt.datetime
    step: str
    traffic: pd.DataFrame
    marks: pd.DataFrame
    history: pd.Series
    forecast: pd.DataFrame
    costs: CostView
    users_daily: pd.DataFrame
    users_tiles: dict[str, int]
    hourly_current: bool = True

    def to_frame(self) -> pd.DataFrame:
        """The traffic frame."""
        return self.traffic


#: how long the hour-keyed anomalies and forecast may miss late-ingested old events (seconds)
HOURLY_TTL_S = 300.0


def chart_data(
    con: duckdb.DuckDBPyConnection,
    *,
    range_label: str,
    until: Any,
    by: str = "provider",
    budget_usd: float,
    memo: ResultMemo | None = None,
    generation: Hashable = None,
    lease: Callable[[], Lease] | None = None,
) -> ChartData:
    """Everything the charts show for one time range.

    Calls :func:`traffic`, :func:`anomaly_marks`, :func:`request_forecast`, :func:`cost_view` and
    :func:`users_view` for the window ``[until - RANGES[range_label], until)``.

    Parameters
    ----------
    con : DuckDB connection
    range_label : str
        A key of :data:`RANGES`; the window ends at ``until``.
    until : datetime
        The as-of time (:func:`data_end`).
    by : {'provider', 'model'}
        The cost split.
    budget_usd : float
        The monthly budget line.
    memo : ResultMemo or None
        Shared results; None computes everything.
    generation : hashable
        Identifies the snapshot ``con`` reads (:attr:`LiveReader.opened`); with a ``memo``, results
        exact to a snapshot are keyed by it. The anomalies and forecast are kept with the last whole
        hour before ``until`` (they read whole hours only) for at most :data:`HOURLY_TTL_S`
        (:meth:`ResultMemo.latest`); with a ``memo`` made with ``background=True``, a call after the
        hour moved on returns the previous hour's anomalies and forecast at once
        (``hourly_current=False``) and a worker recomputes them for the next call.
    lease : callable or None
        Lends that worker a cursor of the snapshot (:meth:`LiveReader.lease`); default a cursor of
        ``con``, which must then stay open until the worker is done (:meth:`ResultMemo.wait`).

    Returns
    -------
    data : ChartData

    Examples
    --------
    >>> from jarvis_analytics.store import Store
    >>> con = Store().con
    >>> chart_data(con, range_label="24 h", until=data_end(con), budget_usd=200.0).traffic.empty
    True
    """
    since, u = window_for(range_label, until=until)
    hour = pd.Timestamp(u).floor("h").to_pydatetime()

    def get(key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        if memo is None:
            return compute()
        return memo.get((*key, generation, u, range_label), compute)

    def hourly(slot: tuple[Any, ...], compute: Callable[[duckdb.DuckDBPyConnection], Any]) -> tuple[Any, bool]:
        if memo is None:
            return compute(con), True
        return memo.latest(slot, hour, compute, con=con, lease=lease, ttl_s=HOURLY_TTL_S)

    with memo.deferred() if memo is not None else contextlib.nullcontext():
        return _chart_data(con, since, u, range_label, by, budget_usd, get, hourly)


def _chart_data(
    con: duckdb.DuckDBPyConnection,
    since: dt.datetime,
    u: dt.datetime,
    range_label: str,
    by: str,
    budget_usd: float,
    get: Callable[..., Any],
    hourly: Callable[..., tuple[Any, bool]],
) -> ChartData:
    step, frame = get(("traffic",), lambda: traffic(con, since=since, until=u))
    # both depend on the hour of ``until`` only (and the marks on the range): see anomaly_marks
    marks, marks_current = hourly(("marks", range_label), lambda c: anomaly_marks(c, since=since, until=u))
    (hist, fc), fc_current = hourly(("forecast",), lambda c: request_forecast(c, until=u))
    view = get(("costs", by), lambda: cost_view(con, since=since, until=u, by=by, budget_usd=budget_usd))
    view = dataclasses.replace(view, budget_usd=float(budget_usd))
    daily, tiles = get(("users",), lambda: users_view(con, since=since, until=u))
    return ChartData(
        range_label=range_label,
        since=since,
        until=u,
        step=step,
        traffic=frame,
        marks=marks,
        history=hist,
        forecast=fc,
        costs=view,
        users_daily=daily,
        users_tiles=tiles,
        hourly_current=marks_current and fc_current,
    )


# -- alerts -------------------------------------------------------------------------------------


class AckBook:
    """Acknowledgements of alerts, kept by the dashboard in a small JSON file beside the store.

    The dashboard is a reader (the writer owns the DuckDB file), so it records who acknowledged
    which alert in ``<db>.acks.json`` (written to a temporary name and renamed into place). An alert
    is identified by its ``dedup_key`` (``rule:subject``) and firing time.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> book = AckBook(pathlib.Path(tempfile.mkdtemp()) / "j.duckdb.acks.json")
    >>> book.ack("service_down:producer", "2026-11-08T14:00:00+00:00", by="ana")
    >>> book.acked("service_down:producer", "2026-11-08T14:00:00+00:00")["by"]
    'ana'
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @classmethod
    def for_store(cls, db: str | os.PathLike[str]) -> AckBook:
        """The book beside a store: ``<db>.acks.json``."""
        p = Path(db)
        return cls(p.with_name(p.name + ".acks.json"))

    @staticmethod
    def key(dedup_key: str, fired_at: Any) -> str:
        """The identity of one alert."""
        return f"{dedup_key}@{_utc(fired_at).isoformat()}"

    def load(self) -> dict[str, dict[str, str]]:
        """Every acknowledgement, by alert key."""
        try:
            return dict(json.loads(self.path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return {}

    def ack(self, dedup_key: str, fired_at: Any, *, by: str = "ops", now: Any = None) -> None:
        """Acknowledge one alert."""
        data = self.load()
        when = _utc(now) if now is not None else dt.datetime.now(dt.UTC)
        data[self.key(dedup_key, fired_at)] = {"by": by, "at": when.isoformat()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)

    def acked(self, dedup_key: str, fired_at: Any) -> dict[str, str] | None:
        """The acknowledgement of one alert, or None."""
        return self.load().get(self.key(dedup_key, fired_at))


def alerts_view(con: duckdb.DuckDBPyConnection, *, acks: AckBook | None = None, limit: int = 50) -> pd.DataFrame:
    """Stored alerts (firing first, by severity, newest first) with their acknowledgements.

    Returns
    -------
    alerts : DataFrame
        :func:`~jarvis_analytics.alerts.list_alerts` columns plus ``dedup_key``, ``acked_by``,
        ``acked_at`` (None when not acknowledged); at most ``limit`` rows.
    """
    from .alerts import list_alerts

    frame = list_alerts(con, state=None)
    frame = pd.concat([frame[frame.state == "firing"], frame[frame.state != "firing"]]).head(limit)
    frame = frame.reset_index(drop=True)
    frame["dedup_key"] = frame["rule"].astype(str) + ":" + frame["subject"].astype(str)
    book = acks.load() if acks is not None else {}
    got = [book.get(AckBook.key(k, t)) if acks is not None else None for k, t in zip(frame.dedup_key, frame.ts)]
    frame["acked_by"] = pd.Series([g["by"] if g else None for g in got], index=frame.index, dtype=object)
    frame["acked_at"] = pd.Series([g["at"] if g else None for g in got], index=frame.index, dtype=object)
    return frame


def live_state(
    live: LiveReader, *, cache_30d: UptimeCache, acks: AckBook | None = None, force: bool = False
) -> dict[str, Any] | None:
    """What one periodic refresh computes: None when the snapshot did not change (and not ``force``).

    Returns
    -------
    state : dict or None
        ``until`` (:func:`data_end`), ``tiles`` (:func:`health_tiles`), ``alerts`` (:func:`alerts_view`).
    """
    con, changed = live.get()
    if not changed and not force:
        return None
    until = data_end(con)
    return {
        "until": until,
        "tiles": health_tiles(con, until=until, cache_30d=cache_30d),
        "alerts": alerts_view(con, acks=acks),
    }


# -- the chat: deterministic answers from the metrics ------------------------------------------

_WINDOW_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(minutes?|mins?|hours?|hrs?|h|days?|d|weeks?|w)\b", re.I)
_TOPICS = (
    ("uptime", r"\buptime\b|\bavailab|\bup\b|\bdown\b|\boutage"),
    ("errors", r"\berror|\b5xx\b|\bfail"),
    ("latency", r"\blatenc|\bslow|\bp50\b|\bp95\b|\bp99\b|response time"),
    ("cost", r"\bcost|\bspend|\bspent|\bbudget|\busd\b|\$|\bbill"),
    ("alerts", r"\balert"),
    ("users", r"\busers?\b|\bdau\b|\bsessions?\b"),
)


def _parse_window(question: str) -> tuple[dt.timedelta, str]:
    m = _WINDOW_RE.search(question)
    if m:
        n = float(m.group(1))
        unit = m.group(2).lower()
        if unit.startswith("m"):
            td = dt.timedelta(minutes=n)
        elif unit.startswith("h"):
            td = dt.timedelta(hours=n)
        elif unit.startswith("w"):
            td = dt.timedelta(weeks=n)
        else:
            td = dt.timedelta(days=n)
        return td, _span_words(td)
    q = question.lower()
    if "month" in q:
        return dt.timedelta(days=30), "30 days"
    if "week" in q:
        return dt.timedelta(days=7), "7 days"
    return dt.timedelta(hours=24), "24 h"


def _span_words(td: dt.timedelta) -> str:
    s = td.total_seconds()
    if s % 86400 == 0:
        return f"{s / 86400:g} days" if s != 86400 else "24 h"
    if s % 3600 == 0:
        return f"{s / 3600:g} h"
    return f"{s / 60:g} min"


def _services_in(question: str, services: list[str]) -> list[str]:
    q = question.lower()
    hits = [s for s in services if s.lower() in q]
    if hits:
        return hits
    for s in services:  # parts: "coach" -> vocal-coach, "backend" -> daw-backend
        if any(len(p) >= 4 and re.search(rf"\b{re.escape(p)}\b", q) for p in re.split(r"[-_ ]", s.lower())):
            hits.append(s)
    return hits


def _fmt_minutes(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h} h {m} min" if h else f"{m} min {s} s"


def ops_answer(question: str, *, con: duckdb.DuckDBPyConnection, until: Any = None) -> str | None:
    """Answer an ops question exactly from the metrics, or None when it is not one this knows.

    Topics: uptime, errors, latency, cost, alerts, users; a service named in the question (or a
    distinctive part of its name: "coach", "backend"); a window like "last 7 days", "48 h", "this
    week" (default 24 h) ending at ``until`` (default :func:`data_end`). Numbers come from
    :func:`metrics.uptime`, :func:`metrics.service_stats`, :func:`metrics.llm_costs`,
    :func:`alerts.list_alerts` and :func:`users_view`.

    Examples
    --------
    >>> from jarvis_analytics.store import Store
    >>> ops_answer("spell C major", con=Store().con) is None
    True
    """
    from .alerts import list_alerts
    from .metrics import llm_costs, service_stats, uptime

    q = question.strip()
    topic = next((name for name, pat in _TOPICS if re.search(pat, q, re.I)), None)
    if topic is None:
        return None
    u = _utc(until) if until is not None else data_end(con)
    length, words = _parse_window(q)
    s = u - length
    when = f"over the {words} to {fmt_ts(u)}"
    if topic == "alerts":
        firing = list_alerts(con, state="firing")
        if firing.empty:
            return f"No alerts are firing (as of {fmt_ts(u)})."
        items = "; ".join(f"{r.severity} {r.rule} on {r.subject} since {fmt_ts(r.ts)}" for r in firing.itertuples())
        return f"{len(firing)} alert(s) firing: {items}."
    if topic == "cost":
        by = "model" if "model" in q.lower() else "provider"
        c = llm_costs(con, since=s, until=u, by=(by,))
        if c.empty:
            return f"No LLM calls {when}."
        parts = ", ".join(f"{getattr(r, by)} {r.cost_usd:.2f} USD" for r in c.itertuples())
        return f"LLM spend {when}: {c.cost_usd.sum():.2f} USD ({parts})."
    if topic == "users":
        _, tiles = users_view(con, since=s, until=u)
        return (
            f"Users {when} (whole UTC days): {tiles['dau']} active on the last day, {tiles['wau']} in its "
            f"week, {tiles['new_users']} new, {tiles['sessions']} sessions."
        )
    if topic == "uptime":
        frame = uptime(con, since=s, until=u)
        frame = frame[frame["known_s"] > 0]
    else:
        frame = service_stats(con, since=s, until=u)
    if frame.empty:
        return f"No data {when}."
    wanted = _services_in(q, [str(x) for x in frame["service"]])
    if wanted:
        frame = frame[frame["service"].isin(wanted)]
    lines = []
    records: list[dict[str, Any]] = [{str(k): v for k, v in rec.items()} for rec in frame.to_dict("records")]
    for rec in records:
        r = _Row(rec)
        if topic == "uptime":
            down = f", down {_fmt_minutes(r.down_s)}" if r.down_s > 0 else ""
            lines.append(f"{r.service} {fmt_pct(r.uptime_pct)}{down}")
        elif topic == "errors":
            lines.append(f"{r.service} {100 * r.error_rate:.2f} % 5xx ({r.errors_5xx} of {r.requests} requests)")
        else:
            lines.append(f"{r.service} p50 {r.p50_ms:.0f} ms, p95 {r.p95_ms:.0f} ms, p99 {r.p99_ms:.0f} ms")
    title = {"uptime": "Uptime", "errors": "Error rate", "latency": "Latency"}[topic]
    return f"{title} {when}: " + "; ".join(lines) + "."


class _Row:
    """Attribute access to a record (typed Any for the formatting above)."""

    def __init__(self, rec: dict[str, Any]) -> None:
        self.__dict__.update(rec)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)


def ops_tool_functions(
    get_con: Callable[[], duckdb.DuckDBPyConnection], *, get_until: Callable[[], Any] | None = None
) -> dict[str, Callable[..., Any]]:
    """The functions behind the brain's ops tools (``dawglib.brain.tools.OPS_TOOL_SPECS``).

    Bind them with ``dawglib.brain.tools.bind_tools(ops_tool_functions(...))``; each returns
    JSON-ready data for the model.

    Parameters
    ----------
    get_con : callable
        Returns a reader connection (e.g. ``lambda: live.get()[0]``).
    get_until : callable or None
        Returns the as-of time; default :func:`data_end` of the connection.
    """
    from .alerts import list_alerts
    from .metrics import llm_costs, service_stats, uptime

    def window(hours: float) -> tuple[duckdb.DuckDBPyConnection, dt.datetime, dt.datetime]:
        con = get_con()
        u = _utc(get_until()) if get_until is not None else data_end(con)
        return con, u - dt.timedelta(hours=float(hours)), u

    def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
        return json.loads(frame.to_json(orient="records", date_format="iso"))

    def query_uptime(service: str, window_h: int = 24) -> dict[str, Any]:
        con, s, u = window(window_h)
        up = uptime(con, since=s, until=u)
        st = service_stats(con, since=s, until=u)
        up, st = up[up.service == service], st[st.service == service]
        return {
            "service": service,
            "window": [s.isoformat(), u.isoformat()],
            "uptime_pct": None if up.empty else float(up.uptime_pct.iloc[0]),
            "down_s": None if up.empty else float(up.down_s.iloc[0]),
            "p95_ms": None if st.empty else float(st.p95_ms.iloc[0]),
        }

    def query_costs(days: int = 7, group_by: str = "provider") -> dict[str, Any]:
        con, s, u = window(24 * days)
        key = {"provider": "provider", "model": "model", "user": "user_id"}.get(group_by, "provider")
        c = llm_costs(con, since=s, until=u, by=(key,))
        return {"window": [s.isoformat(), u.isoformat()], "total_usd": float(c.cost_usd.sum()), "rows": records(c)}

    def query_errors(service: str | None = None, window_h: int = 24) -> dict[str, Any]:
        con, s, u = window(window_h)
        st = service_stats(con, since=s, until=u)
        if service:
            st = st[st.service == service]
        cols = ["service", "requests", "errors_5xx", "error_rate"]
        return {"window": [s.isoformat(), u.isoformat()], "services": records(st[cols])}

    def alerts_now() -> list[dict[str, Any]]:
        return records(list_alerts(get_con(), state="firing"))

    return {
        "query_uptime": query_uptime,
        "query_costs": query_costs,
        "query_errors": query_errors,
        "list_alerts": alerts_now,
    }
