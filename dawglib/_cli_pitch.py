"""``dawg pitch FILE [--method M] [--json OUT | --csv OUT]``: frames and notes of an audio file."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

HELP = "pitch track (frames) and notes of an audio file"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``dawg pitch``."""
    from .pitch import METHODS

    p.add_argument("file", help="audio file (wav, flac, ogg, mp3, ...)")
    p.add_argument("--method", default="auto", choices=METHODS, help="pitch backend (default: auto, ours)")
    p.add_argument("--fmin", type=float, default=65.0, dest="fmin_hz", help="lowest pitch in Hz (default 65)")
    p.add_argument("--fmax", type=float, default=1100.0, dest="fmax_hz", help="highest pitch in Hz (default 1100)")
    p.add_argument("--tolerance", type=float, default=15.0, dest="tolerance_cents", help="in-tune tolerance (cents)")
    p.add_argument("--frames", action="store_true", help="print every frame, not only the notes")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", metavar="OUT", help="write frames and notes as JSON ('-' for stdout)")
    out.add_argument("--csv", metavar="OUT", help="write the frames as CSV ('-' for stdout)")


def _clean(v: object) -> object:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def run(args: argparse.Namespace) -> int:
    """Track, segment and print (or write) the result; returns the exit status."""
    from .io import load_audio
    from .pitch import notes, notes_to_frame, track

    y, sr = load_audio(args.file)
    tr = track(y, sr=sr, method=args.method, fmin_hz=args.fmin_hz, fmax_hz=args.fmax_hz)
    ns = notes(tr, tolerance_cents=args.tolerance_cents)
    frames = tr.to_frame()
    table = notes_to_frame(ns)
    if args.json:
        doc = {
            "file": str(args.file),
            "sr": sr,
            "method": tr.method,
            "hop_length": tr.hop_length,
            "frames": [{k: _clean(v) for k, v in r.items()} for r in frames.to_dict(orient="records")],
            "notes": [{k: _clean(v) for k, v in r.items()} for r in table.to_dict(orient="records")],
        }
        text = json.dumps(doc, indent=1, default=lambda o: o.item() if hasattr(o, "item") else str(o))
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n")
            print(f"wrote {len(frames)} frames and {len(ns)} notes to {args.json}")
        return 0
    if args.csv:
        if args.csv == "-":
            print(frames.to_csv(index=False, float_format="%.4f"), end="")
        else:
            frames.to_csv(args.csv, index=False, float_format="%.4f")
            print(f"wrote {len(frames)} frames to {args.csv}")
        return 0
    voiced = int(tr.voiced.sum())
    print(f"{args.file}: {y.size / sr:.2f} s at {sr} Hz, method {tr.method}, {len(tr)} frames ({voiced} voiced)")
    if args.frames:
        print(frames.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    if not ns:
        print("no notes found")
        return 0
    show = table[
        ["onset_s", "offset_s", "name", "f0_hz", "cents", "in_tune", "vibrato_rate_hz", "vibrato_extent_cents"]
    ]
    print(show.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    print(
        f"{int(table['in_tune'].sum())}/{len(ns)} notes in tune (±{args.tolerance_cents:g} c); vibrato extent is peak"
    )
    return 0
