from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

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


def api_requests(t0: dt.datetime, start_s: int, n: int, *, status: int) -> pd.DataFrame:
    """``n`` request events of service ``api``, one a second from ``t0 + start_s``, all with ``status``."""
    return pd.DataFrame(
        {
            "ts": [t0 + dt.timedelta(seconds=start_s + i) for i in range(n)],
            "service": "api",
            "endpoint": "/",
            "method": "GET",
            "status": status,
            "duration_ms": 10.0,
            "user_id": "u",
            "session_id": "s",
        }
    )


def llm_call(ts: dt.datetime, usd: float, *, provider: str = "openai") -> pd.DataFrame:
    """One ``llm_call`` event at ``ts`` costing ``usd``."""
    return pd.DataFrame(
        {
            "ts": [ts],
            "provider": [provider],
            "model": ["m"],
            "tokens_in": [1],
            "tokens_out": [1],
            "cost_usd": [usd],
            "latency_ms": [1.0],
            "ok": [True],
            "user_id": ["u"],
            "persona": ["p"],
            "feature": ["chat"],
        }
    )
