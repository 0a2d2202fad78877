"""Write the GPU section of docs/benchmarks.md from the JSON files the GPU scripts wrote on a GPU machine.

Usage: ``python gpu_report.py ../docs/gpu_crepe_run*.json ../docs/gpu_crepe_layout_run*.json`` (cwd bench/; the raw
JSON of each run is kept in docs/). Not part of ``make bench``: the GPU scripts run on a lent GPU machine, never in CI.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from _report import write_section

#: What the library code was when each layout run was taken (the JSON does not say).
CODE = {
    "gpu_crepe_layout_run1.json": "v0",
    "gpu_crepe_layout_run2.json": "v0",
    "gpu_crepe_layout_run3.json": "v1",
    "gpu_crepe_layout_run4.json": "v2",
    "gpu_crepe_layout_run5.json": "v3",
    "gpu_crepe_layout_run6.json": "v3",
    "gpu_crepe_layout_run7.json": "v4",
    "gpu_crepe_layout_run8.json": "v4",
    "gpu_crepe_layout_run9.json": "v4",
}
LEGEND = [
    "v0: torchcrepe's model cast to other formats and layouts",
    "v1: `fast_model` with 1-D/channels-last convolutions, the first layer as a matrix product, BatchNorm folded "
    "into the convolutions; Viterbi stepped in torch on the GPU",
    "v2: + layers 3-6 as dense matrix products, max-pool before the BatchNorm affine; Viterbi banded, in numba "
    "on CPU threads, after the network",
    "v3: + each file's Viterbi on CPU threads as soon as its frames are through the network, while "
    "the GPU runs the next batches",
    "v4 (committed): + layout `lnc`: layer 2 in the frequency domain (DFT, per-bin channel mix, inverse DFT as "
    "matrix products), activations position-major",
]


def _cents(a: dict) -> str:
    return f"{a['cents_median']:.0f} / {a['cents_p95']:.0f} / {a['cents_max']:.0f}"


def main(paths: list[str]) -> None:
    allruns = [(Path(p).name, json.loads(open(p).read())) for p in paths]
    first = [r for n, r in allruns if r.get("script") == "bench/gpu_crepe.py"]
    layouts = [(n, r) for n, r in allruns if r.get("script") == "bench/gpu_crepe_layout.py"]
    new = [(n, r) for n, r in layouts if r.get("run") == "fast_model"]
    last_name, last = next(((n, r) for n, r in reversed(new) if "lnc-half" in r["end_to_end"]), new[-1])
    sizes = [(n, r) for n, r in new if any(k.startswith("default-half-b") for k in r["end_to_end"])]
    e2e = last["end_to_end"]
    dkey = "lnc-half" if "lnc-half" in e2e else "default-half"  # the library default on CUDA
    half, ref, old = e2e[dkey], e2e["torchcrepe-float32"], e2e.get("nlc-half")
    var = last["variants"]
    best = last["best_network_variant"]
    prof = last["profile"][best]

    def row(label: str, *, net: bool = False, stage: str | None = None) -> str:
        cells = []
        for e, v in ((ref, "torchcrepe-float32"), (old, "fast-nlc-float16"), (half, best)):
            if e is None:
                continue
            if net:
                cells.append(f"{var[v]['x_real_time']:.0f}×")
            elif stage is None:
                cells.append(f"{e['x_real_time']:.0f}×")
            else:
                cells.append(f"{e['stages_s'][stage]:.3f}")
        cells[-1] = f"**{cells[-1]}**" if stage is None else cells[-1]
        return f"| {label} | " + " | ".join(cells) + " |"

    lines = [
        "## torchcrepe-full on a GPU (`bench/gpu_crepe_layout.py`, `bench/gpu_crepe.py`)",
        "",
        f"Latest: card **{last['device']}**, torch {last['torch']}, cuDNN {last['cudnn']}; "
        f"{len(layouts) and 64} synthetic sung files × 15 s ({last['audio_s'] / 60:.0f} min), full model, 10 ms hop, "
        f"batch {last['batch_size']}, one process, side by side ({last_name}). "
        "Goal: ≥ 1000× real time on one H100.",
        "",
        "| what | torchcrepe's model, float32 (TF32) "
        + ("| `fast_model` float16, layer 2 a cuDNN convolution (`nlc`, before) " if old else "")
        + "| `fast_model` float16, layer 2 in the frequency domain (`lnc`, library default) |",
        "|---|---|" + ("---|" if old else "") + "---|",
        row("network only (frames on the device)", net=True),
        row("end to end, `predict_many` (framing, network, Viterbi, periodicity)"),
        row("· framing + network (s)", stage="frames_and_network"),
        row("· Viterbi left after the last batch (s)", stage="viterbi_tail"),
        row("· periodicity + copy to the host (s)", stage="periodicity_and_copy"),
        "",
    ]
    for n, r in sizes[-1:]:
        e = r["end_to_end"]
        by = {int(k.rsplit("-b", 1)[1]): v for k, v in e.items() if k.startswith("default-half-b")}
        by[int(r["batch_size"])] = e["default-half"]
        lines += [
            f'The library\'s defaults on CUDA (`predict_many(..., device="cuda")`: float16, `lnc`) by batch size, '
            f"end to end, same card and audio ({n}): "
            + ", ".join(f"{b} frames {by[b]['x_real_time']:.0f}×" for b in sorted(by))
            + " (2048 is the default of `track_many` and `predict_many`; torchcrepe's model "
            f"{e['torchcrepe-float32']['x_real_time']:.0f}× in the same run).",
            "",
        ]
    agr = half["agreement_vs_torchcrepe_float32"]
    cpu = last["cpu_vs_device"]["agreement_vs_cpu"][dkey]
    acc = last["cpu_vs_device"]["accuracy_vs_known_f0"]
    lines += [
        "Agreement (decoded 20-cent bins; voicing = periodicity ≥ 0.21):",
        "",
        "| float16 default on the GPU against | frames | median / p95 / max cents (both voiced) | same bin "
        "| voicing agreement | max periodicity diff |",
        "|---|---|---|---|---|---|",
        f"| torchcrepe's model, float32, same GPU | 96 064 | {_cents(agr)} | {agr['same_bin_share']:.4f} "
        f"| {agr['voicing_agreement']:.4f} | {agr['periodicity_max_abs_diff']:.3f} |",
        f"| the CPU path (float32), 4 voices × 2 s | 804 | {_cents(cpu)} | {cpu['same_bin_share']:.4f} "
        f"| {cpu['voicing_agreement']:.4f} | {cpu['periodicity_max_abs_diff']:.4f} |",
        "",
        "Against the known f0 of those 4 voices the CPU and the GPU results are identical: median error "
        f"{acc['cpu_default_float32']['median_abs_cents']:.1f} c, RPA "
        f"{acc['cpu_default_float32']['rpa_50c']:.3f} (CPU) / {acc['cuda_' + dkey]['rpa_50c']:.3f} (GPU). "
        "Stated tolerance (`bench/gpu_crepe_layout.py`, `docs/gpu_crepe_layout_run*.json`): ≥ 99.5 % of "
        "confident frames keep their arg-max bin (measured "
        f"{var[best]['same_argmax_confident']:.4f}), decoded pitch within one 20-cent bin.",
        "",
        "How (`dawglib._crepe_batch.fast_model`, same weights, the rewrites exact in real arithmetic — float32 "
        "activations within 1e-6 of torchcrepe's on the CPU, tested): the first layer (1 input channel, 512 taps, "
        "stride 4: 26 ms of torchcrepe's 96 ms per 4096 frames, in a non-tensor-core cuDNN kernel) is one matrix "
        "product over the unfolded frame; each BatchNorm is folded into its convolution and applied after the "
        "max-pool (which also keeps float16 in range: torchcrepe's variances reach 5·10⁵); layers 3–6, with only "
        "64–8 positions, are dense matrix products. Layer 2 (1024 → 128 channels over 64 taps, 76 % of the "
        "multiply-adds) was a cuDNN convolution: 25 ms of 34 ms per 4096 frames, in an Ampere-generation kernel "
        "at ~350 TFLOP/s (run 6). It now runs in the frequency domain: a real DFT of length 160 along the 128 "
        "positions (long enough that the circular convolution equals torchcrepe's zero-padded one on every "
        "output position), one complex 1024 × 128 channel mix per bin (81 bins), the inverse DFT — all matrix "
        "products, activations kept position-major so each transform is one product; 1/16 of the arithmetic. "
        "The Viterbi decoder (banded: 23 reachable predecessors plus the best state overall, identical to "
        "torchcrepe's) runs in numba on CPU threads for each file as soon as its frames are through the "
        "network, while the GPU runs the next batches (stepped in torch on the GPU it took 0.4–0.6 s per "
        "16 min of audio, runs 3–4). float32 on the GPU (`half=False`): "
        + (f"{var['fast-lnc-float32']['x_real_time']:.0f}× for the network." if "fast-lnc-float32" in var else "")
        + " On a 2-core CPU (float32, tiny / full model) the frequency-domain layer 2 is 1.3× / 3× faster "
        "than 1-D convolutions.",
        "",
        f"Where the time goes now ({last_name}, `{best}`, CUDA time per 4096-frame batch, "
        f"{prof['ms_per_batch']:.1f} ms in all):",
        "",
        "| kernel | ms | share |",
        "|---|---|---|",
    ]
    for r in prof["top"][:8]:
        lines.append(f"| `{r['kernel'][:70]}` | {r['ms_per_batch']:.2f} | {r['share']:.0%} |")
    lines += [
        "",
        "The matrix products (`nvjet…`, `cutlass…`) are now under half of the time; the rest is elementwise "
        "work: max-pools, ReLUs, BatchNorm shifts and the copies around layer 1 (its output alone is 2 GB of "
        "float16 per batch). Next: fold each BatchNorm shift into the next layer's bias, and fuse pool + ReLU "
        "into the matrix products' epilogues (a custom kernel; `torch.compile` gave +20 % on the older layout "
        "in run 3 but costs a compile per process).",
        "",
        "### All layout runs (network only, same frames)",
        "",
        "| run | code | variant | × real time | same arg-max bin (confident frames) | max activation diff |",
        "|---|---|---|---|---|---|",
    ]
    legend = ["", *[f"- {x}" for x in LEGEND]]
    for i, (name, r) in enumerate(layouts, 1):
        for vname, v in r["variants"].items():
            if "x_real_time" not in v:
                continue
            lines.append(
                f"| {i} ({r['device'].replace('NVIDIA ', '')}) | {CODE.get(name, '')} | {vname} "
                f"| {v['x_real_time']:.0f} | {v['same_argmax_confident']:.4f} | {v['max_abs_diff']:.2g} |"
            )
        for ename, e in r.get("end_to_end", {}).items():
            if "x_real_time" in e:
                lines.append(
                    f"| {i} ({r['device'].replace('NVIDIA ', '')}) | {CODE.get(name, '')} | end to end: {ename} "
                    f"| {e['x_real_time']:.0f} | | |"
                )
    lines += legend
    if first:
        head = first[0]
        lines += [
            "",
            f"### First runs (`bench/gpu_crepe.py`, torchcrepe's own model; card {head['device']}, "
            f"torch {head['torch']}, CUDA {head['cuda']})",
            "",
            "| run | dtype | batch | × real time |",
            "|---|---|---|---|",
        ]
        for k, r in enumerate(first, 1):
            for n in r.get("network", []):
                if "x_real_time" in n:
                    lines.append(f"| {k}: network only | {n['dtype']} | {n['batch_size']} | {n['x_real_time']:.0f} |")
            for e in r.get("end_to_end", []):
                lines.append(f"| {k}: end to end | {e['dtype']} | {e['batch_size']} | {e['x_real_time']:.0f} |")
        lines += [
            "",
            "(float16 there was autocast of torchcrepe's model, 3× slower; `half=True` now means `fast_model` "
            "in float16.)",
        ]
    write_section("gpu_crepe", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
