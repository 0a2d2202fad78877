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
}
LEGEND = [
    "v0: torchcrepe's model cast to other formats and layouts",
    "v1: `fast_model` with 1-D/channels-last convolutions, the first layer as a matrix product, BatchNorm folded "
    "into the convolutions; Viterbi stepped in torch on the GPU",
    "v2: + layers 3-6 as dense matrix products, max-pool before the BatchNorm affine; Viterbi banded, in numba "
    "on CPU threads, after the network",
    "v3 (committed): + each file's Viterbi on CPU threads as soon as its frames are through the network, while "
    "the GPU runs the next batches",
]


def _cents(a: dict) -> str:
    return f"{a['cents_median']:.0f} / {a['cents_p95']:.0f} / {a['cents_max']:.0f}"


def main(paths: list[str]) -> None:
    allruns = [(Path(p).name, json.loads(open(p).read())) for p in paths]
    first = [r for n, r in allruns if r.get("script") == "bench/gpu_crepe.py"]
    layouts = [(n, r) for n, r in allruns if r.get("script") == "bench/gpu_crepe_layout.py"]
    new = [(n, r) for n, r in layouts if r.get("run") == "fast_model"]
    last_name, last = new[-1]
    e2e = last["end_to_end"]
    half, ref = e2e["default-half"], e2e["torchcrepe-float32"]
    var = last["variants"]
    lines = [
        "## torchcrepe-full on a GPU (`bench/gpu_crepe_layout.py`, `bench/gpu_crepe.py`)",
        "",
        f"Latest: card **{last['device']}**, torch {last['torch']}, cuDNN {last['cudnn']}; "
        f"{len(layouts) and 64} synthetic sung files × 15 s ({last['audio_s'] / 60:.0f} min), full model, 10 ms hop, "
        f"batch {last['batch_size']}, one process, side by side. Goal: ≥ 1000× real time on one H100.",
        "",
        "| what | torchcrepe's model, float32 (TF32) | `fast_model`, float16 (library default on CUDA) |",
        "|---|---|---|",
        f"| network only (frames on the device) | {var['torchcrepe-float32']['x_real_time']:.0f}× "
        f"| **{var['fast-nlc-float16']['x_real_time']:.0f}×** |",
        f"| end to end, `predict_many` (framing, network, Viterbi, periodicity) | {ref['x_real_time']:.0f}× "
        f"| **{half['x_real_time']:.0f}×** |",
        f"| · framing + network (s) | {ref['stages_s']['frames_and_network']:.3f} "
        f"| {half['stages_s']['frames_and_network']:.3f} |",
        f"| · Viterbi left after the last batch (s) | {ref['stages_s']['viterbi_tail']:.3f} "
        f"| {half['stages_s']['viterbi_tail']:.3f} |",
        f"| · periodicity + copy to the host (s) | {ref['stages_s']['periodicity_and_copy']:.3f} "
        f"| {half['stages_s']['periodicity_and_copy']:.3f} |",
        "",
    ]
    agr = half["agreement_vs_torchcrepe_float32"]
    cpu = last["cpu_vs_device"]["agreement_vs_cpu"]["default-half"]
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
        f"{acc['cpu_default_float32']['rpa_50c']:.3f} (CPU) / {acc['cuda_default-half']['rpa_50c']:.3f} (GPU). "
        "Stated tolerance (`bench/gpu_crepe_layout.py`, `docs/gpu_crepe_layout_run*.json`): ≥ 99.5 % of "
        "confident frames keep their arg-max bin (measured "
        f"{var['fast-nlc-float16']['same_argmax_confident']:.4f}), decoded pitch within one 20-cent bin.",
        "",
        "How (`dawglib._crepe_batch.fast_model`, same weights, the rewrites exact in real arithmetic — float32 "
        "activations within 1e-6 of torchcrepe's, tested): the first layer (1 input channel, 512 taps, stride 4: "
        "26 ms of torchcrepe's 96 ms per 4096 frames, in a non-tensor-core cuDNN kernel) is one matrix product "
        "over the unfolded frame; each BatchNorm is folded into its convolution and applied after the max-pool "
        "(which also keeps float16 in range: torchcrepe's variances reach 5·10⁵); layers 3–6, with only 64–8 "
        "positions, are dense matrix products; layer 2 stays a cuDNN convolution in channels-last float16. "
        "The Viterbi decoder (banded: 23 reachable predecessors plus the best state overall, identical to "
        "torchcrepe's) took 0.4–0.6 s per 16 min of audio whether stepped in torch on the GPU (kernel "
        "launches) or in numba on CPU threads after the network (runs 3–4); it now runs in numba on CPU "
        "threads for each file as soon as its frames are through the network, while the GPU runs the next "
        "batches, and only 0.04 s is left after the last batch. float32 on the GPU (`half=False`) keeps full "
        "float32 matrix products: 345× for the network, slower than torchcrepe's TF32 convolutions (421×).",
        "",
        f"Where the time goes now ({last_name}, CUDA time per 4096-frame batch, "
        f"{last['profile']['fast-nlc-float16']['ms_per_batch']:.1f} ms in all):",
        "",
        "| kernel | ms | share |",
        "|---|---|---|",
    ]
    for row in last["profile"]["fast-nlc-float16"]["top"][:6]:
        lines.append(f"| `{row['kernel'][:70]}` | {row['ms_per_batch']:.2f} | {row['share']:.0%} |")
    lines += [
        "",
        "Layer 2 (1024 → 128 channels, 64 taps: 76 % of the multiply-adds) is 3/4 of the time, in an "
        "Ampere-generation cuDNN kernel at about 350 TFLOP/s, half of what the card's float16 matrix units "
        "reach. Caveats: 1000× is met on an **H200** end to end by a hair (1000.5×); the goal names an "
        "H100, which this session could not get (the H100 runs below are of torchcrepe's own model; the "
        "H100's matrix units have the same peak, so the network should land close, but it is not measured). "
        "`torch.compile` of the float16 model gave another 20 % on the network in run 3 (742× vs 615× there) "
        "but costs a compile per process and is not used by the library.",
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
