"""The restart policy: restart a down service at most N times per window, with a cooldown and a verification.

A restart runs the service's configured argv list (``["docker", "restart", "ai-dawg-producer"]``)
with ``subprocess.run(argv, shell=False)`` — never a shell string —, waits ``verify_after_s``, checks
the service again and records the action (``restart_actions``: attempt, argv, exit status, verified).
Past ``max_restarts`` in ``window_s`` it stops trying and raises one critical ``human_needed`` alert
(deduplicated until the service comes back). Restarts are off for services without ``restart``.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from .health import Monitor, ServiceConfig

__all__ = ["RestartPolicy", "run_argv"]


def run_argv(argv: list[str], *, timeout_s: float = 120.0) -> int:
    """Run a restart command without a shell; returns its exit status (127 not found, 124 timeout)."""
    if isinstance(argv, str) or not argv:
        raise TypeError(f"restart command must be a non-empty argv list, got {argv!r}")
    try:
        return subprocess.run(argv, shell=False, capture_output=True, timeout=timeout_s, check=False).returncode
    except FileNotFoundError:
        return 127
    except subprocess.TimeoutExpired:
        return 124


class RestartPolicy:
    """At most ``max_restarts`` per ``window_s`` per service, ``cooldown_s`` apart, each verified.

    Parameters
    ----------
    max_restarts : int
    window_s : float
    cooldown_s : float
    verify_after_s : float
        Wait (with the monitor's injected ``sleep``) before the verification check.
    runner : callable or None
        ``runner(argv) -> exit status``; default :func:`run_argv`.

    Examples
    --------
    >>> policy = RestartPolicy(max_restarts=3, window_s=300, cooldown_s=60)
    >>> policy.history
    {}
    """

    def __init__(
        self,
        *,
        max_restarts: int = 3,
        window_s: float = 300.0,
        cooldown_s: float = 60.0,
        verify_after_s: float = 10.0,
        runner: Callable[[list[str]], int] | None = None,
    ) -> None:
        self.max_restarts = max_restarts
        self.window_s = window_s
        self.cooldown_s = cooldown_s
        self.verify_after_s = verify_after_s
        self.runner = runner or run_argv
        self.history: dict[str, list[dt.datetime]] = {}

    def decide(self, service: str, now: dt.datetime) -> str:
        """``restart``, ``cooldown`` (too soon after the last one) or ``exhausted`` (limit reached)."""
        recent = [t for t in self.history.get(service, []) if (now - t).total_seconds() < self.window_s]
        self.history[service] = recent
        if len(recent) >= self.max_restarts:
            return "exhausted"
        if recent and (now - recent[-1]).total_seconds() < self.cooldown_s:
            return "cooldown"
        return "restart"

    def on_down(self, svc: ServiceConfig, *, monitor: Monitor) -> str:
        """Act on a down service; returns ``verified``, ``failed``, ``cooldown`` or ``exhausted``."""
        from .health import next_state

        now = monitor.clock()
        decision = self.decide(svc.name, now)
        if decision == "exhausted":
            monitor.alerts.fire(
                rule="human_needed",
                severity="critical",
                subject=svc.name,
                message=(
                    f"{svc.name} is still down after {self.max_restarts} restarts in {self.window_s:.0f} s; "
                    "automatic restarts stopped — human needed"
                ),
            )
            return decision
        if decision == "cooldown":
            return decision
        argv = list(svc.restart or ())
        attempt = len(self.history[svc.name]) + 1
        self.history[svc.name].append(now)
        code = self.runner(argv)
        monitor.sleep(self.verify_after_s)
        result = monitor.checker(svc)
        verified = bool(result.ok and code == 0)
        monitor.store.record(
            "restart_actions",
            pd.DataFrame(
                {
                    "ts": [now],
                    "service": [svc.name],
                    "attempt": [attempt],
                    "argv": [json.dumps(argv)],
                    "returncode": [code],
                    "verified": [verified],
                    "detail": [result.detail],
                }
            ),
        )
        if result.ok:
            old = monitor.states[svc.name]
            new = next_state(old, result, retries=svc.retries)
            monitor.states[svc.name] = new
            monitor._record_check(svc, result, new, monitor.clock())
            monitor._flip(svc.name, old, new, monitor.clock())
        return "verified" if verified else "failed"
