"""How long the vocal coach takes on a 3-minute take, and how well it measures (ground truth).

The take is the coach melody repeated for 3 minutes (synthetic voice, known per-note detuning and
onset offsets). Reported: wall time of `analyze_take` (median of 3, one thread), the share spent
in pitch tracking, and the per-note errors against the truth.
"""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from _report import write_section

from dawglib.coach import analyze_take
from dawglib.pitch import track
from dawglib.samples import coach_melody_seconds
from dawglib.synth import f0_contour, sung_vowel

SR = 22050
REPEATS = 3


def three_minute_take(seed: int = 11) -> tuple[np.ndarray, list, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    base = coach_melody_seconds()
    span = base[-1][1] + 1.0
    ref, notes, cents, delays = [], [], [], []
    k = 0
    while k * span < 180.0:
        for s, e, m in base:
            c, d = float(rng.uniform(-30, 30)), float(rng.uniform(-0.04, 0.04))
            ref.append((s + k * span, e + k * span, m))
            notes.append((s + k * span + d, e + k * span - 0.03, m + c / 100))
            cents.append(c)
            delays.append(d * 1000)
        k += 1
    f0 = np.concatenate([f0_contour(notes, sr=SR, vibrato_hz=5.5, vibrato_cents=25.0), np.zeros(SR)])
    return sung_vowel(f0, sr=SR, seed=seed), ref, np.array(cents), np.array(delays)


def main() -> None:
    y, ref, cents, delays = three_minute_take()
    dur = y.size / SR
    analyze_take(y[: SR * 5], sr=SR, reference=[r for r in ref if r[1] < 5])  # warm-up (numba compile)
    t_all, t_pitch = [], []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        tr = track(y, sr=SR)
        t1 = time.perf_counter()
        rep = analyze_take(y, sr=SR, reference=ref, track=tr)
        t2 = time.perf_counter()
        t_pitch.append(t1 - t0)
        t_all.append(t2 - t0)
    err_c = np.array([n.cents_off for n in rep.notes]) - cents
    err_t = np.array([n.onset_offset_ms for n in rep.notes]) - delays
    body = f"""## Vocal coach (`bench/coach.py`)

A {dur:.0f} s synthetic take ({len(ref)} notes, per-note detuning ±30 c and onset offsets ±40 ms,
vibrato ±25 c) against its reference; one thread, median of {REPEATS}. Goal: < 10 s for a 3-minute take.

| measure | value |
|---|---|
| `analyze_take` wall time (incl. pitch tracking) | {statistics.median(t_all):.2f} s ({dur / statistics.median(t_all):.0f}× real time) |
| of which pitch tracking | {statistics.median(t_pitch):.2f} s |
| cents error per note: median / 95th pct / max | {np.median(np.abs(err_c)):.1f} / {np.percentile(np.abs(err_c), 95):.1f} / {np.max(np.abs(err_c)):.1f} c |
| onset error per note: median / 95th pct / max | {np.median(np.abs(err_t)):.1f} / {np.percentile(np.abs(err_t), 95):.1f} / {np.max(np.abs(err_t)):.1f} ms |
| notes found sung | {sum(n.sung for n in rep.notes)} of {len(ref)} |
"""
    write_section("coach", body)
    print(body)


if __name__ == "__main__":
    main()
