"""Many processes emit while the one writer ingests and a reader queries; kill -9 of the writer."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jarvis_analytics.emitter import Emitter, drain_spool
from jarvis_analytics.store import Store, open_reader

from .conftest import ROOT

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

PRODUCER = """
import sys
from jarvis_analytics.emitter import Emitter
spool, k, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with Emitter(spool, batch_size=2500) as em:
    for i in range(n):
        em.emit("request", ts="2026-11-01T00:00:00Z", service=f"svc{k}", endpoint="/x", method="GET",
                status=200, duration_ms=float(i % 100), user_id=f"u{i % 50}", session_id=f"p{k}-{i}")
"""

READER = """
import json, sys, time
from pathlib import Path
from jarvis_analytics.store import open_reader
db, stop, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
queries = errors = 0
messages = []
while not stop.exists():
    try:
        with open_reader(db) as r:
            r.query("SELECT service, count(*) FROM request GROUP BY service")
        queries += 1
    except Exception as exc:
        errors += 1
        messages.append(repr(exc)[:300])
    time.sleep(0.02)
out.write_text(json.dumps({"queries": queries, "errors": errors, "messages": messages[:5]}))
"""


def _writer(db: Path, spool: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "jarvis_analytics", "writer", "--db", str(db), "--spool", str(spool), *extra],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _wait(predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


@pytest.mark.slow
def test_four_emitters_one_writer_one_reader(tmp_path):
    db, spool = tmp_path / "j.duckdb", tmp_path / "spool"
    with Store(db) as store:  # create the store (and its first snapshot) before the reader starts
        store.publish_snapshot(force=True)
    writer = _writer(db, spool)
    stop, out = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db), str(stop), str(out)], env=ENV)
    producers = [
        subprocess.Popen([sys.executable, "-c", PRODUCER, str(spool), str(k), "25000"], env=ENV) for k in range(4)
    ]
    try:
        assert [p.wait(120) for p in producers] == [0, 0, 0, 0]
        _wait(lambda: not list(spool.glob("*.jsonl")), 120, "spool not drained")
    finally:
        writer.send_signal(signal.SIGTERM)
        writer_out = writer.communicate(timeout=60)[0].decode()
        stop.touch()
        reader.wait(60)
    assert writer.returncode == 0, writer_out
    result = json.loads(out.read_text())
    assert result["errors"] == 0, result["messages"]
    assert result["queries"] > 0
    with open_reader(db) as r:
        got = r.query("SELECT count(*) AS n, count(DISTINCT session_id) AS d FROM request")
        per = r.query("SELECT service, count(*) AS n FROM request GROUP BY service ORDER BY service")
        # the summaries merged by the one writer agree with the raw rows
        per_minute = r.query("SELECT service, sum(requests) AS n FROM request_minute GROUP BY 1 ORDER BY 1")
        hist = r.query("SELECT sum(n) AS n FROM request_hist_hour")
        users = r.query("SELECT count(*) AS n, bit_count(max(days)) AS d FROM user_activity")
    assert got.n[0] == 100_000 and got.d[0] == 100_000  # 0 lost, 0 duplicated
    assert per.n.tolist() == [25_000] * 4
    assert per_minute.n.tolist() == [25_000] * 4 and hist.n[0] == 100_000
    assert users.n[0] == 50 and users.d[0] == 1


@pytest.mark.slow
def test_kill_9_of_the_writer_loses_no_committed_event(tmp_path):
    db, spool = tmp_path / "j.duckdb", tmp_path / "spool"
    n_files, per_file = 60, 1000
    with Emitter(spool, batch_size=per_file) as em:
        for i in range(n_files * per_file):
            em.emit("session", ts="2026-11-01T00:00:00Z", user_id=f"u{i % 10}", session_id=f"s{i}", event="start")
    writer = _writer(db, spool)
    _wait(lambda: len(list(spool.glob("*.jsonl"))) <= n_files - 5, 60, "writer made no progress")
    writer.send_signal(signal.SIGKILL)  # mid-ingest: files are still waiting
    writer.wait(10)
    left = len(list(spool.glob("*.jsonl")))
    assert 0 < left < n_files
    # the restarted writer replays DuckDB's WAL, skips the committed files, ingests the rest
    with Store(db) as store:
        drain_spool(store, spool)
        got = store.query("SELECT count(*) AS n, count(DISTINCT session_id) AS d FROM session")
        users = store.query("SELECT count(*) AS n, bit_count(max(days)) AS d FROM user_activity")
    assert got.n[0] == n_files * per_file and got.d[0] == n_files * per_file
    assert users.n[0] == 10 and users.d[0] == 1
    assert not list(spool.glob("*.jsonl"))


def test_spool_file_committed_but_not_deleted_is_not_ingested_twice(tmp_path):
    spool = tmp_path / "spool"
    with Emitter(spool) as em:
        em({"type": "session", "ts": "2026-11-01T00:00:00Z", "user_id": "u", "session_id": "s", "event": "start"})
    (f,) = spool.glob("*.jsonl")
    copy = f.read_bytes()
    with Store(tmp_path / "j.duckdb") as store:
        assert drain_spool(store, spool).rows == 1
        f.write_bytes(copy)  # as if the writer died between COMMIT and unlink
        report = drain_spool(store, spool)
        assert report.rows == 0 and report.files[0].status == "skipped"
        assert store.counts()["session"] == 1
    with open_reader(tmp_path / "j.duckdb") as r:
        assert r.counts()["session"] == 1
