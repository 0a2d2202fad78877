"""Every notebook and report runs top to bottom under papermill (kernel 'dawg')."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import DATA, ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
REPORTS = sorted((ROOT / "notebooks" / "reports").glob("*.ipynb"))


def _execute(src: Path, out: Path, parameters: dict) -> None:
    import nbformat
    import papermill as pm

    pm.execute_notebook(
        str(src), str(out), parameters=parameters, kernel_name="dawg", cwd=str(src.parent), progress_bar=False
    )
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []


def test_there_are_notebooks():
    assert NOTEBOOKS and REPORTS


@pytest.mark.notebook
@pytest.mark.parametrize("src", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(src, tmp_path, samples):
    _execute(src, tmp_path / src.name, {"DATA": str(DATA)})


@pytest.mark.notebook
@pytest.mark.parametrize("src", REPORTS, ids=lambda p: p.name)
def test_report_runs(src, tmp_path, samples):
    _execute(src, tmp_path / src.name, {"db": str(DATA / "jarvis.duckdb")})


def test_notebooks_are_committed_without_outputs():
    import nbformat

    for src in [*NOTEBOOKS, *REPORTS, *sorted((ROOT / "dashboards").glob("*.ipynb"))]:
        nb = nbformat.read(src, as_version=4)
        dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
        assert dirty == [], f"{src.name}: cells {dirty} carry outputs; run nbstripout"
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        if src in REPORTS:
            assert len(tagged) == 1, f"{src.name} needs exactly one cell tagged 'parameters'"
