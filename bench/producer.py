"""Producer benchmark: generate + render 8 bars (x real time, goal >= 50x) and the genre metrics table.

Anchor note (docs ANCHORS.md, "Beat generation"): the offline Python tools (musicpy, isobar, mingus)
have no genres, swing or humanising and flat velocities (0 ms timing spread, velocity spread 0);
Magenta GrooVAE cannot run offline. So the table reports our measured groove properties beside the
values the anchors name (house syncopation ~0, boom-bap/trap ~3-4, boom-bap swing ~0.62, timing
spread ~4-5 ms).

Usage: python producer.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402
from _report import write_section  # noqa: E402

from dawglib.producer import generate_beat, genre_names  # noqa: E402
from dawglib.producer.grooves import COMPLEXITIES, get_groove  # noqa: E402


def speed(*, repeats: int, sr: int, engine: str = "auto") -> list[dict]:
    os.environ["DAWG_RENDER_ENGINE"] = engine
    rows = []
    for g in genre_names():
        bpm = get_groove(g).bpm_default
        gen_s, tot_s = [], []
        for r in range(repeats):
            t0 = time.perf_counter()
            beat = generate_beat(genre=g, bpm=bpm, bars=8, seed=r)
            t1 = time.perf_counter()
            beat.render(sr=sr)
            t2 = time.perf_counter()
            gen_s.append(t1 - t0)
            tot_s.append(t2 - t0)
        dur = 8 * 4 * 60 / bpm
        rows.append(
            {
                "genre": g,
                "bpm": bpm,
                "audio_s": dur,
                "gen_ms": 1000 * statistics.median(gen_s),
                "total_s": statistics.median(tot_s),
                "x_rt": dur / statistics.median(tot_s),
            }
        )
    return rows


def metrics_table(*, seeds: int) -> list[dict]:
    rows = []
    for g in genre_names():
        for c in COMPLEXITIES:
            ms = [generate_beat(genre=g, bars=8, complexity=c, seed=1000 + s).metrics() for s in range(seeds)]
            d = {}
            for k in ms[0].to_dict():
                v = np.array([getattr(m, k) for m in ms], dtype=float)
                d[k] = float(v[np.isfinite(v)].mean()) if np.isfinite(v).any() else float("nan")
            rows.append({"genre": g, "complexity": c, **d})
    return rows


def fmt(x: float, nd: int = 2) -> str:
    return "—" if not np.isfinite(x) else f"{x:.{nd}f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    repeats = 3 if a.quick else 5
    seeds = 5 if a.quick else 20
    out = ["## Producer", ""]
    labels = {"inprocess": "libfluidsynth in process", "cli": "fluidsynth CLI, one process per file"}
    for sr, engine in ((22050, "inprocess"), (44100, "inprocess"), (22050, "cli")):
        rows = speed(repeats=repeats, sr=sr, engine=engine)
        med = statistics.median(r["x_rt"] for r in rows)
        out += [
            f"### Generate + render 8 bars at {sr} Hz ({labels[engine]} + FluidR3_GM), median of {repeats}",
            "",
            f"Goal ≥ 50× real time. Median over genres: **{med:.0f}×** (min {min(r['x_rt'] for r in rows):.0f}×).",
            "",
            "| genre | BPM | audio s | generate ms | generate + render s | × real time |",
            "|---|---|---|---|---|---|",
        ]
        out += [
            f"| {r['genre']} | {r['bpm']} | {r['audio_s']:.1f} | {r['gen_ms']:.1f} "
            f"| {r['total_s']:.3f} | {r['x_rt']:.0f} |"
            for r in rows
        ]
        out.append("")
    table = metrics_table(seeds=seeds)
    out += [
        f"### Groove metrics per genre × complexity (mean of {seeds} seeds, 8 bars, fill bars excluded)",
        "",
        "Anchors: offline tools (musicpy, isobar, mingus) have timing spread 0 ms and velocity spread 0; "
        "expected "
        "values: house syncopation ≈ 0, boom-bap/trap ≈ 3–4, boom-bap swing ≈ 0.62, timing spread ≈ 4–5 ms.",
        "",
        "| genre | complexity | syncopation/bar | swing | kick on beat | snare 2&4 | snare on 3 | kick on 1 "
        "| timing spread ms | velocity spread | notes/bar | hat rolls/bar | clave |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table:
        out.append(
            f"| {r['genre']} | {r['complexity']} | {fmt(r['syncopation_per_bar'])} | {fmt(r['swing_ratio'], 3)} "
            f"| {fmt(r['kick_on_beat_share'])} | {fmt(r['snare_on_backbeat_share'])} | {fmt(r['snare_on_3_share'])} "
            f"| {fmt(r['kick_on_1_share'])} | {fmt(r['timing_spread_ms'], 1)} | {fmt(r['velocity_spread'], 1)} "
            f"| {fmt(r['notes_per_bar'], 1)} | {fmt(r['hat_rolls_per_bar'])} | {fmt(r['clave_share'])} |"
        )
    write_section("producer", "\n".join(out))
    print("\n".join(out))


if __name__ == "__main__":
    main()
