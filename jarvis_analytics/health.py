"""Health checks (HTTP, TCP, DuckDB file), pending-before-down states, flips and the monitor loop.

A service's status is a pure function of its previous state and the new check result
(:func:`next_state`): a failed check first makes it ``pending`` and only ``retries`` failures in a
row more make it ``down``; one good check brings it back. Status changes are stored once, as
``flips``. Every check is stored as a ``health_check`` event with the *effective* status (a pending
service is stored as ``degraded`` with ``pending (k/n): reason`` in ``detail``, so uptime counts
downtime only from the moment a service is declared down). On ``down`` the
:class:`~jarvis_analytics.restart.RestartPolicy` acts, if the service has a restart command.

After every round the monitor evaluates its alert rules and LLM budgets
(:class:`~jarvis_analytics.alerts.RuleEngine`, ``for:`` durations kept across rounds) over the
store it owns, and stores deduplicated alerts. Maintenance windows (``[[maintenance]]`` in
``services.toml``) silence every alert about the services they cover and pause their restarts;
checks are still recorded.

The clock, the sleep and the check function are injected (tests drive them with a fake clock).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import socket
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from .alerts import DEFAULT_RULES, AlertRule, Budget, MaintenanceWindow
from .exceptions import JarvisError

__all__ = [
    "ServiceConfig",
    "MonitorConfig",
    "CheckResult",
    "ServiceState",
    "load_config",
    "run_check",
    "next_state",
    "aggregate_status",
    "Monitor",
    "run_monitor",
]

KINDS = ("http", "tcp", "duckdb")


@dataclasses.dataclass(frozen=True)
class ServiceConfig:
    """One monitored service (see ``services.toml``)."""

    name: str
    kind: str = "http"
    url: str | None = None
    host: str | None = None
    port: int | None = None
    path: str | None = None
    timeout_s: float = 5.0
    retries: int = 2
    degraded_ms: float = 1000.0
    critical: bool = False
    restart: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise JarvisError(f"service {self.name!r}: kind {self.kind!r} is not one of {KINDS}")
        need = {"http": ("url",), "tcp": ("host", "port"), "duckdb": ("path",)}[self.kind]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise JarvisError(f"service {self.name!r} ({self.kind}): missing {missing}")
        if self.restart is not None and (
            isinstance(self.restart, str) or not self.restart or not all(isinstance(a, str) for a in self.restart)
        ):
            raise JarvisError(
                f"service {self.name!r}: restart must be an argv list of strings (never a shell string), "
                f"got {self.restart!r}"
            )


@dataclasses.dataclass(frozen=True)
class MonitorConfig:
    """The monitor's settings, its services, alert rules, LLM budgets and maintenance windows.

    ``rules`` default to none when the config is built in code; :func:`load_config` adds the
    built-in :data:`jarvis_analytics.alerts.DEFAULT_RULES` unless ``[alerts] default_rules = false``.
    """

    services: tuple[ServiceConfig, ...]
    interval_s: float = 30.0
    max_restarts: int = 3
    restart_window_s: float = 300.0
    cooldown_s: float = 60.0
    verify_after_s: float = 10.0
    rules: tuple[AlertRule, ...] = ()
    budgets: tuple[Budget, ...] = ()
    maintenance: tuple[MaintenanceWindow, ...] = ()


def _utc_time(value: Any, *, where: str) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError as exc:
            raise JarvisError(
                f"{where}: cannot read {value!r} as an ISO 8601 time (e.g. 2026-12-01T02:00:00Z)"
            ) from exc
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    raise JarvisError(f"{where}: expected a date-time (e.g. 2026-12-01T02:00:00Z), got {value!r}")


def _entries(raw: dict[str, Any], table: str, cls: type, *, required: tuple[str, ...]) -> list[dict[str, Any]]:
    fields = {f.name for f in dataclasses.fields(cls)}
    out = []
    for i, entry in enumerate(raw.get(table, []), start=1):
        where = f"[[{table}]] #{i} ({entry.get('name', '?')})"
        unknown = set(entry) - fields
        if unknown:
            raise JarvisError(f"{where}: unknown keys {sorted(unknown)}; expected {sorted(fields)}")
        missing = [k for k in required if k not in entry]
        if missing:
            raise JarvisError(f"{where}: missing {missing}")
        if isinstance(entry.get("services"), list):
            entry = {**entry, "services": tuple(entry["services"])}
        out.append(entry)
    return out


def _alert_config(raw: dict[str, Any]) -> dict[str, Any]:
    alerts = raw.get("alerts", {})
    unknown = set(alerts) - {"default_rules"}
    if unknown:
        raise JarvisError(f"[alerts]: unknown keys {sorted(unknown)}; expected ['default_rules']")
    custom = [AlertRule(**e) for e in _entries(raw, "rule", AlertRule, required=("name", "metric", "op", "threshold"))]
    names = {r.name for r in custom}
    defaults = [r for r in DEFAULT_RULES if r.name not in names] if alerts.get("default_rules", True) else []
    budgets = [Budget(**e) for e in _entries(raw, "budget", Budget, required=("name", "limit_usd"))]
    windows = []
    for i, e in enumerate(_entries(raw, "maintenance", MaintenanceWindow, required=("start", "end")), start=1):
        where = f"[[maintenance]] #{i}"
        start, end = _utc_time(e["start"], where=where), _utc_time(e["end"], where=where)
        if end <= start:
            raise JarvisError(f"{where}: end {end.isoformat()} is not after start {start.isoformat()}")
        windows.append(MaintenanceWindow(start, end, e.get("services")))
    return {"rules": tuple(defaults + custom), "budgets": tuple(budgets), "maintenance": tuple(windows)}


def load_config(path: str | Path | None = None) -> MonitorConfig:
    """Read a services TOML file (default: the packaged ``services.toml``).

    Examples
    --------
    >>> cfg = load_config()
    >>> [s.name for s in cfg.services][:3]
    ['daw-backend', 'vocal-coach', 'producer']
    """
    if path is None:
        text = resources.files("jarvis_analytics").joinpath("services.toml").read_text(encoding="utf-8")
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise JarvisError(f"cannot read services config {str(path)!r}: {exc}") from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise JarvisError(f"services config {str(path or 'services.toml')!r}: {exc}") from exc
    services = []
    fields = {f.name for f in dataclasses.fields(ServiceConfig)}
    for entry in raw.get("service", []):
        unknown = set(entry) - fields
        if unknown:
            raise JarvisError(
                f"service {entry.get('name')!r}: unknown keys {sorted(unknown)}; expected {sorted(fields)}"
            )
        if isinstance(entry.get("restart"), list):
            entry = {**entry, "restart": tuple(entry["restart"])}
        services.append(ServiceConfig(**entry))
    mon = raw.get("monitor", {})
    known = {f.name for f in dataclasses.fields(MonitorConfig)} - {"services", "rules", "budgets", "maintenance"}
    if set(mon) - known:
        raise JarvisError(f"[monitor]: unknown keys {sorted(set(mon) - known)}; expected {sorted(known)}")
    return MonitorConfig(services=tuple(services), **mon, **_alert_config(raw))


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """The outcome of one probe: ``ok`` False means the probe failed (timeout, refused, 5xx...)."""

    service: str
    ok: bool
    status: str  # 'up' | 'degraded' | 'down' (what the probe alone says)
    latency_ms: float
    detail: str


def _check_http(svc: ServiceConfig) -> CheckResult:
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(svc.url or "", timeout=svc.timeout_s) as resp:  # noqa: S310 - configured URL
            body = resp.read(4096)
            code = resp.status
    except urllib.error.HTTPError as exc:
        ms = 1000 * (time.perf_counter() - t0)
        return CheckResult(svc.name, exc.code < 500, "degraded" if exc.code < 500 else "down", ms, f"HTTP {exc.code}")
    except TimeoutError:
        return CheckResult(
            svc.name, False, "down", 1000 * (time.perf_counter() - t0), f"timeout after {svc.timeout_s} s"
        )
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError | socket.timeout):
            return CheckResult(
                svc.name, False, "down", 1000 * (time.perf_counter() - t0), f"timeout after {svc.timeout_s} s"
            )
        return CheckResult(svc.name, False, "down", 1000 * (time.perf_counter() - t0), f"unreachable: {reason}")
    ms = 1000 * (time.perf_counter() - t0)
    status = "up"
    detail = f"HTTP {code}"
    try:
        said = json.loads(body or b"{}").get("status")
    except (ValueError, AttributeError):
        said = None
    if said in ("degraded", "warn", "warning"):
        status, detail = "degraded", f"HTTP {code}, service reports {said!r}"
    elif ms > svc.degraded_ms:
        status, detail = "degraded", f"HTTP {code} in {ms:.0f} ms (> {svc.degraded_ms:.0f} ms)"
    return CheckResult(svc.name, True, status, ms, detail)


def _check_tcp(svc: ServiceConfig) -> CheckResult:
    t0 = time.perf_counter()
    try:
        with socket.create_connection((svc.host or "", int(svc.port or 0)), timeout=svc.timeout_s):
            pass
    except OSError as exc:
        return CheckResult(svc.name, False, "down", 1000 * (time.perf_counter() - t0), f"tcp: {exc}")
    ms = 1000 * (time.perf_counter() - t0)
    return CheckResult(
        svc.name, True, "degraded" if ms > svc.degraded_ms else "up", ms, f"tcp {svc.host}:{svc.port} open"
    )


def _check_duckdb(svc: ServiceConfig) -> CheckResult:
    from .store import open_reader

    t0 = time.perf_counter()
    try:
        with open_reader(svc.path or "", timeout_s=svc.timeout_s) as reader:
            version = reader.schema_version()
    except Exception as exc:  # noqa: BLE001 - any failure means the store is not readable
        return CheckResult(svc.name, False, "down", 1000 * (time.perf_counter() - t0), f"duckdb: {exc}"[:300])
    ms = 1000 * (time.perf_counter() - t0)
    return CheckResult(svc.name, True, "up", ms, f"schema v{version}")


def run_check(svc: ServiceConfig) -> CheckResult:
    """Probe one service once (HTTP: 2xx/3xx up, 4xx degraded, 5xx/timeout/refused failed)."""
    return {"http": _check_http, "tcp": _check_tcp, "duckdb": _check_duckdb}[svc.kind](svc)


@dataclasses.dataclass(frozen=True)
class ServiceState:
    """What the monitor believes about a service: ``unknown``, ``up``, ``degraded``, ``pending`` or ``down``."""

    status: str = "unknown"
    failures: int = 0
    detail: str = ""


def next_state(prev: ServiceState, result: CheckResult, *, retries: int) -> ServiceState:
    """The pure transition: pending for ``retries`` failed checks in a row, down after that.

    Examples
    --------
    >>> bad = CheckResult("api", False, "down", 1.0, "refused")
    >>> s = next_state(ServiceState("up"), bad, retries=1)
    >>> s.status, next_state(s, bad, retries=1).status
    ('pending', 'down')
    """
    if result.ok:
        return ServiceState(result.status, 0, result.detail)
    failures = prev.failures + 1
    if prev.status == "down" or failures > retries:
        return ServiceState("down", failures, result.detail)
    return ServiceState("pending", failures, f"pending ({failures}/{retries + 1}): {result.detail}")


def aggregate_status(states: dict[str, ServiceState], critical: set[str]) -> str:
    """``healthy`` (all up), ``down`` (a critical service down) or ``degraded`` (anything else not up)."""
    if any(s.status == "down" and n in critical for n, s in states.items()):
        return "down"
    if all(s.status == "up" for s in states.values()):
        return "healthy"
    return "degraded"


def _stored_status(state: ServiceState) -> str:
    return {"pending": "degraded", "unknown": "down"}.get(state.status, state.status)


class Monitor:
    """Checks every service, records checks and flips, and applies the restart policy.

    Parameters
    ----------
    config : MonitorConfig
    store : Store
        The one writer (the monitor process owns the database; see :func:`run_monitor`).
    clock : callable
        Returns the current UTC ``datetime`` (inject a fake one in tests).
    sleep : callable
        Waits a number of seconds (used between a restart and its verification).
    checker : callable
        ``checker(ServiceConfig) -> CheckResult``; default :func:`run_check`.
    runner : callable or None
        Runs a restart argv and returns its exit status; default ``subprocess.run`` without a shell.
    """

    def __init__(
        self,
        config: MonitorConfig,
        *,
        store: Any,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        sleep: Callable[[float], None] = time.sleep,
        checker: Callable[[ServiceConfig], CheckResult] = run_check,
        runner: Callable[[list[str]], int] | None = None,
    ) -> None:
        from .alerts import AlertManager, RuleEngine
        from .restart import RestartPolicy

        self.config = config
        self.store = store
        self.clock = clock
        self.sleep = sleep
        self.checker = checker
        self.states: dict[str, ServiceState] = {s.name: ServiceState() for s in config.services}
        self.alerts = AlertManager(store=store, clock=clock, maintenance=config.maintenance)
        self.engine = RuleEngine(self.alerts, rules=config.rules, budgets=config.budgets)
        self.fired: list[str] = []
        self.policy = RestartPolicy(
            max_restarts=config.max_restarts,
            window_s=config.restart_window_s,
            cooldown_s=config.cooldown_s,
            verify_after_s=config.verify_after_s,
            runner=runner,
        )
        self._last_round: dt.datetime | None = None

    def _record_check(self, svc: ServiceConfig, result: CheckResult, state: ServiceState, now: dt.datetime) -> None:
        frame = pd.DataFrame(
            {
                "ts": [now],
                "service": [svc.name],
                "status": [_stored_status(state)],
                "latency_ms": [result.latency_ms],
                "detail": [state.detail],
            }
        )
        self.store.append("health_check", frame)

    def _flip(self, name: str, old: ServiceState, new: ServiceState, now: dt.datetime) -> None:
        if old.status == new.status:
            return
        self.store.record(
            "flips",
            pd.DataFrame(
                {
                    "ts": [now],
                    "service": [name],
                    "from_status": [old.status],
                    "to_status": [new.status],
                    "detail": [new.detail],
                }
            ),
        )
        if new.status == "down":
            self._alert_down(name, new)
        elif new.status in ("up", "degraded") and old.status in ("down", "pending"):
            self.alerts.resolve(rule="service_down", subject=name)
            self.alerts.resolve(rule="human_needed", subject=name)

    def _alert_down(self, name: str, state: ServiceState) -> None:
        svc = next(s for s in self.config.services if s.name == name)
        self.alerts.fire(
            rule="service_down",
            severity="critical" if svc.critical else "warning",
            subject=name,
            message=f"{name} is down: {state.detail}",
        )

    def check_service(self, svc: ServiceConfig) -> ServiceState:
        """Probe one service, update its state, record the check and a flip if the status changed."""
        now = self.clock()
        result = self.checker(svc)
        old = self.states[svc.name]
        new = next_state(old, result, retries=svc.retries)
        self.states[svc.name] = new
        self._record_check(svc, result, new, now)
        self._flip(svc.name, old, new, now)
        if new.status == "down" and old.status == "down":
            # still down: a no-op while the alert fires (dedup), the alert that a maintenance window
            # held back once the window is over
            self._alert_down(svc.name, new)
        if new.status == "down" and svc.restart and not self.in_maintenance(svc.name, now):
            self.policy.on_down(svc, monitor=self)
        return self.states[svc.name]

    def in_maintenance(self, name: str, now: dt.datetime) -> bool:
        """True if a maintenance window covers service ``name`` at ``now`` (no alerts, no restarts)."""
        return any(w.covers(name, now) for w in self.config.maintenance)

    def evaluate_alerts(self) -> list[str]:
        """Evaluate the alert rules and LLM budgets once over the store; returns the keys that fired now."""
        if not self.engine.rules and not self.engine.budgets:
            return []
        fired = self.engine.evaluate(self.store.cursor(), now=self.clock())
        self.fired += fired
        return fired

    def run_round(self) -> str:
        """Check every service once, then evaluate the alert rules and budgets; returns the aggregate status."""
        for svc in self.config.services:
            self.check_service(svc)
        self.evaluate_alerts()
        self._last_round = self.clock()
        return self.status()

    def tick(self, *_: object) -> str | None:
        """Run a round if ``interval_s`` has passed since the last one (for a writer loop)."""
        now = self.clock()
        if self._last_round is None or (now - self._last_round).total_seconds() >= self.config.interval_s:
            return self.run_round()
        return None

    def status(self) -> str:
        """Aggregate platform status: ``healthy``, ``degraded`` or ``down``."""
        return aggregate_status(self.states, {s.name for s in self.config.services if s.critical})


def run_monitor(config: MonitorConfig, *, db: str | Path, once: bool = False) -> int:
    """``jarvis monitor``: own the store, check services on an interval, drain the spool, publish snapshots.

    Returns 0 when the last round was healthy, 1 degraded, 2 down (``--once``), else runs until killed.
    """
    import signal
    import threading

    from .emitter import run_writer
    from .store import Store

    if once:
        with Store(db) as store:
            monitor = Monitor(config, store=store)
            status = monitor.run_round()
        for name, state in monitor.states.items():
            print(f"{name:16s} {state.status:9s} {state.detail}")
        for key in monitor.fired:
            print(f"alert fired: {key}")
        print(f"platform: {status}")
        return {"healthy": 0, "degraded": 1, "down": 2}[status]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    holder: dict[str, Monitor] = {}

    def cycle(store: Any) -> None:
        if "m" not in holder:
            holder["m"] = Monitor(config, store=store)
        holder["m"].tick()

    try:
        run_writer(db, stop=stop, on_cycle=cycle, poll_s=1.0)
    except KeyboardInterrupt:
        pass
    return 0
