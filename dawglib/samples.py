"""The embedded sample data under ``data/``, generated deterministically.

``python -m dawglib.samples data`` (run by ``make data``) writes, only when missing or stale:

- ``samples/sine_a4.wav`` — 1 s of A4 = 440 Hz, 22.05 kHz.
- ``samples/melody.mid`` — the reference melody (8 notes, C major, 100 BPM, MIDI program 52).
- ``samples/take_synth.wav`` — a synthetic sung "ah" of that melody with vibrato (5.5 Hz, ±30 c),
  deliberately imperfect: the 5th note 25 c flat, the 3rd entry 60 ms late; f0 known exactly.
- ``samples/take_synth_f0.csv`` — the exact f0 of that take every 10 ms (ground truth).
- ``samples/melody_choir.wav`` — FluidSynth render of ``melody.mid`` (GM Choir Aahs), 22.05 kHz.
- ``samples/click_100bpm.wav`` — an 8 s metronome at 100 BPM.
- ``samples/coach_reference.mid`` — a 3-phrase melody (E4-E5, 90 BPM, rests between phrases) for the
  coach, and four synthetic takes of it with known faults (:data:`COACH_TAKES`):
  ``coach_good.wav``, ``coach_flat_high.wav`` (D5 and E5 sung 30 c flat), ``coach_late_entries.wav``
  (each phrase entered 120 ms late) and ``coach_wobbly.wav`` (a wide, slow ±85 c vibrato).

The demo JARVIS store ``data/jarvis.duckdb`` is written by ``jarvis demo-db`` (dawglib never
imports jarvis_analytics).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

__all__ = ["MELODY", "generate", "SAMPLE_SR", "TAKE_FAULTS"]

SAMPLE_SR = 22050
BPM = 100.0
#: (start_beat, length_beats, midi) of the reference melody.
MELODY = [(0, 1, 60), (1, 1, 62), (2, 1, 64), (3, 1, 65), (4, 2, 67), (6, 1, 69), (7, 1, 67), (8, 2, 64)]
#: The deliberate faults of take_synth.wav: note index -> (cents, onset delay in ms).
TAKE_FAULTS = {4: (-25.0, 0.0), 2: (0.0, 60.0)}
_VERSION = 2  # bump to regenerate everything

COACH_BPM = 90.0
#: (start_beat, length_beats, midi) of the coach melody: three phrases separated by rests.
COACH_MELODY = [
    (0, 1, 64),
    (1, 1, 67),
    (2, 1, 69),
    (3, 1, 72),
    (4, 2, 74),
    (8, 1, 72),
    (9, 1, 74),
    (10, 2, 76),
    (12, 1, 74),
    (13, 1, 72),
    (14, 2, 69),
    (18, 1, 67),
    (19, 1, 69),
    (20, 1, 72),
    (21, 1, 76),
    (22, 3, 74),
]
#: take name -> the fault injected (documented in data/README.md and checked by the coach tests).
COACH_TAKES = {
    "coach_good": "none: every note within ±5 c and ±12 ms",
    "coach_flat_high": "D5 and E5 (MIDI >= 74) sung 30 c flat",
    "coach_late_entries": "the first note of each phrase entered 120 ms late",
    "coach_wobbly": "wide, slow vibrato: ±85 c at 4.2 Hz",
}


def _melody_seconds() -> list[tuple[float, float, int]]:
    spb = 60.0 / BPM
    return [(0.5 + b * spb, 0.5 + (b + n) * spb, m) for b, n, m in MELODY]


def _write_midi(path: Path) -> None:
    from .render import pretty_midi as _load_pretty_midi

    pretty_midi = _load_pretty_midi()

    pm = pretty_midi.PrettyMIDI(initial_tempo=BPM)
    inst = pretty_midi.Instrument(program=52, name="melody")  # Choir Aahs
    for s, e, m in _melody_seconds():
        inst.notes.append(pretty_midi.Note(velocity=96, pitch=m, start=s, end=e - 0.02))
    pm.instruments.append(inst)
    pm.write(str(path))


def coach_melody_seconds() -> list[tuple[float, float, int]]:
    """The coach melody as ``(start_s, end_s, midi)``, starting at 0.5 s."""
    spb = 60.0 / COACH_BPM
    return [(0.5 + b * spb, 0.5 + (b + n) * spb, m) for b, n, m in COACH_MELODY]


def _phrase_starts() -> set[int]:
    notes = coach_melody_seconds()
    return {0} | {i for i in range(1, len(notes)) if notes[i][0] - notes[i - 1][1] > 0.2}


def coach_take(name: str, *, sr: int = SAMPLE_SR) -> np.ndarray:
    """Synthesise one of :data:`COACH_TAKES` (deterministic)."""
    from .synth import f0_contour, sung_vowel

    if name not in COACH_TAKES:
        raise KeyError(f"unknown coach take {name!r}; known: {sorted(COACH_TAKES)}")
    rng = np.random.default_rng(sum(map(ord, name)))  # stable across runs (str hash is salted)
    notes = []
    starts = _phrase_starts()
    for i, (s, e, m) in enumerate(coach_melody_seconds()):
        cents = float(rng.uniform(-5, 5))
        delay = float(rng.uniform(-0.012, 0.012))
        if name == "coach_flat_high" and m >= 74:
            cents = -30.0
        if name == "coach_late_entries" and i in starts:
            delay = 0.120
        notes.append((s + delay, e - 0.03, m + cents / 100.0))
    vib_hz, vib_c = (4.2, 85.0) if name == "coach_wobbly" else (5.5, 25.0)
    f0 = f0_contour(notes, sr=sr, vibrato_hz=vib_hz, vibrato_cents=vib_c)
    f0 = np.concatenate([f0, np.zeros(int(0.5 * sr))])
    return sung_vowel(f0, sr=sr, vowel="a", jitter=0.002, shimmer=0.02, breath=0.02, seed=3)


def generate(root: str | Path = "data", *, force: bool = False) -> list[Path]:
    """Write the sample files under ``root``; returns the paths written (skips up-to-date ones)."""
    from .io import write_audio
    from .synth import click_track, f0_contour, sung_vowel, tone

    root = Path(root)
    out = root / "samples"
    out.mkdir(parents=True, exist_ok=True)
    stamp = out / ".version"
    if stamp.exists() and not force and json.loads(stamp.read_text()).get("version") == _VERSION:
        if all(
            (out / f).exists()
            for f in ("sine_a4.wav", "melody.mid", "take_synth.wav", "melody_choir.wav", "click_100bpm.wav")
        ):
            return []
    written: list[Path] = []
    sr = SAMPLE_SR
    written.append(write_audio(out / "sine_a4.wav", tone(440.0, sr=sr, duration_s=1.0), sr=sr))

    mid = out / "melody.mid"
    _write_midi(mid)
    written.append(mid)

    notes = []
    for i, (s, e, m) in enumerate(_melody_seconds()):
        cents, delay_ms = TAKE_FAULTS.get(i, (0.0, 0.0))
        notes.append((s + delay_ms / 1000.0, e - 0.04, m + cents / 100.0))
    f0 = f0_contour(notes, sr=sr, vibrato_hz=5.5, vibrato_cents=30.0)
    f0 = np.concatenate([f0, np.zeros(int(0.5 * sr))])
    y = sung_vowel(f0, sr=sr, vowel="a", jitter=0.002, shimmer=0.02, breath=0.02, seed=1)
    written.append(write_audio(out / "take_synth.wav", y, sr=sr))
    hop = int(0.01 * sr)
    idx = np.arange(0, f0.size, hop)
    lines = ["time_s,f0_hz"] + [f"{i / sr:.5f},{f0[i]:.4f}" for i in idx]
    (out / "take_synth_f0.csv").write_text("\n".join(lines) + "\n")
    written.append(out / "take_synth_f0.csv")

    try:
        from .render import render_midi

        render_midi(mid, sr=sr, out_path=out / "melody_choir.wav")
        written.append(out / "melody_choir.wav")
    except Exception as exc:  # noqa: BLE001 - the demo goes on without FluidSynth, and says so
        print(f"[samples] skipped melody_choir.wav: {exc}", file=sys.stderr)

    yc, _ = click_track(bpm=BPM, sr=sr, duration_s=8.0, offset_s=0.25)
    written.append(write_audio(out / "click_100bpm.wav", yc, sr=sr))

    from .render import pretty_midi as _load_pretty_midi

    pretty_midi = _load_pretty_midi()

    pm = pretty_midi.PrettyMIDI(initial_tempo=COACH_BPM)
    inst = pretty_midi.Instrument(program=52, name="melody")
    for s, e, m in coach_melody_seconds():
        inst.notes.append(pretty_midi.Note(velocity=96, pitch=m, start=s, end=e - 0.02))
    pm.instruments.append(inst)
    pm.write(str(out / "coach_reference.mid"))
    written.append(out / "coach_reference.mid")
    for name in COACH_TAKES:
        written.append(write_audio(out / f"{name}.wav", coach_take(name, sr=sr), sr=sr))

    stamp.write_text(json.dumps({"version": _VERSION}))
    return written


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    paths = generate(args[0] if args else "data", force="--force" in sys.argv)
    if paths:
        print("[samples] wrote " + ", ".join(str(p) for p in paths))
    else:
        print("[samples] data/ is up to date")
