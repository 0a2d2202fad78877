"""Forecasts with prediction intervals (numpy), and the month-end LLM cost projection.

statsmodels is not installed here, so the model is small and explicit: ordinary least squares on
``level + trend * t + seasonal[slot]`` (one dummy per slot of the season), optionally on
``log1p(value)`` for multiplicative seasonality. Prediction intervals are the OLS ones,
``yhat ± t_{(1+level)/2, n-p} * s * sqrt(1 + x0' (X'X)^-1 x0)`` — they include the parameter
uncertainty, assume independent normal residuals, and are checked for coverage in the tests.
"""

from __future__ import annotations

import calendar
import dataclasses
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from scipy import stats

from .exceptions import JarvisError

__all__ = ["seasonal_forecast", "month_end_cost", "MonthEndProjection"]


def _design(t: np.ndarray, period: int) -> np.ndarray:
    slot = (t % period).astype(int)
    dummies = np.zeros((len(t), period))
    dummies[np.arange(len(t)), slot] = 1.0
    return np.column_stack([t / period, dummies])  # slot dummies carry the level


def seasonal_forecast(
    series: pd.Series,
    *,
    horizon: int,
    period: int = 24,
    level: float = 0.9,
    log: bool = True,
    history: int | None = None,
) -> pd.DataFrame:
    """Forecast a regular series ``horizon`` steps ahead with an interval.

    Parameters
    ----------
    series : pandas.Series
        Regularly spaced non-negative values with a DatetimeIndex with a frequency (or inferable).
    horizon : int
        Steps to forecast.
    period : int
        Season length in steps (24 for hourly data, 7 for daily data with a weekly pattern).
    level : float in (0, 1)
        Coverage of the prediction interval.
    log : bool
        Fit on ``log1p(value)`` (multiplicative seasonality, positive forecasts).
    history : int or None
        Fit on the last ``history`` points only (default: all).

    Returns
    -------
    forecast : DataFrame
        Index: the future timestamps; columns ``mean, lower, upper``.

    Examples
    --------
    >>> idx = pd.date_range("2026-11-01", periods=24 * 14, freq="h", tz="UTC")
    >>> y = pd.Series(100 + 40 * np.sin(2 * np.pi * idx.hour / 24), index=idx)
    >>> fc = seasonal_forecast(y, horizon=24)
    >>> bool((abs(fc["mean"].to_numpy() - y.iloc[:24].to_numpy()) < 1).all())
    True
    """
    if not 0 < level < 1:
        raise JarvisError(f"level must be in (0, 1), got {level}")
    y = series.dropna().astype(float)
    if history is not None:
        y = y.iloc[-history:]
    if len(y) < 2 * period + 2:
        raise JarvisError(f"seasonal_forecast needs at least {2 * period + 2} points, got {len(y)}")
    if len(series.index) < 2:
        raise JarvisError("series needs at least 2 timestamps")
    step = pd.Timedelta(series.index[1] - series.index[0])
    if step <= pd.Timedelta(0) or not (pd.Series(series.index).diff().iloc[1:] == step).all():
        raise JarvisError(f"series index must be regularly spaced; first step {step}")
    pos = np.round((y.index - series.index[0]) / step).astype(int)
    t = np.asarray(pos, dtype=float)
    target = np.log1p(np.clip(y.to_numpy(), 0, None)) if log else y.to_numpy()
    X = _design(t, period)
    beta, *_ = np.linalg.lstsq(X, target, rcond=None)
    resid = target - X @ beta
    dof = max(len(target) - np.linalg.matrix_rank(X), 1)
    s2 = float(resid @ resid) / dof
    xtx_inv = np.linalg.pinv(X.T @ X)
    last = int(round((series.index[-1] - series.index[0]) / step))
    t_new = np.arange(last + 1, last + 1 + horizon, dtype=float)
    X0 = _design(t_new, period)
    mean = X0 @ beta
    se = np.sqrt(s2 * (1 + np.einsum("ij,jk,ik->i", X0, xtx_inv, X0)))
    q = stats.t.ppf((1 + level) / 2, dof)
    lo, hi = mean - q * se, mean + q * se
    if log:
        mean, lo, hi = np.expm1(mean), np.expm1(lo), np.expm1(hi)
    index = pd.date_range(series.index[-1] + step, periods=horizon, freq=step)
    return pd.DataFrame({"mean": mean, "lower": np.maximum(lo, 0.0), "upper": hi}, index=index)


@dataclasses.dataclass(frozen=True)
class MonthEndProjection:
    """Spend so far this month and the projected month-end total with an interval (USD)."""

    month: str
    spent_usd: float
    projected_usd: float
    lower_usd: float
    upper_usd: float
    days_left: int

    def to_frame(self) -> pd.DataFrame:
        """One row with the fields."""
        return pd.DataFrame([dataclasses.asdict(self)])


def month_end_cost(
    con: duckdb.DuckDBPyConnection, *, now: Any, level: float = 0.9, provider: str | None = None
) -> MonthEndProjection:
    """Project this month's LLM spend to its end from the daily costs (weekly seasonality + trend).

    Days already complete are observed; the rest of today and the remaining days are forecast from
    the last 28 days with :func:`seasonal_forecast` (``period=7``, linear scale). The interval sums
    the daily variances (it ignores the correlation of the days' parameter errors, so it is a little
    narrow for long horizons).
    """
    ts = pd.Timestamp(now)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    month_start = ts.normalize().replace(day=1)
    today = ts.normalize()
    days_in_month = calendar.monthrange(ts.year, ts.month)[1]
    where = "ts >= ? AND ts < ?"
    params: list[Any] = [today - pd.Timedelta(days=28), today]
    if provider:
        where += " AND provider = ?"
        params.append(provider)
    daily = (
        con.cursor()
        .execute(f"SELECT CAST(ts AS DATE) AS day, sum(cost_usd) AS usd FROM llm_call WHERE {where} GROUP BY 1", params)
        .df()
    )
    idx = pd.date_range(today - pd.Timedelta(days=28), today, freq="D", inclusive="left")
    series = pd.Series(daily.usd.to_numpy(float), index=pd.DatetimeIndex(daily.day).tz_localize("UTC")).reindex(
        idx, fill_value=0.0
    )
    spent_params: list[Any] = [month_start.to_pydatetime(), today.to_pydatetime()]
    sql = "SELECT coalesce(sum(cost_usd), 0) FROM llm_call WHERE ts >= ? AND ts < ?"
    if provider:
        sql += " AND provider = ?"
        spent_params.append(provider)
    row = con.cursor().execute(sql, spent_params).fetchone()
    spent = float(row[0]) if row else 0.0
    days_left = days_in_month - (today.day - 1)
    fc = seasonal_forecast(series, horizon=days_left, period=7, level=level, log=False)
    half = (fc["upper"] - fc["mean"]).to_numpy()
    proj = spent + float(fc["mean"].clip(lower=0).sum())
    spread = float(np.sqrt((half**2).sum()))
    return MonthEndProjection(
        month=f"{ts:%Y-%m}",
        spent_usd=spent,
        projected_usd=proj,
        lower_usd=max(spent, proj - spread),
        upper_usd=proj + spread,
        days_left=days_left,
    )
