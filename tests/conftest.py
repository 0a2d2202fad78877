"""Shared fixtures: a seeded rng, sample paths, servers on loopback and Debian Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SAMPLES = DATA / "samples"
BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("DAWG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session", autouse=True)
def kb_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The brain's knowledge-base index in the session's temp folder (shared by the tests and the
    notebooks they run), never in the user's ~/.cache."""
    path = tmp_path_factory.getbasetemp() / "kb-index" / "knowledge.duckdb"
    old = os.environ.get("DAWG_KB_INDEX")
    os.environ["DAWG_KB_INDEX"] = str(path)
    yield path
    if old is None:
        os.environ.pop("DAWG_KB_INDEX", None)
    else:
        os.environ["DAWG_KB_INDEX"] = old


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261126)


@pytest.fixture(scope="session")
def samples() -> Path:
    if not (SAMPLES / "take_synth.wav").exists():
        from dawglib.samples import generate

        generate(DATA)
    return SAMPLES


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A server process on 127.0.0.1 that is stopped (and its log shown on failure) at teardown."""

    def __init__(self, cmd: list[str], *, url: str, cwd: Path, log: Path, env: dict[str, str] | None = None):
        self.url = url
        self.log = log
        self._fh = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd, cwd=cwd, stdout=self._fh, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )

    def wait(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            # first the port, then one page request with the time left: a page that takes seconds to
            # render on a loaded machine must not be requested (and abandoned) over and over
            parts = urllib.parse.urlsplit(self.url)
            try:
                socket.create_connection((parts.hostname, parts.port), timeout=1).close()
            except OSError:
                time.sleep(0.3)
                continue
            try:
                left = max(5.0, deadline - time.monotonic())
                with urllib.request.urlopen(self.url, timeout=left) as r:  # noqa: S310 - loopback only
                    if r.status < 500:
                        return
            except OSError:
                time.sleep(0.3)
        raise TimeoutError(f"{self.url} not up after {timeout_s} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._fh.close()


@pytest.fixture(scope="session")
def playwright() -> Iterator[object]:
    """One Playwright for the whole session: the sync API cannot run two at once in a thread."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Debian chromium not found at {CHROMIUM}; run 'make setup'")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright) -> Iterator[object]:
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield b
    b.close()
