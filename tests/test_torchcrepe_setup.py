"""The set-up handles the torchaudio trap: torchcrepe imports and runs on the CPU torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np


def test_torchcrepe_imports_with_shim_and_predicts():
    code = (
        "import numpy as np, sys\n"
        "from dawglib._torchaudio_shim import import_torchcrepe\n"
        "tc = import_torchcrepe()\n"
        "import torch\n"
        "torch.set_num_threads(1)\n"
        "sr = 16000; t = np.arange(sr) / sr\n"
        "x = torch.tensor(0.5 * np.sin(2 * np.pi * 440 * t), dtype=torch.float32)[None]\n"
        "f0 = tc.predict(x, sr, 160, 50.0, 1000.0, 'tiny', batch_size=512, device='cpu')\n"
        "print(float(f0[0, 10:-10].median()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    f0 = float(out.stdout.strip().splitlines()[-1])
    # torchcrepe's bins are 20 cents wide; a 440 Hz tone comes back within 25 cents.
    assert abs(1200 * np.log2(f0 / 440.0)) < 25
