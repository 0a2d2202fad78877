"""torchcrepe-full on a GPU: where the time goes, and the re-laid-out network in float16.

The first GPU runs found every layout and number format of torchcrepe's own model at ~420x real
time (float16 wrong: its BatchNorm variances overflow). This script, on the same synthetic frames and
the same card:

1. times torchcrepe's model (float32, cuDNN's TF32 convolutions) and
   :func:`dawglib._crepe_batch.fast_model` (same weights; the first layer as one matrix product,
   BatchNorm folded into the convolutions so that float16 stays in range, layers 3-6 as dense matrix
   products; layer 2 a channels-last cuDNN convolution, ``nlc``, or in the frequency domain, ``lnc``)
   in float16 and float32 and, unless ``--no-compile``,
   the fastest compiled with ``torch.compile``; each variant is
   checked against the reference (share of confident frames whose arg-max bin is the same, largest
   activation difference);
2. profiles the fastest correct variant (CUDA time per kernel; on the CPU the reference too);
3. runs :func:`dawglib._crepe_batch.predict_many` end to end (framing, network, Viterbi, periodicity;
   seconds per stage) with the reference network and with the library's default on CUDA, and
   compares their decoded pitch;
4. checks the GPU default against the CPU path on 4 voices x 2 s and both against the known f0.

``python bench/gpu_crepe_layout.py [--cpu-smoke] [--budget-s 240] [--no-compile] [--variants V,..] [--e2e R,..]``;
JSON to ``$OUT/gpu_layout.json``. The committed run (docs/gpu_crepe_layout_run7.json, ~140 s on an H100):
``--budget-s 300 --no-compile --variants fast-nlc-float16,fast-lnc-float16,fast-lnc-float32
--e2e torchcrepe-float32,nlc-half,lnc-half`` (``default-half`` is ``lnc-half``, the library default;
run 8 times it at batch sizes 2048 and 8192 too: ``--e2e default-half,default-half-b2048,default-half-b8192``).
``--cpu-smoke`` runs every step on the CPU with the tiny model (a few seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE)]

from gpu_crepe import (  # noqa: E402
    HOP16,
    SR,
    T0,
    accuracy,
    agreement,
    stub_missing,
    sync,
    synth_signals,
    time_batches,
    write_report,
)


def time_net(fn, frames, *, batch_size, reps, device):
    n = int(frames.shape[0]) // batch_size * batch_size or int(frames.shape[0])  # whole batches: one shape
    t = time.perf_counter()
    sec = time_batches(fn, frames[:n], batch_size=batch_size, reps=reps, device=device)
    total = time.perf_counter() - t
    return {
        "seconds": round(sec, 4),
        "frames": n,
        "x_real_time": round(n * HOP16 / SR / sec, 1),
        "warmup_s": round(total - reps * sec, 2),
    }


def compare(fn, ref_fn, frames):
    torch = sys.modules["torch"]
    with torch.inference_mode():
        a, b = ref_fn(frames), fn(frames)
    same = a.argmax(1) == b.argmax(1)
    conf = a.max(1).values >= 0.21  # frames the decoder and the periodicity threshold keep
    return {
        "same_argmax": round(same.float().mean().item(), 5),
        "same_argmax_confident": round(same[conf].float().mean().item(), 5) if bool(conf.any()) else None,
        "max_abs_diff": float((a - b).abs().max()),
        "rel_l2": float((a - b).norm() / a.norm()),
    }


def profile(fn, frames, *, batch_size, device, top=10):
    """CUDA (or CPU) time per kernel over 3 batches, per batch."""
    import torch
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as tprofile

    acts = [ProfilerActivity.CUDA] if device == "cuda" else [ProfilerActivity.CPU]
    with tprofile(activities=acts) as prof, torch.inference_mode():
        for i in range(3):
            fn(frames[i * batch_size : (i + 1) * batch_size])
        sync(device)
    rows = []
    for e in prof.key_averages():
        us = getattr(e, "device_time_total", None) if device == "cuda" else e.self_cpu_time_total
        if us is None:
            us = getattr(e, "cuda_time_total", 0.0)
        rows.append((float(us), e.key, int(e.count)))
    rows.sort(reverse=True)
    total = sum(r[0] for r in rows) or 1.0
    return {
        "ms_per_batch": round(total / 3 / 1000, 3),
        "top": [
            {"kernel": k[:90], "ms_per_batch": round(us / 3 / 1000, 3), "share": round(us / total, 3), "calls": c // 3}
            for us, k, c in rows[:top]
        ],
    }


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cpu-smoke", action="store_true")
    ap.add_argument("--budget-s", type=float, default=240.0)
    ap.add_argument("--batch-size", type=int, default=4096)
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--variants", default="", help="comma-separated fast-<layout>-<dtype> names to time (default: all)")
    ap.add_argument("--e2e", default="", help="comma-separated end-to-end runs (default: all)")
    args = ap.parse_args()
    import torch

    stub_missing()
    from dawglib._crepe_batch import fast_model, frames_of, load_model, predict_many

    cuda = torch.cuda.is_available() and not args.cpu_smoke
    device = "cuda" if cuda else "cpu"
    if cuda:
        torch.backends.cudnn.benchmark = True
    model = "full" if cuda else "tiny"
    weights = str(HERE / "_gpu" / "crepe_full_fp16.pt") if cuda else None
    sigs = synth_signals(8, 15.0, seed=1) * 8 if cuda else synth_signals(2, 2.0, seed=1)
    report_t = {"synth_s": round(time.perf_counter() - T0, 1)}
    signals = [y for y, _ in sigs]
    with torch.inference_mode():
        frames = torch.cat([frames_of(torch.from_numpy(y).to(device), HOP16) for y in signals])
    report: dict = {
        "script": "bench/gpu_crepe_layout.py",
        "run": "fast_model",
        "device": torch.cuda.get_device_name(0) if cuda else "cpu",
        "torch": torch.__version__,
        "cudnn": torch.backends.cudnn.version() if cuda else None,
        "model": model,
        "batch_size": args.batch_size,
        "audio_s": round(sum(y.size for y in signals) / SR, 1),
        "variants": {},
        "elapsed": report_t,
    }
    ref = load_model(model, device=device, weights=weights)

    def fast(layout, dtype):
        return fast_model(model, device=device, dtype=dtype, layout=layout, weights=weights)

    vs = {"torchcrepe-float32": ref}
    layouts = (
        (("nlc", "float16"), ("lnc", "float16"), ("nlc", "float32"), ("lnc", "float32"))
        if cuda
        else (("nlc", "float32"), ("ncl", "float32"), ("lnc", "float32"))
    )
    for layout, dt in layouts:
        vs[f"fast-{layout}-{dt}"] = fast(layout, dt)
    if args.variants:
        vs = {k: v for k, v in vs.items() if k == "torchcrepe-float32" or k in args.variants.split(",")}
    check = frames[: min(4096, frames.shape[0])]
    bs = args.batch_size if cuda else 128
    reps = 3 if cuda else 1
    for name, fn in vs.items():
        if time.perf_counter() - T0 > args.budget_s * 0.4:
            report["variants"][name] = {"skipped": "time budget"}
            continue
        try:
            r = compare(fn, ref, check)
            r.update(time_net(fn, frames, batch_size=bs, reps=reps, device=device))
        except Exception as exc:  # noqa: BLE001 - report and go on
            r = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
        report["variants"][name] = r
        report_t[name] = round(time.perf_counter() - T0, 1)
        print(name, json.dumps(r), file=sys.stderr, flush=True)

    def good(items):
        return {
            k: v
            for k, v in items
            if "x_real_time" in v and (v.get("same_argmax_confident") or 0) >= 0.995 and k != "torchcrepe-float32"
        }

    ok = good(report["variants"].items())
    best = max(ok, key=lambda k: ok[k]["x_real_time"]) if ok else "torchcrepe-float32"
    if (
        cuda
        and not args.no_compile
        and best != "torchcrepe-float32"
        and time.perf_counter() - T0 < args.budget_s * 0.45
    ):
        name = best + "-compiled"
        try:
            comp = torch.compile(vs[best], dynamic=False)
            vs[name] = comp
            r = compare(comp, ref, check[:bs] if check.shape[0] >= bs else check)
            r.update(time_net(comp, frames, batch_size=bs, reps=reps, device=device))
        except Exception as exc:  # noqa: BLE001
            r = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
        report["variants"][name] = r
        report_t[name] = round(time.perf_counter() - T0, 1)
        print(name, json.dumps(r), file=sys.stderr, flush=True)
        ok = good(report["variants"].items())
        best = max(ok, key=lambda k: ok[k]["x_real_time"]) if ok else best
    report["best_network_variant"] = best

    report["profile"] = {}
    for name in dict.fromkeys(["torchcrepe-float32", best] if not cuda else [best]):
        if time.perf_counter() - T0 < args.budget_s * 0.55:
            try:
                report["profile"][name] = profile(vs[name], frames, batch_size=bs, device=device)
            except Exception as exc:  # noqa: BLE001
                report["profile"][name] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}

    # end to end through predict_many: torchcrepe's network vs the library default on this device
    kw = dict(hop16=HOP16, fmin_hz=50.0, fmax_hz=1500.0, device=device, batch_size=bs, model=model, weights=weights)
    runs = {"torchcrepe-float32": dict(net=ref), "default-float32": dict(half=False)}
    if cuda:
        runs["default-half"] = dict(half=True)
        runs["nlc-half"] = dict(half=True, layout="nlc")
        runs["lnc-half"] = dict(half=True, layout="lnc")
        for b in (2048, 8192):  # the library default (2048) and a larger one, against --batch-size
            runs[f"default-half-b{b}"] = dict(half=True, batch_size=b)
    if args.e2e:
        runs = {k: v for k, v in runs.items() if k in args.e2e.split(",")}
    e2e: dict = {}
    outs = {}
    for name, extra in runs.items():
        if time.perf_counter() - T0 > args.budget_s * 0.8:
            e2e[name] = {"skipped": "time budget"}
            continue
        times, stages = [], []
        for r in range((3 if extra.get("half") else 2) + 1 if cuda else 1):
            st: dict = {}
            sync(device)
            t = time.perf_counter()
            o = predict_many(signals, timings=st, **{**kw, **extra})
            sync(device)
            if r or not cuda:
                times.append(time.perf_counter() - t)
                stages.append(st)
        outs[name] = o
        sec = statistics.median(times)
        e2e[name] = {
            "seconds": round(sec, 3),
            "x_real_time": round(report["audio_s"] / sec, 1),
            "stages_s": {k: round(statistics.median(s[k] for s in stages), 4) for k in stages[0]},
        }
        report_t["e2e " + name] = round(time.perf_counter() - T0, 1)
        print("e2e", name, json.dumps(e2e[name]), file=sys.stderr, flush=True)
    for name in outs:
        if name != "torchcrepe-float32" and "torchcrepe-float32" in outs:
            e2e[name]["agreement_vs_torchcrepe_float32"] = agreement(outs["torchcrepe-float32"], outs[name], None)
    report["end_to_end"] = e2e

    # CPU (library default, float32) vs this device's default, and both against the known f0
    if time.perf_counter() - T0 < args.budget_s:
        ex = synth_signals(4, 2.0, seed=7)
        xs, truths = [y for y, _ in ex], [f for _, f in ex]
        torch.set_num_threads(max(1, os.cpu_count() or 1))
        t = time.perf_counter()
        kw2 = dict(hop16=HOP16, fmin_hz=50.0, fmax_hz=1500.0, model=model, weights=weights)
        cpu = predict_many(xs, device="cpu", batch_size=256, **kw2)
        acc = {"cpu_default_float32": accuracy(cpu, truths)}
        agr = {}
        for name, extra in runs.items():
            if "net" in extra or "batch_size" in extra:  # torchcrepe's own network; batch-size repeats
                continue
            o = predict_many(xs, device=device, batch_size=1024, **kw2, **extra)
            acc[f"{device}_{name}"] = accuracy(o, truths)
            agr[name] = agreement(cpu, o, truths)
        report["cpu_vs_device"] = {"files": 4, "audio_s": 8.0, "cpu_seconds": round(time.perf_counter() - t, 1)}
        report["cpu_vs_device"]["agreement_vs_cpu"] = agr
        report["cpu_vs_device"]["accuracy_vs_known_f0"] = acc
    write_report(report, "gpu_layout.json")
    return report


if __name__ == "__main__":
    main()
