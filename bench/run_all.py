"""Run every benchmark script under bench/ (each rewrites its own section of docs/benchmarks.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: not benchmarks of their own: data generators (run by the benchmarks) and the GPU-machine scripts
SKIP = {"run_all.py", "pitch_data.py", "rhythm_data.py", "gpu_crepe.py", "gpu_prepare.py", "gpu_report.py"}

if __name__ == "__main__":
    scripts = sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_") and p.name not in SKIP)
    failed = []
    for script in scripts:
        print(f"[bench] {script.name}", flush=True)
        if subprocess.run([sys.executable, str(script)], cwd=HERE, check=False).returncode != 0:
            failed.append(script.name)
    print("[bench] wrote docs/benchmarks.md" + (f"; FAILED: {failed}" if failed else ""))
    sys.exit(1 if failed else 0)
