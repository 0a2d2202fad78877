"""The dashboard's data functions (jarvis_analytics.dashboard) against the metrics they wrap."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from jarvis_analytics import dashboard as dash
from jarvis_analytics import metrics
from jarvis_analytics.alerts import AlertManager
from jarvis_analytics.store import Store, open_reader

from ..conftest import DATA

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo():
    with open_reader(DATA / "jarvis.duckdb") as reader:
        yield reader.con


def _checks(service, statuses, *, start=T0, step_s=30):
    ts = [start + dt.timedelta(seconds=step_s * i) for i in range(len(statuses))]
    return pd.DataFrame(
        {
            "ts": ts,
            "service": service,
            "status": statuses,
            "latency_ms": 10.0,
            "detail": [f"c{i}" for i in range(len(ts))],
        }
    )


@pytest.fixture
def small_store():
    """api: a check every 30 s for 2 days, down from 12:00 to 13:00 on day 2 (known uptime)."""
    store = Store(":memory:")
    n = 2 * 2880
    status = np.array(["up"] * n, dtype=object)
    status[2880 + 1440 : 2880 + 1560] = "down"  # day 2, 12:00-13:00
    store.append("health_check", _checks("api", status))
    store.record(
        "restart_actions",
        pd.DataFrame(
            {
                "ts": [T0 + dt.timedelta(days=1, hours=12, minutes=5)],
                "service": ["api"],
                "attempt": [1],
                "argv": ['["true"]'],
                "returncode": [0],
                "verified": [False],
                "detail": ["x"],
            }
        ),
    )
    yield store
    store.close()


def test_health_tiles_known_uptime_and_restarts(small_store):
    until = T0 + dt.timedelta(days=2)
    tiles = dash.health_tiles(small_store.con, until=until).set_index("service")
    assert tiles.loc["api", "uptime_24h_pct"] == pytest.approx(100 * 23 / 24, abs=1e-9)
    assert tiles.loc["api", "uptime_30d_pct"] == pytest.approx(100 * 47 / 48, abs=1e-9)  # known span is 48 h
    assert tiles.loc["api", "restarts_24h"] == 1
    assert tiles.loc["api", "status"] == "up"
    assert tiles.loc["api", "detail"] == f"c{2 * 2880 - 1}"


def test_uptime_cache_equals_the_metric_on_the_demo_store(demo):
    end = dash.data_end(demo)
    cache = dash.UptimeCache(dt.timedelta(days=30))
    for minutes in (0, 17, 61, 60 * 30 + 5):
        until = end - dt.timedelta(minutes=minutes)
        got = cache.get(demo, until=until).set_index("service")
        want = metrics.uptime(demo, since=until - dt.timedelta(days=30), until=until).set_index("service")
        np.testing.assert_allclose(got.loc[want.index, "uptime_pct"], want["uptime_pct"], rtol=0, atol=1e-9)
        np.testing.assert_allclose(got.loc[want.index, "down_s"], want["down_s"], rtol=0, atol=1e-6)
    assert cache.recomputed <= 3  # the middle hours are reused while they do not move


def test_traffic_matches_the_summary_metrics(demo):
    end = dash.data_end(demo)
    since, until = dash.window_for("7 d", until=end)
    step, frame = dash.traffic(demo, since=since, until=until)
    assert step == "hour"
    want = metrics.error_rate_hourly(demo, since=since, until=until)
    assert frame["requests"].sum() == want["requests"].sum()
    assert frame["req_per_min"].sum() == pytest.approx(want["requests"].sum() / 60)
    step, frame = dash.traffic(demo, since=end - dt.timedelta(hours=1), until=end)
    assert step == "minute"
    assert (
        frame["requests"].sum()
        == metrics.requests_per_minute(demo, since=end - dt.timedelta(hours=1), until=end)["requests"].sum()
    )


def test_anomaly_marks_find_the_planted_cost_spike(demo):
    end = dash.data_end(demo)
    marks = dash.anomaly_marks(demo, since=end - dt.timedelta(days=7), until=end)
    cost = marks[marks.chart == "cost"]
    hours = pd.to_datetime(cost["hour"], utc=True)
    spike_day = pd.Timestamp("2026-11-20", tz="UTC")  # demo: day 24 of 30, 10:00-16:00
    assert ((hours >= spike_day + pd.Timedelta(hours=10)) & (hours < spike_day + pd.Timedelta(hours=16))).sum() >= 5
    assert (pd.to_datetime(marks["hour"], utc=True) >= end - dt.timedelta(days=7, hours=1)).all()


def test_cost_and_users_views(demo):
    end = dash.data_end(demo)
    since, until = dash.window_for("30 d", until=end)
    view = dash.cost_view(demo, since=since, until=until, budget_usd=100.0)
    assert view.projection is not None and view.over_budget
    assert view.month_to_date["cumulative_usd"].iloc[-1] == pytest.approx(view.projection.spent_usd, rel=1e-9)
    daily, tiles = dash.users_view(demo, since=since, until=until)
    assert tiles["new_users"] == int(daily["new_users"].sum())
    assert tiles["dau"] == int(daily["dau"].iloc[-1])


def test_ops_answer_uptime_and_refusal(demo):
    end = dash.data_end(demo)
    text = dash.ops_answer("What was the uptime of the producer over the last 30 days?", con=demo)
    want = metrics.uptime(demo, since=end - dt.timedelta(days=30), until=end).set_index("service")
    assert dash.fmt_pct(want.loc["producer", "uptime_pct"]) in text
    assert "down 45 min" in text  # the planted 45-minute outage
    assert "brain" not in text
    assert dash.ops_answer("spell the chord C major", con=demo) is None
    assert "No alerts" in dash.ops_answer("any alerts firing?", con=demo)


def test_ops_tools_bind_to_the_brain(demo):
    from dawglib.brain.tools import bind_tools

    tools = {t.name: t for t in bind_tools(dash.ops_tool_functions(lambda: demo))}
    r = tools["query_uptime"].run({"service": "producer", "window_h": 720})
    assert r.ok and r.result["uptime_pct"] == pytest.approx(99.895833, abs=1e-5)


def test_alerts_view_and_acknowledgements(tmp_path):
    db = tmp_path / "j.duckdb"
    with Store(db) as store:
        am = AlertManager(store=store, clock=lambda: T0)
        am.fire(rule="service_down", severity="critical", subject="producer", message="down")
        am.fire(rule="slow_p95", severity="warning", subject="brain", message="slow")
    book = dash.AckBook.for_store(db)
    live = dash.LiveReader(db)
    con, changed = live.get()
    frame = dash.alerts_view(con, acks=book)
    assert list(frame.severity) == ["critical", "warning"] and frame.acked_by.isna().all()
    book.ack("slow_p95:brain", T0, by="ana")
    frame = dash.alerts_view(con, acks=book).set_index("dedup_key")
    assert frame.loc["slow_p95:brain", "acked_by"] == "ana" and frame.loc["service_down:producer", "acked_by"] is None
    live.close()


def test_live_reader_follows_the_writers_snapshots(tmp_path):
    db = tmp_path / "j.duckdb"
    store = Store(db, snapshot_interval_s=0.0)
    live = dash.LiveReader(db)
    con, changed = live.get()
    assert changed and con.execute("SELECT count(*) FROM health_check").fetchone()[0] == 0
    assert live.get()[1] is False
    store.append("health_check", _checks("api", ["up", "down"]))
    store.publish_snapshot(force=True)
    con, changed = live.get()
    assert changed and con.execute("SELECT count(*) FROM health_check").fetchone()[0] == 2
    state = dash.live_state(live, cache_30d=dash.UptimeCache(dt.timedelta(days=30)), force=True)
    assert state is not None and state["tiles"].set_index("service").loc["api", "status"] == "down"
    live.close()
    store.close()
