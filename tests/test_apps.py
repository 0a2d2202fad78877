"""Browser tests: the apps served on 127.0.0.1, driven by Playwright in Debian Chromium."""

from __future__ import annotations

import pytest

from .conftest import BIN, DATA, ROOT, Server, free_port

pytestmark = pytest.mark.ui
ARTIFACTS = ROOT / "reports" / "test-artifacts"
ARTIFACTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="module")
def voila(tmp_path_factory, samples):
    port = free_port()
    log = tmp_path_factory.mktemp("voila") / "voila.log"
    srv = Server(
        [
            str(BIN / "voila"),
            "dashboards/vocal_coach.ipynb",
            "--no-browser",
            "--Voila.ip=127.0.0.1",
            f"--port={port}",
        ],
        url=f"http://127.0.0.1:{port}/",
        cwd=ROOT,
        log=log,
        env={"DAWG_COACH_DB": str(log.parent / "coach.duckdb"), "DAWG_DATA": str(DATA)},
    )
    try:
        srv.wait(90)
        yield srv
    finally:
        srv.stop()


def _upload(page, label, path):
    """Use the upload button as a person would: click it and pick the file in the chooser."""
    with page.expect_file_chooser(timeout=30_000) as chooser:
        page.get_by_text(label).first.click()
    chooser.value.set_files(str(path))


def test_coach_app_analyses_uploads_and_survives_bad_files(browser, voila, samples, tmp_path):
    page = browser.new_page(viewport={"width": 1300, "height": 2200})
    try:
        page.goto(voila.url, timeout=90_000)
        page.get_by_role("button", name="Analyse sample").wait_for(timeout=90_000)
        # 1. an embedded sample take: scores, the plot and the feedback appear
        page.get_by_role("button", name="Analyse sample").click()
        page.locator(".coach-ok").wait_for(timeout=60_000)
        assert page.locator("[data-score]").count() == 5
        overall = float(page.locator("[data-score='overall'] div").first.inner_text())
        assert overall >= 90  # coach_good.wav is a clean take
        assert page.locator("img").count() >= 1
        # 2. upload a real file: it is analysed and its fault is named
        _upload(page, "Upload take", samples / "coach_late_entries.wav")
        page.get_by_text("Analysed coach_late_entries.wav").wait_for(timeout=60_000)
        assert "late" in page.locator(".coach-feedback").inner_text().lower()
        page.screenshot(path=str(ARTIFACTS / "vocal_coach.png"), full_page=True)
        # 3. a bad file: a clear message, and the app keeps working
        bad = tmp_path / "broken.wav"
        bad.write_bytes(b"RIFF....not audio" * 40)
        _upload(page, "Upload take", bad)
        page.locator(".coach-error").wait_for(timeout=30_000)
        assert "cannot decode" in page.locator(".coach-error").inner_text()
        page.get_by_role("button", name="Analyse sample").click()
        page.locator(".coach-ok").wait_for(timeout=60_000)
        # 4. save as a take
        page.get_by_role("button", name="Save as take").click()
        page.locator(".coach-saved").wait_for(timeout=30_000)
        assert "Take 1" in page.locator(".coach-saved").inner_text()
    finally:
        page.close()
