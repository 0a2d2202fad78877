"""Alert rules with for-duration, dedup, maintenance windows, LLM budgets, `jarvis alerts`."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from jarvis_analytics.alerts import AlertManager, AlertRule, Budget, MaintenanceWindow, RuleEngine
from jarvis_analytics.exceptions import JarvisError
from jarvis_analytics.store import Store

from .conftest import api_requests, jarvis, llm_call

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _requests(start_s: int, n: int, *, status: int) -> pd.DataFrame:
    return api_requests(T0, start_s, n, status=status)


def test_rule_fires_after_for_duration_once_and_resolves(tmp_path):
    now = {"t": T0}
    store = Store(tmp_path / "j.duckdb")
    am = AlertManager(store=store, clock=lambda: now["t"])
    engine = RuleEngine(
        am, rules=[AlertRule("errors", "error_rate", ">", 0.1, severity="critical", for_s=120, window_s=60)]
    )
    store.append("request", _requests(0, 600, status=500))  # 10 minutes of errors
    fired = []
    for t in (60, 120, 180, 240):
        now["t"] = T0 + dt.timedelta(seconds=t)
        fired.append(engine.evaluate(store.cursor(), now=now["t"]))
    assert fired == [[], [], ["errors:api"], []]  # holds from 60 s; fires at 180 s; dedup at 240 s
    store.append("request", _requests(600, 120, status=200))
    now["t"] = T0 + dt.timedelta(seconds=720)
    engine.evaluate(store.cursor(), now=now["t"])
    rows = store.query("SELECT rule, subject, state, severity FROM alerts")
    assert rows.values.tolist() == [["errors", "api", "resolved", "critical"]]
    store.close()
    listed = json.loads(jarvis("alerts", "--db", str(tmp_path / "j.duckdb"), "--all", "--json").stdout)
    assert [(a["rule"], a["state"]) for a in listed] == [("errors", "resolved")]
    assert "no firing alerts" in jarvis("alerts", "--db", str(tmp_path / "j.duckdb")).stdout


def test_maintenance_window_suppresses():
    store = Store()
    win = MaintenanceWindow(T0, T0 + dt.timedelta(hours=1), services=("api",))
    am = AlertManager(store=store, clock=lambda: T0 + dt.timedelta(minutes=5), maintenance=[win])
    assert not am.fire(rule="down", severity="critical", subject="api", message="x")
    assert am.fire(rule="down", severity="critical", subject="db", message="x")
    assert len(am.firing()) == 1


def test_budgets_warn_then_critical():
    store = Store()
    now = T0 + dt.timedelta(days=10)
    am = AlertManager(store=store, clock=lambda: now)
    engine = RuleEngine(am, rules=[], budgets=[Budget("openai-monthly", 10.0, provider="openai")])

    def spend(usd: float, provider: str = "openai") -> None:
        store.append("llm_call", llm_call(T0 + dt.timedelta(days=2), usd, provider=provider))

    spend(5.0)
    spend(50.0, provider="anthropic")  # other provider: not in this budget
    assert engine.evaluate(store.cursor(), now=now) == []
    spend(3.5)
    assert engine.evaluate(store.cursor(), now=now) == ["budget_warning:openai-monthly:month:2026-11-01"]
    spend(2.0)
    assert engine.evaluate(store.cursor(), now=now) == ["budget_exceeded:openai-monthly:month:2026-11-01"]
    assert engine.evaluate(store.cursor(), now=now) == []


def test_bad_rule_is_refused():
    with pytest.raises(JarvisError, match="metric"):
        AlertRule("x", "latency", ">", 1.0)
