"""Repository hygiene: no large files in git, README commands exist, CI calls `make test`."""

from __future__ import annotations

import re
import subprocess

from .conftest import ROOT

MAX_BYTES = 1_000_000


def test_no_large_files_tracked():
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    big = [p for p in out.decode().split("\0") if p and (ROOT / p).is_file() and (ROOT / p).stat().st_size > MAX_BYTES]
    assert big == [], f"files over {MAX_BYTES} bytes in git: {big}"


def test_ci_runs_make_test():
    text = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", text, re.M)


def test_readme_commands_are_make_targets():
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in set(re.findall(r"`make (\w+)`", readme)):
        assert re.search(rf"^{target}:", makefile, re.M), f"README names `make {target}`, Makefile lacks it"


def test_environment_yml_matches_pins():
    env = (ROOT / "environment.yml").read_text()
    assert "python=3.11" in env and "-r requirements.txt" in env and "-c constraints.txt" in env
    assert "torch==2.13.0" in (ROOT / "constraints.txt").read_text()
    assert "torch==2.13.0" in (ROOT / "requirements.txt").read_text()
