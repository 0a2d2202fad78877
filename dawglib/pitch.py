"""Pitch (f0) tracking, note segmentation and vibrato.

- :func:`track` — a :class:`PitchTrack` (frame times, f0 in Hz with NaN where unvoiced, voicing,
  confidence) from one of several backends: ``"auto"`` (ours, see below), ``"pyin"`` (librosa),
  ``"crepe"`` (torchcrepe, tiny or full, Viterbi decoding, GPU when present) and ``"praat"``
  (Praat's autocorrelation method through parselmouth).
- :func:`notes` — note segmentation of a track into :class:`Note` records (onset, offset, MIDI note,
  median cents off over the stable part, in-tune verdict, vibrato).
- :func:`vibrato` — rate (Hz), extent (cents) and regularity of a pitch contour.

Our tracker (``method="auto"``) is a YIN-family estimator: the difference function of all frames at
once via FFT at a 16 kHz working rate, up to five candidate periods per frame from the minima of its
cumulative-mean-normalised form (plus three from a look with the low end removed, and in a noisy
recording two more at short lags through a steep high-pass for faint high voices), one Viterbi pass
over the candidates and an unvoiced state (aperiodicity, energy, cents-continuity, an octave-jump
penalty and an offset detector: the energy just after a frame's centre against the last 5-45 ms),
then a sub-sample refinement of the chosen period with a short window centred on each frame (two
periods, at least 20 ms) on the raw difference function. In a clean recording the refinement is
repeated on the signal through a partial LPC inverse filter (SIFT-style), whose estimate is taken
in proportion to how fast the pitch moves: a resonance near a harmonic delays it by milliseconds,
which lags a vibrato contour. Last, the window's smoothing of a bending contour (vibrato peaks) is
undone to first order from the track's own curvature. The voicing threshold is raised towards
the aperiodicity that the recording's own noise floor reaches (its quietest frames), so faint notes
in noise are kept while the noise alone stays unvoiced; in such a noisy recording a candidate whose
lag persists into the neighbouring frames on both sides gets a bonus (a faint note's lag persists,
the noise's best lag wanders). See ``bench/pitch.py`` and
``docs/benchmarks.md`` for measured accuracy.

Examples
--------
>>> import numpy as np
>>> from dawglib.synth import tone
>>> tr = track(tone(440.0, sr=16000, duration_s=0.5), sr=16000)
>>> round(float(np.nanmedian(tr.f0_hz)), 1)
440.0
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ._validate import valid_audio, valid_freq_range, valid_positive, valid_sr
from .convert import cents_off, hz_to_midi, midi_to_note_name
from .exceptions import DawglibWarning, ParameterError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["PitchTrack", "Note", "Vibrato", "track", "notes", "notes_to_frame", "vibrato", "METHODS"]

#: Backends of :func:`track`.
METHODS = ("auto", "pyin", "crepe", "praat")

_HP2_HZ: float | None = 300.0

#: Rate (Hz) at which the candidate search of ``method="auto"`` runs.
WORK_SR = 16000

#: High look (``method="auto"``): f0 from this (Hz) up searched again through a steep high-pass.
_HIGH_LOOK_HZ = 400.0
#: Voicing threshold from the noise floor: share of quietest frames, percentile, margin, cap.
_NOISE_FLOOR = (0.15, 10.0, 0.1, 0.65)
#: Noisy recordings only: lag persistence of the candidates (frames each side, largest lag step in
#: cents, largest link aperiodicity above the voicing threshold, frames a chain may skip) and the
#: voiced cost's bonus at full persistence (units of aperiodicity / 0.1).
_PERSIST = (5, 50.0, 0.3, 1)
_PERSIST_BONUS = 3.0
#: Inverse-filtered refinement (clean recordings): LPC bandwidth-expansion factor of the partial
#: inverse ``A(z) / A(z / gamma)``, largest correction accepted (cents), and the contour slope (c/s)
#: from which the correction is taken in full (linearly less below it).
_INV_GAMMA = 0.9
_INV_MAX_CENTS = 20.0
_INV_FULL_SLOPE_CENTS_S = 1000.0


# --------------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PitchTrack:
    """A pitch track on a regular frame grid.

    Attributes
    ----------
    times_s : np.ndarray, shape (F,)
        Frame centres in seconds (frame ``k`` is centred on sample ``k * hop_length``).
    f0_hz : np.ndarray, shape (F,)
        Fundamental frequency in Hz; NaN where unvoiced.
    voiced : np.ndarray of bool, shape (F,)
    confidence : np.ndarray, shape (F,)
        In ``[0, 1]``: for ``"auto"`` one minus the aperiodicity of the chosen period (voiced
        frames) or of the best candidate (unvoiced frames); for other backends their own
        voicing probability / periodicity / strength.
    sr : int
        Sample rate of the analysed signal (Hz).
    hop_length : int
        Frame step in samples at ``sr``.
    method : str
        The backend that produced the track.
    """

    times_s: np.ndarray
    f0_hz: np.ndarray
    voiced: np.ndarray
    confidence: np.ndarray
    sr: int
    hop_length: int
    method: str

    def __post_init__(self) -> None:
        n = self.times_s.shape
        for name in ("f0_hz", "voiced", "confidence"):
            if getattr(self, name).shape != n:
                raise ParameterError(
                    f"PitchTrack arrays must share times_s.shape={n}, given {name}.shape={getattr(self, name).shape}"
                )

    def __len__(self) -> int:
        return int(self.times_s.size)

    def __repr__(self) -> str:
        v = int(self.voiced.sum())
        dur = self.times_s[-1] if self.times_s.size else 0.0
        return (
            f"PitchTrack(method={self.method!r}, frames={self.times_s.size}, voiced={v}, "
            f"hop={1000 * self.hop_length / self.sr:.1f} ms, duration_s={dur:.2f})"
        )

    @property
    def midi(self) -> np.ndarray:
        """Fractional MIDI note number per frame (NaN where unvoiced)."""
        return np.asarray(hz_to_midi(self.f0_hz))

    @property
    def cents(self) -> np.ndarray:
        """Cents off the nearest equal-tempered note per frame, in ``[-50, 50)`` (NaN where unvoiced)."""
        return np.asarray(cents_off(self.f0_hz))

    def to_frame(self) -> pd.DataFrame:
        """One row per frame: ``time_s, f0_hz, voiced, confidence, midi, note, cents``."""
        import pandas as pd

        return pd.DataFrame(
            {
                "time_s": self.times_s,
                "f0_hz": self.f0_hz,
                "voiced": self.voiced,
                "confidence": self.confidence,
                "midi": self.midi,
                "note": midi_to_note_name(self.midi) if self.times_s.size else np.array([], dtype=object),
                "cents": self.cents,
            }
        )


@dataclass(frozen=True)
class Vibrato:
    """Vibrato of a pitch contour.

    Attributes
    ----------
    rate_hz : float
        Modulation rate in Hz (NaN when none was found).
    extent_cents : float
        **Peak** extent in cents: half the peak-to-peak swing (a ±30 c vibrato has 30).
    regularity : float
        In ``[0, 1]``: share of the detrended contour's variance explained by one sinusoid at
        ``rate_hz`` (1 = a perfectly regular vibrato, ~0 = random wobble).
    present : bool
        True when rate is within 3-10 Hz, extent >= 10 c and regularity >= 0.5.
    """

    rate_hz: float
    extent_cents: float
    regularity: float
    present: bool

    @property
    def extent_pp_cents(self) -> float:
        """Peak-to-peak extent in cents (twice :attr:`extent_cents`)."""
        return 2.0 * self.extent_cents


_NO_VIBRATO = Vibrato(rate_hz=float("nan"), extent_cents=0.0, regularity=0.0, present=False)


@dataclass(frozen=True)
class Note:
    """A sung/played note found by :func:`notes`.

    Attributes
    ----------
    onset_s, offset_s : float
        Start and end in seconds (``offset_s > onset_s``).
    midi : int
        The nearest equal-tempered MIDI note to the median pitch of the stable part.
    name : str
        Its name, e.g. ``"D#5"``.
    cents : float
        Median deviation (cents) of the stable part from ``midi`` (positive = sharp).
    in_tune : bool
        ``abs(cents) <= tolerance_cents``.
    vibrato : Vibrato
    f0_hz : float
        Median f0 of the stable part (Hz).
    """

    onset_s: float
    offset_s: float
    midi: int
    name: str
    cents: float
    in_tune: bool
    vibrato: Vibrato = field(default=_NO_VIBRATO)
    f0_hz: float = float("nan")

    def __post_init__(self) -> None:
        if not self.offset_s > self.onset_s:
            raise ParameterError(f"Note offset_s must be > onset_s, given ({self.onset_s}, {self.offset_s})")

    @property
    def duration_s(self) -> float:
        """``offset_s - onset_s`` in seconds."""
        return self.offset_s - self.onset_s


def notes_to_frame(notes_list: list[Note]) -> pd.DataFrame:
    """A table of notes: one row per :class:`Note`, vibrato flattened into ``vibrato_*`` columns."""
    import pandas as pd

    cols = [
        "onset_s",
        "offset_s",
        "duration_s",
        "name",
        "midi",
        "f0_hz",
        "cents",
        "in_tune",
        "vibrato_rate_hz",
        "vibrato_extent_cents",
        "vibrato_regularity",
        "vibrato",
    ]
    rows = [
        [
            n.onset_s,
            n.offset_s,
            n.duration_s,
            n.name,
            n.midi,
            n.f0_hz,
            n.cents,
            n.in_tune,
            n.vibrato.rate_hz,
            n.vibrato.extent_cents,
            n.vibrato.regularity,
            n.vibrato.present,
        ]
        for n in notes_list
    ]
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------------------------------
# tracking
# --------------------------------------------------------------------------------------------------
def _grid(n: int, hop_length: int) -> int:
    return 1 + n // hop_length


def _resample_fast(y: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    if orig_sr == target_sr:
        return np.asarray(y, dtype=np.float64)
    import soxr

    return np.asarray(soxr.resample(y.astype(np.float32), orig_sr, target_sr, quality="HQ"), dtype=np.float64)


def _highpass(x: np.ndarray, sr: int, cutoff_hz: float) -> np.ndarray:
    from scipy.signal import sosfilt

    from ._pitch_core import butter_highpass

    return np.asarray(sosfilt(butter_highpass(2, float(cutoff_hz), int(sr)), x))


def _tail_penalty(x: np.ndarray, centres: np.ndarray, sr: int, *, window_s: float = 0.008) -> np.ndarray:
    """0 where the frame-centred energy is within 18 dB of its +-0.2 s neighbourhood, growing to 3 below."""
    from scipy.ndimage import maximum_filter1d

    half = max(1, int(window_s * sr / 2))
    cs = np.concatenate([[0.0], np.cumsum(x * x)])
    lo = np.clip(centres - half, 0, x.size)
    hi = np.clip(centres + half, 0, x.size)
    e = (cs[hi] - cs[lo]) / (2 * half)
    e_db = 10.0 * np.log10(np.maximum(e, 1e-20))
    hop_s = (centres[1] - centres[0]) / sr if centres.size > 1 else 0.01
    size = 2 * max(1, int(round(0.2 / max(hop_s, 1e-4)))) + 1
    ref = maximum_filter1d(e_db, size=size, mode="nearest")
    return np.asarray(np.clip((ref - e_db - 18.0) / 6.0, 0.0, 3.0))


def _track_auto(
    y: np.ndarray,
    *,
    sr: int,
    fmin_hz: float,
    fmax_hz: float,
    hop_length: int,
    threshold: float = 0.45,
    n_candidates: int = 5,
    _debug: dict | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from ._pitch_core import (
        curvature_correct,
        frame_signal,
        high_look,
        inverse_blend,
        lag_persistence,
        lpc_residual,
        noise_floor_threshold,
        offset_penalty,
        refine,
        refine_moment_s2,
        slope_weight,
        viterbi,
        yin_candidates,
    )

    n_frames = _grid(y.size, hop_length)
    work_sr = sr if sr <= WORK_SR else max(WORK_SR, int(np.ceil(4.2 * fmax_hz / 1000.0)) * 1000)
    work_sr = min(work_sr, sr)
    x = _resample_fast(y, sr, work_sr)
    x = _highpass(x, work_sr, min(0.6 * fmin_hz, 50.0))
    centres = np.round(np.arange(n_frames) * hop_length * work_sr / sr).astype(np.int64)
    max_lag = int(np.ceil(work_sr / fmin_hz)) + 1
    min_lag = max(2, int(np.floor(work_sr / fmax_hz)) - 1)
    window = max_lag
    frames = frame_signal(x, centres, window + max_lag + 2)
    period, ap, energy = yin_candidates(
        frames, window=window, min_lag=min_lag, max_lag=max_lag, n_candidates=n_candidates
    )
    hp2 = _HP2_HZ if _HP2_HZ is not None else 0.0
    if hp2 > 0 and fmax_hz > 2 * hp2:
        # a second look with the low end removed: high voices in low-frequency (pink) noise
        frames2 = frame_signal(_highpass(x, work_sr, hp2), centres, window + max_lag + 2)
        p2, a2, _ = yin_candidates(frames2, window=window, min_lag=min_lag, max_lag=max_lag, n_candidates=3)
        period = np.concatenate([period, p2], axis=1)
        ap = np.concatenate([ap, a2 + 0.05], axis=1)
    # candidate outside the range after interpolation
    f_cand = work_sr / period
    bad = ~((f_cand >= fmin_hz * 0.97) & (f_cand <= fmax_hz * 1.03))
    ap = np.where(bad, np.inf, ap)
    ref = float(np.percentile(energy, 99)) if energy.size else 0.0
    if ref <= 1e-12:
        return np.full(n_frames, np.nan), np.zeros(n_frames, bool), np.zeros(n_frames)
    # voicing threshold from the noise floor: as periodic as the noise alone looks, minus a margin
    share, pct, margin, cap = _NOISE_FLOOR
    thr = noise_floor_threshold(
        ap, energy, ref, threshold=threshold, share=share, pct=pct, margin=margin, max_threshold=cap
    )
    high = high_look(fmin_hz=fmin_hz, fmax_hz=fmax_hz, sr=work_sr, min_lag=min_lag, from_hz=_HIGH_LOOK_HZ)
    if high is not None and thr > threshold:
        # a noisy recording: a third look at short lags only, through a steep high-pass just below
        # the lowest f0 it searches (the band where a faint high note can still beat low-frequency noise)
        from scipy.signal import sosfilt

        frames3 = frame_signal(np.asarray(sosfilt(high["sos"], x)), centres, high["frame_length"])
        p3, a3, _ = yin_candidates(
            frames3, window=high["window"], min_lag=min_lag, max_lag=high["max_lag"], n_candidates=2
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            f3 = work_sr / p3
        a3 = np.where((f3 >= fmin_hz * 0.97) & (f3 <= fmax_hz * 1.03), a3 + 0.05, np.inf)
        period = np.concatenate([period, p3], axis=1)
        ap = np.concatenate([ap, a3], axis=1)
    # emission costs (units: aperiodicity / 0.1)
    conf_best = np.clip(1.0 - np.min(ap, axis=1), 0.0, 1.0) if ap.shape[1] else np.zeros(n_frames)
    with np.errstate(divide="ignore"):
        e_db = 10.0 * np.log10(np.maximum(energy, 1e-20) / ref)
    quiet = np.clip((-38.0 - e_db) / 4.0, 0.0, 5.0)  # 0 above -38 dB re the loudest frames, grows below
    p_min = np.nanmin(np.where(np.isfinite(ap), period, np.inf), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        octave_prior = 0.3 * np.log2(period / p_min[:, None])
    # frame-centred short-time energy against its neighbourhood: release tails and ramps
    tail = _tail_penalty(x, centres, work_sr)
    cost_v = 10.0 * ap + np.nan_to_num(octave_prior, nan=0.0) + 3.0 * quiet[:, None] + 3.0 * tail[:, None]
    # the energy just after the centre against the last 5-45 ms: a note that has ended by the centre
    best_col = np.argmin(ap, axis=1) if ap.shape[1] else np.zeros(n_frames, np.int64)
    p_best = period[np.arange(n_frames), best_col]
    off = offset_penalty(x, centres, p_best, sr=work_sr)
    cost_v = cost_v + 3.0 * off[:, None]
    cost_v = np.where(np.isfinite(ap) & (energy[:, None] > ref * 1e-9), cost_v, np.inf)
    cost_u = np.full(n_frames, 10.0 * thr)
    if thr > threshold and _PERSIST_BONUS > 0:
        # a noisy recording: a faint note's candidate can look as aperiodic as the noise alone, but
        # its lag persists from frame to frame on both sides, where the noise's best lag wanders
        radius, tol_c, ap_over, max_gap = _PERSIST
        pers = lag_persistence(period, ap, radius=radius, tol_cents=tol_c, max_ap=thr + ap_over, max_gap=max_gap)
        cost_v = cost_v - _PERSIST_BONUS * pers
    path = viterbi(
        np.nan_to_num(period, nan=-1.0),
        np.ascontiguousarray(cost_v),
        cost_u,
        0.5,
        3.0,
        1.0,
    )
    if _debug is not None:
        _debug.update(period=period, ap=ap, e_db=e_db, path=path, work_sr=work_sr)
    k = period.shape[1]
    voiced = path < k
    rows = np.arange(n_frames)
    chosen = np.where(voiced, period[rows, np.minimum(path, k - 1)], np.nan)
    conf = np.where(voiced, np.clip(1.0 - ap[rows, np.minimum(path, k - 1)], 0.0, 1.0), conf_best)
    # sub-sample refinement, frame-centred short window
    pad = 4 * max_lag + 64
    xp = np.zeros(x.size + 2 * pad)
    xp[pad : pad + x.size] = x
    fine_p = refine(xp, pad, centres, np.nan_to_num(chosen, nan=-1.0), int(0.02 * work_sr), 2.0, True)
    fine_p = np.where(np.isfinite(fine_p) & (np.abs(fine_p / chosen - 1.0) < 0.1), fine_p, chosen)
    if thr <= threshold:
        # a clean recording: refine again on the signal with its spectral envelope's resonances
        # removed (SIFT-style partial inverse filter), which also removes their group delay from the
        # harmonics' phases. That delay shifts a moving contour in time (a resonance near a harmonic
        # delays it by ms), so the correction is taken in proportion to how fast the pitch moves;
        # on steady notes the plain estimate (energy-weighted harmonics) is kept.
        weight = slope_weight(fine_p, frame_rate_hz=sr / hop_length, full_slope_cents_s=_INV_FULL_SLOPE_CENTS_S)
        if np.any(weight > 0):
            xp[pad : pad + x.size] = lpc_residual(x, sr=work_sr, gamma=_INV_GAMMA)
            seed = np.where(weight > 0, np.nan_to_num(fine_p, nan=-1.0), -1.0)
            inv_p = refine(xp, pad, centres, seed, int(0.02 * work_sr), 2.0, True)
            fine_p = inverse_blend(fine_p, inv_p, weight, max_cents=_INV_MAX_CENTS)
    f0 = np.where(voiced, work_sr / fine_p, np.nan)
    # the window's smoothing of a bending contour (vibrato peaks), undone to first order
    m2_s2 = refine_moment_s2(chosen, fine_p, min_window=int(0.02 * work_sr), n_periods=2.0, sr=work_sr)
    f0 = curvature_correct(f0, m2_s2=m2_s2, hop_s=hop_length / sr)
    return f0, voiced, conf


def _track_pyin(
    y: np.ndarray, *, sr: int, fmin_hz: float, fmax_hz: float, hop_length: int, frame_length: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import librosa

    if frame_length is None:
        frame_length = int(2 ** np.ceil(np.log2(2048 * sr / 22050)))
    frame_length = max(frame_length, int(2 ** np.ceil(np.log2(4 * sr / fmin_hz))) // 2)
    f0, vflag, vprob = librosa.pyin(
        y.astype(np.float32),
        fmin=fmin_hz,
        fmax=fmax_hz,
        sr=sr,
        frame_length=frame_length,
        hop_length=hop_length,
        center=True,
    )
    n = _grid(y.size, hop_length)
    f0 = np.asarray(f0, dtype=np.float64)[:n]
    vflag = np.asarray(vflag, dtype=bool)[:n]
    f0 = np.where(vflag, f0, np.nan)
    return f0, vflag & np.isfinite(f0), np.asarray(vprob, dtype=np.float64)[:n]


def _track_praat(
    y: np.ndarray, *, sr: int, fmin_hz: float, fmax_hz: float, hop_length: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import parselmouth

    snd = parselmouth.Sound(y.astype(np.float64), sampling_frequency=sr)
    pitch = snd.to_pitch_ac(time_step=hop_length / sr, pitch_floor=fmin_hz, pitch_ceiling=fmax_hz)
    n = _grid(y.size, hop_length)
    times = np.arange(n) * hop_length / sr
    pt = np.asarray(pitch.xs())
    pf = np.asarray(pitch.selected_array["frequency"], dtype=np.float64)
    ps = np.asarray(pitch.selected_array["strength"], dtype=np.float64)
    if pt.size == 0:
        return np.full(n, np.nan), np.zeros(n, bool), np.zeros(n)
    # nearest Praat frame for each of our frames (Praat's grid is centred on the signal)
    idx = np.clip(np.round((times - pt[0]) / (hop_length / sr)).astype(int), 0, pt.size - 1)
    near = np.abs(pt[idx] - times) <= 0.51 * hop_length / sr
    f0 = np.where(near & (pf[idx] > 0), pf[idx], np.nan)
    return f0, np.isfinite(f0), np.where(near, np.clip(ps[idx], 0, 1), 0.0)


def track(
    y: np.ndarray,
    *,
    sr: int,
    method: str = "auto",
    fmin_hz: float = 65.0,
    fmax_hz: float = 1100.0,
    hop_length: int | None = None,
    model: str = "tiny",
    device: str | None = None,
    threshold: float = 0.45,
) -> PitchTrack:
    """Track the fundamental frequency of a mono signal.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono float audio (any rate ``sr`` in 8-96 kHz is usual; 1-768 kHz accepted).
    sr : int
        Sample rate of ``y`` in Hz (no default: the signal is never silently resampled).
    method : {"auto", "pyin", "crepe", "praat"}
        ``"auto"``: our tracker (fast, precise, octave-safe; see the module doc).
        ``"pyin"``: ``librosa.pyin``. ``"crepe"``: torchcrepe with Viterbi decoding (``model``,
        ``device``). ``"praat"``: Praat's autocorrelation method (parselmouth ``to_pitch_ac``).
    fmin_hz, fmax_hz : float
        Search range in Hz, ``0 < fmin_hz < fmax_hz <= sr / 2``.
    hop_length : int or None
        Frame step in samples at ``sr``; default ``round(0.01 * sr)`` (10 ms).
    model : {"tiny", "full"}
        torchcrepe model (``method="crepe"`` only).
    device : str or None
        torch device for crepe; default ``"cuda"`` when available, else ``"cpu"``.
    threshold : float
        Aperiodicity (0..1) above which a frame tends to unvoiced (``method="auto"`` only);
        larger is more permissive. In a recording with a noise floor it is raised (up to 0.65)
        to just below the aperiodicity the noise alone reaches.

    Returns
    -------
    PitchTrack
        ``1 + len(y) // hop_length`` frames; frame ``k`` is centred at ``k * hop_length / sr`` s.

    Raises
    ------
    AudioError
        ``y`` is not a finite, non-empty 1-D float array.
    ParameterError
        Bad ``sr``, frequency range, hop, method or model.
    DependencyError
        The backend's package (torchcrepe, parselmouth) is missing.

    Warns
    -----
    DawglibWarning
        When the signal is silent (the track is then all unvoiced).

    Examples
    --------
    >>> from dawglib.synth import tone
    >>> tr = track(tone(220.0, sr=22050, duration_s=1.0), sr=22050)
    >>> bool(tr.voiced[10:-10].all()), abs(float(np.nanmedian(tr.cents))) < 3
    (True, True)
    """
    y = valid_audio(y, mono=True)
    sr = valid_sr(sr)
    fmin_hz, fmax_hz = valid_freq_range(fmin_hz, fmax_hz, sr=sr)
    if method not in METHODS:
        raise ParameterError(f"method must be one of {METHODS}, given method={method!r}")
    if hop_length is None:
        hop_length = max(1, int(round(0.01 * sr)))
    if isinstance(hop_length, bool) or not isinstance(hop_length, (int, np.integer)) or hop_length < 1:
        raise ParameterError(f"hop_length must be a positive int number of samples, given hop_length={hop_length!r}")
    hop_length = int(hop_length)
    if hop_length > sr:
        raise ParameterError(f"hop_length must be <= sr (1 s), given hop_length={hop_length} with sr={sr}")
    valid_positive(threshold, name="threshold")
    n = _grid(y.size, hop_length)
    times = np.arange(n) * hop_length / sr
    peak = float(np.max(np.abs(y)))
    if peak < 1e-7:
        warnings.warn(
            f"signal is silent (peak {peak:.2g}); returning an all-unvoiced track", DawglibWarning, stacklevel=2
        )
        return PitchTrack(times, np.full(n, np.nan), np.zeros(n, bool), np.zeros(n), sr, hop_length, method)
    y64 = np.asarray(y, dtype=np.float64) / peak  # level-independent analysis
    if method == "auto":
        f0, voiced, conf = _track_auto(
            y64, sr=sr, fmin_hz=fmin_hz, fmax_hz=fmax_hz, hop_length=hop_length, threshold=threshold
        )
    elif method == "pyin":
        f0, voiced, conf = _track_pyin(y64, sr=sr, fmin_hz=fmin_hz, fmax_hz=fmax_hz, hop_length=hop_length)
    elif method == "praat":
        f0, voiced, conf = _track_praat(y64, sr=sr, fmin_hz=fmin_hz, fmax_hz=fmax_hz, hop_length=hop_length)
    else:
        from ._crepe import track_crepe

        f0, voiced, conf = track_crepe(
            y64, sr=sr, fmin_hz=fmin_hz, fmax_hz=fmax_hz, hop_length=hop_length, model=model, device=device
        )
    f0 = np.where(voiced, f0, np.nan)
    voiced = np.isfinite(f0)
    return PitchTrack(
        times_s=times,
        f0_hz=f0,
        voiced=voiced,
        confidence=np.clip(np.nan_to_num(conf, nan=0.0), 0.0, 1.0),
        sr=sr,
        hop_length=hop_length,
        method=method,
    )


# --------------------------------------------------------------------------------------------------
# vibrato and notes
# --------------------------------------------------------------------------------------------------
def vibrato(
    f0_hz: np.ndarray,
    *,
    frame_rate_hz: float,
    rate_range_hz: tuple[float, float] = (3.0, 10.0),
    min_extent_cents: float = 10.0,
) -> Vibrato:
    """Rate, extent and regularity of the vibrato in a pitch contour.

    The contour is converted to cents, a straight line (drift) is removed, and one sinusoid
    (plus the line) is fitted by least squares on a 0.05 Hz grid of rates; the best fit wins.

    Parameters
    ----------
    f0_hz : np.ndarray, shape (F,)
        Pitch contour in Hz on a regular grid; NaN (unvoiced) frames are interpolated over when
        they are fewer than a quarter of the frames.
    frame_rate_hz : float
        Frames per second (``sr / hop_length`` for a :class:`PitchTrack`).
    rate_range_hz : (float, float)
        Rates searched, in Hz.
    min_extent_cents : float
        Smallest **peak** extent (cents) that counts as vibrato.

    Returns
    -------
    Vibrato
        ``extent_cents`` is the **peak** extent (half the peak-to-peak swing);
        ``extent_pp_cents`` gives peak-to-peak. Contours shorter than one cycle of the slowest
        rate give ``rate_hz=nan, present=False``.

    Examples
    --------
    >>> t = np.arange(100) / 100.0
    >>> v = vibrato(440.0 * 2 ** (40 * np.sin(2 * np.pi * 5.5 * t) / 1200), frame_rate_hz=100.0)
    >>> round(v.rate_hz, 1), round(v.extent_cents), v.present
    (5.5, 40, True)
    """
    fr = valid_positive(frame_rate_hz, name="frame_rate_hz")
    lo, hi = float(rate_range_hz[0]), float(rate_range_hz[1])
    if not 0 < lo < hi < fr / 2:
        raise ParameterError(
            f"rate_range_hz must satisfy 0 < low < high < frame_rate_hz/2, given {rate_range_hz} at {fr} frames/s"
        )
    f = np.asarray(f0_hz, dtype=np.float64)
    if f.ndim != 1:
        raise ParameterError(f"f0_hz must be 1-D, given shape {f.shape}")
    return _fit_vibrato(f, fr, lo, hi, float(min_extent_cents))[0]


def _fit_vibrato(f: np.ndarray, fr: float, lo: float, hi: float, min_extent: float) -> tuple[Vibrato, np.ndarray]:
    """The vibrato and the fitted sinusoid (cents, one value per frame; zeros when none)."""
    zero = np.zeros(f.size)
    ok = np.isfinite(f) & (f > 0)
    if ok.sum() < max(4, fr / lo) or ok.mean() < 0.75:
        return _NO_VIBRATO, zero
    c = 1200.0 * np.log2(np.where(ok, f, 1.0) / np.median(f[ok]))
    idx = np.arange(f.size)
    c = np.interp(idx, idx[ok], c[ok])
    t = idx / fr
    t = t - t.mean()
    base = np.stack([np.ones_like(t), t], axis=1)
    resid0 = c - base @ np.linalg.lstsq(base, c, rcond=None)[0]
    var0 = float(np.sum(resid0**2))
    if var0 <= 1e-9:
        return Vibrato(rate_hz=float("nan"), extent_cents=0.0, regularity=0.0, present=False), zero
    best: tuple[float, float, float, np.ndarray] = (0.0, lo, 0.0, zero)
    for rate in np.arange(lo, hi + 1e-9, 0.05):
        w = 2 * np.pi * rate * t
        a = np.column_stack([base, np.sin(w), np.cos(w)])
        coef, *_ = np.linalg.lstsq(a, c, rcond=None)
        r = c - a @ coef
        expl = 1.0 - float(np.sum(r**2)) / var0
        if expl > best[0]:
            best = (expl, float(rate), float(np.hypot(coef[2], coef[3])), a[:, 2:] @ coef[2:])
    regularity, rate, extent, sinus = best
    regularity = float(np.clip(regularity, 0.0, 1.0))
    present = extent >= min_extent and regularity >= 0.5
    vib = Vibrato(rate_hz=rate, extent_cents=extent, regularity=regularity, present=bool(present))
    return vib, (sinus if present else zero)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs of ``mask``."""
    m = np.concatenate([[False], mask.astype(bool), [False]])
    d = np.diff(m.astype(np.int8))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


