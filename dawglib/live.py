"""Streaming pitch analysis for live coaching: feed blocks of samples, get events back.

:class:`LiveAnalyser` runs the estimator of :func:`dawglib.pitch.track` (``method="auto"``) on a
stream: each block is brought to the 16 kHz working rate (a stateful low-pass and cubic
interpolation; no resampling at or below 16 kHz), high-passed with the same filters (their state
carried across blocks), framed on the same 10 ms grid, and passed through the same stages of
:mod:`dawglib._pitch_core`: the CMNDF candidates, the Viterbi decoder (fixed-lag: a frame is decided
``lag_frames`` frames after it is framed, the decoder continues from the last decided state) and the
sub-sample refinement. What differs from the offline tracker, because the future is unknown: the
energy reference is a running peak (the offline one is the 99th percentile of the whole take), the
release-tail penalty looks only back, the decoder sees ``lag_frames`` frames of future instead of
all of them, and the two clean-recording refinements of the offline tracker (the inverse-filtered
estimate on a moving contour and the curvature correction of vibrato peaks, worth a few cents at the
steepest and highest points of a vibrato) are left out: they need about 30 ms more look-ahead, which
the live latency budget does not have. ``tests/test_live.py`` measures the agreement.

Events, in time order
---------------------
:class:`PitchFrame`
    Every 10 ms: ``f0_hz`` (NaN when unvoiced), the nearest ``note``, ``cents`` off it (or off the
    target note when a target melody is given), ``confidence``, ``in_tune``.
:class:`NoteStart` / :class:`NoteEnd`
    A note starts once one semitone has been held ``min_note_s``; the start event is back-dated to
    the first frame of the note. It ends after ``max_gap_s`` of silence or when another note has
    been held ``min_note_s``; the end event carries the median cents of its stable part.
:class:`Message`
    Coaching feedback ("sharp — bring it down", "flat — bring it up", "in tune — hold it", "sing E4
    — you are on D4") at most one per ``message_interval_s`` of stream time, and stream notices
    (audio lost, late or duplicate block).

Latency: a frame can be computed once the samples up to its centre + ``frame_lookahead_s`` have
arrived, and is decided ``lag_frames`` hops later: :attr:`LiveAnalyser.latency_s` (about 26 ms with
the defaults) is the algorithmic part of the end-to-end latency.

Examples
--------
>>> from dawglib.synth import f0_contour, sung_vowel
>>> y = sung_vowel(f0_contour([(0.1, 0.5, 60), (0.5, 0.9, 64)], sr=16000), sr=16000)
>>> an = LiveAnalyser(sr=16000)
>>> events = [e for i in range(0, y.size, 512) for e in an.process(y[i : i + 512])] + an.flush()
>>> [e.name for e in events if isinstance(e, NoteStart)]
['C4', 'E4']
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ._validate import valid_audio, valid_freq_range, valid_positive, valid_sr
from .convert import midi_to_note_name
from .exceptions import AudioError, ParameterError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "LiveAnalyser",
    "PitchFrame",
    "NoteStart",
    "NoteEnd",
    "Message",
    "LiveEvent",
    "analyse_stream",
    "events_to_frame",
    "WORK_SR",
]

#: Working rate (Hz) of the candidate search, as in :func:`dawglib.pitch.track`.
WORK_SR = 16000
#: Largest sample magnitude accepted in a block (float PCM is in [-1, 1]; a little headroom).
MAX_ABS_SAMPLE = 8.0


# --------------------------------------------------------------------------------------------------
# events
# --------------------------------------------------------------------------------------------------
class _Event:
    kind: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        """The event as a JSON-ready dict (``kind`` added, NaN as ``None``)."""
        d = asdict(self)  # type: ignore[call-overload]
        out: dict[str, Any] = {"kind": self.kind}
        for k, v in d.items():
            if isinstance(v, float) and not np.isfinite(v):
                v = None
            out[k] = v
        return out


@dataclass(frozen=True)
class PitchFrame(_Event):
    """One analysis frame (every ``hop_length`` samples, 10 ms by default).

    Attributes
    ----------
    time_s : float
        Frame centre, seconds from the start of the stream.
    f0_hz : float
        Fundamental frequency in Hz (NaN when unvoiced).
    voiced : bool
    midi : float
        Fractional MIDI note number (NaN when unvoiced).
    note : str
        Nearest equal-tempered note, e.g. ``"A4"`` (``""`` when unvoiced).
    cents : float
        Cents off ``note`` (or off the target note when one is set), positive = sharp; NaN unvoiced.
    confidence : float
        In ``[0, 1]``: one minus the aperiodicity of the chosen period.
    in_tune : bool
        ``abs(cents) <= tolerance_cents`` (False when unvoiced).
    target_note : str
        The target melody's note at this time (``""`` when none).
    """

    kind: ClassVar[str] = "pitch"
    time_s: float
    f0_hz: float
    voiced: bool
    midi: float
    note: str
    cents: float
    confidence: float
    in_tune: bool
    target_note: str = ""


@dataclass(frozen=True)
class NoteStart(_Event):
    """A note began at ``time_s`` (back-dated to its first frame); ``name`` e.g. ``"C4"``."""

    kind: ClassVar[str] = "note_start"
    time_s: float
    midi: int
    name: str
    target_note: str = ""


@dataclass(frozen=True)
class NoteEnd(_Event):
    """A note ended: ``onset_s`` to ``offset_s``, its ``cents`` (median of the stable part) and verdict."""

    kind: ClassVar[str] = "note_end"
    onset_s: float
    offset_s: float
    midi: int
    name: str
    cents: float
    in_tune: bool


@dataclass(frozen=True)
class Message(_Event):
    """A feedback message or a stream notice.

    ``topic`` is one of ``"sharp"``, ``"flat"``, ``"in_tune"``, ``"wrong_note"`` (coaching) or
    ``"dropped"``, ``"late"`` (stream notices); ``severity`` is ``"success"``, ``"info"`` or
    ``"warning"``.
    """

    kind: ClassVar[str] = "message"
    time_s: float
    text: str
    topic: str
    severity: str


LiveEvent = PitchFrame | NoteStart | NoteEnd | Message


def events_to_frame(events: list[LiveEvent]) -> pd.DataFrame:
    """One row per event with a ``kind`` column (the union of all events' fields)."""
    import pandas as pd

    return pd.DataFrame([e.to_dict() for e in events])


# --------------------------------------------------------------------------------------------------
# streaming DSP pieces
# --------------------------------------------------------------------------------------------------
class _Resampler:
    """Stateful ``sr_in -> sr_out`` (down only): 8th-order Butterworth low-pass + cubic interpolation."""

    def __init__(self, sr_in: int, sr_out: int) -> None:
        from scipy.signal import butter

        self.sr_in, self.sr_out = sr_in, sr_out
        self.sos = butter(8, 0.45 * sr_out, btype="lowpass", fs=sr_in, output="sos")
        self.zi = np.zeros((self.sos.shape[0], 2))
        self.h = int(np.ceil(sr_in / sr_out)) + 4  # history kept: the next output may reach back this far
        self.hist = np.zeros(self.h)  # filtered input samples n_in-h .. n_in-1 (zeros before the start)
        self.n_in = 0  # input samples consumed
        self.k = 0  # next output sample index

    def __call__(self, x: np.ndarray) -> np.ndarray:
        from scipy.signal import sosfilt

        if x.size == 0:
            return np.zeros(0)
        xf, self.zi = sosfilt(self.sos, x, zi=self.zi)
        buf = np.concatenate([self.hist, xf])  # buf[j] is input sample n_in - h + j
        base = self.n_in - self.h
        self.n_in += x.size
        # outputs whose 4-point neighbourhood i-1..i+2 is available: i + 2 <= n_in - 1
        k_end = ((self.n_in - 3) * self.sr_out) // self.sr_in + 1
        ks = np.arange(self.k, max(self.k, k_end), dtype=np.int64)
        self.hist = buf[-self.h :].copy()
        if ks.size == 0:
            return np.zeros(0)
        num = ks * self.sr_in
        i = num // self.sr_out
        t = (num - i * self.sr_out) / self.sr_out
        j = i - base
        p0, p1, p2, p3 = buf[j - 1], buf[j], buf[j + 1], buf[j + 2]
        # Catmull-Rom (cubic Hermite) interpolation between p1 and p2
        y = p1 + 0.5 * t * (p2 - p0 + t * (2 * p0 - 5 * p1 + 4 * p2 - p3 + t * (3 * (p1 - p2) + p3 - p0)))
        self.k = int(ks[-1]) + 1
        return np.asarray(y)


class _HighPass:
    def __init__(self, sr: int, cutoff_hz: float) -> None:
        from ._pitch_core import butter_highpass

        self.sos = butter_highpass(2, cutoff_hz, sr)
        self.zi = np.zeros((self.sos.shape[0], 2))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        from scipy.signal import sosfilt

        if x.size == 0:
            return x
        y, self.zi = sosfilt(self.sos, x, zi=self.zi)
        return np.asarray(y)


# --------------------------------------------------------------------------------------------------
# the analyser
# --------------------------------------------------------------------------------------------------
class LiveAnalyser:
    """Streaming pitch tracker, note segmenter and coach.

    Parameters
    ----------
    sr : int
        Sample rate of the blocks in Hz (8-192 kHz usual; 8 and 16 kHz run without resampling).
    fmin_hz, fmax_hz : float
        Pitch search range in Hz (as :func:`dawglib.pitch.track`), ``fmax_hz <= sr / 2``.
    hop_length : int or None
        Frame step in samples at ``sr``; default ``round(0.01 * sr)`` (10 ms).
    threshold : float
        Aperiodicity above which a frame tends to unvoiced (as :func:`dawglib.pitch.track`).
    lag_frames : int
        Frames of future the decoder waits for before it decides a frame (>= 0); each adds one hop
        of latency and makes the path closer to the offline one.
    gate_db : float
        Frames whose mean square is below this level (dB re full scale) are unvoiced: room noise
        is not sung.
    tolerance_cents : float
        In tune when ``abs(cents) <= tolerance_cents``.
    min_note_s : float
        A semitone held this long starts a note.
    max_gap_s : float
        Silence longer than this ends a note.
    message_interval_s : float
        At most one coaching message per this many seconds of stream time.
    target : list or path or None
        A reference melody (anything :func:`dawglib.coach.reference_notes` accepts; times in seconds
        from the start of the stream). With it, ``cents`` and ``in_tune`` are against the target
        note and wrong notes get a message.
    a4_hz : float
        Tuning reference (Hz).
    max_block_s : float
        Longest block accepted (seconds of audio); longer blocks are refused.
    max_gap_fill_s : float
        A gap in ``start_sample`` up to this long is filled with silence; a longer one restarts the
        analysis at the new position.

    Examples
    --------
    >>> from dawglib.synth import tone
    >>> an = LiveAnalyser(sr=44100)
    >>> ev = an.process(tone(440.0, sr=44100, duration_s=0.3))
    >>> [round(e.f0_hz) for e in ev if isinstance(e, PitchFrame) and e.voiced][:3]
    [440, 440, 440]
    """

    def __init__(
        self,
        *,
        sr: int,
        fmin_hz: float = 65.0,
        fmax_hz: float = 1100.0,
        hop_length: int | None = None,
        threshold: float = 0.45,
        lag_frames: int = 1,
        gate_db: float = -60.0,
        tolerance_cents: float = 15.0,
        min_note_s: float = 0.08,
        max_gap_s: float = 0.03,
        message_interval_s: float = 1.0,
        target: Any = None,
        a4_hz: float = 440.0,
        max_block_s: float = 10.0,
        max_gap_fill_s: float = 2.0,
    ) -> None:
        self.sr = valid_sr(sr)
        self.fmin_hz, self.fmax_hz = valid_freq_range(fmin_hz, fmax_hz, sr=self.sr)
        if hop_length is None:
            hop_length = max(1, int(round(0.01 * self.sr)))
        if isinstance(hop_length, bool) or not isinstance(hop_length, (int, np.integer)) or not 0 < hop_length <= sr:
            raise ParameterError(f"hop_length must be a positive int <= sr, given hop_length={hop_length!r}")
        if isinstance(lag_frames, bool) or not isinstance(lag_frames, (int, np.integer)) or lag_frames < 0:
            raise ParameterError(f"lag_frames must be an int >= 0, given lag_frames={lag_frames!r}")
        self.hop_length = int(hop_length)
        self.threshold = valid_positive(threshold, name="threshold")
        self.lag_frames = int(lag_frames)
        self.gate_db = float(gate_db)
        self.tolerance_cents = valid_positive(tolerance_cents, name="tolerance_cents")
        self.min_note_s = valid_positive(min_note_s, name="min_note_s")
        self.max_gap_s = valid_positive(max_gap_s, name="max_gap_s", allow_zero=True)
        self.message_interval_s = valid_positive(message_interval_s, name="message_interval_s", allow_zero=True)
        self.a4_hz = valid_positive(a4_hz, name="a4_hz")
        self.max_block_s = valid_positive(max_block_s, name="max_block_s")
        self.max_gap_fill_s = valid_positive(max_gap_fill_s, name="max_gap_fill_s", allow_zero=True)
        self.target = None
        if target is not None:
            from .coach import reference_notes

            self.target = reference_notes(target)
        # the estimator's geometry, exactly as in dawglib.pitch._track_auto
        work = self.sr if self.sr <= WORK_SR else max(WORK_SR, int(np.ceil(4.2 * self.fmax_hz / 1000.0)) * 1000)
        self.work_sr = min(work, self.sr)
        self._max_lag = int(np.ceil(self.work_sr / self.fmin_hz)) + 1
        self._min_lag = max(2, int(np.floor(self.work_sr / self.fmax_hz)) - 1)
        self._window = self._max_lag
        self._frame_len = self._window + self._max_lag + 2
        self._pad = 4 * self._max_lag + 64
        self._half_e = max(1, int(0.008 * self.work_sr / 2))
        hop_s = self.hop_length / self.sr
        self._tail_frames = max(1, int(round(0.2 / max(hop_s, 1e-4))))
        self._use_hp2 = self.fmax_hz > 2 * 300.0
        # refinement reads up to centre + span/2 + 21 samples; span <= max(20 ms, 2 periods) + period
        max_span = max(int(0.02 * self.work_sr), 2 * self._max_lag) + self._max_lag + 4
        self._need_cand = self._frame_len - self._frame_len // 2
        self._need_refine = max_span // 2 + 24
        self.reset()

    # -- public -----------------------------------------------------------------------------------
    @property
    def latency_s(self) -> float:
        """Algorithmic latency in seconds: look-ahead of a frame plus the decoder's lag."""
        look = max(self._need_cand, self._need_refine - self.lag_frames * self.hop_length * self.work_sr / self.sr)
        return float(look / self.work_sr + self.lag_frames * self.hop_length / self.sr)

    @property
    def samples_in(self) -> int:
        """Samples consumed so far (including filled gaps)."""
        return self._seg_offset + self._n_in

    def reset(self) -> None:
        """Forget the stream: filters, buffers, the decoder, the current note and the sample clock."""
        self._seg_offset = 0
        self._start_segment()
        self._last_msg_t = -np.inf
        self._last_msg_topic = ""
        self.last_compute_s = 0.0
        self.n_blocks = 0

    def process(self, block: Any, *, start_sample: int | None = None) -> list[LiveEvent]:
        """Feed one block of samples; return the events it completes.

        Parameters
        ----------
        block : np.ndarray, shape (n,)
            Mono float samples in ``[-1, 1]`` at ``sr`` (any ``n``, 0 included).
        start_sample : int or None
            Index of the block's first sample in the stream. When given, a gap (lost blocks) is
            filled with silence (or restarts the analysis when longer than ``max_gap_fill_s``), a late
            or duplicate block is cut or skipped, and a jump back of more than ``max(max_gap_fill_s,
            1)`` seconds restarts the analysis at the new position, each with a :class:`Message` notice.
            ``None``: the block follows the previous one.

        Returns
        -------
        list of LiveEvent

        Raises
        ------
        AudioError
            The block is not a 1-D float array of finite samples within ``[-8, 8]``, or is longer
            than ``max_block_s``. The analyser's state is unchanged; the next good block continues.
        """
        t0 = time.perf_counter()
        x = self._valid_block(block)
        events: list[LiveEvent] = []
        if start_sample is not None:
            x = self._align(x, int(start_sample), events)
        if x.size:
            self._consume(x, events)
        self.n_blocks += 1
        self.last_compute_s = time.perf_counter() - t0
        return events

    def flush(self) -> list[LiveEvent]:
        """End of stream: decide and emit every remaining frame (as the offline tracker would), end the note."""
        events: list[LiveEvent] = []
        if self._n_in == 0:
            return events
        n_frames = 1 + self._n_in // self.hop_length
        zeros = np.zeros(self._pad + self._frame_len)
        self._append_work(zeros)
        self._candidates(max_frame=n_frames - 1)
        self._decide(final=True, events=events)
        self._end_note(self._last_voiced_t + self.hop_length / self.sr, events)
        self._start_segment(offset=self._seg_offset + self._n_in)
        return events

    # -- input checks and alignment --------------------------------------------------------------
    def _valid_block(self, block: Any) -> np.ndarray:
        if not isinstance(block, np.ndarray):
            raise AudioError(f"block must be a numpy.ndarray of float samples, given {type(block).__name__}")
        if not np.issubdtype(block.dtype, np.floating):
            raise AudioError(
                f"block must hold float samples in [-1, 1], given dtype={block.dtype}; "
                "for integer PCM divide by the full scale (e.g. x / 32768.0)"
            )
        if block.ndim != 1:
            raise AudioError(f"block must be mono with shape (n,), given shape={block.shape}")
        if block.size > self.max_block_s * self.sr:
            raise AudioError(
                f"block is {block.size} samples ({block.size / self.sr:.1f} s); at most "
                f"{self.max_block_s:g} s per block is accepted (send audio as it is captured)"
            )
        x = np.asarray(block, dtype=np.float64)
        if x.size:
            bad = ~np.isfinite(x)
            if bad.any():
                raise AudioError(f"block has {int(bad.sum())} NaN/inf sample(s) of {x.size}; expected finite floats")
            peak = float(np.max(np.abs(x)))
            if peak > MAX_ABS_SAMPLE:
                raise AudioError(
                    f"block peak is {peak:.3g}; expected float samples in [-1, 1] "
                    "(integer PCM or bytes read as floats?)"
                )
        return x

    def _align(self, x: np.ndarray, start: int, events: list[LiveEvent]) -> np.ndarray:
        expected = self.samples_in
        t = expected / self.sr
        if start > expected:
            gap = start - expected
            ms = 1000.0 * gap / self.sr
            if gap <= self.max_gap_fill_s * self.sr:
                text = f"{ms:.0f} ms of your audio got lost on the way; the gap counts as silence"
                events.append(Message(t, text, "dropped", "warning"))
                self._consume(np.zeros(gap), events)
            else:
                text = f"{ms / 1000:.1f} s of your audio got lost on the way; the analysis restarted"
                events.append(Message(t, text, "dropped", "warning"))
                events.extend(self.flush())
                self._start_segment(offset=start)
        elif start < expected:
            over = expected - start
            if over > x.size and over > max(self.max_gap_fill_s, 1.0) * self.sr:
                # far behind: the sender's sample clock restarted (or the previous position was bogus)
                text = f"the audio jumped back {over / self.sr:.1f} s; the analysis restarted"
                events.append(Message(t, text, "late", "warning"))
                events.extend(self.flush())
                self._start_segment(offset=start)
                return x
            if over >= x.size:
                events.append(Message(t, "a piece of audio arrived twice or too late and was skipped", "late", "info"))
                return x[:0]
            events.append(Message(t, f"{1000 * over / self.sr:.0f} ms of audio arrived twice; skipped", "late", "info"))
            x = x[over:]
        return x

    # -- pipeline ---------------------------------------------------------------------------------
    def _start_segment(self, *, offset: int | None = None) -> None:
        if offset is not None:
            self._seg_offset = int(offset)
        self._n_in = 0
        self._resampler = _Resampler(self.sr, self.work_sr) if self.work_sr != self.sr else None
        self._hp1 = _HighPass(self.work_sr, min(0.6 * self.fmin_hz, 50.0))
        self._hp2 = _HighPass(self.work_sr, 300.0) if self._use_hp2 else None
        self._x = np.zeros(self._pad)  # work-rate signal, absolute index -pad ..
        self._x2 = np.zeros(self._pad)
        self._x0 = -self._pad
        self._next_frame = 0  # next frame to find candidates for
        self._ref = 0.0
        self._e_hist: deque[float] = deque(maxlen=self._tail_frames + 1)
        # candidates waiting for a decision
        self._pend_period: list[np.ndarray] = []
        self._pend_cost: list[np.ndarray] = []
        self._pend_ap: list[np.ndarray] = []
        self._pend_conf: list[float] = []
        self._anchor: tuple[np.ndarray, np.ndarray, float] | None = None
        self._decided = 0  # frames decided and emitted
        # note state
        self._note: int | None = None
        self._note_on = 0.0
        self._note_midi: list[float] = []
        self._run: list[float] = []  # voiced frames (MIDI) since the last gap, before a note starts
        self._run_t = 0.0
        self._split_n = 0  # consecutive frames whose smoothed pitch left the note
        self._recent: deque[float] = deque(maxlen=15)  # last 150 ms of voiced pitch
        self._gap_n = 0
        self._last_voiced_t = 0.0
        self._in_tune_said = False

    def _consume(self, x: np.ndarray, events: list[LiveEvent]) -> None:
        self._n_in += x.size
        w = self._resampler(x) if self._resampler is not None else x
        self._append_work(self._hp1(w))
        self._candidates(max_frame=None)
        self._decide(final=False, events=events)

    def _append_work(self, w: np.ndarray) -> None:
        self._x = np.concatenate([self._x, w])
        if self._hp2 is not None:
            self._x2 = np.concatenate([self._x2, self._hp2(w)])
        # keep ~1 s of history (plus the pad) behind the oldest frame still needed
        keep_from = self._centre(min(self._next_frame, self._decided)) - self._pad - self.work_sr
        drop = keep_from - self._x0
        if drop > self.work_sr // 2:
            self._x = self._x[drop:]
            if self._hp2 is not None:
                self._x2 = self._x2[drop:]
            self._x0 += drop

    def _centre(self, k: Any) -> Any:
        return np.round(np.asarray(k) * self.hop_length * self.work_sr / self.sr).astype(np.int64)

    def _candidates(self, *, max_frame: int | None) -> None:
        from ._pitch_core import frame_signal, offset_penalty, yin_candidates

        x_end = self._x0 + self._x.size  # absolute index one past the last work sample
        # frames whose whole window and tail-energy window are in
        need = max(self._need_cand, self._half_e)
        k_hi = int(np.floor((x_end - need) * self.sr / (self.hop_length * self.work_sr)))
        while self._centre(k_hi + 1) + need <= x_end:
            k_hi += 1
        while k_hi >= 0 and self._centre(k_hi) + need > x_end:
            k_hi -= 1
        if max_frame is not None:
            k_hi = min(k_hi, max_frame)
        if k_hi < self._next_frame:
            return
        ks = np.arange(self._next_frame, k_hi + 1)
        c = self._centre(ks) - self._x0
        kw = dict(window=self._window, min_lag=self._min_lag, max_lag=self._max_lag)
        period, ap, energy = yin_candidates(frame_signal(self._x, c, self._frame_len), n_candidates=5, **kw)
        if self._hp2 is not None:
            p2, a2, _ = yin_candidates(frame_signal(self._x2, c, self._frame_len), n_candidates=3, **kw)
            period = np.concatenate([period, p2], axis=1)
            ap = np.concatenate([ap, a2 + 0.05], axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            f_cand = self.work_sr / period
        bad = ~((f_cand >= self.fmin_hz * 0.97) & (f_cand <= self.fmax_hz * 1.03))
        ap = np.where(bad, np.inf, ap)
        conf_best = np.clip(1.0 - np.min(ap, axis=1), 0.0, 1.0)
        # the energy just after each centre against the last 5-45 ms (note ends), as dawglib.pitch
        p_best = period[np.arange(ks.size), np.argmin(ap, axis=1)]
        off = offset_penalty(self._x, c, p_best, sr=self.work_sr)
        p_min = np.nanmin(np.where(np.isfinite(ap), period, np.inf), axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            octave_prior = np.nan_to_num(0.3 * np.log2(period / p_min[:, None]), nan=0.0)
        # short-time energy around each centre (release tails), as dawglib.pitch._tail_penalty
        lo = int(c[0]) - self._half_e
        seg = self._x[lo : int(c[-1]) + self._half_e]
        cs = np.concatenate([[0.0], np.cumsum(seg * seg)])
        e_short = (cs[c - lo + self._half_e] - cs[c - lo - self._half_e]) / (2 * self._half_e)
        floor = 10.0 ** (self.gate_db / 10.0)
        decay = 10.0 ** (-3.0 / 10.0 * self.hop_length / self.sr)  # running peak falls 3 dB/s
        for i in range(ks.size):
            self._ref = max(self._ref * decay, float(energy[i]))
            ref = max(self._ref, floor)
            e_db = 10.0 * np.log10(max(float(energy[i]), 1e-20) / ref)
            quiet = float(np.clip((-38.0 - e_db) / 4.0, 0.0, 5.0))
            es_db = 10.0 * np.log10(max(float(e_short[i]), 1e-20))
            self._e_hist.append(es_db)
            tail = float(np.clip((max(self._e_hist) - es_db - 18.0) / 6.0, 0.0, 3.0))
            cost = 10.0 * ap[i] + octave_prior[i] + 3.0 * quiet + 3.0 * tail + 3.0 * off[i]
            ok = np.isfinite(ap[i]) & (energy[i] > ref * 1e-9) & (energy[i] >= floor)
            self._pend_period.append(np.nan_to_num(period[i], nan=-1.0))
            self._pend_cost.append(np.where(ok, cost, np.inf))
            self._pend_ap.append(ap[i])
            self._pend_conf.append(float(conf_best[i]))
        self._next_frame = int(k_hi) + 1

    def _decide(self, *, final: bool, events: list[LiveEvent]) -> None:
        from ._pitch_core import refine, viterbi

        n_pend = len(self._pend_period)
        n_dec = n_pend if final else n_pend - self.lag_frames
        if n_dec <= 0:
            return
        # refinement needs samples up to centre + _need_refine
        x_end = self._x0 + self._x.size
        while n_dec > 0 and not final and self._centre(self._decided + n_dec - 1) + self._need_refine > x_end:
            n_dec -= 1
        if n_dec <= 0:
            return
        # one frame at a time, each seeing exactly lag_frames frames of future: the same path
        # whatever the block size
        all_p = np.array(self._pend_period)
        all_c = np.array(self._pend_cost)
        k = all_p.shape[1]
        path = np.empty(n_dec, dtype=np.int64)
        anchor = self._anchor
        for i in range(n_dec):
            w_p, w_c = all_p[i : i + 1 + self.lag_frames], all_c[i : i + 1 + self.lag_frames]
            w_u = np.full(w_p.shape[0], 10.0 * self.threshold)
            if anchor is not None:  # continue from the last decided state
                w_p, w_c = np.vstack([anchor[0], w_p]), np.vstack([anchor[1], w_c])
                w_u = np.concatenate([[anchor[2]], w_u])
            p = viterbi(w_p, np.ascontiguousarray(w_c), w_u, 0.5, 3.0, 1.0)
            path[i] = p[1] if anchor is not None else p[0]
            anchor = self._anchor_of(all_p[i], int(path[i]))
        self._anchor = anchor
        rows = np.arange(n_dec)
        per = np.array(self._pend_period[:n_dec])
        ap = np.array(self._pend_ap[:n_dec])
        voiced = path < k
        col = np.minimum(path, k - 1)
        chosen = np.where(voiced, per[rows, col], np.nan)
        conf = np.where(voiced, np.clip(1.0 - ap[rows, col], 0.0, 1.0), np.array(self._pend_conf[:n_dec]))
        frames = np.arange(self._decided, self._decided + n_dec)
        centres = self._centre(frames) - self._x0
        fine = refine(self._x, 0, centres, np.nan_to_num(chosen, nan=-1.0), int(0.02 * self.work_sr), 2.0, True)
        with np.errstate(invalid="ignore", divide="ignore"):
            fine = np.where(np.isfinite(fine) & (np.abs(fine / chosen - 1.0) < 0.1), fine, chosen)
            f0 = np.where(voiced, self.work_sr / fine, np.nan)
        del self._pend_period[:n_dec], self._pend_cost[:n_dec], self._pend_ap[:n_dec], self._pend_conf[:n_dec]
        self._decided += n_dec
        times = (self._seg_offset + frames * self.hop_length) / self.sr
        for t, f, c in zip(times.tolist(), f0.tolist(), conf.tolist()):
            self._emit_frame(t, f, c, events)

    @staticmethod
    def _anchor_of(period_row: np.ndarray, state: int) -> tuple[np.ndarray, np.ndarray, float]:
        """A decided frame as a decoder start: only its chosen state open (column K = unvoiced)."""
        k = period_row.size
        a_p = np.full(k, -1.0)
        a_c = np.full(k, np.inf)
        if state < k:
            a_p[0] = period_row[state]
            a_c[0] = 0.0
            return a_p, a_c, float("inf")
        return a_p, a_c, 0.0

    # -- frames, notes and messages -----------------------------------------------------------------
    def _target_at(self, t: float) -> float | None:
        if not self.target:
            return None
        for n in self.target:
            if n.start_s <= t < n.end_s:
                return float(n.midi)
        return None

    def _emit_frame(self, t: float, f0: float, conf: float, events: list[LiveEvent]) -> None:
        hop_s = self.hop_length / self.sr
        target = self._target_at(t)
        target_name = str(midi_to_note_name(target)) if target is not None else ""
        voiced = bool(np.isfinite(f0) and f0 > 0)
        if not voiced:
            events.append(PitchFrame(t, float("nan"), False, float("nan"), "", float("nan"), conf, False, target_name))
            self._gap_n += 1
            if self._gap_n * hop_s > self.max_gap_s:
                self._end_note(self._last_voiced_t + hop_s, events)
                self._recent.clear()
                self._run = []
            return
        midi = 69.0 + 12.0 * float(np.log2(f0 / self.a4_hz))
        nearest = int(np.floor(midi + 0.5))
        ref = target if target is not None else float(nearest)
        cents = 100.0 * (midi - ref)
        in_tune = abs(cents) <= self.tolerance_cents
        events.append(PitchFrame(t, f0, True, midi, str(midi_to_note_name(nearest)), cents, conf, in_tune, target_name))
        self._gap_n = 0
        self._last_voiced_t = t
        self._segment(t, midi, target, events)
        return

    def _segment(self, t: float, midi: float, target: float | None, events: list[LiveEvent]) -> None:
        """Note segmentation on the voiced frames: a 150 ms running median against the note's median."""
        hop_s = self.hop_length / self.sr
        min_n = max(2, int(round(self.min_note_s / hop_s)))
        self._recent.append(midi)
        smooth = float(np.median(self._recent))
        if self._note is None:
            if not self._run:
                self._run_t = t
            self._run.append(midi)
            tail = np.asarray(self._recent)[-min_n:]
            if len(self._run) >= min_n and float(np.ptp(tail)) < 1.0:
                q = int(np.floor(float(np.median(tail)) + 0.5))
                self._start_note(self._run_t, q, list(self._run), events)
                self._run = []
            return
        self._note_midi.append(midi)
        centre = float(np.median(self._note_midi[: len(self._note_midi) - self._split_n]))
        if abs(smooth - centre) <= 0.6:
            self._split_n = 0
            self._coach(t, target, events)
            return
        self._split_n += 1
        if self._split_n < min_n:
            return
        # another note: it began at the first of the trailing frames already near the new pitch
        q = int(np.floor(smooth + 0.5))
        back = 0
        for m in reversed(self._note_midi[-self._split_n - 8 :]):
            if abs(m - q) > 0.6:
                break
            back += 1
        back = max(1, min(back, len(self._note_midi) - 1))
        new = self._note_midi[-back:]
        del self._note_midi[-back:]
        onset = t - (back - 1) * hop_s
        self._end_note(onset, events)
        self._start_note(onset, q, new, events)

    def _start_note(self, onset_s: float, midi: int, frames: list[float], events: list[LiveEvent]) -> None:
        self._note, self._note_on, self._note_midi, self._split_n = midi, onset_s, frames, 0
        self._in_tune_said = False
        tn = self._target_at(onset_s)
        tname = str(midi_to_note_name(int(round(tn)))) if tn is not None else ""
        events.append(NoteStart(onset_s, midi, str(midi_to_note_name(midi)), tname))

    def _end_note(self, t_end: float, events: list[LiveEvent]) -> None:
        if self._note is None:
            return
        m = np.asarray(self._note_midi)
        trim = max(int(round(0.03 * self.sr / self.hop_length)), int(0.15 * m.size))
        stable = m[trim : m.size - trim] if m.size - 2 * trim >= 2 else m
        centre = float(np.median(stable)) if stable.size else float(self._note)
        m_end = int(np.floor(centre + 0.5))
        cents = 100.0 * (centre - m_end)
        if t_end > self._note_on:
            name = str(midi_to_note_name(m_end))
            events.append(NoteEnd(self._note_on, t_end, m_end, name, cents, abs(cents) <= self.tolerance_cents))
        self._note, self._note_midi = None, []

    def _coach(self, t: float, target: float | None, events: list[LiveEvent]) -> None:
        hop_s = self.hop_length / self.sr
        n_look = max(3, int(round(0.25 / hop_s)))
        if self._note is None or len(self._note_midi) < n_look or t - self._last_msg_t < self.message_interval_s:
            return
        recent = float(np.median(self._note_midi[-n_look:]))
        topic, text, severity = "", "", "info"
        if target is not None and int(np.floor(recent + 0.5)) != int(round(target)):
            want, got = midi_to_note_name(int(round(target))), midi_to_note_name(int(np.floor(recent + 0.5)))
            topic, text, severity = "wrong_note", f"sing {want} — you are on {got}", "warning"
        else:
            ref = float(round(target)) if target is not None else float(self._note)
            cents = 100.0 * (recent - ref)
            if cents > self.tolerance_cents:
                topic, text, severity = "sharp", f"sharp — bring it down ({cents:+.0f} cents)", "warning"
            elif cents < -self.tolerance_cents:
                topic, text, severity = "flat", f"flat — bring it up ({cents:+.0f} cents)", "warning"
            elif not self._in_tune_said:
                topic, text, severity = "in_tune", f"in tune — hold it ({cents:+.0f} cents)", "success"
                self._in_tune_said = True
        if not topic:
            return
        if topic == self._last_msg_topic and t - self._last_msg_t < 2.0 * self.message_interval_s:
            return
        self._last_msg_t, self._last_msg_topic = t, topic
        events.append(Message(t, text, topic, severity))


def analyse_stream(y: Any, *, sr: int, block_size: int = 2048, **kwargs: Any) -> list[LiveEvent]:
    """Run a whole signal through a :class:`LiveAnalyser` in blocks of ``block_size`` samples.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono float audio.
    sr : int
        Its sample rate (Hz).
    block_size : int
        Samples per block (> 0).
    **kwargs
        Passed to :class:`LiveAnalyser`.

    Returns
    -------
    list of LiveEvent
        Every event, the end of the stream flushed.

    Examples
    --------
    >>> from dawglib.synth import f0_contour, sung_vowel
    >>> y = sung_vowel(f0_contour([(0.1, 0.6, 69)], sr=22050), sr=22050)
    >>> [(e.name, abs(round(e.cents)) <= 1) for e in analyse_stream(y, sr=22050) if isinstance(e, NoteEnd)]
    [('A4', True)]
    """
    if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) or block_size < 1:
        raise ParameterError(f"block_size must be a positive int number of samples, given block_size={block_size!r}")
    an = LiveAnalyser(sr=sr, **kwargs)
    y = valid_audio(y, mono=True)
    events: list[LiveEvent] = []
    for i in range(0, y.size, int(block_size)):
        events.extend(an.process(y[i : i + int(block_size)]))
    events.extend(an.flush())
    return events
