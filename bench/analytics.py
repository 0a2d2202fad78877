"""Ops analytics: Parquet ingest speed and every dashboard query at 1 M and 10 M request events,
DuckDB (jarvis_analytics, summary tables kept on ingest) vs pandas on the raw events, side by side.

Run from bench/: ``python analytics.py [--quick]`` (--quick: 1 M only). Writes the section
"analytics" of docs/benchmarks.md. One thread for both engines in the query comparison.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from _report import write_section  # noqa: E402

from jarvis_analytics import metrics  # noqa: E402
from jarvis_analytics.ingest import ingest_file  # noqa: E402
from jarvis_analytics.store import Store, open_reader  # noqa: E402

HERE = Path(__file__).resolve().parent
WORK = HERE / "_data" / "analytics"
SERVICES = np.array(["daw-backend", "vocal-coach", "producer", "brain"])
END = pd.Timestamp("2026-11-26", tz="UTC")
DAYS = 30
CHUNK = 1_000_000


def make_requests(n: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    start = END - pd.Timedelta(days=DAYS)
    t = np.sort(rng.uniform(0, DAYS * 86400, n))
    svc = rng.integers(0, 4, n)
    uid = rng.integers(0, 20_000, n)
    return pa.table(
        {
            "ts": pa.array((start + pd.to_timedelta(t, unit="s")).to_numpy(), type=pa.timestamp("us", tz="UTC")),
            "service": pa.array(SERVICES[svc]).dictionary_encode().cast(pa.string()),
            "endpoint": pa.array(np.array(["/a", "/b", "/c"])[rng.integers(0, 3, n)]),
            "method": pa.array(np.where(rng.random(n) < 0.6, "POST", "GET")),
            "status": pa.array(np.where(rng.random(n) < 0.01, 500, 200).astype("int32")),
            "duration_ms": pa.array(rng.lognormal(np.log(100) + svc * 0.5, 0.5)),
            "user_id": pa.array(np.char.add("u", uid.astype(str))),
            "session_id": pa.array(np.char.add("s", (uid * 31 + (t // 86400).astype(int)).astype(str))),
        }
    )


def side_tables(seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    start = END - pd.Timedelta(days=DAYS)
    checks = pd.date_range(start, END, freq="30s", inclusive="left")
    hc = pd.concat(
        [
            pd.DataFrame(
                {
                    "ts": checks,
                    "service": s,
                    "status": np.where(rng.random(len(checks)) < 0.002, "down", "up"),
                    "latency_ms": 10.0,
                    "detail": "",
                }
            )
            for s in SERVICES
        ],
        ignore_index=True,
    )
    n = 300_000
    llm = pd.DataFrame(
        {
            "ts": start + pd.to_timedelta(np.sort(rng.uniform(0, DAYS * 86400, n)), unit="s"),
            "provider": rng.choice(["openai", "anthropic", "google"], n),
            "model": "m",
            "tokens_in": rng.integers(100, 4000, n),
            "tokens_out": rng.integers(10, 800, n),
            "cost_usd": rng.uniform(0.0001, 0.02, n),
            "latency_ms": 900.0,
            "ok": True,
            "user_id": np.char.add("u", rng.integers(0, 20_000, n).astype(str)),
            "persona": "jarvis",
            "feature": "chat",
        }
    )
    return {"health_check": hc, "llm_call": llm}


def timeit(fn, repeats: int = 5, *, warm: bool = True) -> float:
    """Median wall time (s) of ``repeats`` calls of ``fn``, after one untimed call when ``warm``."""
    if warm:
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def dashboard_queries(con, raw: dict[str, pd.DataFrame]):
    now = END
    last_h, last_d = now - pd.Timedelta(hours=1), now - pd.Timedelta(days=1)
    d28, d7 = now - pd.Timedelta(days=28), now - pd.Timedelta(days=7)
    req, hc, llm = raw["request"], raw["health_check"], raw["llm_call"]

    def pd_rpm():
        r = req[req.ts >= last_h]
        return r.groupby([r.ts.dt.floor("min"), "service"]).size()

    def pd_pct(since, freq):
        r = req[req.ts >= since]
        return r.groupby([r.ts.dt.floor(freq), "service"]).duration_ms.quantile([0.5, 0.95, 0.99])

    def pd_err():
        r = req[req.ts >= d28]
        return (r.status >= 500).groupby([r.ts.dt.floor("h"), r.service]).mean()

    def pd_uptime():
        h = hc[hc.ts >= d7].sort_values(["service", "ts"])
        nxt = h.groupby("service").ts.shift(-1).fillna(now)
        dur = (nxt - h.ts).dt.total_seconds()
        return dur.where(h.status != "down", 0).groupby(h.service).sum() / dur.groupby(h.service).sum()

    def pd_cost():
        r = llm[llm.ts >= d28]
        return r.groupby([r.ts.dt.floor("D"), "provider"]).cost_usd.sum()

    def pd_dau():
        ev = pd.concat([req[["ts", "user_id"]], llm[["ts", "user_id"]]])
        day = ev.ts.dt.floor("D")
        dau = ev.groupby(day).user_id.nunique()
        sets = ev.groupby(day).user_id.agg(set)
        wau = [len(set().union(*sets.iloc[max(0, i - 6) : i + 1])) for i in range(len(sets))]
        return dau, wau

    m = metrics
    return [
        ("requests/min per service, last hour", lambda: m.requests_per_minute(con, since=last_h, until=now), pd_rpm),
        (
            "p50/p95/p99 per service per minute, 24 h (exact, raw)",
            lambda: metrics.latency_minutely(con, since=last_d, until=now),
            lambda: pd_pct(last_d, "min"),
        ),
        (
            "p50/p95/p99 per service per hour, 28 days (histograms ±2.4 %)",
            lambda: metrics.latency_hourly(con, since=d28, until=now),
            lambda: pd_pct(d28, "h"),
        ),
        ("5xx rate per service per hour, 28 days", lambda: m.error_rate_hourly(con, since=d28, until=now), pd_err),
        ("time-weighted uptime per service, 7 days", lambda: metrics.uptime(con, since=d7, until=now), pd_uptime),
        ("LLM cost per provider per day, 28 days", lambda: metrics.cost_daily(con, since=d28, until=now), pd_cost),
        ("DAU + rolling WAU + new users", lambda: metrics.active_users_daily(con, since=d28, until=now), pd_dau),
    ]


def histogram_accuracy(con, n_events: int) -> str:
    """Hourly histogram percentiles (28 days) vs exact ``quantile_cont`` on the raw events, in ms."""
    since, until = END - pd.Timedelta(days=28), END
    approx = metrics.latency_hourly(con, since=since, until=until)
    exact = con.execute(
        """SELECT date_trunc('hour', ts) AS hour, service, quantile_cont(duration_ms, 0.5) AS p50_ms,
                  quantile_cont(duration_ms, 0.95) AS p95_ms, quantile_cont(duration_ms, 0.99) AS p99_ms
           FROM request WHERE ts >= ? AND ts < ? GROUP BY ALL""",
        [since, until],
    ).df()
    both = approx.merge(exact, on=["hour", "service"], suffixes=("", "_exact"))
    assert len(both) == len(approx) == len(exact)
    cells = []
    for q in ("p50_ms", "p95_ms", "p99_ms"):
        err = (both[q] - both[q + "_exact"]).abs()
        rel = 100 * err / both[q + "_exact"]
        cells.append(
            f"{err.median():.1f} / {err.max():.1f} ms ({rel.median():.2f} / {rel.max():.2f} %, "
            f"exact median {both[q + '_exact'].median():.0f} ms)"
        )
    return f"| {n_events / 1e6:.0f} M | {len(both)} | " + " | ".join(cells) + " |"


def run(n_events: int, lines: list[str], summary: list[str], accuracy: list[str]) -> None:
    work = WORK / f"n{n_events}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    files = []
    for k in range(n_events // CHUNK):
        path = work / f"request_{k:03d}.parquet"
        pq.write_table(make_requests(CHUNK, seed=k), path, row_group_size=122_880)
        files.append(path)
    db = work / "jarvis.duckdb"
    side = side_tables(99)
    os.sync()  # the files to ingest are on disk already: do not charge their write-back to the ingest
    with Store(":memory:") as scratch:  # warm-up (imports, page cache, thread pool), not timed
        ingest_file(scratch, files[0])
    ingest_s = ingest_cpu_s = 0.0
    per_file = []
    with Store(db, snapshot_interval_s=1e9) as store:
        for name, frame in side.items():
            store.append(name, frame)
        for path in files:
            t0, c0 = time.perf_counter(), time.process_time()
            rep = ingest_file(store, path)
            per_file.append(time.perf_counter() - t0)
            ingest_s += per_file[-1]
            ingest_cpu_s += time.process_time() - c0
            assert rep.total_rows == CHUNK, rep
        again = ingest_file(store, files[0])  # idempotent: the same file again adds nothing
        assert again.status == "skipped" and store.counts()["request"] == n_events
        t0 = time.perf_counter()
        store.publish_snapshot(force=True)
        snap_s = time.perf_counter() - t0
    size_mb = db.stat().st_size / 2**20
    median = CHUNK / statistics.median(per_file) / 1e6
    summary.append(
        f"| {n_events / 1e6:.0f} M | {n_events / ingest_s / 1e6:.2f} M rows/s ({ingest_s:.1f} s, "
        f"{len(files)} files of 1 M) | {median:.2f} M rows/s | {ingest_cpu_s / (n_events / 1e6):.2f} s "
        f"| {snap_s * 1000:.0f} ms ({size_mb:.0f} MiB) | {os.getloadavg()[0]:.1f} |"
    )
    print(summary[-1], flush=True)
    req = pq.read_table(files).to_pandas()
    req["ts"] = req["ts"].astype("datetime64[ns, UTC]")
    for frame in side.values():
        frame["ts"] = frame["ts"].astype("datetime64[ns, UTC]")
    raw = {"request": req, **side}
    with open_reader(db) as reader:
        reader.con.execute("SET threads = 1")
        accuracy.append(histogram_accuracy(reader.con, n_events))
        for name, duck, pand in dashboard_queries(reader.con, raw):
            t_d = timeit(duck)
            t_p = timeit(pand, repeats=3)
            ok = "✓" if t_d <= 0.1 else "✗"
            n_m = n_events / 1e6
            lines.append(
                f"| {name} | {n_m:.0f} M | {1000 * t_d:.1f} ms {ok} | {1000 * t_p:.0f} ms | {t_p / t_d:.1f}× |"
            )
            print(lines[-1], flush=True)
    del raw
    shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="1 M events only")
    args = ap.parse_args()
    sizes = [1_000_000] if args.quick else [1_000_000, 10_000_000]
    lines: list[str] = []
    summary: list[str] = []
    accuracy: list[str] = []
    for n in sizes:
        run(n, lines, summary, accuracy)
    body = "\n".join(
        [
            "Ops dashboard queries over the JARVIS store (`jarvis_analytics.metrics`, schema v3 summary tables merged on ingest)",
            "vs pandas 3 on the raw events in memory; both one thread; median of 5 (DuckDB) / 3 (pandas) runs after",
            "a warm-up. Events: N request rows over 30 days (4 services, 20 000 users) + 345 600 health checks +",
            "300 000 LLM calls. Goal: every dashboard query ≤ 100 ms at 10 M events (✓/✗).",
            "",
            "| query | events | DuckDB (jarvis) | pandas | pandas / DuckDB |",
            "|---|---|---|---|---|",
            *lines,
            "",
            "Latency percentiles per service per hour from the log-spaced histograms (`latency_hourly`, bin",
            "centre, 50 bins per decade) vs exact `quantile_cont` on the raw events, 28 days: median / max",
            "absolute error over all (hour, service) cells. The per-minute query is exact (raw events).",
            "",
            "| events | cells | p50 error | p95 error | p99 error |",
            "|---|---|---|---|---|",
            *accuracy,
            "",
            "Ingest (`ingest_file` per 1 M-row Parquet file, each spanning the 30 days: SHA-256, validation",
            "predicates + quarantine, `INSERT ... SELECT` from `read_parquet`, summary `MERGE`s, ingested-file",
            "key, commit; DuckDB default threads, 2 cores; the summary aggregates run on a second connection",
            "while the writer inserts; one untimed warm-up file first) and snapshot publication (CHECKPOINT + copy +",
            "atomic rename). CPU s = process CPU time per 1 M rows (all threads), steadier than wall time on",
            "a shared machine (other jobs ran: see the load average; wall rates varied 0.7-1.8 M rows/s over five",
            "runs at the same CPU cost of 1.0-1.1 s per 1 M rows). Re-ingesting a file adds nothing (checked).",
            "",
            "| events | Parquet ingest (all files) | median file | CPU s per 1 M rows | snapshot | load avg (1 min) |",
            "|---|---|---|---|---|---|",
            *summary,
            "",
            "Before (schema v2: `date_trunc`/`CAST AS DATE` through ICU, `INSERT ... ON CONFLICT` upserts into",
            "primary-keyed summaries, per-user-per-day rows, a staged copy of every file), same bench:",
            "0.20 / 0.48 M rows/s at 1 M / 10 M; at 10 M: p99 per minute 115.9 ms, hourly percentiles",
            "143.9 ms, DAU + WAU 356.8 ms.",
        ]
    )
    write_section("analytics", body)
    print(body)


if __name__ == "__main__":
    main()
