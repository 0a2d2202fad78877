"""The browser side of live coaching: a microphone widget that streams PCM to a :class:`~dawglib.live.LiveAnalyser`.

:class:`LiveMicWidget` is an `anywidget <https://anywidget.dev>`_ (``anywidget`` ships its own
JupyterLab/Voila extension, so no build step): its ES module (``dawglib/static/live_widget.js``)
opens the microphone with ``getUserMedia`` (echo cancellation, gain control and noise suppression
off), taps it with an AudioWorklet and sends ``chunk_ms`` chunks of float32 PCM over the widget's
comm channel, i.e. the app's own kernel websocket. :meth:`LiveMicWidget.handle_message` feeds them
to the analyser and answers with its events; the page draws a scrolling pitch trace, the current
note, a cents needle, the notes and the messages, and measures latency (see the module doc of the
ES module): block compute time (measured here, sent with each answer) and end-to-end time from a
sample's capture to its frame painted.

Bad input never raises out of the comm handler: a bad chunk (garbage bytes, NaN, a wrong length, an
unknown message) is answered with an ``error`` message shown in the page, and the stream goes on.

Examples
--------
>>> w = LiveMicWidget()
>>> w.handle_message({"type": "start", "sr": 16000, "chunk": 320})[0]["type"]
'notice'
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets as t

from .exceptions import DawglibError
from .live import LiveAnalyser

__all__ = ["LiveMicWidget"]

_STATIC = Path(__file__).resolve().parent / "static"
_log = logging.getLogger(__name__)
_MIN_SR, _MAX_SR = 8000, 192000


class LiveMicWidget(anywidget.AnyWidget):
    """Microphone → live pitch analysis in the kernel → events painted in the page.

    Parameters
    ----------
    target : list or path or None
        A reference melody to follow (see :func:`dawglib.coach.reference_notes`); times in seconds
        from the moment the microphone starts. Can be changed between runs (``w.target = ...``).
    sample_rate_hz : int
        Rate asked of the browser's AudioContext (0 = the device's own rate).
    chunk_ms : float
        Audio per message to the kernel, in ms (rounded to whole 128-sample render quanta).
    **analyser_kwargs
        Passed to :class:`~dawglib.live.LiveAnalyser` (``tolerance_cents``, ``lag_frames``, ...).

    Attributes
    ----------
    analyser : LiveAnalyser or None
        The analyser of the current run (a new one at each start).
    latency : dict
        The page's latest latency report: ``e2e_p50_ms``, ``e2e_p95_ms``, ``compute_p50_ms``,
        ``compute_p95_ms``, ``n`` (frames measured).
    compute_ms : list of float
        Python compute time of every chunk of the current run (ms).
    errors : list of str
        Errors reported to the page (most recent last).
    """

    _esm = (_STATIC / "live_widget.js").read_text(encoding="utf-8")
    _css = (_STATIC / "live_widget.css").read_text(encoding="utf-8")
    sample_rate_hz = t.Int(0).tag(sync=True)
    chunk_ms = t.Float(10.0).tag(sync=True)

    def __init__(
        self, *, target: Any = None, sample_rate_hz: int = 0, chunk_ms: float = 10.0, **analyser_kwargs: Any
    ) -> None:
        super().__init__(sample_rate_hz=int(sample_rate_hz), chunk_ms=float(chunk_ms))
        self.target = target
        self.analyser_kwargs = dict(analyser_kwargs)
        self.analyser: LiveAnalyser | None = None
        self.latency: dict[str, float] = {}
        self.compute_ms: list[float] = []
        self.errors: list[str] = []
        self.client_errors: list[str] = []
        self.on_msg(self._on_msg)
        _warm_up()

    # -- comm -------------------------------------------------------------------------------------
    def _on_msg(self, _widget: Any, content: Any, buffers: Any) -> None:
        try:
            replies = self.handle_message(content, buffers)
        except Exception as exc:  # noqa: BLE001 - nothing may leak out of the comm handler
            _log.exception("live widget: unexpected error")
            replies = [
                {
                    "type": "error",
                    "message": f"Internal error while analysing ({type(exc).__name__}); "
                    "the stream goes on. Details are in the server log.",
                }
            ]
        for r in replies:
            try:
                self.send(r)
            except Exception:  # noqa: BLE001 - a closed comm: the page is gone
                _log.info("live widget: could not send to the page (closed?)")

    def handle_message(self, content: Any, buffers: Any = None) -> list[dict[str, Any]]:
        """Answer one message from the page (also usable without a browser, as in the tests).

        Parameters
        ----------
        content : dict
            ``{"type": "start", "sr": int, ...}``, ``{"type": "pcm", "seq": int, "start_sample": int,
            "capture_ms": float, "n": int}`` with the float32 PCM in ``buffers[0]``, ``{"type":
            "stop"}``, ``{"type": "stats", ...}`` or ``{"type": "client_error", "message": str}``.
        buffers : list of bytes-like or None

        Returns
        -------
        list of dict
            Messages for the page: ``events`` (``events``, ``seq``, ``compute_ms``), ``notice`` or
            ``error`` (``message``).
        """
        if not isinstance(content, dict):
            return [self._error(f"Unreadable message from the page (a {type(content).__name__}, expected an object).")]
        kind = content.get("type")
        if kind == "start":
            return self._start(content)
        if kind == "pcm":
            return self._pcm(content, buffers or [])
        if kind == "stop":
            if self.analyser is None:
                return []
            events = self.analyser.flush()
            return [{"type": "events", "seq": -1, "compute_ms": None, "events": [e.to_dict() for e in events]}]
        if kind == "stats":
            self.latency = {k: float(v) for k, v in content.items() if k != "type" and _is_num(v)}
            return []
        if kind == "client_error":
            self.client_errors.append(str(content.get("message", ""))[:500])
            return []
        return [self._error(f"Unknown message type {str(kind)[:40]!r} from the page; expected start, pcm or stop.")]

    def _error(self, message: str) -> dict[str, Any]:
        self.errors.append(message)
        return {"type": "error", "message": message}

    def _start(self, content: dict[str, Any]) -> list[dict[str, Any]]:
        sr: Any = content.get("sr")
        if not _is_num(sr) or not _MIN_SR <= float(sr) <= _MAX_SR or float(sr) != int(sr):
            self.analyser = None
            return [
                self._error(
                    f"The microphone runs at {sr!r} Hz; live analysis needs a whole rate within "
                    f"{_MIN_SR}-{_MAX_SR} Hz. Pick another mic rate."
                )
            ]
        sr = int(sr)
        kw = dict(self.analyser_kwargs)
        kw.setdefault("fmax_hz", min(1100.0, sr / 2))
        try:
            self.analyser = LiveAnalyser(sr=sr, target=self.target, **kw)
        except DawglibError as exc:
            self.analyser = None
            return [self._error(f"Cannot start the analysis: {exc}")]
        self.compute_ms = []
        mic: Any = content.get("mic_sr")
        note = f"Analysing at {sr} Hz" + (f" (microphone at {int(mic)} Hz)" if _is_num(mic) and mic else "")
        note += f"; algorithmic latency {1000 * self.analyser.latency_s:.0f} ms."
        return [{"type": "notice", "message": note, "severity": "info"}]

    def _pcm(self, content: dict[str, Any], buffers: list[Any]) -> list[dict[str, Any]]:
        seq: Any = content.get("seq")
        label = f"audio chunk {seq}" if _is_num(seq) else "an audio chunk"
        if self.analyser is None:
            return [self._error(f"Got {label} before the analysis started; press Start again.")]
        if not buffers:
            return [self._error(f"{label} had no audio data; expected float32 samples.")]
        raw = memoryview(buffers[0]).cast("B")
        if raw.nbytes % 4:
            return [self._error(f"{label} rejected: {raw.nbytes} bytes is not a whole number of float32 samples.")]
        x = np.frombuffer(raw, dtype="<f4")
        n: Any = content.get("n")
        if _is_num(n) and int(n) != x.size:
            return [self._error(f"{label} rejected: header says {n} samples, the data holds {x.size}.")]
        start: Any = content.get("start_sample")
        start_i = int(start) if _is_num(start) and float(start) >= 0 else None
        t0 = time.perf_counter()
        try:
            events = self.analyser.process(x, start_sample=start_i)
        except DawglibError as exc:
            return [self._error(f"{label} rejected: {exc}")]
        ms = 1000.0 * (time.perf_counter() - t0)
        self.compute_ms.append(ms)
        return [{"type": "events", "seq": seq, "compute_ms": ms, "events": [e.to_dict() for e in events]}]


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v))


_WARM = False


def _warm_up() -> None:
    """Compile/load the numba kernels once, so the first live block is not slow."""
    global _WARM
    if _WARM:
        return
    an = LiveAnalyser(sr=16000)
    an.process(np.sin(2 * np.pi * 220.0 * np.arange(4000) / 16000).astype(np.float32))
    an.flush()
    _WARM = True
