"""``dawg batch FOLDER --out DIR [--scheduler ADDRESS] [--workers N] [--analyses pitch,rhythm,coach]``."""

from __future__ import annotations

import argparse

HELP = "analyse a folder of takes (pitch, rhythm, coach) into Parquet + DuckDB; resumable, local or on Dask"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``dawg batch``."""
    p.add_argument("folder", help="folder of takes (searched recursively) or one audio file")
    p.add_argument("--out", required=True, help="results folder (parts/*.parquet, corpus.duckdb); resumable")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--workers", type=int, help="local worker processes (default: all cores; 0 = in this process)")
    p.add_argument("--analyses", default="pitch,rhythm,coach", help="comma-separated (default pitch,rhythm,coach)")
    p.add_argument("--method", default="auto", help="pitch backend: auto, pyin, crepe, praat (default auto)")
    p.add_argument(
        "--reference",
        default="auto",
        help="reference MIDI for the coach: 'auto' (<take>.mid or reference.mid nearby), 'none' or a path",
    )
    p.add_argument("--device", help="torch device for --method crepe, e.g. cuda (frames batched across files)")
    p.add_argument("--retry-failed", action="store_true", help="re-run files that failed in an earlier run")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Run the corpus analysis and print what was done; returns the exit status."""
    from .batch import analyze_corpus

    ref = None if args.reference == "none" else args.reference
    result = analyze_corpus(
        args.folder,
        out=args.out,
        analyses=args.analyses,
        client=args.scheduler,
        workers=args.workers,
        reference=ref,
        pitch_method=args.method,
        device=args.device,
        retry_failed=args.retry_failed,
        progress=not args.quiet,
    )
    dup = f", {result.n_duplicates} duplicate(s) skipped" if result.n_duplicates else ""
    print(
        f"{result.n_files} files: {result.n_processed} analysed ({result.n_failed} failed), "
        f"{result.n_skipped} already done{dup}; {result.audio_s:.1f} s of audio in {result.elapsed_s:.1f} s "
        f"on {result.backend} -> {result.out}/ (corpus.duckdb, parts/)"
    )
    return 0
