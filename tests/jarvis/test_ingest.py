"""Schema migration, the one writer, idempotent ingest with quarantine, and the reader API."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jarvis_analytics import metrics
from jarvis_analytics.exceptions import IngestError, StoreError
from jarvis_analytics.ingest import ingest_paths
from jarvis_analytics.schema import MIGRATIONS, SCHEMA_VERSION
from jarvis_analytics.store import Store, open_reader, snapshot_path

from .conftest import jarvis


def _requests(n: int, *, t0: str = "2026-11-01T00:00:00Z") -> pd.DataFrame:
    ts = pd.Timestamp(t0) + pd.to_timedelta(range(n), unit="s")
    return pd.DataFrame(
        {
            "ts": ts,
            "service": ["producer"] * n,
            "endpoint": ["/beat"] * n,
            "method": ["POST"] * n,
            "status": [200] * n,
            "duration_ms": [float(i + 1) for i in range(n)],
            "user_id": [f"u{i % 7}" for i in range(n)],
            "session_id": [f"s{i}" for i in range(n)],
        }
    )


def _old_store(db, version: int) -> None:
    con = duckdb.connect(str(db))
    con.execute("SET TimeZone = 'UTC'")
    for v in range(1, version + 1):
        for stmt in MIGRATIONS[v]:
            con.execute(stmt)
        con.execute("INSERT INTO schema_version VALUES (?, now())", [v])
    frame = _requests(120)  # noqa: F841 - used by name in SQL
    con.execute("INSERT INTO request SELECT * FROM frame")
    if version >= 2:  # a version-2 writer kept its summaries (user_day) up to date
        con.execute("INSERT INTO user_day SELECT DISTINCT CAST(ts AS DATE), user_id FROM request")
        con.execute(
            "INSERT INTO request_minute SELECT date_trunc('minute', ts), service, count(*), 0, sum(duration_ms) "
            "FROM request GROUP BY ALL"
        )
    con.close()


@pytest.mark.parametrize("version", [1, 2])
def test_migrates_an_old_store_and_backfills_summaries(tmp_path, version):
    db = tmp_path / "old.duckdb"
    _old_store(db, version)
    with Store(db) as store:
        assert store.schema_version() == SCHEMA_VERSION == 3
        minutes = store.query("SELECT sum(requests) AS n, count(*) AS m FROM request_minute")
        assert minutes.n[0] == 120 and minutes.m[0] == 2
        # 7 users, all active on 2026-11-01 only (day 20758 since 1970 = block 324, bit 22)
        act = store.query("SELECT count(*) AS n, min(block) AS b, max(days) AS d FROM user_activity")
        assert act.n[0] == 7 and act.b[0] == 20758 // 64 == 324 and act.d[0] == 1 << (20758 % 64)
        tables = set(store.query("SELECT table_name FROM information_schema.tables").table_name)
        assert "user_day" not in tables
        # the summaries keep merging after the migration (no primary key left to conflict on)
        store.append("request", _requests(60, t0="2026-11-01T00:01:00Z"))
        minutes = store.query("SELECT minute, requests FROM request_minute ORDER BY minute")
        assert minutes.requests.tolist() == [60, 120]
        users = metrics.active_users_daily(store.cursor())
        assert users[["dau", "wau", "new_users"]].values.tolist() == [[7, 7, 7]]


def test_newer_schema_is_refused(tmp_path):
    db = tmp_path / "new.duckdb"
    with Store(db) as store:
        store.con.execute("INSERT INTO schema_version VALUES (99, now())")
    with pytest.raises(Exception, match="newer than this code"):
        Store(db)


def test_jsonl_csv_parquet_with_quarantine_and_idempotence(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    lines = [
        {
            "type": "request",
            "ts": "2026-11-01T10:00:00Z",
            "service": "api",
            "endpoint": "/a",
            "method": "GET",
            "status": 200,
            "duration_ms": 12.5,
            "user_id": "u1",
            "session_id": "s1",
        },
        "{not json",
        {"type": "request", "ts": "2026-11-01T10:00:01", "service": "api", "status": "abc", "duration_ms": 3},
        {
            "type": "llm_call",
            "ts": "2026-11-01T10:00:02+01:00",
            "provider": "openai",
            "model": "gpt-4o-mini",
            "tokens_in": 100,
            "tokens_out": 20,
            "cost_usd": 0.001,
            "latency_ms": 800,
            "ok": True,
            "user_id": "u2",
        },
        {"type": "health_check", "ts": "2026-11-01T10:00:03Z", "service": "api", "status": "sideways"},
        {"type": "telemetry", "ts": "2026-11-01T10:00:04Z"},
        {"type": "session", "ts": "2026-11-01T10:00:05Z", "user_id": "u3", "session_id": "s9", "event": "start"},
    ]
    (src / "events.jsonl").write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    (src / "request_batch.csv").write_text(
        "ts,service,endpoint,method,status,duration_ms,user_id,session_id\n"
        "2026-11-01 11:00:00,api,/a,GET,200,10,u1,s1\n"
        "2026-11-01 11:00:01,api,/a,GET,500,-4,u1,s1\n"
        "2026-11-01 11:00:02,api,/a,GET,503,30,,\n"
    )
    pq.write_table(pa.Table.from_pandas(_requests(50), preserve_index=False), src / "bulk.parquet")

    proc = jarvis("ingest", str(src), "--db", str(tmp_path / "j.duckdb"))
    assert "total: 55 rows stored, 5 quarantined" in proc.stdout
    # file:line of every malformed row is reported
    for where in (
        "events.jsonl:2:",
        "events.jsonl:3: status: cannot read abc",
        "events.jsonl:5: status: sideways",
        "events.jsonl:6: type: 'telemetry'",
        "request_batch.csv:3: duration_ms: negative",
    ):
        assert where in proc.stderr, where
    again = jarvis("ingest", str(src), "--db", str(tmp_path / "j.duckdb"))
    assert "total: 0 rows stored, 0 quarantined" in again.stdout and again.stdout.count("skipped") == 3

    with open_reader(tmp_path / "j.duckdb") as r:
        assert r.counts() == {"request": 53, "llm_call": 1, "health_check": 0, "session": 1}
        q = r.query("SELECT source, line, reason, raw FROM quarantine ORDER BY source, line")
        assert len(q) == 5 and q.raw.notna().all()
        # a timestamp with a zone is converted, one without is UTC
        ts = r.query("SELECT ts FROM llm_call").ts[0]
        assert ts == pd.Timestamp("2026-11-01T09:00:02Z")
        assert r.query("SELECT count(*) AS n FROM request WHERE ts = '2026-11-01 11:00:00+00'").n[0] == 1


def test_file_without_type_hint_is_refused(tmp_path):
    f = tmp_path / "mystery.csv"
    f.write_text("a,b\n1,2\n")
    with Store(":memory:") as store, pytest.raises(IngestError, match="cannot tell the event type"):
        ingest_paths(store, [f])


def test_reader_uses_snapshot_while_writer_holds_the_file(tmp_path):
    db = tmp_path / "j.duckdb"
    store = Store(db, snapshot_interval_s=0.0)
    store.append("request", _requests(10))
    assert store.publish_snapshot() == snapshot_path(db)
    # the DuckDB file itself is locked by this writer: a plain read-only open fails ...
    with pytest.raises(StoreError):
        Store(db.with_name("other"), read_only=True)
    # ... while the reader API and Store(read_only=True) read the published snapshot
    with open_reader(db) as r:
        assert r.counts()["request"] == 10
    with Store(db, read_only=True) as r2:
        assert r2.counts()["request"] == 10
    store.append("request", _requests(5, t0="2026-11-02T00:00:00Z"))
    store.close()
    with open_reader(db) as r:
        assert r.counts()["request"] == 15


def test_llm_call_with_unknown_price_is_stored_not_quarantined(tmp_path):
    # the brain reports cost_usd=None when a model has no known price: "unknown", never a silent $0
    path = tmp_path / "calls.jsonl"
    rows = [
        {
            "type": "llm_call",
            "ts": "2026-11-01T00:00:00Z",
            "provider": "openai",
            "model": "gpt-x",
            "tokens_in": 10,
            "tokens_out": 5,
            "cost_usd": None,
            "latency_ms": 100.0,
            "ok": True,
            "user_id": "u1",
            "persona": "jarvis",
            "feature": "chat",
        },
        {
            "type": "llm_call",
            "ts": "2026-11-01T00:00:01Z",
            "provider": "openai",
            "model": "gpt-4o-mini",
            "tokens_in": 10,
            "tokens_out": 5,
            "cost_usd": 0.25,
            "latency_ms": 100.0,
            "ok": True,
            "user_id": "u1",
            "persona": "jarvis",
            "feature": "chat",
        },
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    db = tmp_path / "j.duckdb"
    with Store(db) as store:
        report = ingest_paths(store, [path])
        assert report.quarantined == 0
        got = store.con.execute("SELECT model, cost_usd FROM llm_call ORDER BY ts").fetchall()
    assert got == [("gpt-x", None), ("gpt-4o-mini", 0.25)]


def _summaries_match_raw(store: Store) -> None:
    checks = {
        "request_minute": (
            "SELECT minute, service, requests, errors_5xx, round(sum_duration_ms, 6) AS d FROM request_minute",
            """SELECT date_trunc('minute', ts) AS minute, service, count(*) AS requests,
                      count(*) FILTER (WHERE status >= 500) AS errors_5xx, round(sum(duration_ms), 6) AS d
               FROM request GROUP BY ALL""",
        ),
        "request_hist_hour": (
            "SELECT hour, service, bin, n FROM request_hist_hour",
            """SELECT date_trunc('hour', ts) AS hour, service,
                      CAST(floor(50 * log10(greatest(duration_ms, 0.001))) AS INTEGER) AS bin, count(*) AS n
               FROM request GROUP BY ALL""",
        ),
        "user_activity": (
            "SELECT user_id, block, days FROM user_activity",
            """SELECT user_id, CAST(floor(d / 64) AS INTEGER) AS block,
                      bit_or(CAST(1 AS UBIGINT) << CAST(d - 64 * floor(d / 64) AS UBIGINT)) AS days
               FROM (SELECT user_id, CAST(ts AS DATE) - DATE '1970-01-01' AS d FROM (
                       SELECT ts, user_id FROM request UNION ALL SELECT ts, user_id FROM llm_call
                       UNION ALL SELECT ts, user_id FROM session) WHERE user_id IS NOT NULL)
               GROUP BY ALL""",
        ),
    }
    for table, (got_sql, want_sql) in checks.items():
        got = store.query(f"SELECT * FROM ({got_sql}) ORDER BY ALL")
        want = store.query(f"SELECT * FROM ({want_sql}) ORDER BY ALL")
        assert len(got) == len(want) > 0, table
        assert got.values.tolist() == want.values.tolist(), table


def test_parquet_fast_path_quarantines_by_line_and_keeps_summaries_exact(tmp_path):
    good = _requests(300)
    good.loc[[7, 150], "duration_ms"] = [-1.0, -2.5]  # rows 8 and 151 of the file
    good.loc[42, "service"] = None  # row 43
    good["status"] = good["status"].astype("int32")
    good.loc[::13, "status"] = 503
    typed = tmp_path / "request_typed.parquet"
    pq.write_table(pa.Table.from_pandas(good, preserve_index=False), typed)
    # the same events again as strings (the cast path), overlapping the first file's minutes
    other = _requests(200, t0="2026-11-01T00:02:30Z").astype(str)
    other.loc[5, "status"] = "n/a"  # row 6
    other["ts"] = other["ts"].str.replace("+00:00", "Z")
    strings = tmp_path / "request_strings.parquet"
    pq.write_table(pa.Table.from_pandas(other, preserve_index=False), strings)
    db = tmp_path / "j.duckdb"
    with Store(db) as store:
        report = ingest_paths(store, [typed, strings])
        assert report.rows == 297 + 199 and report.quarantined == 4
        problems = [p for f in report.files for p in f.problems]
        assert any(p.endswith("request_typed.parquet:8: duration_ms: negative (-1.0)") for p in problems), problems
        assert any(p.endswith("request_typed.parquet:43: service: missing") for p in problems), problems
        assert any(p.endswith("request_typed.parquet:151: duration_ms: negative (-2.5)") for p in problems)
        assert any(p.endswith("request_strings.parquet:6: status: cannot read n/a as INTEGER") for p in problems)
        q = store.query("SELECT line FROM quarantine ORDER BY source, line").line.tolist()
        assert q == [6, 8, 43, 151]
        # the same files again: nothing added, summaries unchanged
        again = ingest_paths(store, [typed, strings])
        assert again.rows == 0 and [f.status for f in again.files] == ["skipped", "skipped"]
        # trusted appends and other event types keep the summaries in step
        store.append("request", _requests(30, t0="2026-11-01T00:04:10Z"))
        store.append(
            "session",
            pd.DataFrame(
                {
                    "ts": [pd.Timestamp("2026-11-03T00:00:00Z")],
                    "user_id": ["u1"],
                    "session_id": ["s"],
                    "event": ["start"],
                }
            ),
        )
        assert store.counts()["request"] == 297 + 199 + 30
        _summaries_match_raw(store)
