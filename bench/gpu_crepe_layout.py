"""torchcrepe-full on a GPU, layouts and precisions: can the network reach 1000x real time?

The first GPU run (``gpu_crepe.py``) found float32/TF32 the fastest at ~415x real time for the
network and float16 autocast ~3x slower. This script times, on the same frames and the same card,
the network in other shapes and number formats, and checks each one against the float32 reference
(share of frames whose arg-max bin is the same, largest activation difference):

- ``crepe2d``: torchcrepe's own model (2-D convolutions on an (N, C, L, 1) layout), float32;
  autocast bfloat16; the whole model cast to bfloat16 / float16 with channels-last tensors;
- ``crepe1d``: the same weights as 1-D convolutions on (N, C, L) (:class:`Crepe1d`), float32,
  bfloat16, float16; and bfloat16 with the first layer (1 input channel, 512 taps, stride 4) as
  one matrix product over unfolded frames.

Then the best variant end to end through ``dawglib._crepe_batch.predict_many`` (framing, network,
Viterbi on the device) and its decoded pitch against float32's.

``python bench/gpu_crepe_layout.py [--cpu-smoke] [--budget-s 120]``; JSON to ``$OUT/gpu_layout.json``.
``--cpu-smoke`` checks on the CPU, with the tiny model, that every variant computes the same function.
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

from gpu_crepe import HOP16, SR, T0, stub_missing, sync, synth_signals, time_batches  # noqa: E402


def make_crepe1d(net2d, torch):
    """A module computing ``net2d``'s function with 1-D convolutions (same weights, same order of ops)."""
    F = torch.nn.functional

    class Crepe1d(torch.nn.Module):
        def __init__(self, first_as_matmul: bool = False) -> None:
            super().__init__()
            self.first_as_matmul = first_as_matmul
            self.convs = torch.nn.ModuleList()
            self.bns = torch.nn.ModuleList()
            for i in range(1, 7):
                c2, b2 = getattr(net2d, f"conv{i}"), getattr(net2d, f"conv{i}_BN")
                c1 = torch.nn.Conv1d(c2.in_channels, c2.out_channels, c2.kernel_size[0], stride=c2.stride[0])
                c1.weight.data.copy_(c2.weight.data[..., 0])
                c1.bias.data.copy_(c2.bias.data)
                b1 = torch.nn.BatchNorm1d(b2.num_features, eps=b2.eps, momentum=0.0)
                b1.load_state_dict(b2.state_dict())
                self.convs.append(c1)
                self.bns.append(b1)
            self.classifier = net2d.classifier
            self.in_features = net2d.in_features
            self.eval()

        def forward(self, x):
            if self.first_as_matmul:
                c = self.convs[0]
                xp = F.pad(x, (254, 254))  # (N, 1532)
                fr = xp.unfold(1, c.kernel_size[0], c.stride[0])  # (N, 256, 512)
                y = (fr @ c.weight[:, 0, :].t() + c.bias).transpose(1, 2)  # (N, 1024, 256)
            else:
                y = self.convs[0](F.pad(x[:, None, :], (254, 254)))
            y = F.max_pool1d(self.bns[0](F.relu(y)), 2, 2)
            for conv, bn in zip(self.convs[1:], self.bns[1:]):
                y = F.max_pool1d(bn(F.relu(conv(F.pad(y, (31, 32))))), 2, 2)
            y = y.permute(0, 2, 1).reshape(-1, self.in_features)
            return torch.sigmoid(self.classifier(y))

    return Crepe1d


class Cast:
    """``net`` run in ``dtype`` (and ``memory_format``), answering float32 like the reference."""

    def __init__(self, net, torch, *, dtype, channels_last=False, autocast=None):
        self.torch, self.dtype, self.autocast = torch, dtype, autocast
        self.net = net
        self.channels_last = channels_last

    def __call__(self, x):
        torch = self.torch
        if self.autocast is not None:
            with torch.autocast(x.device.type, dtype=self.autocast):
                return self.net(x).float()
        return self.net(x.to(self.dtype)).float()


def variants(net2d, torch, device):
    import copy

    Crepe1d = make_crepe1d(net2d, torch)
    cl = torch.channels_last
    out = {"crepe2d-float32": Cast(net2d, torch, dtype=torch.float32)}
    if device == "cuda":
        out["crepe2d-autocast-bfloat16"] = Cast(net2d, torch, dtype=torch.float32, autocast=torch.bfloat16)
    for name, dt in (("bfloat16", torch.bfloat16), ("float16", torch.float16)):
        if device != "cuda" and dt is torch.float16:
            continue
        m = copy.deepcopy(net2d).to(dtype=dt, memory_format=cl)
        out[f"crepe2d-{name}-channels-last"] = Cast(m, torch, dtype=dt)
    c1 = Crepe1d().to(device)
    out["crepe1d-float32"] = Cast(c1, torch, dtype=torch.float32)
    for name, dt in (("bfloat16", torch.bfloat16), ("float16", torch.float16)):
        if device != "cuda" and dt is torch.float16:
            continue
        out[f"crepe1d-{name}"] = Cast(copy.deepcopy(c1).to(dtype=dt), torch, dtype=dt)
    c1m = Crepe1d(first_as_matmul=True).to(device)
    out["crepe1d-float32-first-matmul"] = Cast(c1m, torch, dtype=torch.float32)
    out["crepe1d-bfloat16-first-matmul"] = Cast(
        copy.deepcopy(c1m).to(dtype=torch.bfloat16), torch, dtype=torch.bfloat16
    )
    return out


