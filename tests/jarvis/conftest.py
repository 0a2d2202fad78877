from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def jarvis(*args: str, check: bool = True, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``jarvis`` CLI in a subprocess (the way users and make call it)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "jarvis_analytics", *args], capture_output=True, text=True, env=env, cwd=cwd or ROOT
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"jarvis {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc
