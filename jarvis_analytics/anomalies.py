"""Robust seasonal anomaly detection: MAD of the residuals after trend and daily seasonality.

For a regular series (hourly by default) the model is ``value = trend + seasonal[slot] + residual``:
the trend is a centred rolling median over one period, the seasonal profile the median of the
detrended values per slot (hour of day), and a point is anomalous when its residual is more than
``threshold`` robust standard deviations (``1.4826 * MAD``) from zero. Medians everywhere, so the
incidents being looked for do not distort the baseline they are measured against.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from .exceptions import JarvisError

__all__ = ["seasonal_anomalies", "metric_series", "detect_anomalies", "AnomalyResult"]


@dataclasses.dataclass(frozen=True)
class AnomalyResult:
    """Decomposition and flags of one series (all arrays aligned with ``index``)."""

    index: pd.DatetimeIndex
    value: np.ndarray
    expected: np.ndarray
    score: np.ndarray
    anomaly: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """Columns ``value, expected, residual, score, anomaly`` indexed by time."""
        return pd.DataFrame(
            {
                "value": self.value,
                "expected": self.expected,
                "residual": self.value - self.expected,
                "score": self.score,
                "anomaly": self.anomaly,
            },
            index=self.index,
        )


def seasonal_anomalies(
    series: pd.Series, *, period: int = 24, threshold: float = 4.0, min_scale: float = 0.0
) -> AnomalyResult:
    """Flag points whose residual after trend + seasonality is beyond ``threshold`` robust sigmas.

    Parameters
    ----------
    series : pandas.Series
        Regularly spaced values (NaN allowed) with a DatetimeIndex; at least two periods.
    period : int
        Samples per season (24 for hourly data with daily seasonality).
    threshold : float
        Robust z-score above which a point is anomalous.
    min_scale : float
        Floor of the robust sigma, in the series' units (for sparse series such as error rates,
        whose MAD can be 0).

    Returns
    -------
    result : AnomalyResult

    Examples
    --------
    >>> idx = pd.date_range("2026-11-01", periods=24 * 7, freq="h", tz="UTC")
    >>> y = pd.Series(100 + 50 * np.sin(2 * np.pi * idx.hour / 24), index=idx)
    >>> y.iloc[100] += 80
    >>> res = seasonal_anomalies(y)
    >>> [int(i) for i in np.flatnonzero(res.anomaly)]
    [100]
    """
    if len(series) < 2 * period:
        raise JarvisError(f"seasonal_anomalies needs at least 2 periods ({2 * period} points), got {len(series)}")
    y = series.astype(float)
    # full windows only; the edges take the nearest full-window trend (a half window is biased by the season)
    trend = y.rolling(period, center=True, min_periods=period).median().bfill().ffill()
    detr = y - trend
    slot = np.arange(len(y)) % period
    seasonal_by_slot = detr.groupby(slot).median()
    seasonal = seasonal_by_slot.reindex(slot).to_numpy()
    expected = trend.to_numpy() + seasonal
    resid = y.to_numpy() - expected
    finite = np.isfinite(resid)
    med = np.median(resid[finite]) if finite.any() else 0.0
    mad = 1.4826 * np.median(np.abs(resid[finite] - med)) if finite.any() else 0.0
    scale = max(mad if mad > 0 else float(np.std(resid[finite]) or 1.0), min_scale)
    score = (resid - med) / scale
    return AnomalyResult(
        pd.DatetimeIndex(series.index), y.to_numpy(), expected, score, np.nan_to_num(np.abs(score)) > threshold
    )


_METRICS = ("requests", "error_rate", "mean_ms", "cost_usd")


def _hourly_index(s: Any, u: Any) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(s).floor("h"), pd.Timestamp(u), freq="h", inclusive="left").tz_convert("UTC")


def _series_from_hourly(frame: pd.DataFrame, metric: str, service: str | None, idx: pd.DatetimeIndex) -> pd.Series:
    """One metric's hourly series from a :func:`metrics.error_rate_hourly` frame (no query)."""
    if service is not None:
        frame = frame[frame.service == service]
    if frame["hour"].is_unique:  # one service: one row per hour, the aggregates below are the values themselves
        v = frame.errors_5xx / frame.requests if metric == "error_rate" else frame[metric]
    else:
        frame = frame.groupby("hour", as_index=False).agg(
            requests=("requests", "sum"), errors_5xx=("errors_5xx", "sum"), mean_ms=("mean_ms", "mean")
        )
        frame["error_rate"] = frame.errors_5xx / frame.requests
        v = frame[metric]
    out = pd.Series(v.to_numpy(dtype=float), index=pd.DatetimeIndex(frame["hour"]).tz_convert("UTC"))
    out = out.reindex(idx)
    return out.fillna(0.0) if metric == "requests" else out


def _cost_hourly(con: duckdb.DuckDBPyConnection, s: Any, u: Any, idx: pd.DatetimeIndex) -> pd.Series:
    frame = (
        con.cursor()
        .execute(
            "SELECT date_trunc('hour', ts) AS hour, sum(cost_usd) AS v FROM llm_call "
            "WHERE ts >= ? AND ts < ? GROUP BY 1",
            [s, u],
        )
        .df()
    )
    out = pd.Series(frame["v"].to_numpy(dtype=float), index=pd.DatetimeIndex(frame["hour"]).tz_convert("UTC"))
    return out.reindex(idx).fillna(0.0)


def metric_series(
    con: duckdb.DuckDBPyConnection, metric: str, *, since: Any, until: Any, service: str | None = None
) -> pd.Series:
    """An hourly series from the summary tables.

    ``metric`` is ``requests``, ``error_rate``, ``mean_ms`` (all or one service) or ``cost_usd``.

    Hours without data are 0 for ``requests``/``cost_usd`` and NaN otherwise.

    Examples
    --------
    >>> from jarvis_analytics.store import Store
    >>> float(metric_series(Store().con, "requests", since="2026-11-01", until="2026-11-02").sum())
    0.0
    """
    from .metrics import _bounds, error_rate_hourly

    if metric not in _METRICS:
        raise JarvisError(f"metric {metric!r} is not one of {_METRICS}")
    s, u = _bounds(since, until)
    idx = _hourly_index(s, u)
    if metric == "cost_usd":
        return _cost_hourly(con, s, u, idx)
    return _series_from_hourly(error_rate_hourly(con, since=s, until=u), metric, service, idx)


def detect_anomalies(con: duckdb.DuckDBPyConnection, *, since: Any, until: Any, threshold: float = 5.0) -> pd.DataFrame:
    """Anomalous hours in traffic, error rate and latency per service, and in LLM cost.

    Error rates get a sigma floor of 2 percentage points (an hour with one failed request out of
    twenty at night is not an incident). Each series is :func:`metric_series` of the window; the
    hourly aggregates are read once (one query of the summary table and one of the LLM calls) and
    split per service and metric in memory.

    Returns
    -------
    anomalies : DataFrame
        Columns ``hour, metric, service, value, expected, score``, strongest first.

    Examples
    --------
    >>> from jarvis_analytics.store import Store
    >>> detect_anomalies(Store().con, since="2026-11-01", until="2026-11-08").empty
    True
    """
    from .metrics import _bounds, error_rate_hourly

    services = [r[0] for r in con.cursor().execute("SELECT DISTINCT service FROM request_minute ORDER BY 1").fetchall()]
    s, u = _bounds(since, until)
    idx = _hourly_index(s, u)
    hourly = error_rate_hourly(con, since=s, until=u) if services else None
    rows = []
    jobs: list[tuple[str, str | None]] = [(m, sv) for sv in services for m in ("requests", "error_rate", "mean_ms")]
    jobs.append(("cost_usd", None))
    for metric, service in jobs:
        if metric == "cost_usd":
            series = _cost_hourly(con, s, u, idx)
        else:
            assert hourly is not None
            series = _series_from_hourly(hourly, metric, service, idx)
        if series.notna().sum() < 48:
            continue
        floor = 0.02 if metric == "error_rate" else 0.0
        res = seasonal_anomalies(series, threshold=threshold, min_scale=floor)
        for i in np.flatnonzero(res.anomaly).tolist():
            rows.append((res.index[i], metric, service, res.value[i], res.expected[i], res.score[i]))
    out = pd.DataFrame(rows, columns=["hour", "metric", "service", "value", "expected", "score"])
    return out.reindex(out.score.abs().sort_values(ascending=False).index).reset_index(drop=True)
