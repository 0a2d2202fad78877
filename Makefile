# DAWG Workbench — set-up, demo and tests. The two commands a user needs: `make demo`, `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
QUIET := grep -v "is ignored: it is neither a file nor a directory" || true
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
PIP    := $(PY) -m pip
KERNEL := dawg
STAMP  := $(VENV)/.installed
SYSSTAMP := $(VENV)/.system
# Debian's chromium for Playwright; never `playwright install`.
export DAWG_CHROMIUM ?= /usr/bin/chromium
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export MPLBACKEND := Agg

.PHONY: help setup system data demo reports live test lint typecheck unit notebooks ui bench lock clean distclean coach ops lab

help:
	@echo "make demo   - set up (if needed) and run the workbench on the embedded sample data"
	@echo "make test   - set up (if needed) and run linters, unit, notebook and browser tests"
	@echo "make setup  - only the set-up (.venv, Debian packages, Jupyter kernel)"
	@echo "make bench  - run the benchmarks under bench/ and rewrite docs/benchmarks.md"

## --- set-up -----------------------------------------------------------------------------
setup: system $(STAMP)

system:
	@bash scripts/apt_deps.sh

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip 2>&1 | { $(QUIET); }

$(STAMP): $(PY) requirements.txt requirements-nodeps.txt constraints.txt pyproject.toml
	$(PIP) install -q -r requirements.txt -c constraints.txt 2>&1 | { $(QUIET); }
	$(PIP) install -q --no-deps -r requirements-nodeps.txt 2>&1 | { $(QUIET); }
	$(PIP) install -q --no-deps --no-build-isolation -e . 2>&1 | { $(QUIET); }
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "DAWG Workbench (Python 3.11)" >/dev/null
	@touch $(STAMP)
	@echo "[setup] .venv ready"

# Re-resolve the pinned lock from requirements-top.txt (maintainers only; needs PyPI).
lock:
	rm -rf /tmp/dawg-lock && $(PYTHON) -m venv /tmp/dawg-lock
	/tmp/dawg-lock/bin/pip install -q -r requirements-top.txt -c constraints.txt
	{ echo "# Pinned lock of requirements-top.txt, made by 'make lock' (pip freeze of a fresh venv)."; \
	  echo "# Install with: pip install -r requirements.txt -c constraints.txt"; \
	  /tmp/dawg-lock/bin/pip freeze | sed 's/^torch==\(.*\)+cpu$$/torch==\1/'; } > requirements.txt

## --- data and demo ----------------------------------------------------------------------
data: setup
	$(PY) -m dawglib.samples data
	@test -f data/jarvis.duckdb || $(BIN)/jarvis demo-data --db data/jarvis.duckdb

demo: setup data
	$(PY) scripts/demo.py

# the two scheduled reports, dated, into reports/ (what `jarvis schedule --run-due` runs)
reports: setup data
	$(BIN)/jarvis report ops-weekly --out reports --param db=data/jarvis.duckdb
	$(BIN)/jarvis report singer-progress --out reports --param coach_db=data/coach.duckdb

## --- tests ------------------------------------------------------------------------------
lint: setup
	$(BIN)/ruff check dawglib jarvis_analytics tests bench scripts dashboards notebooks
	$(BIN)/ruff format --check dawglib jarvis_analytics tests bench scripts dashboards notebooks

typecheck: setup
	$(BIN)/mypy dawglib jarvis_analytics

unit: setup data
	$(BIN)/pytest -m "not notebook and not ui"

notebooks: setup data
	$(BIN)/pytest -m notebook

ui: setup data
	$(BIN)/pytest -m ui

test: setup data lint typecheck
	$(BIN)/pytest

bench: setup data
	$(PY) bench/run_all.py

clean:
	rm -rf reports .pytest_cache .mypy_cache .ruff_cache
	find . -name __pycache__ -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)

## --- apps -------------------------------------------------------------------------------
coach: setup data
	$(BIN)/voila dashboards/vocal_coach.ipynb --no-browser --Voila.ip=127.0.0.1 --port=8866

live: setup data
	$(BIN)/voila dashboards/live_coach.ipynb --no-browser --Voila.ip=127.0.0.1 --port=8867

ops: setup data
	$(BIN)/panel serve dashboards/ops.py --address 127.0.0.1 --port 5006 --warm

lab: setup data
	$(BIN)/jupyter lab --ip=127.0.0.1 --no-browser notebooks
