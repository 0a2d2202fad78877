"""Known-answer metrics: planted logs, ingested and read back through `jarvis metrics --json`."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from jarvis_analytics import metrics
from jarvis_analytics.store import Store, open_reader

from .conftest import jarvis

T0 = pd.Timestamp("2026-11-01T00:00:00Z")


def _ev(kind: str, ts: pd.Timestamp, **fields) -> str:
    return json.dumps({"type": kind, "ts": ts.isoformat(), **fields})


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    d = tmp_path_factory.mktemp("planted")
    lines = []
    # api: 1000 requests with durations 1..1000 ms, 50 of them 5xx, spread over the day
    for i in range(1000):
        lines.append(
            _ev(
                "request",
                T0 + pd.Timedelta(seconds=60 * i + 5),
                service="api",
                endpoint="/a",
                method="GET",
                status=503 if i % 20 == 0 else (404 if i % 7 == 0 else 200),
                duration_ms=float(i + 1),
                user_id=f"u{i % 10 + 1}",
                session_id=f"s{i}",
            )
        )
    # outside the window: must not count (and makes u1 an old user)
    lines.append(
        _ev(
            "request",
            T0 - pd.Timedelta(hours=2),
            service="api",
            endpoint="/a",
            method="GET",
            status=500,
            duration_ms=99999.0,
            user_id="u1",
            session_id="old",
        )
    )
    lines.append(
        _ev(
            "request",
            T0 + pd.Timedelta(days=1),
            service="api",
            endpoint="/a",
            method="GET",
            status=500,
            duration_ms=99999.0,
            user_id="u99",
            session_id="late",
        )
    )
    # health: a 'down' carried in from before the window, then planted outages (10 + 30 + 60 min)
    checks = [(-10, "down"), (10, "up"), (360, "down"), (390, "up"), (720, "degraded"), (1380, "down")]
    for minute, status in checks:
        lines.append(
            _ev(
                "health_check",
                T0 + pd.Timedelta(minutes=minute),
                service="api",
                status=status,
                latency_ms=5.0,
                detail="",
            )
        )
    for minute in range(0, 1440, 30):
        lines.append(
            _ev(
                "health_check",
                T0 + pd.Timedelta(minutes=minute),
                service="coach",
                status="up",
                latency_ms=5.0,
                detail="",
            )
        )
    # LLM spend, exact in binary-friendly amounts
    for provider, cost, user in [
        ("openai", 0.125, "u10"),
        ("openai", 0.25, "u11"),
        ("anthropic", 1.5, "u11"),
        ("google", 0.0625, "u2"),
    ]:
        lines.append(
            _ev(
                "llm_call",
                T0 + pd.Timedelta(hours=3),
                provider=provider,
                model=f"{provider}-m",
                tokens_in=1000,
                tokens_out=100,
                cost_usd=cost,
                latency_ms=900.0,
                ok=True,
                user_id=user,
                persona="jarvis",
                feature="chat",
            )
        )
    lines.append(
        _ev(
            "llm_call",
            T0 - pd.Timedelta(days=3),
            provider="openai",
            model="openai-m",
            tokens_in=1,
            tokens_out=1,
            cost_usd=100.0,
            latency_ms=1.0,
            ok=True,
            user_id="u1",
            persona="x",
            feature="x",
        )
    )
    lines.append(_ev("session", T0 + pd.Timedelta(hours=5), user_id="u12", session_id="s-12", event="start"))
    (d / "planted.jsonl").write_text("\n".join(lines) + "\n")
    db = d / "j.duckdb"
    jarvis("ingest", str(d / "planted.jsonl"), "--db", str(db))
    return db


def test_cli_json_known_answers(planted):
    out = json.loads(
        jarvis(
            "metrics",
            "--db",
            str(planted),
            "--since",
            "2026-11-01T00:00:00Z",
            "--until",
            "2026-11-02T00:00:00Z",
            "--json",
        ).stdout
    )
    api = out["services"]["api"]
    assert api["requests"] == 1000
    assert api["error_rate"] == pytest.approx(50 / 1000, abs=1e-12)
    # quantile_cont of 1..1000: 1 + q * 999
    assert api["p50_ms"] == pytest.approx(500.5, abs=1e-9)
    assert api["p95_ms"] == pytest.approx(950.05, abs=1e-9)
    assert api["p99_ms"] == pytest.approx(990.01, abs=1e-9)
    # 10 + 30 + 60 minutes down out of 24 h; degraded counts as up
    assert api["uptime_pct"] == pytest.approx(100 * (1440 - 100) / 1440, abs=1e-6)
    assert out["services"]["coach"]["uptime_pct"] == pytest.approx(100.0)
    assert out["services"]["coach"]["requests"] == 0
    assert out["costs"]["by_provider"] == {"openai": 0.375, "anthropic": 1.5, "google": 0.0625}
    assert out["costs"]["total_usd"] == pytest.approx(1.9375)
    assert out["users"]["active"] == 12  # u1..u10 (requests), u11 (llm), u12 (session)
    assert out["users"]["new"] == 11  # u1 was seen before the window
    assert out["users"]["sessions"] == 1


def test_library_functions_agree_with_summaries(planted):
    with open_reader(planted) as r:
        since, until = T0, T0 + pd.Timedelta(days=1)
        per_min = metrics.requests_per_minute(r.con, since=since, until=until)
        assert per_min.requests.sum() == 1000 and per_min.errors_5xx.sum() == 50
        hourly = metrics.error_rate_hourly(r.con, since=since, until=until)
        assert hourly.requests.sum() == 1000 and len(hourly) == 17  # 1000 minutes = 16 h 40 min
        lat = metrics.latency_hourly(r.con, since=since, until=until)
        exact = r.query(
            "SELECT date_trunc('hour', ts) AS hour, count(*) AS n, quantile_cont(duration_ms, 0.5) AS p50, "
            "quantile_cont(duration_ms, 0.95) AS p95, quantile_cont(duration_ms, 0.99) AS p99 FROM request "
            "WHERE ts >= ? AND ts < ? GROUP BY 1 ORDER BY 1",
            [since, until],
        )
        assert lat.requests.tolist() == exact.n.tolist()
        for q in ("p50", "p95", "p99"):  # the histogram bound holds against quantile_cont itself
            ratio = lat[f"{q}_ms"].to_numpy() / exact[q].to_numpy()
            assert (abs(ratio - 1) <= 0.024).all(), (q, ratio)
        minutely = metrics.latency_minutely(r.con, since=since, until=since + pd.Timedelta(hours=1))
        assert minutely.p50_ms.tolist() == [float(i + 1) for i in range(60)]
        costs = metrics.cost_daily(r.con, since=since, until=until)
        assert costs.cost_usd.sum() == pytest.approx(1.9375)
        users = metrics.active_users_daily(r.con, since=since, until=until)
        assert users.dau.tolist() == [12] and users.new_users.tolist() == [11]
        by = metrics.llm_costs(r.con, since=since, until=until, by=("user_id", "provider"))
        assert by.iloc[0].to_dict()["user_id"] == "u11"


def test_empty_window_is_refused():
    with Store() as store, pytest.raises(Exception, match="empty window"):
        metrics.service_stats(store.con, since="2026-11-02", until="2026-11-01")


def test_user_activity_summary_matches_raw_distinct_counts(rng):
    # sparse users over ~200 days: activity crossing 64-day block edges, gaps longer than a week,
    # users whose first event is before the window, and all three event types
    store = Store()
    n = 4000
    t0 = pd.Timestamp("2026-01-01T00:00:00Z")
    ts = t0 + pd.to_timedelta(rng.uniform(0, 200 * 86400, n), unit="s")
    users = np.char.add("u", rng.integers(0, 300, n).astype(str))
    kind = rng.integers(0, 3, n)
    req, llm, ses = kind == 0, kind == 1, kind == 2
    store.append(
        "request",
        pd.DataFrame(
            {
                "ts": ts[req],
                "service": "api",
                "endpoint": "/",
                "method": "GET",
                "status": 200,
                "duration_ms": 1.0,
                "user_id": users[req],
                "session_id": "s",
            }
        ),
    )
    store.append(
        "llm_call",
        pd.DataFrame(
            {
                "ts": ts[llm],
                "provider": "p",
                "model": "m",
                "tokens_in": 1,
                "tokens_out": 1,
                "cost_usd": 0.0,
                "latency_ms": 1.0,
                "ok": True,
                "user_id": users[llm],
                "persona": "x",
                "feature": "f",
            }
        ),
    )
    store.append("session", pd.DataFrame({"ts": ts[ses], "user_id": users[ses], "session_id": "s", "event": "start"}))
    since, until = t0 + pd.Timedelta(days=60), t0 + pd.Timedelta(days=190, hours=5)
    got = metrics.active_users_daily(store.cursor(), since=since, until=until)
    want = store.query(
        """WITH ev AS (SELECT CAST(ts AS DATE) AS day, user_id FROM request
                       UNION ALL SELECT CAST(ts AS DATE), user_id FROM llm_call
                       UNION ALL SELECT CAST(ts AS DATE), user_id FROM session),
                first AS (SELECT day, count(*) AS new_users FROM (
                            SELECT user_id, min(day) AS day FROM ev GROUP BY user_id) GROUP BY day),
                days AS (SELECT DISTINCT day FROM ev WHERE day >= CAST(? AS DATE) AND day < CAST(? AS DATE))
           SELECT d.day,
                  (SELECT count(DISTINCT user_id) FROM ev WHERE ev.day = d.day) AS dau,
                  (SELECT count(DISTINCT user_id) FROM ev WHERE ev.day > d.day - 7 AND ev.day <= d.day) AS wau,
                  coalesce((SELECT new_users FROM first WHERE first.day = d.day), 0) AS new_users
           FROM days d ORDER BY d.day""",
        [since, until],
    )
    assert len(got) == len(want) > 100
    assert got.day.tolist() == want.day.tolist()
    assert got.dau.tolist() == want.dau.tolist()
    assert got.wau.tolist() == want.wau.tolist()
    assert got.new_users.tolist() == want.new_users.tolist()
    assert want.new_users.sum() > 0 and (want.wau > want.dau).any()
