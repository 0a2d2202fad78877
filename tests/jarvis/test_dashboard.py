"""The dashboard's data functions (jarvis_analytics.dashboard) against the metrics they wrap."""

from __future__ import annotations

import datetime as dt
import threading

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


# -- anomalies, ResultMemo and chart_data -------------------------------------------------------


def test_detect_anomalies_equals_detection_on_each_metric_series(demo):
    """One query split per service gives exactly what each series' own query gives."""
    from jarvis_analytics.anomalies import detect_anomalies, metric_series, seasonal_anomalies

    end = pd.Timestamp(dash.data_end(demo)).floor("h")
    since = end - pd.Timedelta(days=7)
    services = sorted(metrics.error_rate_hourly(demo, since=since, until=end)["service"].unique())
    rows = []
    for metric, service in [(m, s) for s in services for m in ("requests", "error_rate", "mean_ms")] + [
        ("cost_usd", None)
    ]:
        series = metric_series(demo, metric, since=since, until=end, service=service)
        res = seasonal_anomalies(series, threshold=5.0, min_scale=0.02 if metric == "error_rate" else 0.0).to_frame()
        for hour, r in res[res.anomaly].iterrows():
            rows.append((hour, metric, service, r.value, r.expected, r.score))
    want = pd.DataFrame(rows, columns=["hour", "metric", "service", "value", "expected", "score"])
    want = want.reindex(want.score.abs().sort_values(ascending=False).index).reset_index(drop=True)
    got = detect_anomalies(demo, since=since, until=end)
    assert len(got) > 0
    pd.testing.assert_frame_equal(got, want, check_exact=True)


class _Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_result_memo_get_ttl_and_lru():
    clock = _Clock()
    memo = dash.ResultMemo(max_entries=2, clock=clock)
    calls: list[str] = []

    def compute(v):
        return lambda: calls.append(v) or v

    assert memo.get("a", compute("a1"), ttl_s=10) == "a1"
    clock.t = 10.0
    assert memo.get("a", compute("a2"), ttl_s=10) == "a1"  # not older than ttl_s
    clock.t = 10.5
    assert memo.get("a", compute("a3"), ttl_s=10) == "a3"  # expired: recomputed
    memo.get("b", compute("b"))
    memo.get("c", compute("c"))  # evicts the least recently used ("a")
    assert memo.get("a", compute("a4")) == "a4"
    assert calls == ["a1", "a3", "b", "c", "a4"] and memo.hits == 1


def test_result_memo_latest_without_background_recomputes_in_the_caller():
    memo = dash.ResultMemo()
    con = Store(":memory:").con
    assert memo.latest("s", 1, lambda c: "v1", con=con) == ("v1", True)
    assert memo.latest("s", 1, lambda c: "other", con=con) == ("v1", True)
    assert memo.latest("s", 2, lambda c: "v2", con=con) == ("v2", True)
    assert memo.pending() == 0 and memo.stale == 0


def test_result_memo_latest_background_failure_is_retried():
    memo = dash.ResultMemo(background=True)
    con = Store(":memory:").con
    memo.latest("s", 1, lambda c: "v1", con=con)

    def boom(c):
        raise RuntimeError("snapshot gone")

    assert memo.latest("s", 2, boom, con=con) == ("v1", False)
    assert memo.wait(30)
    assert len(memo.errors) == 1 and memo.refreshed == 1
    assert memo.latest("s", 2, lambda c: c.execute("SELECT 2").fetchone()[0], con=con) == ("v1", False)
    assert memo.wait(30)
    assert memo.latest("s", 2, boom, con=con) == (2, True)


