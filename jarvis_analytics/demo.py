"""Deterministic demo events: a realistic month of platform activity for the JARVIS store.

Seeded and clock-injected (same ``seed`` and ``end``, same events). It simulates the seed's four
HTTP services plus PostgreSQL and Redis with:

- traffic with daily and weekly seasonality (quiet nights, ~30 % quieter weekends) and ~50 % growth
  over the month, from a user base that grows as new users sign up;
- incidents: the producer is down 45 minutes on day 12 (its requests fail with 503 meanwhile) and
  the brain 20 minutes on day 21;
- a latency regression: the vocal coach gets 60 % slower from day 18 (a bad deploy);
- a cost spike: on day 24 a runaway ``producer_prompt`` job sends 6 hours of calls to an expensive model;
- LLM calls on five models, some small tasks on expensive models (material for the cost advice).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["generate_demo_events", "write_demo_store", "SERVICES", "INCIDENTS"]

SERVICES = ("daw-backend", "vocal-coach", "producer", "brain")
_HEALTH_ONLY = ("postgres", "redis")
_ENDPOINTS = {
    "daw-backend": ["/api/projects", "/api/tracks", "/api/render"],
    "vocal-coach": ["/analyze", "/takes"],
    "producer": ["/beat", "/arrange"],
    "brain": ["/chat", "/route"],
}
_BASE_MS = {"daw-backend": 45.0, "vocal-coach": 180.0, "producer": 420.0, "brain": 900.0}
_SHARE = {"daw-backend": 1.0, "vocal-coach": 0.5, "producer": 0.35, "brain": 0.6}
# provider, model, USD per 1M input tokens, USD per 1M output tokens, share of calls
_MODELS = [
    ("openai", "gpt-4o-mini", 0.15, 0.60, 0.35),
    ("google", "gemini-2.0-flash", 0.10, 0.40, 0.25),
    ("anthropic", "claude-3-5-haiku", 0.80, 4.0, 0.2),
    ("openai", "gpt-4o", 2.50, 10.0, 0.12),
    ("anthropic", "claude-3-5-sonnet", 3.0, 15.0, 0.08),
]
#: Planted incidents, as (service, day offset from the start, start hour, minutes).
INCIDENTS = (("producer", 12, 14.0, 45), ("brain", 21, 3.5, 20))
REGRESSION = ("vocal-coach", 18, 1.6)  # service, from day, latency factor
COST_SPIKE = (24, 10, 6)  # day, start hour, hours


def _intensity(t_s: np.ndarray, days: int) -> np.ndarray:
    """Relative traffic at times ``t_s`` (seconds from the start; the start is a midnight)."""
    hour = (t_s / 3600) % 24
    dow = (t_s // 86400 + 4) % 7  # day 0 is a Friday-like weekday; 5, 6 = weekend
    diurnal = 0.25 + 0.75 * np.sin(np.pi * ((hour - 7) % 24) / 24) ** 2 * (hour >= 7) + 0.1 * (hour < 7)
    weekly = np.where(dow >= 5, 0.7, 1.0)
    growth = 1 + 0.5 * t_s / (days * 86400)
    return diurnal * weekly * growth


def generate_demo_events(
    *, days: int = 30, seed: int = 7, end: dt.datetime | None = None, requests_per_hour: int = 240
) -> dict[str, pd.DataFrame]:
    """Generate a month (or ``days``) of demo events for each event type.

    Parameters
    ----------
    days : int
        Length of the simulated history, ending at ``end``.
    seed : int
        Random seed; same seed, same events.
    end : datetime or None
        End of the history (UTC); default midnight UTC of 2026-11-26 so outputs are reproducible.
    requests_per_hour : int
        Request rate of ``daw-backend`` at the daily peak at the start (others are a share of it).

    Returns
    -------
    events : dict[str, pandas.DataFrame]
        Keys ``request``, ``llm_call``, ``health_check``, ``session``; columns as in
        :data:`jarvis_analytics.schema.EVENT_COLUMNS`.

    Examples
    --------
    >>> ev = generate_demo_events(days=2)
    >>> sorted(ev)
    ['health_check', 'llm_call', 'request', 'session']
    """
    rng = np.random.default_rng(seed)
    end = end or dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    start = pd.Timestamp(end - dt.timedelta(days=days))
    span_s = days * 86400
    n_users = 120 + 10 * days
    join_s = np.concatenate([np.zeros(120), np.sort(rng.uniform(0, span_s, n_users - 120))])
    users = np.array([f"u{i:04d}" for i in range(n_users)])

    def pick_users(t_s: np.ndarray) -> np.ndarray:
        joined = np.searchsorted(join_s, t_s, side="right")  # users joined by then (ids sorted by join time)
        return users[(rng.random(len(t_s)) ** 1.5 * np.maximum(joined, 1)).astype(int)]

    def outage(service: str, t_s: np.ndarray) -> np.ndarray:
        mask = np.zeros(len(t_s), dtype=bool)
        for svc, day, hour, minutes in INCIDENTS:
            if svc == service and day < days:
                t0 = day * 86400 + hour * 3600
                mask |= (t_s >= t0) & (t_s < t0 + minutes * 60)
        return mask

    # -- requests: thinned Poisson process per service --------------------------------------
    frames = []
    for service in SERVICES:
        peak = requests_per_hour * _SHARE[service] * 1.5  # growth bound
        n_max = rng.poisson(peak * days * 24)
        t = np.sort(rng.uniform(0, span_s, n_max))
        t = t[rng.random(n_max) < _intensity(t, days) / 1.5]
        n = len(t)
        dur = rng.lognormal(np.log(_BASE_MS[service]), 0.45, n)
        if service == REGRESSION[0]:
            dur = np.where(t >= REGRESSION[1] * 86400, dur * REGRESSION[2], dur)
        status = np.where(rng.random(n) < 0.008, 500, np.where(rng.random(n) < 0.03, 404, 200))
        down = outage(service, t)
        status = np.where(down, 503, status)
        dur = np.where(down, rng.uniform(2, 10, n), dur)
        uid = pick_users(t)
        eps = _ENDPOINTS[service]
        frames.append(
            pd.DataFrame(
                {
                    "ts": start + pd.to_timedelta(t, unit="s"),
                    "service": service,
                    "endpoint": np.array(eps)[rng.integers(len(eps), size=n)],
                    "method": np.where(rng.random(n) < 0.6, "POST", "GET"),
                    "status": status.astype("int32"),
                    "duration_ms": dur,
                    "user_id": uid,
                    "session_id": np.char.add(np.char.add(uid.astype(str), "-"), (t // 86400).astype(int).astype(str)),
                }
            )
        )
    request = pd.concat(frames, ignore_index=True).sort_values("ts", kind="stable").reset_index(drop=True)

    # -- health checks every 30 s ---------------------------------------------------------
    checks_s = np.arange(0, span_s, 30.0)
    hc = []
    for service in SERVICES + _HEALTH_ONLY:
        down = outage(service, checks_s)
        state = np.where(down, "down", np.where(rng.random(len(checks_s)) < 0.004, "degraded", "up")).astype(object)
        lat = rng.lognormal(np.log(12), 0.3, len(checks_s))
        hc.append(
            pd.DataFrame(
                {
                    "ts": start + pd.to_timedelta(checks_s, unit="s"),
                    "service": service,
                    "status": state,
                    "latency_ms": np.where(down, 5000.0, lat),
                    "detail": np.where(down, "connection refused", np.where(state == "degraded", "slow answer", "")),
                }
            )
        )
    health = pd.concat(hc, ignore_index=True)

    # -- LLM calls: follow the brain's traffic, plus the cost spike ---------------------------
    brain_t = (request.loc[request.service == "brain", "ts"] - start).dt.total_seconds().to_numpy()
    t_llm = brain_t[rng.random(len(brain_t)) < 0.7]
    which = rng.choice(len(_MODELS), size=len(t_llm), p=[m[4] for m in _MODELS])
    feature = rng.choice(
        ["chat", "coach_feedback", "producer_prompt", "summarise"], len(t_llm), p=[0.45, 0.25, 0.2, 0.1]
    )
    if COST_SPIKE[0] < days:
        s0 = COST_SPIKE[0] * 86400 + COST_SPIKE[1] * 3600
        spike_t = np.sort(rng.uniform(s0, s0 + COST_SPIKE[2] * 3600, 2400))
        t_llm = np.concatenate([t_llm, spike_t])
        which = np.concatenate([which, np.full(len(spike_t), 4)])
        feature = np.concatenate([feature, np.full(len(spike_t), "producer_prompt")])
    n_llm = len(t_llm)
    small = rng.random(n_llm) < 0.5
    tin = np.where(small, rng.integers(100, 900, n_llm), rng.integers(1500, 6000, n_llm))
    tout = np.where(small, rng.integers(20, 300, n_llm), rng.integers(200, 1200, n_llm))
    pin = np.array([m[2] for m in _MODELS])[which]
    pout = np.array([m[3] for m in _MODELS])[which]
    llm = (
        pd.DataFrame(
            {
                "ts": start + pd.to_timedelta(t_llm, unit="s"),
                "provider": np.array([m[0] for m in _MODELS])[which],
                "model": np.array([m[1] for m in _MODELS])[which],
                "tokens_in": tin.astype("int64"),
                "tokens_out": tout.astype("int64"),
                "cost_usd": (tin * pin + tout * pout) / 1e6,
                "latency_ms": rng.lognormal(np.log(900), 0.5, n_llm) * (1 + tout / 1000),
                "ok": rng.random(n_llm) > 0.015,
                "user_id": pick_users(t_llm),
                "persona": np.where(rng.random(n_llm) < 0.5, "jarvis", "music_assistant"),
                "feature": feature,
            }
        )
        .sort_values("ts", kind="stable")
        .reset_index(drop=True)
    )

    # -- sessions: one per user and active day --------------------------------------------
    first = request.groupby(["user_id", "session_id"], as_index=False).agg(t0=("ts", "min"), t1=("ts", "max"))
    t1 = first.t1 + pd.to_timedelta(rng.uniform(60, 600, len(first)), unit="s")
    session = (
        pd.concat(
            [
                pd.DataFrame(
                    {"ts": first.t0, "user_id": first.user_id, "session_id": first.session_id, "event": "start"}
                ),
                pd.DataFrame({"ts": t1, "user_id": first.user_id, "session_id": first.session_id, "event": "end"}),
            ],
            ignore_index=True,
        )
        .sort_values("ts", kind="stable")
        .reset_index(drop=True)
    )
    return {"request": request, "llm_call": llm, "health_check": health, "session": session}


def write_demo_store(db: str | os.PathLike[str], *, days: int = 30, seed: int = 7) -> dict[str, int]:
    """Replace ``db`` (and its snapshot) with a demo store; returns the row counts.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> counts = write_demo_store(pathlib.Path(tempfile.mkdtemp()) / "j.duckdb", days=1)
    >>> counts["request"] > 0
    True
    """
    from .store import Store, snapshot_path

    path = Path(db)
    for p in (path, path.with_name(path.name + ".wal"), snapshot_path(path)):
        if p.exists():
            p.unlink()
    with Store(path) as store:
        for event_type, frame in generate_demo_events(days=days, seed=seed).items():
            store.append(event_type, frame)
        return store.counts()
