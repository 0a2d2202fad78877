"""The ``jarvis`` command line (ops analytics over the DuckDB event store)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .exceptions import JarvisError

__all__ = ["main", "build_parser"]

DEFAULT_DB = Path("data") / "jarvis.duckdb"


def _cmd_demo_db(args: argparse.Namespace) -> int:
    from .demo import generate_demo_events
    from .store import Store

    path = Path(args.db)
    if path.exists():
        path.unlink()
    with Store(path) as store:
        for event_type, frame in generate_demo_events(days=args.days, seed=args.seed).items():
            store.append(event_type, frame)
        counts = store.counts()
    print(f"wrote {path}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    from .store import Store

    if not Path(args.db).exists():
        raise JarvisError(f"no event store at {args.db!r}; create one with 'jarvis demo-db'")
    with Store(args.db, read_only=True) as store:
        print(f"{args.db}: schema v{store.schema_version()}")
        for k, v in store.counts().items():
            print(f"  {k:13s} {v:>9d} rows")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``jarvis``."""
    parser = argparse.ArgumentParser(prog="jarvis", description="JARVIS ops analytics over a DuckDB event store.")
    parser.add_argument("--version", action="version", version=f"jarvis_analytics {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("demo-db", help="write a deterministic demo event store")
    p.add_argument("--db", default=str(DEFAULT_DB), help=f"database file (default {DEFAULT_DB})")
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(_run=_cmd_demo_db)
    p = sub.add_parser("summary", help="row counts and schema version of a store")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.set_defaults(_run=_cmd_summary)
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
