"""Alerts: rules with a severity and a ``for:`` duration, deduplication, maintenance windows, LLM budgets.

- :class:`AlertManager` stores alerts (table ``alerts``) through the one writer. An alert is keyed
  by ``rule:subject``: firing it again while it fires adds nothing (dedup); :meth:`AlertManager.resolve`
  closes it. Subjects inside a :class:`MaintenanceWindow` are not alerted.
- :class:`AlertRule` is a threshold on a service metric over a trailing window; :class:`RuleEngine`
  fires it only after the condition held for ``for_s`` (like Prometheus ``for:``) and resolves it
  when the condition clears.
- :class:`Budget` watches LLM spend per day or month (optionally per provider or feature): a warning
  at ``warn_fraction`` of the limit, critical past it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import operator
from collections.abc import Callable, Sequence
from typing import Any

import duckdb
import pandas as pd

from .exceptions import JarvisError

__all__ = ["AlertManager", "AlertRule", "Budget", "MaintenanceWindow", "RuleEngine", "list_alerts", "SEVERITIES"]

SEVERITIES = ("critical", "warning", "info")
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_RULE_METRICS = ("error_rate", "p95_ms", "p99_ms", "p50_ms", "requests", "uptime_pct")


@dataclasses.dataclass(frozen=True)
class MaintenanceWindow:
    """No alerts for ``services`` (all when None) between ``start`` and ``end`` (UTC)."""

    start: dt.datetime
    end: dt.datetime
    services: tuple[str, ...] | None = None

    def covers(self, subject: str, now: dt.datetime) -> bool:
        """True if ``subject`` is under maintenance at ``now``."""
        return self.start <= now < self.end and (self.services is None or subject in self.services)


class AlertManager:
    """Fire and resolve deduplicated alerts into the store.

    Parameters
    ----------
    store : Store
        The writer.
    clock : callable
        Returns the current UTC datetime.
    maintenance : sequence of MaintenanceWindow

    Examples
    --------
    >>> from jarvis_analytics.store import Store
    >>> am = AlertManager(store=Store())
    >>> am.fire(rule="r", severity="warning", subject="api", message="slow"), am.fire(
    ...     rule="r", severity="warning", subject="api", message="slow")
    (True, False)
    """

    def __init__(
        self,
        *,
        store: Any,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        maintenance: Sequence[MaintenanceWindow] = (),
    ) -> None:
        self.store = store
        self.clock = clock
        self.maintenance = list(maintenance)

    def firing(self) -> pd.DataFrame:
        """Alerts that are firing now."""
        return self.store.query("SELECT * FROM alerts WHERE state = 'firing' ORDER BY ts")

    def fire(self, *, rule: str, severity: str, subject: str, message: str, value: float | None = None) -> bool:
        """Raise an alert unless the same ``rule:subject`` fires already or ``subject`` is under maintenance.

        Returns True when a new alert was stored.
        """
        if severity not in SEVERITIES:
            raise JarvisError(f"severity {severity!r} is not one of {SEVERITIES}")
        now = self.clock()
        if any(w.covers(subject, now) for w in self.maintenance):
            return False
        key = f"{rule}:{subject}"
        with self.store.transaction() as con:
            row = con.execute("SELECT count(*) FROM alerts WHERE dedup_key = ? AND state = 'firing'", [key]).fetchone()
            if row and row[0]:
                return False
            con.execute(
                "INSERT INTO alerts VALUES (?, ?, ?, ?, ?, 'firing', ?, NULL, ?)",
                [now, rule, severity, subject, message, key, value],
            )
        return True

    def resolve(self, *, rule: str, subject: str) -> bool:
        """Close the firing ``rule:subject`` alert; returns True if one was firing."""
        key = f"{rule}:{subject}"
        with self.store.transaction() as con:
            row = con.execute("SELECT count(*) FROM alerts WHERE dedup_key = ? AND state = 'firing'", [key]).fetchone()
            if not row or not row[0]:
                return False
            con.execute(
                "UPDATE alerts SET state = 'resolved', resolved_at = ? WHERE dedup_key = ? AND state = 'firing'",
                [self.clock(), key],
            )
        return True


@dataclasses.dataclass(frozen=True)
class AlertRule:
    """A threshold on a per-service request/health metric over a trailing window.

    Parameters
    ----------
    name : str
    metric : {'error_rate', 'p50_ms', 'p95_ms', 'p99_ms', 'requests', 'uptime_pct'}
    op : {'>', '>=', '<', '<='}
    threshold : float
    severity : {'critical', 'warning', 'info'}
    for_s : float
        The condition must hold this long (over successive evaluations) before the alert fires.
    window_s : float
        Trailing window the metric is computed over.
    services : tuple of str or None
        Restrict to these services (default all with data).
    """

    name: str
    metric: str
    op: str
    threshold: float
    severity: str = "warning"
    for_s: float = 0.0
    window_s: float = 300.0
    services: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.metric not in _RULE_METRICS:
            raise JarvisError(f"rule {self.name!r}: metric {self.metric!r} is not one of {_RULE_METRICS}")
        if self.op not in _OPS:
            raise JarvisError(f"rule {self.name!r}: op {self.op!r} is not one of {tuple(_OPS)}")
        if self.severity not in SEVERITIES:
            raise JarvisError(f"rule {self.name!r}: severity {self.severity!r} is not one of {SEVERITIES}")


@dataclasses.dataclass(frozen=True)
class Budget:
    """An LLM spend limit per ``period`` ('day' or 'month'), optionally for one provider or feature."""

    name: str
    limit_usd: float
    period: str = "month"
    provider: str | None = None
    feature: str | None = None
    warn_fraction: float = 0.8

    def __post_init__(self) -> None:
        if self.period not in ("day", "month"):
            raise JarvisError(f"budget {self.name!r}: period {self.period!r} is not 'day' or 'month'")
        if self.limit_usd <= 0:
            raise JarvisError(f"budget {self.name!r}: limit_usd must be > 0, got {self.limit_usd}")


DEFAULT_RULES = (
    AlertRule("high_error_rate", "error_rate", ">", 0.05, severity="critical", for_s=300, window_s=300),
    AlertRule("slow_p95", "p95_ms", ">", 2000.0, severity="warning", for_s=600, window_s=600),
    AlertRule("low_uptime", "uptime_pct", "<", 99.0, severity="warning", window_s=3600),
)


class RuleEngine:
    """Evaluate rules and budgets against the store at injected times; fire/resolve through an AlertManager.

    The ``for:`` state (since when each condition holds) lives in memory, as in Prometheus.
    """

    def __init__(
        self,
        alerts: AlertManager,
        *,
        rules: Sequence[AlertRule] = DEFAULT_RULES,
        budgets: Sequence[Budget] = (),
    ) -> None:
        self.alerts = alerts
        self.rules = list(rules)
        self.budgets = list(budgets)
        self.pending_since: dict[tuple[str, str], dt.datetime] = {}

    def _values(self, con: duckdb.DuckDBPyConnection, rule: AlertRule, now: dt.datetime) -> dict[str, float]:
        from .metrics import service_stats, uptime

        since = now - dt.timedelta(seconds=rule.window_s)
        if rule.metric == "uptime_pct":
            frame = uptime(con, since=since, until=now)
        else:
            frame = service_stats(con, since=since, until=now)
        return {
            str(r["service"]): float(r[rule.metric])
            for _, r in frame.iterrows()
            if rule.services is None or r["service"] in rule.services
        }

    def evaluate(self, con: duckdb.DuckDBPyConnection, *, now: dt.datetime) -> list[str]:
        """Run every rule and budget once; returns the ``rule:subject`` keys that fired now."""
        fired = []
        for rule in self.rules:
            values = self._values(con, rule, now)
            for subject, value in values.items():
                key = (rule.name, subject)
                if _OPS[rule.op](value, rule.threshold):
                    start = self.pending_since.setdefault(key, now)
                    if (now - start).total_seconds() >= rule.for_s and self.alerts.fire(
                        rule=rule.name,
                        severity=rule.severity,
                        subject=subject,
                        message=f"{rule.metric} = {value:.4g} {rule.op} {rule.threshold:g} for {rule.for_s:.0f} s",
                        value=value,
                    ):
                        fired.append(f"{rule.name}:{subject}")
                else:
                    self.pending_since.pop(key, None)
                    self.alerts.resolve(rule=rule.name, subject=subject)
        for budget in self.budgets:
            fired += self._budget(con, budget, now)
        return fired

    def _budget(self, con: duckdb.DuckDBPyConnection, budget: Budget, now: dt.datetime) -> list[str]:
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        if budget.period == "month":
            start = start.replace(day=1)
        sql = "SELECT coalesce(sum(cost_usd), 0) FROM llm_call WHERE ts >= ? AND ts < ?"
        params: list[Any] = [start, now]
        if budget.provider:
            sql += " AND provider = ?"
            params.append(budget.provider)
        if budget.feature:
            sql += " AND feature = ?"
            params.append(budget.feature)
        row = con.cursor().execute(sql, params).fetchone()
        spent = float(row[0]) if row else 0.0
        subject = f"{budget.period}:{start:%Y-%m-%d}"
        fired = []
        share = spent / budget.limit_usd
        if share >= 1 and self.alerts.fire(
            rule=f"budget_exceeded:{budget.name}",
            severity="critical",
            subject=subject,
            message=f"LLM spend {spent:.2f} USD is over the {budget.period} budget of {budget.limit_usd:.2f} USD",
            value=spent,
        ):
            fired.append(f"budget_exceeded:{budget.name}:{subject}")
        if share >= budget.warn_fraction and self.alerts.fire(
            rule=f"budget_warning:{budget.name}",
            severity="warning",
            subject=subject,
            message=f"LLM spend {spent:.2f} USD is {100 * share:.0f} % of the {budget.period} budget "
            f"of {budget.limit_usd:.2f} USD",
            value=spent,
        ):
            fired.append(f"budget_warning:{budget.name}:{subject}")
        return fired


def list_alerts(con: duckdb.DuckDBPyConnection, *, state: str | None = "firing") -> pd.DataFrame:
    """Stored alerts, newest first (``state`` 'firing', 'resolved' or None for all)."""
    sql = "SELECT ts, rule, severity, subject, message, state, resolved_at, value FROM alerts"
    params: list[Any] = []
    if state is not None:
        sql += " WHERE state = ?"
        params.append(state)
    return (
        con.cursor()
        .execute(
            sql + " ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, ts DESC", params
        )
        .df()
    )
