"""`make demo`: run the workbench's main job on the embedded sample data and say where outputs are."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import papermill as pm
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"
KERNEL = "dawg"


def run_notebook(src: Path, dest_html: Path, parameters: dict | None = None) -> None:
    executed = REPORTS / "executed" / src.name
    executed.parent.mkdir(parents=True, exist_ok=True)
    pm.execute_notebook(
        str(src),
        str(executed),
        parameters=parameters or {},
        kernel_name=KERNEL,
        cwd=str(src.parent),
        progress_bar=False,
    )
    body, _ = HTMLExporter().from_filename(str(executed))
    dest_html.write_text(body, encoding="utf-8")


def main() -> int:
    REPORTS.mkdir(exist_ok=True)
    jobs = [(nb, REPORTS / f"{nb.stem}.html", {}) for nb in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    failed = []
    for src, html, params in jobs:
        t0 = time.perf_counter()
        try:
            run_notebook(src, html, params)
            print(f"[demo] {src.relative_to(ROOT)} -> {html.relative_to(ROOT)} ({time.perf_counter() - t0:.1f} s)")
        except Exception as exc:  # noqa: BLE001 - report every failing notebook, then fail once
            failed.append(src)
            print(f"[demo] FAILED {src.relative_to(ROOT)}: {str(exc).splitlines()[0] if str(exc) else exc!r}")
    # the scheduled reports, as `jarvis report` writes them (dated .ipynb + .html)
    from jarvis_analytics.reports import run_report

    for name, params in (
        ("ops-weekly", {"db": str(ROOT / "data" / "jarvis.duckdb")}),
        (
            "singer-progress",
            {"coach_db": str(ROOT / "data" / "coach.duckdb"), "samples": str(ROOT / "data" / "samples")},
        ),
    ):
        t0 = time.perf_counter()
        try:
            run = run_report(name, out_dir=REPORTS, params=params)
            print(f"[demo] report {name} -> {Path(run.html).relative_to(ROOT)} ({time.perf_counter() - t0:.1f} s)")
        except Exception as exc:  # noqa: BLE001 - report every failing report, then fail once
            failed.append(Path(name))
            print(f"[demo] FAILED report {name}: {str(exc).splitlines()[0] if str(exc) else exc!r}")
    print()
    print(f"Outputs: sample data in {ROOT / 'data'}, executed notebooks and reports (HTML) in {REPORTS}")
    print("Open the apps:")
    print("  vocal coach (Voila):  make coach   -> http://127.0.0.1:8866")
    print("  ops dashboard (Panel): make ops     -> http://127.0.0.1:5006/ops")
    print("  notebooks (JupyterLab): make lab")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
