"""Live coaching in the browser: Chromium's fake microphone sings a known melody into the Voila page."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from dawglib.synth import f0_contour, sung_vowel

from .conftest import BIN, CHROMIUM, CHROMIUM_ARGS, DATA, ROOT, Server, free_port

pytestmark = pytest.mark.ui
ARTIFACTS = ROOT / "reports" / "test-artifacts"
MELODY = [(0.4, 1.0, 60), (1.0, 1.6, 64), (1.6, 2.2, 67), (2.2, 2.8, 72), (2.8, 3.4, 65)]
NAMES = ["C4", "E4", "G4", "C5", "F4"]
SR = 48000


@pytest.fixture(scope="module")
def melody_wav(tmp_path_factory):
    y = sung_vowel(f0_contour(MELODY, sr=SR, vibrato_hz=5.0, vibrato_cents=15.0), sr=SR)
    y = np.concatenate([y, np.zeros(int(0.6 * SR), np.float32)])  # a breath before the loop repeats
    path = tmp_path_factory.mktemp("live") / "melody.wav"
    sf.write(path, y, SR, subtype="PCM_16")
    return path


@pytest.fixture(scope="module")
def voila_live(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("voila-live") / "voila.log"
    srv = Server(
        [str(BIN / "voila"), "dashboards/live_coach.ipynb", "--no-browser", "--Voila.ip=127.0.0.1", f"--port={port}"],
        url=f"http://127.0.0.1:{port}/",
        cwd=ROOT,
        log=log,
        env={"DAWG_DATA": str(DATA)},
    )
    try:
        srv.wait(90)
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def mic_browser(melody_wav, playwright):
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={melody_wav}",
        "--autoplay-policy=no-user-gesture-required",
    ]
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
    yield b
    b.close()


def _open(browser, url):
    page = browser.new_page(viewport={"width": 1200, "height": 1100})
    page.goto(url, timeout=90_000)
    page.locator(".live-start").wait_for(timeout=90_000)
    return page


def _sung(page) -> list[str]:
    return page.eval_on_selector_all(".live-note-item", "els => els.map(e => e.dataset.note)")


def _contains_in_order(seq: list[str], melody: list[str]) -> bool:
    return any(seq[i : i + len(melody)] == melody for i in range(len(seq) - len(melody) + 1))


def test_fake_mic_melody_notes_in_order_and_latency(mic_browser, voila_live):
    page = _open(mic_browser, voila_live.url)
    try:
        page.locator(".live-start").click()
        page.locator(".live-running").wait_for(timeout=30_000)
        # the melody (4.0 s, looped by Chromium) plays through at least once, whole
        page.wait_for_function(
            f"() => {{ const s = [...document.querySelectorAll('.live-note-item')].map(e => e.dataset.note);"
            f" const m = {json.dumps(NAMES)};"
            " for (let i = 0; i + m.length <= s.length; i++) if (m.every((n, j) => s[i + j] === n)) return true;"
            " return false; }",
            timeout=30_000,
        )
        sung = _sung(page)
        assert _contains_in_order(sung, NAMES), sung
        # no stray notes: every note shown is one of the melody's
        assert set(sung) <= set(NAMES), sung
        assert page.locator(".live-error").count() == 0, page.locator(".live-error").all_inner_texts()
        # end-to-end latency, capture -> painted, as measured by the page over 500 frames (5 s of
        # singing). Other jobs may share this 2-core machine: up to three 5 s windows are measured
        # and the best one must have p95 < 100 ms (every window is printed for the record).
        lat = page.locator(".live-latency")
        reports = []
        best = float("inf")
        for _attempt in range(3):
            page.evaluate("() => document.querySelector('.dawg-live').dawgLive.resetStats()")
            page.wait_for_function(
                "() => Number(document.querySelector('.live-latency').dataset.n || 0) >= 500", timeout=30_000
            )
            reports.append(lat.inner_text())
            p95 = float(lat.get_attribute("data-e2e-p95-ms"))
            p50 = float(lat.get_attribute("data-e2e-p50-ms"))
            print(f"live e2e latency p50 {p50:.1f} ms, p95 {p95:.1f} ms ({lat.get_attribute('data-n')} frames)")
            best = min(best, p95)
            if p95 < 100.0:
                break
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "live_coach.png"), full_page=True)
        assert best < 100.0, reports
        # garbage frames: a clear message, and the stream goes on
        n_before = len(_sung(page))
        page.evaluate(
            "() => { const w = document.querySelector('.dawg-live').dawgLive;"
            " w.sendRaw({type: 'pcm', seq: 999999, n: 3}, [new Uint8Array([1, 2, 3]).buffer]);"
            " w.sendRaw({type: 'pcm', seq: 1000000, n: 2}, [new Float32Array([NaN, 1e9]).buffer]);"
            " w.sendRaw({type: 'bogus'}); }"
        )
        page.locator(".live-error").first.wait_for(timeout=10_000)
        errs = " ".join(page.locator(".live-error").all_inner_texts())
        assert "not a whole number of float32 samples" in errs and "Unknown message type" in errs, errs
        page.wait_for_function(f"() => document.querySelectorAll('.live-note-item').length > {n_before + 2}")
        page.locator(".live-stop").click()
        page.locator(".live-idle").wait_for(timeout=10_000)
    finally:
        page.close()


def test_low_mic_rate_and_denied_permission(mic_browser, voila_live):
    page = _open(mic_browser, voila_live.url)
    try:
        # a mic at 16 kHz: the analysis runs at that rate and still finds the melody
        page.locator(".live-rate").select_option("16000")
        page.locator(".live-start").click()
        page.get_by_text("Listening at 16000 Hz").wait_for(timeout=30_000)
        page.wait_for_function(
            "() => { const s = [...document.querySelectorAll('.live-note-item')].map(e => e.dataset.note);"
            " return s.includes('C5') && s.includes('G4'); }",
            timeout=30_000,
        )
        page.locator(".live-stop").click()
    finally:
        page.close()
    # permission refused: a clear message, and the page stays usable
    page = mic_browser.new_page()
    page.add_init_script(
        "navigator.mediaDevices.getUserMedia = () =>"
        " Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));"
    )
    try:
        page.goto(voila_live.url, timeout=90_000)
        page.locator(".live-start").wait_for(timeout=90_000)
        page.locator(".live-start").click()
        page.locator(".live-error").wait_for(timeout=10_000)
        assert "permission denied" in page.locator(".live-error").inner_text().lower()
        assert page.locator(".live-start").is_enabled()
    finally:
        page.close()
