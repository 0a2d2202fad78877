"""The ``jarvis`` command line (ops analytics over the DuckDB event store).

Commands that write (``demo-data``/``demo-db``, ``ingest``, ``writer``, ``monitor``) open the
store as the one writer; commands that read (``summary``, ``metrics``, ``alerts``, ``report``,
``schedule``) go through :func:`jarvis_analytics.store.open_reader` and never fight the writer's lock.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .exceptions import JarvisError

__all__ = ["main", "build_parser"]

DEFAULT_DB = Path("data") / "jarvis.duckdb"


def _parse_ts(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        ts = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise JarvisError(f"cannot read {text!r} as an ISO 8601 time (e.g. 2026-11-01T00:00:00Z)") from exc
    return ts if ts.tzinfo else ts.replace(tzinfo=dt.UTC)


def _cmd_demo_data(args: argparse.Namespace) -> int:
    from .demo import write_demo_store

    counts = write_demo_store(args.db, days=args.days, seed=args.seed)
    print(f"wrote {args.db}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    from .store import open_reader

    with open_reader(args.db) as reader:
        print(f"{args.db}: schema v{reader.schema_version()}")
        for k, v in reader.counts().items():
            print(f"  {k:13s} {v:>9d} rows")
    return 0


def _cmd_ingest(args: argparse.Namespace) -> int:
    from .ingest import ingest_paths
    from .store import Store

    with Store(args.db) as store:
        report = ingest_paths(store, args.paths, event_type=args.type)
    for f in report.files:
        rows = ", ".join(f"{k}={v}" for k, v in f.rows.items()) or "-"
        print(f"{f.status:8s} {f.path}: {rows}; quarantined {f.quarantined}")
        for problem in f.problems:
            print(f"  quarantined {problem}", file=sys.stderr)
    print(f"total: {report.rows} rows stored, {report.quarantined} quarantined")
    return 0


def _cmd_writer(args: argparse.Namespace) -> int:
    import signal
    import threading

    from .emitter import run_writer

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    rows = run_writer(args.db, spool_dir=args.spool, idle_exit_s=0.0 if args.once else None, stop=stop)
    print(f"writer stored {rows} events")
    return 0


def _cmd_metrics(args: argparse.Namespace) -> int:
    from .metrics import metrics_summary
    from .store import open_reader

    with open_reader(args.db) as reader:
        out = metrics_summary(reader.con, since=_parse_ts(args.since), until=_parse_ts(args.until))
    if args.json:
        print(json.dumps(out, indent=2, default=str))
    else:
        print(f"window {out['window']['since']} .. {out['window']['until']}")

        def fmt(v: object, spec: str) -> str:
            return "-" if v is None else format(v, spec)

        for name, m in out["services"].items():
            print(
                f"  {name:16s} {m['requests']:>8d} req  err {fmt(100 * m['error_rate'], '5.2f')} %  "
                f"p50 {fmt(m['p50_ms'], '8.1f')}  p95 {fmt(m['p95_ms'], '8.1f')}  p99 {fmt(m['p99_ms'], '8.1f')} ms  "
                f"uptime {fmt(m['uptime_pct'], '.3f')} %"
            )
        for prov, usd in out["costs"]["by_provider"].items():
            print(f"  cost {prov:12s} {usd:10.4f} USD")
        print(f"  users active {out['users']['active']}, new {out['users']['new']}")
    return 0


def _cmd_monitor(args: argparse.Namespace) -> int:
    from .health import load_config, run_monitor

    config = load_config(args.config)
    return run_monitor(config, db=args.db, once=args.once)


def _cmd_alerts(args: argparse.Namespace) -> int:
    from .alerts import list_alerts
    from .store import open_reader

    with open_reader(args.db) as reader:
        frame = list_alerts(reader.con, state=None if args.all else "firing")
    if args.json:
        print(frame.to_json(orient="records", date_format="iso"))
    elif frame.empty:
        print("no alerts" if args.all else "no firing alerts")
    else:
        for r in frame.itertuples():
            print(f"{r.ts:%Y-%m-%d %H:%M} {r.severity:8s} {r.state:8s} {r.rule}: {r.subject} — {r.message}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .reports import parse_params, run_report

    params = parse_params(args.param or [])
    run = run_report(args.name, out_dir=args.out, params=params, date=args.date and dt.date.fromisoformat(args.date))
    print(f"{run.name}: wrote {run.ipynb} and {run.html} ({run.seconds:.1f} s)")
    return 0


def _cmd_schedule(args: argparse.Namespace) -> int:
    from .reports import SCHEDULE, cron_line, run_due

    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    if args.print_cron:
        print("# JARVIS reports: every hour, run the reports whose latest slot has no output yet")
        for e in SCHEDULE:
            print(f"#   {e.name}: {days[e.weekday]}s at {e.hour:02d}:{e.minute:02d} UTC")
        print(cron_line(out_dir=args.out, db=args.db, coach_db=args.coach_db))
        return 0
    if not args.run_due:
        print("jarvis schedule: give --print-cron (the crontab line) or --run-due (run what is due)", file=sys.stderr)
        return 1
    params = {"ops-weekly": {"db": args.db}, "singer-progress": {"coach_db": args.coach_db}}
    for run in run_due(out_dir=args.out, now=_parse_ts(args.now), params=params):
        print(f"{run.name}: {'skipped, exists' if run.skipped else 'wrote'} {run.html}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``jarvis``."""
    parser = argparse.ArgumentParser(prog="jarvis", description="JARVIS ops analytics over a DuckDB event store.")
    parser.add_argument("--version", action="version", version=f"jarvis_analytics {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def db_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", default=str(DEFAULT_DB), help=f"database file (default {DEFAULT_DB})")

    for name in ("demo-data", "demo-db"):
        p = sub.add_parser(name, help="write a realistic demo month of platform activity (replaces the store)")
        db_arg(p)
        p.add_argument("--days", type=int, default=30)
        p.add_argument("--seed", type=int, default=7)
        p.set_defaults(_run=_cmd_demo_data)
    p = sub.add_parser("summary", help="row counts and schema version of a store")
    db_arg(p)
    p.set_defaults(_run=_cmd_summary)
    p = sub.add_parser("ingest", help="ingest JSONL/CSV/Parquet files or folders (idempotent)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    db_arg(p)
    p.add_argument("--type", default=None, help="force the event type of CSV/Parquet files")
    p.set_defaults(_run=_cmd_ingest)
    p = sub.add_parser("writer", help="the one writer: consume the emitters' spool folder")
    db_arg(p)
    p.add_argument("--spool", default=None, help="spool folder (default <db>.spool)")
    p.add_argument("--once", action="store_true", help="drain the spool and exit")
    p.set_defaults(_run=_cmd_writer)
    p = sub.add_parser("metrics", help="service, cost and user metrics over a window")
    db_arg(p)
    p.add_argument("--since", default=None, help="ISO 8601 start (default: the first event)")
    p.add_argument("--until", default=None, help="ISO 8601 end, exclusive (default: just after the last event)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(_run=_cmd_metrics)
    p = sub.add_parser("monitor", help="health checks with retries, flips, restart policy and alerts")
    p.add_argument("--config", default=None, help="services TOML (default: the packaged services.toml)")
    db_arg(p)
    p.add_argument("--once", action="store_true", help="one round of checks, then exit")
    p.set_defaults(_run=_cmd_monitor)
    p = sub.add_parser("alerts", help="list alerts (firing by default)")
    db_arg(p)
    p.add_argument("--all", action="store_true", help="also resolved alerts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(_run=_cmd_alerts)
    p = sub.add_parser("report", help="execute a report notebook with papermill into dated .ipynb + .html")
    p.add_argument("name", choices=["ops-weekly", "singer-progress"])
    p.add_argument("--param", action="append", metavar="K=V", help="notebook parameter (repeatable)")
    p.add_argument("--out", default="reports", help="output folder (default reports/)")
    p.add_argument("--date", default=None, help="date in the file names (default today, UTC)")
    p.set_defaults(_run=_cmd_report)
    p = sub.add_parser("schedule", help="the report schedule: a crontab line, or run what is due")
    db_arg(p)
    p.add_argument("--coach-db", default=str(Path("data") / "coach.duckdb"), help="vocal coach store")
    p.add_argument("--out", default="reports/scheduled", help="output folder (default reports/scheduled)")
    p.add_argument("--print-cron", action="store_true", help="print the crontab line that drives --run-due")
    p.add_argument("--run-due", action="store_true", help="run each report whose latest slot has no output")
    p.add_argument("--now", default=None, help=argparse.SUPPRESS)  # tests: pretend it is this time
    p.set_defaults(_run=_cmd_schedule)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``jarvis``; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "_run", None)
    if run is None:
        parser.print_help()
        return 1
    try:
        return int(run(args))
    except JarvisError as exc:
        print(f"jarvis {args.command}: error: {exc}", file=sys.stderr)
        return 2
