from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from dawglib.events import EventSink, JsonlSpoolSink, ListSink, NullSink


def test_sinks_satisfy_protocol():
    for sink in (NullSink(), ListSink(), JsonlSpoolSink.__new__(JsonlSpoolSink)):
        assert isinstance(sink, EventSink)


def test_list_sink_keeps_order_and_types():
    sink = ListSink()
    sink.emit("llm_call", {"provider": "openai", "cost_usd": 0.01})
    sink.emit("session", {"user_id": "u1", "event": "start"})
    assert [t for t, _ in sink.events] == ["llm_call", "session"]
    assert sink.of_type("llm_call")[0]["cost_usd"] == 0.01


def test_spool_files_are_complete_and_nothing_is_lost(tmp_path):
    sink = JsonlSpoolSink(tmp_path, batch_size=7)

    def emit(i: int) -> None:
        sink.emit("llm_call", {"i": i, "tokens_in": np.int64(i), "ts": dt.datetime(2026, 1, 1, 12)})

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(emit, range(100)))
    sink.flush()
    files = sorted(tmp_path.glob("*.jsonl"))
    assert files and not list(tmp_path.glob(".*.tmp"))
    rows = [json.loads(line) for f in files for line in f.read_text().splitlines()]
    assert sorted(r["i"] for r in rows) == list(range(100))
    assert all(r["type"] == "llm_call" and r["ts"] == "2026-01-01T12:00:00+00:00" for r in rows)


def test_spool_defaults_ts_to_utc_now(tmp_path):
    sink = JsonlSpoolSink(tmp_path, batch_size=1)
    sink.emit("session", {"user_id": "u"})
    (f,) = tmp_path.glob("*.jsonl")
    ts = dt.datetime.fromisoformat(json.loads(f.read_text())["ts"])
    assert ts.tzinfo is not None and abs((dt.datetime.now(dt.UTC) - ts).total_seconds()) < 60
