"""`jarvis monitor` wired to the alert rules, LLM budgets and maintenance windows (injected clock)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from jarvis_analytics.alerts import AlertRule, Budget
from jarvis_analytics.exceptions import JarvisError
from jarvis_analytics.health import CheckResult, Monitor, MonitorConfig, ServiceConfig, load_config
from jarvis_analytics.store import Store

from .conftest import api_requests, llm_call

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)

    def at(self, seconds: float) -> None:
        self.now = T0 + dt.timedelta(seconds=seconds)


def _up(svc: ServiceConfig) -> CheckResult:
    return CheckResult(svc.name, True, "up", 1.0, "HTTP 200")


def _down(svc: ServiceConfig) -> CheckResult:
    return CheckResult(svc.name, False, "down", 1.0, "unreachable: refused")


def _requests(start_s: int, n: int, *, status: int) -> pd.DataFrame:
    return api_requests(T0, start_s, n, status=status)


def _spend(store: Store, usd: float, *, at_s: float) -> None:
    store.append("llm_call", llm_call(T0 + dt.timedelta(seconds=at_s), usd))


def test_rules_are_evaluated_after_each_round_with_for_duration_and_dedup():
    clock = FakeClock()
    store = Store()
    rule = AlertRule("errors", "error_rate", ">", 0.1, severity="critical", for_s=60, window_s=60)
    config = MonitorConfig(services=(ServiceConfig("api", url="http://127.0.0.1:9/health"),), rules=(rule,))
    mon = Monitor(config, store=store, clock=clock, sleep=clock.sleep, checker=_up)
    store.append("request", _requests(0, 300, status=500))  # what the emitters spooled: 5 min of 5xx
    fired = []
    for t in (30, 60, 90, 120, 150):
        clock.at(t)
        assert mon.run_round() == "healthy"
        fired.append(list(mon.fired))
    # the condition holds from the first round (30 s); it fires once it held 60 s, then dedups
    assert fired == [[], [], ["errors:api"], ["errors:api"], ["errors:api"]]
    assert store.query("SELECT count(*) AS n FROM alerts WHERE state = 'firing'").n[0] == 1
    store.append("request", _requests(300, 120, status=200))
    clock.at(400)
    mon.run_round()
    rows = store.query("SELECT rule, subject, severity, state, epoch(ts) - epoch(?) AS t FROM alerts", [T0])
    assert rows.values.tolist() == [["errors", "api", "critical", "resolved", 90.0]]


def test_llm_budgets_are_evaluated_by_the_monitor():
    clock = FakeClock()
    store = Store()
    config = MonitorConfig(
        services=(ServiceConfig("api", url="http://127.0.0.1:9/health"),),
        budgets=(Budget("llm-daily", 1.0, period="day"),),
    )
    mon = Monitor(config, store=store, clock=clock, sleep=clock.sleep, checker=_up)
    _spend(store, 0.5, at_s=10)
    clock.at(30)
    mon.run_round()
    assert mon.fired == []
    _spend(store, 0.35, at_s=40)
    clock.at(60)
    mon.run_round()
    clock.at(90)
    mon.run_round()  # dedup
    assert mon.fired == ["budget_warning:llm-daily:day:2026-11-01"]
    _spend(store, 0.25, at_s=100)
    clock.at(120)
    mon.run_round()
    assert mon.fired[-1] == "budget_exceeded:llm-daily:day:2026-11-01"
    rows = store.query("SELECT rule, severity FROM alerts ORDER BY ts, rule").values.tolist()
    assert rows == [["budget_warning:llm-daily", "warning"], ["budget_exceeded:llm-daily", "critical"]]


def test_maintenance_window_from_services_toml_silences_alerts_and_pauses_restarts(tmp_path):
    cfg = tmp_path / "services.toml"
    cfg.write_text(
        """
[monitor]
interval_s = 30
cooldown_s = 0
verify_after_s = 5

[alerts]
default_rules = false

[[rule]]
name = "api_uptime"
metric = "uptime_pct"
op = "<"
threshold = 99.0
window_s = 600

[[maintenance]]
start = 2026-11-01T00:00:00Z
end = 2026-11-01T00:10:00Z
services = ["api"]

[[maintenance]]
start = "2026-11-02T00:00:00"
end = "2026-11-02T02:30:00+01:00"

[[service]]
name = "api"
kind = "http"
url = "http://127.0.0.1:9/health"
retries = 0
critical = true
restart = ["docker", "restart", "api"]
"""
    )
    config = load_config(cfg)
    assert [r.name for r in config.rules] == ["api_uptime"]
    assert config.maintenance[0].services == ("api",)
    # a naive time is UTC, one with an offset is converted
    assert config.maintenance[1].end - config.maintenance[1].start == dt.timedelta(hours=1, minutes=30)
    clock = FakeClock()
    store = Store()
    runs: list[list[str]] = []
    mon = Monitor(
        config,
        store=store,
        clock=clock,
        sleep=clock.sleep,
        checker=_down,
        runner=lambda argv: runs.append(argv) or 0,
    )
    for t in range(0, 600, 30):  # the whole window: down, but no alert and no restart
        clock.at(t)
        assert mon.run_round() == "down"
    assert runs == [] and store.query("SELECT count(*) AS n FROM alerts").n[0] == 0
    assert store.counts()["health_check"] == 20  # checks are still recorded
    clock.at(600)  # the window is over and the service is still down
    mon.run_round()
    assert runs == [["docker", "restart", "api"]]
    rows = store.query("SELECT rule, severity, state FROM alerts ORDER BY rule").values.tolist()
    assert rows == [["api_uptime", "warning", "firing"], ["service_down", "critical", "firing"]]
    clock.at(630)
    mon.run_round()  # dedup: nothing new
    assert store.query("SELECT count(*) AS n FROM alerts").n[0] == 2


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('[[rule]]\nname = "x"\nmetric = "p95_ms"\nop = ">"\nthreshold = 1\nfor = 3\n', "unknown keys"),
        ('[[rule]]\nname = "x"\nmetric = "latency"\nop = ">"\nthreshold = 1\n', "metric 'latency'"),
        ('[[budget]]\nname = "b"\nlimit_usd = 0\n', "limit_usd must be > 0"),
        ("[[maintenance]]\nstart = 2026-11-01T02:00:00Z\nend = 2026-11-01T01:00:00Z\n", "is not after start"),
        ('[[maintenance]]\nstart = "tonight"\nend = 2026-11-01T01:00:00Z\n', "cannot read 'tonight'"),
        ("[[maintenance]]\nstart = 2026-11-01T02:00:00Z\n", "missing \\['end'\\]"),
        ("[alerts]\ndefault = false\n", "unknown keys"),
        ("[monitor]\ninterval = 5\n", "unknown keys"),
    ],
)
def test_bad_alert_config_is_refused(tmp_path, text, match):
    cfg = tmp_path / "services.toml"
    cfg.write_text(text)
    with pytest.raises(JarvisError, match=match):
        load_config(cfg)


def test_a_configured_rule_replaces_the_built_in_one(tmp_path):
    cfg = tmp_path / "services.toml"
    cfg.write_text('[[rule]]\nname = "slow_p95"\nmetric = "p95_ms"\nop = ">"\nthreshold = 500\n')
    rules = {r.name: r for r in load_config(cfg).rules}
    assert set(rules) == {"high_error_rate", "slow_p95", "low_uptime"} and rules["slow_p95"].threshold == 500
