"""Browser tests: the apps served on 127.0.0.1, driven by Playwright in Debian Chromium."""

from __future__ import annotations

import pytest

from .conftest import BIN, DATA, ROOT, Server, free_port

pytestmark = pytest.mark.ui


@pytest.fixture(scope="module")
def voila(tmp_path_factory, samples):
    port = free_port()
    log = tmp_path_factory.mktemp("voila") / "voila.log"
    srv = Server(
        [
            str(BIN / "voila"),
            "dashboards/coach.ipynb",
            "--no-browser",
            "--Voila.ip=127.0.0.1",
            f"--port={port}",
            "--VoilaConfiguration.file_allowlist=['.*']",
        ],
        url=f"http://127.0.0.1:{port}/",
        cwd=ROOT,
        log=log,
    )
    try:
        srv.wait(90)
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def panel_ops(tmp_path_factory, samples):
    port = free_port()
    log = tmp_path_factory.mktemp("panel") / "panel.log"
    srv = Server(
        [
            str(BIN / "panel"),
            "serve",
            "dashboards/ops.py",
            "--address",
            "127.0.0.1",
            "--port",
            str(port),
            "--allow-websocket-origin",
            f"127.0.0.1:{port}",
        ],
        url=f"http://127.0.0.1:{port}/ops",
        cwd=ROOT,
        log=log,
        env={"JARVIS_DB": str(DATA / "jarvis.duckdb")},
    )
    try:
        srv.wait(90)
        yield srv
    finally:
        srv.stop()


def test_coach_app_renders_and_reacts(browser, voila, tmp_path):
    page = browser.new_page()
    try:
        page.goto(voila.url, timeout=90_000)
        info = page.locator(".take-info")
        info.wait_for(timeout=90_000)
        first = info.inner_text()
        assert " s at " in first and "Hz" in first
        # choose another take: the text must change to that file
        page.locator("select").select_option("take_synth.wav")
        page.wait_for_function(
            "() => document.querySelector('.take-info') && "
            "document.querySelector('.take-info').innerText.includes('take_synth.wav')",
            timeout=30_000,
        )
        page.screenshot(path=str(tmp_path / "coach.png"))
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        assert errors.count() == 0
    finally:
        page.close()


def test_ops_dashboard_shows_store_counts(browser, panel_ops, tmp_path):
    from jarvis_analytics.store import Store

    with Store(DATA / "jarvis.duckdb", read_only=True) as store:
        n_requests = store.counts()["request"]
    page = browser.new_page()
    try:
        page.goto(panel_ops.url, timeout=90_000)
        # Panel renders into shadow DOM; Playwright's text locators pierce it.
        page.get_by_text(f"{n_requests:,}", exact=True).first.wait_for(timeout=60_000)
        page.get_by_text("JARVIS ops").first.wait_for(timeout=10_000)
        page.screenshot(path=str(tmp_path / "ops.png"))
    finally:
        page.close()
