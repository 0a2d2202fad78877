"""``dawg analyze FILE [--reference REF.mid] [--key Am] [--bpm N] [--json]`` — the vocal coach."""

from __future__ import annotations

import argparse
import json

HELP = "score a sung take (pitch, rhythm, consistency, confidence) and explain its faults"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``dawg analyze``."""
    p.add_argument("file", help="the take (WAV/FLAC/OGG/MP3)")
    p.add_argument("--reference", help="reference melody as a MIDI file")
    p.add_argument("--key", help="key when there is no reference, e.g. Am, 'Eb major'")
    p.add_argument("--bpm", type=float, help="tempo of the beat grid when there is no reference")
    p.add_argument("--tolerance-cents", type=float, default=15.0, help="in-tune tolerance (default ±15 c)")
    p.add_argument("--json", action="store_true", help="print the whole report as JSON")
    p.add_argument("--save", metavar="SINGER", help="also store the take for this singer in the coach store")
    p.add_argument("--db", default="data/coach.duckdb", help="coach store for --save (default data/coach.duckdb)")


def run(args: argparse.Namespace) -> int:
    """Analyse the take and print the report."""
    from .coach import analyze_take
    from .io import load_audio

    y, sr = load_audio(args.file)
    report = analyze_take(
        y, sr=sr, reference=args.reference, key=args.key, bpm=args.bpm, tolerance_cents=args.tolerance_cents
    )
    if args.save:
        from .takes import CoachStore

        with CoachStore(args.db) as store:
            take_id = store.add_take(report, singer_id=args.save, audio_path=args.file)
    if args.json:
        d = report.to_dict()
        if args.save:
            d["take_id"] = take_id
        print(json.dumps(d, indent=1))
        return 0
    s = report.scores
    print(f"{args.file}: against {report.reference}")
    print(
        f"  overall {s.overall:5.1f}   pitch {s.pitch:5.1f}   rhythm {s.rhythm:5.1f}   "
        f"consistency {s.consistency:5.1f}   confidence {s.confidence:5.1f}"
    )
    print(f"  range {report.range_low}–{report.range_high}")
    print("  notes:")
    for n in report.notes:
        if n.sung:
            print(
                f"    {n.start_s:6.2f} s  {n.target_name:4s} sung {n.sung_name:4s} {n.cents_off:+6.1f} c "
                f"{n.onset_offset_ms:+6.0f} ms  {'in tune' if n.in_tune else 'OUT'}"
            )
        else:
            print(f"    {n.start_s:6.2f} s  {n.target_name:4s} not sung")
    print("  feedback:")
    for f in report.feedback:
        print(f"    [{f.severity}] {f.message}")
    if args.save:
        print(f"  saved as take {take_id} for {args.save} in {args.db}")
    return 0
