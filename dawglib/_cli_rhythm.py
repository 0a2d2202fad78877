"""``dawg rhythm FILE [--json OUT]``: tempo, beats, onsets and a timing summary of an audio file."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

HELP = "tempo, beats, onsets and timing summary of an audio file"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``dawg rhythm``."""
    p.add_argument("file", help="audio file (wav, flac, ogg, mp3, ...)")
    p.add_argument("--bpm", type=float, default=None, help="known tempo (default: estimated)")
    p.add_argument("--subdivision", type=int, default=4, help="grid positions per beat for the timing (default 4)")
    p.add_argument("--swing", type=float, default=None, help="swing ratio of the grid (0.5 straight, 0.67 triplet)")
    p.add_argument("--json", metavar="OUT", help="write everything as JSON ('-' for stdout)")


def _clean(v: object) -> object:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def run(args: argparse.Namespace) -> int:
    """Analyse and print (or write) the result; returns the exit status."""
    import warnings

    from .exceptions import DawglibWarning
    from .io import load_audio
    from .rhythm import beat_track, tempo_candidates, timing

    y, sr = load_audio(args.file)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DawglibWarning)
        cands = tempo_candidates(y, sr=sr)
        bt = beat_track(y, sr=sr, bpm=args.bpm)
        rep = None
        if len(bt) >= 2 and bt.onsets_s.size:
            rep = timing(bt.onsets_s, beats_s=bt.beats_s, subdivision=args.subdivision, swing=args.swing)
    notes = sorted({str(w.message) for w in caught})
    summary = {k: _clean(v) for k, v in rep.summary().items()} if rep is not None else None
    if args.json:
        doc = {
            "file": str(args.file),
            "sr": sr,
            "duration_s": y.size / sr,
            "tempo_bpm": _clean(bt.tempo_bpm),
            "tempo_candidates": [
                {"bpm": float(b), "confidence": float(c)} for b, c in zip(cands.bpm, cands.confidence)
            ],
            "beats_per_bar": bt.beats_per_bar,
            "beats_s": [round(float(t), 4) for t in bt.beats_s],
            "downbeats_s": [round(float(t), 4) for t in bt.downbeats_s],
            "onsets_s": [round(float(t), 4) for t in bt.onsets_s],
            "timing": summary,
            "warnings": notes,
        }
        text = json.dumps(doc, indent=1)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n")
            print(f"wrote tempo, {len(bt)} beats and {bt.onsets_s.size} onsets to {args.json}")
        return 0
    for n in notes:
        print(f"warning: {n}")
    print(f"{args.file}: {y.size / sr:.2f} s at {sr} Hz")
    if len(bt) == 0:
        print("no beats found")
        return 0
    alt = ", ".join(f"{b:.1f} ({c:.2f})" for b, c in zip(cands.bpm[:4], cands.confidence[:4]))
    print(f"tempo: {bt.tempo_bpm:.1f} BPM (candidates: {alt})")
    print(f"beats: {len(bt)}, {bt.beats_per_bar} per bar, first at {bt.beats_s[0]:.3f} s")
    print(f"onsets: {bt.onsets_s.size}")
    if rep is not None:
        print(
            "timing of the onsets against the beat grid: "
            f"median {rep.median_offset_ms:+.1f} ms, std {rep.std_offset_ms:.1f} ms, "
            f"within ±20 ms {100 * rep.within_20ms:.0f} %, within ±50 ms {100 * rep.within_50ms:.0f} %, "
            f"off-beat {rep.n_off_beat}, trend {rep.trend_ms_per_s:+.2f} ms/s, consistency {rep.consistency:.0f}/100"
        )
    return 0