def test_chart_data_equals_the_analytics_functions(demo):
    end = dash.data_end(demo)
    for label in ("24 h", "30 d"):
        since, until = dash.window_for(label, until=end)
        memo = dash.ResultMemo(background=True)
        for d in (
            dash.chart_data(demo, range_label=label, until=end, budget_usd=150.0),
            dash.chart_data(demo, range_label=label, until=end, budget_usd=150.0, memo=memo, generation=0),
            dash.chart_data(demo, range_label=label, until=end, budget_usd=150.0, memo=memo, generation=1),
        ):
            assert d.hourly_current
            pd.testing.assert_frame_equal(d.traffic, dash.traffic(demo, since=since, until=until)[1])
            pd.testing.assert_frame_equal(d.marks, dash.anomaly_marks(demo, since=since, until=until))
            hist, fc = dash.request_forecast(demo, until=until)
            pd.testing.assert_series_equal(d.history, hist)
            pd.testing.assert_frame_equal(d.forecast, fc)
            assert d.costs.budget_usd == 150.0
            assert d.costs.projection == dash.cost_view(demo, since=since, until=until, budget_usd=1.0).projection
            assert d.users_tiles == dash.users_view(demo, since=since, until=until)[1]
        assert memo.hits >= 2 and memo.pending() == 0


def test_refresh_after_an_hour_boundary_shows_cached_results_then_the_recomputed_ones(demo, monkeypatch):
    """The first refresh of a new hour does not wait for the anomalies and forecast: it shows the previous
    hour's at once (hourly_current False) while a worker recomputes them; a later refresh shows the new
    ones, equal to the analytics functions. The worker is held on a gate, so the refresh provably
    returned without it."""
    clock = _Clock()
    memo = dash.ResultMemo(background=True, clock=clock)
    end = dash.data_end(demo)
    before = end - dt.timedelta(hours=1)
    args = {"range_label": "7 d", "budget_usd": 200.0, "memo": memo}
    old = dash.chart_data(demo, until=before, generation=0, **args)
    assert old.hourly_current and memo.refreshed == 0

    gate = threading.Event()
    real_marks, real_forecast = dash.anomaly_marks, dash.request_forecast
    worker_threads = set()

    def gated_marks(con, **kw):
        worker_threads.add(threading.current_thread().name)
        assert gate.wait(60)
        return real_marks(con, **kw)

    monkeypatch.setattr(dash, "anomaly_marks", gated_marks)
    first = dash.chart_data(demo, until=end, generation=1, **args)  # returns while the worker waits at the gate
    assert not first.hourly_current
    pd.testing.assert_frame_equal(first.marks, old.marks)  # the previous hour's, from the memo
    since, until = dash.window_for("7 d", until=end)
    pd.testing.assert_frame_equal(first.traffic, dash.traffic(demo, since=since, until=until)[1])  # exact
    again = dash.chart_data(demo, until=end, generation=2, **args)  # a second refresh queues nothing more
    assert not again.hourly_current and memo.pending() >= 1
    gate.set()
    assert memo.wait(60) and memo.refreshed == 2 and not memo.errors
    assert worker_threads and threading.current_thread().name not in worker_threads
    new = dash.chart_data(demo, until=end, generation=3, **args)
    assert new.hourly_current
    pd.testing.assert_frame_equal(new.marks, real_marks(demo, since=since, until=until))
    hist, fc = real_forecast(demo, until=until)
    pd.testing.assert_series_equal(new.history, hist)
    pd.testing.assert_frame_equal(new.forecast, fc)
    # within the hour, after HOURLY_TTL_S: the same, recomputed in the background
    clock.t += dash.HOURLY_TTL_S + 1
    assert not dash.chart_data(demo, until=end, generation=4, **args).hourly_current
    assert memo.wait(60)
    assert dash.chart_data(demo, until=end, generation=5, **args).hourly_current


def test_live_reader_keeps_a_leased_snapshot_open(tmp_path):
    db = tmp_path / "j.duckdb"
    store = Store(db, snapshot_interval_s=0.0)
    store.append("health_check", _checks("api", ["up"]))
    store.publish_snapshot(force=True)
    live = dash.LiveReader(db)
    con, _ = live.get()
    lease = live.lease()
    store.append("health_check", _checks("api", ["up", "down"], start=T0 + dt.timedelta(hours=1)))
    store.publish_snapshot(force=True)
    con2, changed = live.get()  # a worker still reads the old snapshot: not swapped yet
    assert not changed and con2 is con and live.deferred == 1
    assert lease.con.execute("SELECT count(*) FROM health_check").fetchone()[0] == 1
    lease.release()
    lease.release()  # idempotent
    con3, changed = live.get()
    assert changed and con3.execute("SELECT count(*) FROM health_check").fetchone()[0] == 3
    live.close()
    store.close()
