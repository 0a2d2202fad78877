"""Anomalies, forecasts with honest intervals, month-end cost, cost advice, and the demo month."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from jarvis_analytics import anomalies, costs, forecast
from jarvis_analytics.demo import COST_SPIKE, INCIDENTS
from jarvis_analytics.schema import SCHEMA_VERSION
from jarvis_analytics.store import Store, open_reader

from .conftest import jarvis


def _seasonal(rng, days: int, *, noise: float = 0.1) -> pd.Series:
    idx = pd.date_range("2026-11-01", periods=24 * days, freq="h", tz="UTC")
    base = np.log(200) + 0.6 * np.sin(2 * np.pi * idx.hour / 24)
    return pd.Series(np.exp(base + rng.normal(0, noise, len(idx))), index=idx)


def test_planted_anomalies_are_found_and_only_them(rng):
    y = _seasonal(rng, 14)
    planted = [50, 200, 301]
    y.iloc[planted] *= [3.0, 0.2, 2.5]
    res = anomalies.seasonal_anomalies(y, threshold=5.0)
    assert list(np.flatnonzero(res.anomaly)) == planted
    assert res.to_frame().shape == (len(y), 5)


def test_forecast_interval_coverage_is_honest():
    hits, n = 0, 0
    for seed in range(40):
        y = _seasonal(np.random.default_rng(seed), 15)
        train, test = y.iloc[: 24 * 14], y.iloc[24 * 14 :]
        fc = forecast.seasonal_forecast(train, horizon=24, level=0.9)
        assert (fc.index == test.index).all()
        hits += int(((test.to_numpy() >= fc["lower"].to_numpy()) & (test.to_numpy() <= fc["upper"].to_numpy())).sum())
        n += len(test)
    assert 0.85 <= hits / n <= 0.95, hits / n


def test_forecast_follows_trend():
    idx = pd.date_range("2026-11-01", periods=24 * 10, freq="h", tz="UTC")
    y = pd.Series(100 + 0.5 * np.arange(len(idx)) + 20 * np.sin(2 * np.pi * idx.hour / 24), index=idx)
    fc = forecast.seasonal_forecast(y, horizon=24, log=False)
    truth = 100 + 0.5 * np.arange(len(idx), len(idx) + 24) + 20 * np.sin(2 * np.pi * fc.index.hour / 24)
    np.testing.assert_allclose(fc["mean"].to_numpy(), truth, atol=1e-6)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo") / "j.duckdb"
    jarvis("demo-data", "--db", str(db), "--days", "30", "--seed", "3")
    return db


def test_demo_month_has_its_planted_incidents(demo_db):
    start, end = pd.Timestamp("2026-10-27", tz="UTC"), pd.Timestamp("2026-11-26", tz="UTC")
    with open_reader(demo_db) as r:
        found = anomalies.detect_anomalies(r.con, since=start, until=end)
        spike_hour = start + pd.Timedelta(days=COST_SPIKE[0], hours=COST_SPIKE[1])
        cost = found[found.metric == "cost_usd"]
        assert (cost.hour == spike_hour).any()
        for service, day, hour, _ in INCIDENTS:
            t = (start + pd.Timedelta(days=day, hours=hour)).floor("h")
            hit = found[(found.service == service) & (found.metric == "error_rate")]
            assert (hit.hour == t).any(), (service, t)
        proj = forecast.month_end_cost(r.con, now=end)
        assert proj.month == "2026-11" and proj.days_left == 5
        assert proj.spent_usd < proj.lower_usd <= proj.projected_usd <= proj.upper_usd
        advice = costs.cost_advice(r.con, since=start, until=end)
        assert advice.savings_usd.gt(0).all() and advice.cheapest_model.iloc[0] == "gemini-2.0-flash"
    out = json.loads(jarvis("metrics", "--db", str(demo_db), "--json").stdout)
    assert out["services"]["producer"]["uptime_pct"] < 100 and out["services"]["daw-backend"]["uptime_pct"] == 100
    assert out["users"]["active"] > 100


def test_demo_db_alias_keeps_make_data_working(tmp_path):
    out = jarvis("demo-db", "--db", str(tmp_path / "j.duckdb"), "--days", "2").stdout
    assert out.startswith("wrote ")
    with Store(tmp_path / "j.duckdb", read_only=True) as s:
        assert s.counts()["request"] > 0 and s.schema_version() == SCHEMA_VERSION
