"""The browser side of live coaching: a microphone widget that streams PCM to a :class:`~dawglib.live.LiveAnalyser`.

:class:`LiveMicWidget` is an `anywidget <https://anywidget.dev>`_ (``anywidget`` ships its own
JupyterLab/Voila extension, so no build step): its ES module (``dawglib/static/live_widget.js``)
opens the microphone with ``getUserMedia`` (echo cancellation, gain control and noise suppression
off), taps it with an AudioWorklet and sends ``chunk_ms`` chunks of float32 PCM over the widget's
comm channel, i.e. the app's own kernel websocket (at most two messages wait for their answer; chunks
captured meanwhile are merged, so a slow kernel gets fewer, larger messages instead of a growing queue).
:meth:`LiveMicWidget.handle_message` feeds them to the analyser and answers with its events; the page
draws a scrolling pitch trace, the current note, a cents needle, the notes and the messages, and
measures latency (see the head of the ES module): block compute time (measured here, sent with each
answer) and end-to-end time from a sample's capture to its frame painted.

The page also watches the connection: no answer for 1.5 s shows "waiting for the server"; for 4 s it
stops with "lost the connection" (or "the server does not answer" when a start got no answer), and
Start works again once the kernel websocket is back (``tests/test_live_browser.py`` drops it).

Bad input never raises out of the comm handler: a bad chunk (garbage bytes, NaN, a wrong length or
dtype, an implausible position, an unknown or non-object message) is answered with an ``error``
message shown in the page, and the stream goes on. Each run of the microphone has an id (``run``)
that the answers carry: after a reconnection the page ignores answers to a run that is over, and
chunks of an old run are dropped here.

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
#: A chunk may start at most this far (seconds) ahead of the audio received so far: the page's sample
#: clock never jumps like that, so such a chunk is garbage and is refused instead of restarting the analysis.
_MAX_JUMP_S = 60.0


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
        self.run: Any = None
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
                    "message": f"Something went wrong in the analysis ({type(exc).__name__}); it goes on. "
                    "Details are in the server log.",
                }
            ]
        for r in replies:
            r.setdefault("run", self.run)
            try:
                self.send(r)
            except Exception:  # noqa: BLE001 - a closed comm: the page is gone
                _log.info("live widget: could not send to the page (closed?)")

    def handle_message(self, content: Any, buffers: Any = None) -> list[dict[str, Any]]:
        """Answer one message from the page (also usable without a browser, as in the tests).

        Parameters
        ----------
        content : dict
            ``{"type": "start", "sr": int, "run": int, ...}``, ``{"type": "pcm", "run": int, "seq": int,
            "start_sample": int, "n": int, "dtype": "float32"}`` with the float32
            PCM in ``buffers[0]`` (every key but ``type`` optional), ``{"type": "stop"}``, ``{"type":
            "stats", ...}`` or ``{"type": "client_error", "message": str}``.
        buffers : list of bytes-like or None

        Returns
        -------
        list of dict
            Messages for the page: ``events`` (``events``, ``seq``, ``compute_ms``), ``notice`` or
            ``error`` (``message``; ``fatal`` when the run cannot go on). The comm handler adds ``run``.
        """
        if not isinstance(content, dict):
            return [
                self._error(
                    f"Ignored an unreadable message from the page (a {type(content).__name__}, "
                    "expected an object with a type)."
                )
            ]
        kind = content.get("type")
        if kind == "start":
            return self._start(content)
        if kind == "pcm":
            seq: Any = content.get("seq")
            replies = self._pcm(content, buffers or [])
            for r in replies:
                r.setdefault("seq", seq if _is_num(seq) else None)
            return replies
        if kind == "stop":
            run: Any = content.get("run")
            if self.analyser is None or (run is not None and self.run is not None and run != self.run):
                return []
            events = self.analyser.flush()
            return [{"type": "events", "seq": -1, "compute_ms": None, "events": [e.to_dict() for e in events]}]
        if kind == "stats":
            self.latency = {k: float(v) for k, v in content.items() if k != "type" and _is_num(v)}
            return []
        if kind == "client_error":
            self.client_errors.append(str(content.get("message", ""))[:500])
            return []
        return [
            self._error(
                f"Ignored a message of unknown type {str(kind)[:40]!r} from the page (expected start, pcm or stop)."
            )
        ]

    def _error(self, message: str, *, fatal: bool = False) -> dict[str, Any]:
        self.errors.append(message)
        if len(self.errors) > 200:
            del self.errors[:100]
        return {"type": "error", "message": message, "fatal": fatal}

    def _start(self, content: dict[str, Any]) -> list[dict[str, Any]]:
        sr: Any = content.get("sr")
        run: Any = content.get("run")
        self.run = run if _is_num(run) else None
        if not _is_num(sr) or not _MIN_SR <= float(sr) <= _MAX_SR or float(sr) != int(sr):
            self.analyser = None
            return [
                self._error(
                    f"The microphone runs at {str(sr)[:20]} Hz; live analysis needs a whole rate within "
                    f"{_MIN_SR}-{_MAX_SR} Hz. Pick another mic rate and press Start again.",
                    fatal=True,
                )
            ]
        sr = int(sr)
        kw = dict(self.analyser_kwargs)
        kw.setdefault("fmax_hz", min(1100.0, sr / 2))
        try:
            self.analyser = LiveAnalyser(sr=sr, target=self.target, **kw)
        except DawglibError as exc:
            self.analyser = None
            return [self._error(f"Cannot start the analysis: {exc}", fatal=True)]
        self.compute_ms = []
        mic: Any = content.get("mic_sr")
        note = f"Analysing at {sr} Hz" + (f" (microphone at {int(mic)} Hz)" if _is_num(mic) and mic else "")
        note += f"; the analysis itself adds about {1000 * self.analyser.latency_s:.0f} ms of delay."
        return [{"type": "notice", "message": note, "severity": "info"}]

    def _pcm(self, content: dict[str, Any], buffers: list[Any]) -> list[dict[str, Any]]:
        run: Any = content.get("run")
        if run is not None and self.run is not None and run != self.run:
            return []  # a chunk of a run that is over (a backlog flushed after a reconnection)
        seq: Any = content.get("seq")
        label = f"audio chunk {int(seq)}" if _is_num(seq) else "an audio chunk"
        skipped = "Skipped a piece of audio that"
        if self.analyser is None:
            return [self._error("Audio arrived before the analysis started; press Start again.", fatal=True)]
        if not buffers:
            return [self._error(f"{skipped} had no sound in it ({label}: no data; expected float32 samples).")]
        dtype: Any = content.get("dtype", "float32")
        if dtype != "float32":
            return [self._error(f"{skipped} was in the wrong format ({label}: {str(dtype)[:20]}; expected float32).")]
        try:
            raw = memoryview(buffers[0]).cast("B")
        except TypeError:
            return [self._error(f"{skipped} could not be read ({label}: not binary data; expected float32 samples).")]
        if raw.nbytes % 4:
            return [
                self._error(
                    f"{skipped} could not be read ({label}: {raw.nbytes} bytes is not a whole number "
                    "of float32 samples)."
                )
            ]
        x = np.frombuffer(raw, dtype="<f4")
        n: Any = content.get("n")
        if n is not None and (not _is_num(n) or int(n) != x.size):
            return [
                self._error(
                    f"{skipped} arrived damaged ({label}: the header says {str(n)[:20]} samples, "
                    f"the data holds {x.size})."
                )
            ]
        start: Any = content.get("start_sample")
        start_i = int(start) if _is_num(start) and float(start) >= 0 else None
        an = self.analyser
        if start_i is not None and start_i - an.samples_in > _MAX_JUMP_S * an.sr:
            return [
                self._error(
                    f"{skipped} claimed an impossible position ({label} starts {start_i / an.sr:.3g} s into the "
                    f"stream; {an.samples_in / an.sr:.1f} s have been received)."
                )
            ]
        t0 = time.perf_counter()
        try:
            events = an.process(x, start_sample=start_i)
        except DawglibError as exc:
            return [self._error(f"{skipped} could not be analysed ({label}: {exc}).")]
        ms = 1000.0 * (time.perf_counter() - t0)
        self.compute_ms.append(ms)
        return [
            {
                "type": "events",
                "seq": seq if _is_num(seq) else None,
                "compute_ms": ms,
                "events": [e.to_dict() for e in events],
            }
        ]


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
