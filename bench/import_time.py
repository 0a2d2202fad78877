"""How long `import dawglib` takes in a fresh interpreter, beside `import librosa` (median of repeats)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

from _report import write_section

CODE = "import time, sys; t = time.perf_counter(); import {m}; print(time.perf_counter() - t)"
REPEATS = 7


def measure(module: str) -> float:
    runs = []
    for _ in range(REPEATS):
        out = subprocess.run([sys.executable, "-c", CODE.format(m=module)], capture_output=True, text=True, check=True)
        runs.append(float(out.stdout.strip()))
    return statistics.median(runs)


def main() -> None:
    rows = {m: measure(m) for m in ("dawglib", "dawglib.io", "librosa", "torch")}
    body = [
        "## Import time",
        "",
        "Median of 7 fresh interpreters. Goal: `import dawglib` < 1 s, without torch or an LLM SDK.",
        "",
        "| module | seconds | × dawglib |",
        "|---|---|---|",
    ]
    for m, s in rows.items():
        body.append(f"| `{m}` | {s:.3f} | {s / rows['dawglib']:.1f} |")
    write_section("import_time", "\n".join(body))
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