def time_net(fn, frames, *, batch_size, reps, device):
    n = int(frames.shape[0])
    sec = time_batches(fn, frames, batch_size=batch_size, reps=reps, device=device)
    return {"seconds": round(sec, 4), "frames": n, "x_real_time": round(n * HOP16 / SR / sec, 1)}


def compare(fn, ref_fn, frames):
    torch = sys.modules["torch"]
    with torch.inference_mode():
        a, b = ref_fn(frames), fn(frames)
    same = (a.argmax(1) == b.argmax(1)).float().mean().item()
    # frames where the reference is confident (what Viterbi + the periodicity threshold keep)
    conf = a.max(1).values >= 0.21
    same_conf = (a.argmax(1) == b.argmax(1))[conf].float().mean().item() if bool(conf.any()) else None
    return {
        "same_argmax": round(same, 5),
        "same_argmax_confident": same_conf,
        "max_abs_diff": float((a - b).abs().max()),
    }


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cpu-smoke", action="store_true")
    ap.add_argument("--budget-s", type=float, default=120.0)
    ap.add_argument("--batch-size", type=int, default=4096)
    ap.add_argument("--only", default="", help="comma-separated variant names to time, in this order")
    args = ap.parse_args()
    import torch

    stub_missing()
    from dawglib._crepe_batch import frames_of, load_model, predict_many

    cuda = torch.cuda.is_available() and not args.cpu_smoke
    device = "cuda" if cuda else "cpu"
    if cuda:
        torch.backends.cudnn.benchmark = True
    model = "full" if cuda else "tiny"
    weights = str(HERE / "_gpu" / "crepe_full_fp16.pt") if cuda else None
    net = load_model(model, device=device, weights=weights)
    sigs = synth_signals(16, 15.0, seed=1) * 4 if cuda else synth_signals(2, 2.0, seed=1)
    signals = [y for y, _ in sigs]
    with torch.inference_mode():
        frames = torch.cat([frames_of(torch.from_numpy(y).to(device), HOP16) for y in signals])
    report = {
        "script": "bench/gpu_crepe_layout.py",
        "device": torch.cuda.get_device_name(0) if cuda else "cpu",
        "torch": torch.__version__,
        "cudnn": torch.backends.cudnn.version() if cuda else None,
        "model": model,
        "batch_size": args.batch_size,
        "variants": {},
    }
    vs = variants(net, torch, device)
    if args.only:
        vs = {k: vs[k] for k in ["crepe2d-float32", *args.only.split(",")] if k in vs}
    ref = vs["crepe2d-float32"]
    check = frames[: min(4096, frames.shape[0])]
    bs = args.batch_size if cuda else 256
    for name, fn in vs.items():
        if time.perf_counter() - T0 > args.budget_s * 0.7:
            report["variants"][name] = {"skipped": "time budget"}
            continue
        try:
            r = compare(fn, ref, check)
            r.update(time_net(fn, frames, batch_size=bs, reps=3 if cuda else 1, device=device))
        except Exception as exc:  # noqa: BLE001 - report and go on
            r = {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}
        report["variants"][name] = r
        print(name, json.dumps(r), file=sys.stderr, flush=True)
    ok = {k: v for k, v in report["variants"].items() if "x_real_time" in v and v["same_argmax_confident"] is not None}
    good = {k: v for k, v in ok.items() if v["same_argmax_confident"] >= 0.995}
    best = max(good, key=lambda k: good[k]["x_real_time"]) if good else "crepe2d-float32"
    report["best_network_variant"] = best
    # end to end: framing -> network -> Viterbi, float32 reference vs the best variant
    audio_s = sum(y.size for y in signals) / SR
    kw = dict(hop16=HOP16, fmin_hz=50.0, fmax_hz=1500.0, device=device, batch_size=bs)
    e2e = {}
    outs = {}
    for name in dict.fromkeys(["crepe2d-float32", best]):
        if time.perf_counter() - T0 > args.budget_s * 0.85:
            e2e[name] = {"skipped": "time budget"}
            continue
        times = []
        for r in range(3 if cuda else 1):
            sync(device)
            t = time.perf_counter()
            o = predict_many(signals, net=vs[name], **kw)
            sync(device)
            if r or not cuda:
                times.append(time.perf_counter() - t)
        outs[name] = o
        sec = statistics.median(times)
        e2e[name] = {"seconds": round(sec, 3), "audio_s": round(audio_s, 1), "x_real_time": round(audio_s / sec, 1)}
        print("e2e", name, json.dumps(e2e[name]), file=sys.stderr, flush=True)
    if best in outs and "crepe2d-float32" in outs:
        import numpy as np

        a, b = outs["crepe2d-float32"], outs[best]
        va = np.concatenate([x.periodicity >= 0.21 for x in a])
        vb = np.concatenate([x.periodicity >= 0.21 for x in b])
        ba, bb = np.concatenate([x.bins for x in a]), np.concatenate([x.bins for x in b])
        both = va & vb
        cents = np.abs(ba[both] - bb[both]) * 20.0
        e2e["agreement"] = {
            "voicing_agreement": float(np.mean(va == vb)),
            "same_bin": float(np.mean(ba == bb)),
            "cents_p99": float(np.percentile(cents, 99)) if cents.size else None,
            "cents_max": float(cents.max()) if cents.size else None,
        }
    report["end_to_end"] = e2e
    report["total_s"] = round(time.perf_counter() - T0, 1)
    text = json.dumps(report, indent=1)
    print(text)
    if os.environ.get("OUT"):
        Path(os.environ["OUT"]).mkdir(parents=True, exist_ok=True)
        (Path(os.environ["OUT"]) / "gpu_layout.json").write_text(text + "\n")
    return report


if __name__ == "__main__":
    main()