def notes(
    track: PitchTrack,
    *,
    tolerance_cents: float = 15.0,
    min_duration_s: float = 0.1,
    max_gap_s: float = 0.03,
    a4_hz: float = 440.0,
) -> list[Note]:
    """Segment a pitch track into notes.

    Voiced runs (gaps up to ``max_gap_s`` bridged) are split where the pitch, smoothed over
    about one vibrato cycle (a 150 ms running median), moves to another semitone for at least
    ``min_duration_s``. The *stable part* of a note leaves out its first and last 15 % (at least
    30 ms each): glides and onsets do not count towards its tuning.

    Parameters
    ----------
    track : PitchTrack
    tolerance_cents : float
        A note is in tune when ``abs(cents) <= tolerance_cents`` (default ±15 c).
    min_duration_s : float
        Shortest note kept, in seconds.
    max_gap_s : float
        Unvoiced gaps up to this long inside a note are bridged.
    a4_hz : float
        Tuning reference (Hz) for note numbers and cents.

    Returns
    -------
    list of Note
        In time order; ``cents`` is the median deviation of the stable part (its vibrato
        sinusoid removed first, so a partial vibrato cycle does not bias it) from the nearest
        equal-tempered note, ``vibrato`` its :func:`vibrato` (peak extent).

    Examples
    --------
    >>> from dawglib.synth import f0_contour, sung_vowel
    >>> f0 = f0_contour([(0.1, 0.6, 60), (0.6, 1.1, 64.2)], sr=16000)
    >>> ns = notes(track(sung_vowel(f0, sr=16000), sr=16000))
    >>> [(n.name, round(n.cents)) for n in ns]
    [('C4', 0), ('E4', 20)]
    """
    if not isinstance(track, PitchTrack):
        raise ParameterError(f"track must be a PitchTrack (from dawglib.pitch.track), given {type(track).__name__}")
    tol = valid_positive(tolerance_cents, name="tolerance_cents")
    min_dur = valid_positive(min_duration_s, name="min_duration_s")
    gap = valid_positive(max_gap_s, name="max_gap_s", allow_zero=True)
    if track.times_s.size == 0:
        return []
    fr = track.sr / track.hop_length
    midi = np.asarray(hz_to_midi(track.f0_hz, a4_hz=a4_hz))
    voiced = np.isfinite(midi)
    for s, e in _runs(voiced):  # blips of one or two voiced frames are not notes
        if e - s < 3:
            voiced[s:e] = False
    # bridge short gaps
    bridged = voiced.copy()
    for s, e in _runs(~voiced):
        if s > 0 and e < voiced.size and (e - s) / fr <= gap:
            bridged[s:e] = True
    min_len = max(2, int(round(min_dur * fr)))
    med_len = max(3, int(round(0.15 * fr)) | 1)
    out: list[Note] = []
    for s, e in _runs(bridged):
        if e - s < min_len:
            continue
        seg = midi[s:e]
        idx = np.arange(seg.size)
        ok = np.isfinite(seg)
        seg = np.interp(idx, idx[ok], seg[ok])
        from scipy.ndimage import median_filter

        smooth = median_filter(seg, size=min(med_len, seg.size | 1), mode="nearest")
        q = np.round(smooth)
        # pieces of constant quantised pitch; short pieces join their longer neighbour
        pieces = [[a, b, q[a]] for a, b in _piecewise(q)]
        changed = True
        while changed and len(pieces) > 1:
            changed = False
            lens = [b - a for a, b, _ in pieces]
            i = int(np.argmin(lens))
            if lens[i] < min_len:
                j = i - 1 if i == len(pieces) - 1 or (i > 0 and lens[i - 1] >= lens[i + 1]) else i + 1
                a, b = min(pieces[i][0], pieces[j][0]), max(pieces[i][1], pieces[j][1])
                pieces[min(i, j)] = [a, b, pieces[j][2]]
                del pieces[max(i, j)]
                changed = True
            else:
                for k in range(len(pieces) - 1):
                    if pieces[k][2] == pieces[k + 1][2]:
                        pieces[k] = [pieces[k][0], pieces[k + 1][1], pieces[k][2]]
                        del pieces[k + 1]
                        changed = True
                        break
        # move each legato boundary (within +-80 ms) to where the contour best splits the two notes
        reach = max(1, int(round(0.08 * fr)))
        for k in range(len(pieces) - 1):
            a1, b1, q1 = pieces[k]
            _, b2, q2 = pieces[k + 1]
            lo_b, hi_b = max(a1 + 2, b1 - reach), min(b2 - 2, b1 + reach)
            if hi_b <= lo_b:
                continue
            gap_at = np.flatnonzero(~voiced[s + lo_b : s + hi_b])
            if gap_at.size:  # a breath between the notes is the boundary
                nb = lo_b + int(gap_at[-1]) + 1
            else:
                cands = np.arange(lo_b, hi_b + 1)
                costs = [np.abs(seg[a1:c] - q1).sum() + np.abs(seg[c:b2] - q2).sum() for c in cands]
                nb = int(cands[int(np.argmin(costs))])
            pieces[k][1] = nb
            pieces[k + 1][0] = nb
        vseg = voiced[s:e]
        for a, b, _ in pieces:
            # a note starts and ends on voiced frames (a bridged gap belongs to no note)
            on = np.flatnonzero(vseg[a:b])
            if on.size:
                a, b = a + int(on[0]), a + int(on[-1]) + 1
            if b - a < min_len:
                continue
            trim = max(int(round(0.03 * fr)), int(0.15 * (b - a)))
            sa, sb = a + trim, b - trim
            if sb - sa < 2:
                sa, sb = a, b
            stable = seg[sa:sb]
            vib, sinus = _fit_vibrato(440.0 * 2.0 ** ((stable - 69.0) / 12.0), fr, 3.0, min(10.0, 0.45 * fr), 10.0)
            centre = float(np.median(stable - sinus / 100.0))  # vibrato removed: its centre line
            m = int(np.floor(centre + 0.5))
            cents = 100.0 * (centre - m)
            out.append(
                Note(
                    onset_s=float(track.times_s[s + a]),
                    offset_s=float(track.times_s[s + b - 1] + 1.0 / fr),
                    midi=m,
                    name=str(midi_to_note_name(m)),
                    cents=float(cents),
                    in_tune=bool(abs(cents) <= tol),
                    vibrato=vib,
                    f0_hz=float(a4_hz * 2.0 ** ((centre - 69.0) / 12.0)),
                )
            )
    return out


def _piecewise(q: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(q) != 0) + 1
    starts = np.concatenate([[0], edges])
    ends = np.concatenate([edges, [q.size]])
    return list(zip(starts.tolist(), ends.tolist()))
