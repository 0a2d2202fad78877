"""Deterministic demo events for the JARVIS store (used by ``make demo``, notebooks and tests).

The generator is seeded and clock-injected, so the same ``seed`` and ``end`` always give the same
events. It simulates four services with diurnal traffic, a small share of errors, occasional
degraded/down health checks, LLM calls on three providers and user sessions.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

__all__ = ["generate_demo_events", "SERVICES"]

SERVICES = ("ai-dawg-api", "vocal-coach", "producer", "jarvis-brain")
_ENDPOINTS = {
    "ai-dawg-api": ["/projects", "/tracks", "/render"],
    "vocal-coach": ["/analyze", "/takes"],
    "producer": ["/beat", "/arrange"],
    "jarvis-brain": ["/chat", "/route"],
}
_MODELS = [
    ("openai", "gpt-4o-mini", 0.15, 0.60),
    ("anthropic", "claude-3-5-haiku", 0.80, 4.0),
    ("google", "gemini-2.0-flash", 0.10, 0.40),
]


def generate_demo_events(
    *, days: int = 7, seed: int = 7, end: dt.datetime | None = None, requests_per_hour: int = 120
) -> dict[str, pd.DataFrame]:
    """Generate demo events for each event type.

    Parameters
    ----------
    days : int
        Length of the simulated history, ending at ``end``.
    seed : int
        Random seed; same seed, same events.
    end : datetime or None
        End of the history (UTC); default midnight UTC of 2026-11-26 so outputs are reproducible.
    requests_per_hour : int
        Mean request rate per service at the daily peak.

    Returns
    -------
    events : dict[str, pandas.DataFrame]
        Keys ``request``, ``llm_call``, ``health_check``, ``session``; columns as in
        :data:`jarvis_analytics.schema.EVENT_COLUMNS`.
    """
    rng = np.random.default_rng(seed)
    end = end or dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    start = end - dt.timedelta(days=days)
    hours = pd.date_range(start, end, freq="h", inclusive="left", tz="UTC")
    users = [f"u{i:03d}" for i in range(40)]

    req_rows = []
    for service in SERVICES:
        for h in hours:
            diurnal = 0.35 + 0.65 * np.sin(np.pi * ((h.hour - 6) % 24) / 24) ** 2
            n = rng.poisson(requests_per_hour * diurnal / 4)
            if n == 0:
                continue
            offs = np.sort(rng.uniform(0, 3600, n))
            base = {"ai-dawg-api": 45, "vocal-coach": 180, "producer": 420, "jarvis-brain": 900}[service]
            dur = rng.lognormal(np.log(base), 0.45, n)
            status = np.where(rng.random(n) < 0.015, 500, np.where(rng.random(n) < 0.03, 404, 200))
            for k in range(n):
                uid = users[rng.integers(len(users))]
                req_rows.append(
                    (
                        h + pd.Timedelta(seconds=float(offs[k])),
                        service,
                        _ENDPOINTS[service][rng.integers(len(_ENDPOINTS[service]))],
                        "POST" if rng.random() < 0.6 else "GET",
                        int(status[k]),
                        float(dur[k]),
                        uid,
                        f"s-{uid}-{h.dayofyear}",
                    )
                )
    request = pd.DataFrame(
        req_rows,
        columns=["ts", "service", "endpoint", "method", "status", "duration_ms", "user_id", "session_id"],
    )

    checks = pd.date_range(start, end, freq="30s", inclusive="left", tz="UTC")
    hc = []
    for service in SERVICES:
        state = np.full(len(checks), "up", dtype=object)
        for _ in range(rng.integers(1, 3)):  # an outage or two per service
            i0 = int(rng.integers(len(checks) - 40))
            state[i0 : i0 + int(rng.integers(4, 30))] = "down"
        deg = rng.random(len(checks)) < 0.01
        state[(state == "up") & deg] = "degraded"
        lat = rng.lognormal(np.log(20), 0.3, len(checks))
        hc.append(
            pd.DataFrame(
                {
                    "ts": checks,
                    "service": service,
                    "status": state,
                    "latency_ms": lat,
                    "detail": np.where(state == "down", "connection refused", ""),
                }
            )
        )
    health = pd.concat(hc, ignore_index=True)

    n_llm = days * 24 * 20
    which = rng.integers(len(_MODELS), size=n_llm)
    tin = rng.integers(200, 4000, n_llm)
    tout = rng.integers(50, 800, n_llm)
    price_in = np.array([_MODELS[i][2] for i in which])
    price_out = np.array([_MODELS[i][3] for i in which])
    llm = pd.DataFrame(
        {
            "ts": start + pd.to_timedelta(np.sort(rng.uniform(0, days * 86400, n_llm)), unit="s"),
            "provider": [_MODELS[i][0] for i in which],
            "model": [_MODELS[i][1] for i in which],
            "tokens_in": tin,
            "tokens_out": tout,
            "cost_usd": (tin * price_in + tout * price_out) / 1e6,
            "latency_ms": rng.lognormal(np.log(900), 0.5, n_llm),
            "ok": rng.random(n_llm) > 0.02,
            "user_id": [users[i] for i in rng.integers(len(users), size=n_llm)],
            "persona": np.where(rng.random(n_llm) < 0.5, "jarvis", "music_assistant"),
            "feature": rng.choice(["chat", "coach_feedback", "producer_prompt"], n_llm),
        }
    )

    sess = []
    for day in range(days):
        for uid in users:
            if rng.random() < 0.5:
                t0 = start + dt.timedelta(days=day, seconds=float(rng.uniform(0, 80000)))
                sid = f"s-{uid}-{t0.timetuple().tm_yday}"
                sess.append((t0, uid, sid, "start"))
                sess.append((t0 + dt.timedelta(minutes=float(rng.uniform(3, 90))), uid, sid, "end"))
    session = pd.DataFrame(sess, columns=["ts", "user_id", "session_id", "event"])
    return {"request": request, "llm_call": llm, "health_check": health, "session": session}
