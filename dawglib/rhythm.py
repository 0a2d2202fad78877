"""Rhythm: onsets on the physical attack, tempo without octave errors, beats, and a singer's timing.

Onsets
    :func:`onset_strength` is a superflux-like spectral flux (log-magnitude, 12 bands per octave,
    100 frames/s, frequency max-filter) with low-band (< 200 Hz) and high-band (> 2 kHz) versions.
    :func:`onsets` picks its peaks and then moves each one onto the physical attack: the half-way
    point of the rise of a 3 ms RMS envelope (0.5 ms steps) from the pre-onset floor to the attack
    peak. No constant latency is left to correct (librosa's onsets are ~30 ms late).
Tempo
    :func:`tempo_candidates` scores tempi from the autocorrelation of the envelope (a pulse must
    recur at 1-4 periods). The metrical level is chosen among the relatives of the strongest pulse
    by evidence: a weaker subdivision (half or third of the beat, or a swung offbeat late in the beat)
    supports a level, an equally strong one means the beat is faster, a steady pulse at 1/8 of the
    beat means it is slower; an onset at 1/3 of the beat alone is not a triplet subdivision (it is
    the swung offbeat of the level twice as fast: 'ding ding-a ding' is not a half-note beat); a broad
    log-tempo prior (centred on 110 BPM, sigma one octave) only breaks near-ties.
Beats
    :func:`beats` runs dynamic programming (Ellis 2007) on the full + low-band envelope with the
    chosen period, checks the half-period phase against the low band, and snaps each beat onto an
    attack within 40 ms. :func:`beat_track` also returns downbeats (meter 3 or 4 from the bar-level
    periodicity, phase from the low band: best effort).
Timing
    :func:`timing` compares event times (a singer's onsets) with a grid built from beat times or a
    tempo, subdivided and optionally swung, and returns a :class:`TimingReport`.

Empty-but-legal input (silence, no onsets) warns with :class:`~dawglib.exceptions.DawglibWarning`
and returns an empty result (``np.array([])``, ``nan`` tempo, a report with ``n_events == 0``).

Examples
--------
>>> from dawglib.synth import click_track
>>> y, truth = click_track(bpm=128.0, sr=22050, duration_s=8.0, offset_s=0.25)
>>> round(tempo(y, sr=22050))
128
>>> bool(abs(onsets(y, sr=22050)[0] - 0.25) < 0.003)
True
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _rhythm_core as core
from ._validate import valid_audio, valid_positive, valid_sr
from .exceptions import DawglibWarning, ParameterError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "OnsetEnvelope",
    "TempoCandidates",
    "Beats",
    "TimingReport",
    "onset_strength",
    "onsets",
    "tempo_candidates",
    "tempo",
    "beats",
    "beat_track",
    "downbeats",
    "timing",
    "timing_grid",
    "CONSISTENCY_SCALE_MS",
]

#: Minimum duration (s) for tempo and beat estimates; shorter input warns and returns an empty result.
MIN_TEMPO_DURATION_S = 1.5
#: Standard deviation of timing offsets (ms) at which the consistency score falls to 100/e = 37.
CONSISTENCY_SCALE_MS = 40.0


# ------------------------------------------------------------------------------------------- checks


def _signal(y: Any, sr: Any) -> tuple[np.ndarray, int]:
    sr = valid_sr(sr)
    y = valid_audio(y)
    return core.normalise(y), sr


def _silent(y: np.ndarray) -> bool:
    return not bool(np.any(np.abs(y) > 1e-6))


def _warn(msg: str) -> None:
    warnings.warn(msg, DawglibWarning, stacklevel=3)


def _bpm_range(min_bpm: Any, max_bpm: Any) -> tuple[float, float]:
    lo = valid_positive(min_bpm, name="min_bpm")
    hi = valid_positive(max_bpm, name="max_bpm")
    if not lo < hi or hi > 1000:
        raise ParameterError(f"need 0 < min_bpm < max_bpm <= 1000, given min_bpm={min_bpm}, max_bpm={max_bpm}")
    if hi / lo < 2.0:
        raise ParameterError(f"max_bpm / min_bpm must be >= 2 (one octave), given {min_bpm}..{max_bpm}")
    return lo, hi


def _times(x: Any, *, name: str, strictly_increasing: bool) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name} must be a 1-D array of times in seconds, given {type(x).__name__}") from exc
    if a.ndim != 1:
        raise ParameterError(f"{name} must be 1-D (times in seconds), given shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ParameterError(f"{name} must be finite, given {int(np.count_nonzero(~np.isfinite(a)))} NaN/inf value(s)")
    if a.size and a.min() < 0:
        raise ParameterError(f"{name} must be >= 0 s, given min {a.min():.3f}; did you supply times in seconds?")
    d = np.diff(a)
    if strictly_increasing and np.any(d <= 0):
        i = int(np.flatnonzero(d <= 0)[0])
        raise ParameterError(
            f"{name} must be strictly increasing, given {name}[{i}]={a[i]:.4f} >= {name}[{i + 1}]={a[i + 1]:.4f}"
        )
    if a.size and a.max() > 1e5:
        raise ParameterError(f"{name} look like samples or ms, not seconds (max {a.max():.0f}); convert to seconds")
    return a


# ------------------------------------------------------------------------------------------- onsets


@dataclass(frozen=True)
class OnsetEnvelope:
    """Onset strength envelopes (superflux-like spectral flux) at ``fps`` frames per second.

    Attributes
    ----------
    times_s : np.ndarray, shape (n,)
        Frame centres (s).
    strength : np.ndarray, shape (n,)
        Full-band flux (sum of positive log-magnitude increases over 12-per-octave bands).
    low, high : np.ndarray, shape (n,)
        The same restricted to bands below 200 Hz (kick, bass) and above 2 kHz (hats, snare).
    fps : float
        Frames per second.
    """

    times_s: np.ndarray
    strength: np.ndarray
    low: np.ndarray
    high: np.ndarray
    fps: float

    def __len__(self) -> int:
        return int(self.times_s.size)

    def to_frame(self) -> pd.DataFrame:
        """One row per frame: ``time_s, strength, low, high``."""
        import pandas as pd

        return pd.DataFrame({"time_s": self.times_s, "strength": self.strength, "low": self.low, "high": self.high})


def _envelopes(y: np.ndarray, sr: int) -> core.Envelopes:
    return core.envelopes(y, sr)


def onset_strength(y: np.ndarray, *, sr: int) -> OnsetEnvelope:
    """Onset strength envelope (full, low and high band) of a mono signal.

    Parameters
    ----------
    y : np.ndarray, shape (n,), float
        Mono audio. Its level does not matter (it is peak-normalised first).
    sr : int
        Sample rate in Hz.

    Returns
    -------
    OnsetEnvelope
        100 frames per second (hop ``round(sr / 100)`` samples); frame ``k`` centred at ``k / fps`` s.

    Examples
    --------
    >>> from dawglib.synth import click_track
    >>> y, _ = click_track(bpm=120.0, sr=22050, duration_s=2.0)
    >>> env = onset_strength(y, sr=22050)
    >>> round(env.fps), len(env) == 1 + y.size // 220
    (100, True)
    """
    yn, sr = _signal(y, sr)
    e = _envelopes(yn, sr)
    t = np.arange(e.full.size) / e.fps
    return OnsetEnvelope(times_s=t, strength=e.full, low=e.low, high=e.high, fps=e.fps)


#: Weak envelope peaks (below this share of the envelope's 99th percentile) must come with an attack
#: rising at least :data:`MIN_RISE` times above its floor, or they are dropped (vibrato, tremolo).
WEAK_PEAK = 0.5
MIN_RISE = 1.6


def _onsets_from(
    yn: np.ndarray, sr: int, env: core.Envelopes, *, delta: float, refine: bool, threshold: float
) -> np.ndarray:
    frames = core.pick_peaks(env.full, env.fps, delta=delta)
    t = frames / env.fps
    if not refine or t.size == 0:
        return t
    fine, step = core.fine_envelope(yn, sr)
    r, rise = core.refine_onsets(t, fine, step, threshold=threshold)
    weak = env.full[frames] < WEAK_PEAK * (np.percentile(env.full, 99) + 1e-12)
    r = r[~(weak & (rise < MIN_RISE))]
    r = np.clip(r, 0.0, yn.size / sr)
    r.sort()
    if r.size > 1:  # two peaks refined onto the same attack
        keep = np.concatenate([[True], np.diff(r) > 0.02])
        r = r[keep]
    return r


def onsets(
    y: np.ndarray,
    *,
    sr: int,
    delta: float = 0.07,
    refine: bool = True,
    attack_threshold: float = 0.3,
) -> np.ndarray:
    """Onset times (s) of a mono signal, on the physical attack.

    Parameters
    ----------
    y : np.ndarray, shape (n,), float
        Mono audio.
    sr : int
        Sample rate in Hz.
    delta : float >= 0
        Peak-picking threshold above the local mean, relative to the envelope's 99th percentile:
        higher finds fewer, stronger onsets.
    refine : bool
        Move each onset onto the attack (default). ``False`` returns the envelope peak frames
        (10 ms grid), which sit a few ms early or late depending on the sound.
    attack_threshold : float in (0, 1)
        Where on the attack's rise the onset is placed (0.5 = half-way from floor to peak).

    Returns
    -------
    onsets_s : np.ndarray, shape (k,)
        Increasing onset times in seconds; empty (with a :class:`DawglibWarning`) for silence.

    Examples
    --------
    >>> from dawglib.synth import click_track
    >>> y, truth = click_track(bpm=100.0, sr=44100, duration_s=3.0, offset_s=0.2)
    >>> t = onsets(y, sr=44100)
    >>> len(t) == len(truth), bool(np.max(np.abs(t - truth)) < 0.003)
    (True, True)
    """
    yn, sr = _signal(y, sr)
    delta = valid_positive(delta, name="delta", allow_zero=True)
    if not 0.0 < float(attack_threshold) < 1.0:
        raise ParameterError(f"attack_threshold must be in (0, 1), given {attack_threshold!r}")
    if _silent(yn):
        _warn("onsets: the signal is silent; returning no onsets")
        return np.zeros(0)
    env = _envelopes(yn, sr)
    return _onsets_from(yn, sr, env, delta=delta, refine=bool(refine), threshold=float(attack_threshold))


# ------------------------------------------------------------------------------------------- tempo


@dataclass(frozen=True)
class TempoCandidates:
    """Tempo hypotheses, best first.

    Attributes
    ----------
    bpm : np.ndarray, shape (k,)
        Candidate tempi (beats per minute).
    confidence : np.ndarray, shape (k,)
        Softmax of the scores over the candidates (sums to 1).
    score : np.ndarray, shape (k,)
        Log-domain score: periodicity + metrical evidence + broad prior.
    periodicity : np.ndarray, shape (k,)
        Pulse strength relative to the strongest candidate (0-1).
    """

    bpm: np.ndarray
    confidence: np.ndarray
    score: np.ndarray
    periodicity: np.ndarray

    def __len__(self) -> int:
        return int(self.bpm.size)

    def to_frame(self) -> pd.DataFrame:
        """One row per candidate: ``bpm, confidence, score, periodicity``."""
        import pandas as pd

        return pd.DataFrame(
            {"bpm": self.bpm, "confidence": self.confidence, "score": self.score, "periodicity": self.periodicity}
        )


def _candidates(env: core.Envelopes, *, min_bpm: float, max_bpm: float, n: int) -> TempoCandidates:
    ev = core.tempo_evidence(env, min_bpm=min_bpm, max_bpm=max_bpm)
    if ev.bpm.size == 0:
        z = np.zeros(0)
        return TempoCandidates(bpm=z, confidence=z, score=z, periodicity=z)
    k = slice(0, n)
    s = ev.score[k]
    w = np.exp(3.0 * (s - s.max()))
    return TempoCandidates(bpm=ev.bpm[k], confidence=w / w.sum(), score=s, periodicity=ev.pulse[k])


def tempo_candidates(
    y: np.ndarray, *, sr: int, min_bpm: float = 40.0, max_bpm: float = 240.0, n: int = 5
) -> TempoCandidates:
    """Tempo candidates with confidences, best first.

    Parameters
    ----------
    y : np.ndarray, shape (n,), float
        Mono audio, at least 1.5 s (shorter warns and returns no candidates).
    sr : int
        Sample rate in Hz.
    min_bpm, max_bpm : float
        Range of tempi considered (at least one octave).
    n : int >= 1
        Number of candidates returned.

    Returns
    -------
    TempoCandidates

    Examples
    --------
    >>> from dawglib.synth import click_track
    >>> y, _ = click_track(bpm=90.0, sr=22050, duration_s=8.0)
    >>> c = tempo_candidates(y, sr=22050)
    >>> round(float(c.bpm[0])), bool(c.confidence[0] > 0.5)
    (90, True)
    """
    yn, sr = _signal(y, sr)
    lo, hi = _bpm_range(min_bpm, max_bpm)
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ParameterError(f"n must be an integer >= 1, given n={n!r}")
    z = np.zeros(0)
    if _silent(yn) or yn.size < MIN_TEMPO_DURATION_S * sr:
        _warn(f"tempo: the signal is silent or shorter than {MIN_TEMPO_DURATION_S} s; no tempo candidates")
        return TempoCandidates(bpm=z, confidence=z, score=z, periodicity=z)
    return _candidates(_envelopes(yn, sr), min_bpm=lo, max_bpm=hi, n=int(n))


def tempo(y: np.ndarray, *, sr: int, min_bpm: float = 40.0, max_bpm: float = 240.0) -> float:
    """Global tempo (BPM) of a mono signal, robust to double/half (and triple/third) errors.

    Parameters
    ----------
    y : np.ndarray, shape (n,), float
        Mono audio (>= 1.5 s).
    sr : int
        Sample rate in Hz.
    min_bpm, max_bpm : float
        Range of tempi considered.

    Returns
    -------
    bpm : float
        Beats per minute; ``nan`` (with a :class:`DawglibWarning`) for silence, too-short audio or
        no periodicity.

    Examples
    --------
    >>> from dawglib.synth import click_track
    >>> y, _ = click_track(bpm=175.0, sr=16000, duration_s=8.0)
    >>> round(tempo(y, sr=16000))
    175
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DawglibWarning)
        c = tempo_candidates(y, sr=sr, min_bpm=min_bpm, max_bpm=max_bpm, n=1)
    if len(c) == 0:
        _warn("tempo: no periodicity found (silent, too short or arrhythmic); returning nan")
        return math.nan
    return float(c.bpm[0])


# ------------------------------------------------------------------------------------------- beats


@dataclass(frozen=True)
class Beats:
    """Beat-tracking result.

    Attributes
    ----------
    tempo_bpm : float
        Tempo from the beat times (median inter-beat interval); ``nan`` if fewer than 2 beats.
    beats_s : np.ndarray, shape (k,)
        Beat times (s), increasing.
    downbeats_s : np.ndarray, shape (m,)
        The beats that start a bar (best effort: meter and phase from the low band).
    beats_per_bar : int
        3 or 4 (0 when there are no beats).
    onsets_s : np.ndarray
        The attack times used to place the beats.
    """

    tempo_bpm: float
    beats_s: np.ndarray
    downbeats_s: np.ndarray
    beats_per_bar: int
    onsets_s: np.ndarray = field(repr=False)

    def __len__(self) -> int:
        return int(self.beats_s.size)

    def to_frame(self) -> pd.DataFrame:
        """One row per beat: ``beat, time_s, bar, position, downbeat`` (position 1 = downbeat)."""
        import pandas as pd

        is_down = np.isin(self.beats_s, self.downbeats_s)
        bar = np.cumsum(is_down)
        if self.downbeats_s.size and self.beats_per_bar:
            first = int(np.flatnonzero(is_down)[0])
            pos = (np.arange(self.beats_s.size) - first) % self.beats_per_bar + 1
        else:
            pos = np.zeros(self.beats_s.size, dtype=int)
        return pd.DataFrame(
            {
                "beat": np.arange(self.beats_s.size),
                "time_s": self.beats_s,
                "bar": bar,
                "position": pos,
                "downbeat": is_down,
            }
        )


def _snap(beat_t: np.ndarray, onset_t: np.ndarray, tol_s: float = 0.04) -> np.ndarray:
    if onset_t.size == 0 or beat_t.size == 0:
        return beat_t
    j = (
        np.clip(np.searchsorted(onset_t, beat_t), 1, onset_t.size - 1)
        if onset_t.size > 1
        else np.zeros_like(beat_t, int)
    )
    cand = np.stack([onset_t[np.maximum(j - 1, 0)], onset_t[j]])
    best = cand[np.argmin(np.abs(cand - beat_t), axis=0), np.arange(beat_t.size)]
    out = np.where(np.abs(best - beat_t) <= tol_s, best, beat_t)
    # keep increasing
    for i in range(1, out.size):
        if out[i] <= out[i - 1]:
            out[i] = beat_t[i] if beat_t[i] > out[i - 1] else out[i - 1] + 1e-3
    return out


def _movmax3(x: np.ndarray) -> np.ndarray:
    out = x.copy()
    out[1:] = np.maximum(out[1:], x[:-1])
    out[:-1] = np.maximum(out[:-1], x[1:])
    return out


def _downbeats(beat_frames: np.ndarray, env: core.Envelopes, period: float) -> tuple[np.ndarray, int]:
    if beat_frames.size < 6:
        return beat_frames[:1], 4
    low = env.low / (np.percentile(env.low, 99) + 1e-9)
    full = env.full / (np.percentile(env.full, 99) + 1e-9)
    e = full + low
    acf = core.autocorr(e, min(e.size - 1, int(4.6 * period)))
    s3 = core._peak(acf, 3 * period)
    s4 = core._peak(acf, 4 * period)
    s2 = core._peak(acf, 2 * period)
    m = 3 if (s3 > 1.15 * max(s4, s2)) else 4
    w = np.convolve(low, np.ones(5), mode="same")[np.clip(beat_frames, 0, low.size - 1)]
    phase_score = [float(np.mean(w[p::m])) for p in range(m)]
    p = int(np.argmax(phase_score))
    return beat_frames[p::m], m


def _beat_track(yn: np.ndarray, sr: int, *, bpm: float | None, min_bpm: float, max_bpm: float, tightness: float):
    env = _envelopes(yn, sr)
    ons = _onsets_from(yn, sr, env, delta=0.07, refine=True, threshold=0.3)
    if bpm is None:
        c = _candidates(env, min_bpm=min_bpm, max_bpm=max_bpm, n=1)
        if len(c) == 0:
            return None
        bpm = float(c.bpm[0])
    period = 60.0 * env.fps / bpm
    full = np.sqrt(env.full / (np.percentile(env.full, 99) + 1e-9))
    low = np.sqrt(env.low / (np.percentile(env.low, 99) + 1e-9))
    drive = full + 0.5 * low
    frames = core.dp_beats(drive, period, tightness=tightness)
    if frames.size >= 4:
        # phase check at quarter-period shifts: beats sit where the low band and the whole envelope
        # (uncompressed: the loud hits) are strong, not on the off-beat hats that the DP may prefer
        lo_u = env.low / (np.percentile(env.low, 99) + 1e-9)
        fu = env.full / (np.percentile(env.full, 99) + 1e-9)
        sm = _movmax3(lo_u + fu)
        scores = []
        for q in range(4):
            sh = np.clip(frames + int(round(q * period / 4)), 0, sm.size - 1)
            scores.append(float(np.mean(sm[sh])))
        q = int(np.argmax(scores))
        if q and scores[q] > 1.1 * scores[0]:
            frames = frames + int(round(q * period / 4))
            frames = frames[frames < sm.size]
    down_f, m = _downbeats(frames, env, period)
    t = frames / env.fps
    t = _snap(t, ons)
    down = t[np.isin(frames, down_f)]
    if t.size >= 2:
        tb = 60.0 / float(np.median(np.diff(t)))
        # the candidate's tempo is more precise when the beat grid agrees with it
        tb = bpm if abs(np.log(tb / bpm)) < 0.03 else tb
    else:
        tb = math.nan
    return Beats(tempo_bpm=float(tb), beats_s=t, downbeats_s=down, beats_per_bar=m, onsets_s=ons)


def beat_track(
    y: np.ndarray,
    *,
    sr: int,
    bpm: float | None = None,
    min_bpm: float = 40.0,
    max_bpm: float = 240.0,
    tightness: float = 100.0,
) -> Beats:
    """Tempo, beats and downbeats of a mono signal.

    Parameters
    ----------
    y : np.ndarray, shape (n,), float
        Mono audio (>= 1.5 s).
    sr : int
        Sample rate in Hz.
    bpm : float or None
        Known tempo; default: :func:`tempo`'s estimate.
    min_bpm, max_bpm : float
        Tempo search range.
    tightness : float > 0
        How strictly beats keep the period (higher = steadier, like librosa's ``tightness``).

    Returns
    -------
    Beats
        Empty (with a :class:`DawglibWarning`) for silence, too-short or arrhythmic input.

    Examples
    --------
    >>> from dawglib.synth import click_track
    >>> y, truth = click_track(bpm=120.0, sr=22050, duration_s=8.0, offset_s=0.1)
    >>> b = beat_track(y, sr=22050)
    >>> round(b.tempo_bpm), bool(np.median(np.abs(b.beats_s - truth[: len(b)])) < 0.005)
    (120, True)
    """
    yn, sr = _signal(y, sr)
    lo, hi = _bpm_range(min_bpm, max_bpm)
    if bpm is not None:
        bpm = valid_positive(bpm, name="bpm")
    tightness = valid_positive(tightness, name="tightness")
    z = np.zeros(0)
    empty = Beats(tempo_bpm=math.nan, beats_s=z, downbeats_s=z, beats_per_bar=0, onsets_s=z)
    if _silent(yn) or yn.size < MIN_TEMPO_DURATION_S * sr:
        _warn(f"beats: the signal is silent or shorter than {MIN_TEMPO_DURATION_S} s; returning no beats")
        return empty
    res = _beat_track(yn, sr, bpm=bpm, min_bpm=lo, max_bpm=hi, tightness=tightness)
    if res is None or len(res) == 0:
        _warn("beats: no periodicity found; returning no beats")
        return empty
    return res


def beats(y: np.ndarray, *, sr: int, bpm: float | None = None, **kwargs: Any) -> np.ndarray:
    """Beat times (s) of a mono signal; see :func:`beat_track` for the parameters.

    Returns
    -------
    beats_s : np.ndarray, shape (k,)
        Increasing beat times; empty (with a warning) for silence or too-short input.

    Examples
    --------
    >>> from dawglib.synth import click_track
    >>> y, truth = click_track(bpm=100.0, sr=22050, duration_s=6.0)
    >>> b = beats(y, sr=22050)
    >>> bool(np.all(np.abs(b - truth[-len(b):]) < 0.005))
    True
    """
    return beat_track(y, sr=sr, bpm=bpm, **kwargs).beats_s


def downbeats(y: np.ndarray, *, sr: int, bpm: float | None = None, **kwargs: Any) -> np.ndarray:
    """Downbeat times (s), best effort (meter 3 or 4; phase from the low band); see :func:`beat_track`."""
    return beat_track(y, sr=sr, bpm=bpm, **kwargs).downbeats_s


# ------------------------------------------------------------------------------------------- timing


@dataclass(frozen=True)
class TimingReport:
    """How a performance's events sit against a beat grid.

    Offsets are event time minus the nearest grid time, in ms: positive = late (dragging behind the
    grid), negative = early (rushing).

    Attributes
    ----------
    onsets_s, grid_s, offsets_ms : np.ndarray, shape (n,)
        Each event, its nearest grid position and the signed offset.
    beat_index : np.ndarray of int, shape (n,)
        Index of the beat the grid position belongs to (beat 0 = the first grid beat).
    subdivision_index : np.ndarray of int, shape (n,)
        Position within the beat, ``0 .. subdivision-1`` (0 = on the beat).
    off_beat : np.ndarray of bool, shape (n,)
        ``|offset| > off_beat_ms``: the event sits off every grid position (the grid includes the
        subdivisions and swing, so a swung eighth on a swung grid is not off-beat).
    mean_offset_ms, median_offset_ms, std_offset_ms : float
        Statistics of the signed offsets (``nan`` with no events; std ``nan`` with one).
    within_20ms, within_50ms : float
        Share of events with ``|offset| <= 20`` / ``50`` ms.
    n_off_beat : int
        Number of off-beat events.
    trend_ms_per_s, trend_ms_per_beat : float
        Slope of a least-squares line through offset vs time: negative = rushing (ever earlier),
        positive = dragging.
    grid_bpm : float
        Tempo of the grid (median beat interval).
    performed_bpm_start, performed_bpm_end, tempo_drift_bpm : float
        The performer's tempo at the first and last event, from a quadratic fit of offset vs time
        (``bpm_grid / (1 + d offset / dt)``), and their difference (end - start). ``nan`` with fewer
        than 4 events.
    consistency : float
        ``100 * exp(-(s / CONSISTENCY_SCALE_MS)^2)`` with ``s`` the standard deviation of the offsets
        (ms) around their linear trend: 0-100, a steady lag or a steady rush is still consistent.
        10 ms -> 94, 20 ms -> 78, 40 ms -> 37. ``nan`` with fewer than 2 events.
    subdivision : int
        Grid positions per beat.
    swing : float
        Share of the first of each pair of subdivisions (0.5 = straight).
    """

    onsets_s: np.ndarray = field(repr=False)
    grid_s: np.ndarray = field(repr=False)
    offsets_ms: np.ndarray = field(repr=False)
    beat_index: np.ndarray = field(repr=False)
    subdivision_index: np.ndarray = field(repr=False)
    off_beat: np.ndarray = field(repr=False)
    n_events: int
    mean_offset_ms: float
    median_offset_ms: float
    std_offset_ms: float
    within_20ms: float
    within_50ms: float
    n_off_beat: int
    trend_ms_per_s: float
    trend_ms_per_beat: float
    grid_bpm: float
    performed_bpm_start: float
    performed_bpm_end: float
    tempo_drift_bpm: float
    consistency: float
    subdivision: int
    swing: float

    def __len__(self) -> int:
        return self.n_events

    def to_frame(self) -> pd.DataFrame:
        """One row per event: ``onset_s, grid_s, offset_ms, beat, subdivision, on_beat, off_beat``."""
        import pandas as pd

        return pd.DataFrame(
            {
                "onset_s": self.onsets_s,
                "grid_s": self.grid_s,
                "offset_ms": self.offsets_ms,
                "beat": self.beat_index,
                "subdivision": self.subdivision_index,
                "on_beat": self.subdivision_index == 0,
                "off_beat": self.off_beat,
            }
        )

    def summary(self) -> dict[str, float | int]:
        """The scalar fields as a dict (for JSON and the CLI)."""
        keys = [
            "n_events",
            "mean_offset_ms",
            "median_offset_ms",
            "std_offset_ms",
            "within_20ms",
            "within_50ms",
            "n_off_beat",
            "trend_ms_per_s",
            "trend_ms_per_beat",
            "grid_bpm",
            "performed_bpm_start",
            "performed_bpm_end",
            "tempo_drift_bpm",
            "consistency",
            "subdivision",
            "swing",
        ]
        return {k: getattr(self, k) for k in keys}


def timing_grid(
    beats_s: np.ndarray, *, subdivision: int = 4, swing: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid times between (and one beat beyond) given beats, subdivided and optionally swung.

    Parameters
    ----------
    beats_s : np.ndarray, shape (k >= 2,)
        Strictly increasing beat times (s).
    subdivision : int in 1..12
        Grid positions per beat.
    swing : float in [0.5, 0.8) or None
        Share of the first of each pair of subdivisions (0.5 or None = straight; 2/3 = triplet
        swing). With an odd ``subdivision`` swing must be None/0.5.

    Returns
    -------
    grid_s, beat_index, subdivision_index : np.ndarray, shape (m,)

    Examples
    --------
    >>> g, b, s = timing_grid(np.array([0.0, 1.0]), subdivision=2, swing=2 / 3)
    >>> np.round(g, 3).tolist()
    [-1.0, -0.333, 0.0, 0.667, 1.0, 1.667, 2.0]
    """
    beats_s = _times(beats_s, name="beats_s", strictly_increasing=True)
    if beats_s.size < 2:
        raise ParameterError(f"beats_s needs at least 2 beats to define a grid, given {beats_s.size}")
    sub, sw = _sub_swing(subdivision, swing)
    return _grid(beats_s, sub, sw)


def _grid(beats_s: np.ndarray, sub: int, sw: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ext = np.concatenate([[2 * beats_s[0] - beats_s[1]], beats_s, [2 * beats_s[-1] - beats_s[-2]]])
    pos = np.arange(sub) / sub
    if sw != 0.5:
        pair = 2.0 / sub  # length of a pair of subdivisions, as a share of the beat
        k = np.arange(sub)
        pos = (k // 2) * pair + (k % 2) * sw * pair
    ibi = np.diff(ext)
    grid = (ext[:-1, None] + ibi[:, None] * pos[None, :]).ravel()
    beat_idx = np.repeat(np.arange(-1, ext.size - 2), sub)
    sub_idx = np.tile(np.arange(sub), ext.size - 1)
    grid = np.append(grid, ext[-1])
    beat_idx = np.append(beat_idx, ext.size - 2)
    sub_idx = np.append(sub_idx, 0)
    return grid, beat_idx, sub_idx


def _sub_swing(subdivision: Any, swing: Any) -> tuple[int, float]:
    if (
        isinstance(subdivision, bool)
        or not isinstance(subdivision, numbers.Integral)
        or not 1 <= int(subdivision) <= 12
    ):
        raise ParameterError(
            f"subdivision must be an integer in 1..12 (grid positions per beat), given {subdivision!r}"
        )
    sw = 0.5 if swing is None else float(swing)
    if not np.isfinite(sw) or not 0.5 <= sw < 0.8:
        raise ParameterError(f"swing must be in [0.5, 0.8) (0.5 = straight, 2/3 = triplet), given {swing!r}")
    if sw != 0.5 and subdivision % 2:
        raise ParameterError(f"swing needs an even subdivision (pairs to swing), given subdivision={subdivision}")
    return int(subdivision), sw


def _fit_phase(onsets_s: np.ndarray, step_s: float) -> float:
    """Grid phase (s) that best fits the events: a robust circular mean modulo ``step_s``."""
    ang = 2 * np.pi * onsets_s / step_s
    ph = float(np.angle(np.mean(np.exp(1j * ang))))
    for _ in range(3):
        d = np.angle(np.exp(1j * (ang - ph)))
        near = np.abs(d) < np.pi / 2
        if not near.any():
            break
        ph = ph + float(np.mean(d[near]))
    return (ph / (2 * np.pi) * step_s) % step_s


def timing(
    onsets_s: Any,
    *,
    beats_s: Any = None,
    bpm: float | None = None,
    first_beat_s: float | None = None,
    subdivision: int = 4,
    swing: float | None = None,
    off_beat_ms: float = 50.0,
) -> TimingReport:
    """Timing of events (e.g. a singer's onsets) against a beat grid.

    Parameters
    ----------
    onsets_s : array-like, shape (n,)
        Event times (s), e.g. from :func:`onsets`. Sorted internally; duplicates are legal.
    beats_s : array-like or None
        Strictly increasing beat times (s) (e.g. from :func:`beats` of the backing track or a click).
    bpm : float or None
        Used when ``beats_s`` is None: a steady grid at this tempo starting at ``first_beat_s``.
    first_beat_s : float or None
        Grid phase with ``bpm``; default: fitted to the events (robust circular mean at the
        subdivision period, or at the beat period with swing).
    subdivision : int in 1..12
        Grid positions per beat (4 = sixteenths).
    swing : float in [0.5, 0.8) or None
        Share of the first of each pair of subdivisions (0.5/None straight, 0.62 typical boom-bap,
        2/3 triplet). Swung positions are on the grid, not off-beat.
    off_beat_ms : float > 0
        Events further than this from every grid position are ``off_beat``.

    Returns
    -------
    TimingReport
        With no events: a report with ``n_events == 0`` and ``nan`` statistics, and a
        :class:`DawglibWarning`.

    Raises
    ------
    ParameterError
        Neither ``beats_s`` nor ``bpm``; non-increasing or non-finite beats; bad subdivision/swing.

    Examples
    --------
    >>> beat = np.arange(8) * 0.5
    >>> rep = timing(beat + 0.010, beats_s=beat, subdivision=2)
    >>> round(rep.median_offset_ms, 1), rep.n_off_beat, rep.within_20ms
    (10.0, 0, 1.0)
    """
    ons = np.sort(_times(onsets_s, name="onsets_s", strictly_increasing=False))
    sub, sw = _sub_swing(subdivision, swing)
    obm = valid_positive(off_beat_ms, name="off_beat_ms")
    if beats_s is not None:
        b = _times(beats_s, name="beats_s", strictly_increasing=True)
        if b.size < 2:
            raise ParameterError(f"beats_s needs at least 2 beats to define a grid, given {b.size}")
        ref_beat = float(b[0])
    elif bpm is not None:
        period = 60.0 / valid_positive(bpm, name="bpm")
        if first_beat_s is None:
            if ons.size == 0:
                phase = 0.0
            else:
                phase = _fit_phase(ons, period if sw != 0.5 else period / sub)
                # beat 0: the grid beat nearest the first event (at or before it)
                phase = phase + period * math.floor((float(ons[0]) - phase + 0.5 * period / sub) / period)
        else:
            phase = valid_positive(first_beat_s, name="first_beat_s", allow_zero=True)
        ref_beat = phase
        end = max(float(ons.max()) if ons.size else 0.0, phase) + 2 * period
        start = phase - period * math.ceil(max(phase - (float(ons.min()) if ons.size else phase), 0) / period + 1)
        b = start + period * np.arange(int(math.ceil((end - start) / period)) + 1)
    else:
        raise ParameterError("timing needs a grid: give beats_s (beat times in s) or bpm (and optionally first_beat_s)")
    grid, beat_idx, sub_idx = _grid(b, sub, sw)
    grid_bpm = 60.0 / float(np.median(np.diff(b)))
    nan = math.nan
    if ons.size == 0:
        _warn("timing: no events; returning an empty report")
        z = np.zeros(0)
        zi = np.zeros(0, dtype=int)
        return TimingReport(
            onsets_s=z, grid_s=z, offsets_ms=z, beat_index=zi, subdivision_index=zi, off_beat=np.zeros(0, bool),
            n_events=0, mean_offset_ms=nan, median_offset_ms=nan, std_offset_ms=nan, within_20ms=nan,
            within_50ms=nan, n_off_beat=0, trend_ms_per_s=nan, trend_ms_per_beat=nan, grid_bpm=grid_bpm,
            performed_bpm_start=nan, performed_bpm_end=nan, tempo_drift_bpm=nan, consistency=nan,
            subdivision=sub, swing=sw,
        )  # fmt: skip
    j = np.clip(np.searchsorted(grid, ons), 1, grid.size - 1)
    left, right = grid[j - 1], grid[j]
    pick = np.where(ons - left <= right - ons, j - 1, j)
    g = grid[pick]
    off = (ons - g) * 1000.0
    off_beat = np.abs(off) > obm
    n = ons.size
    a = np.abs(off)
    first_beat = int(np.argmin(np.abs(grid - ref_beat)))
    bi = beat_idx[pick] - beat_idx[first_beat]
    trend = nan
    if n >= 2 and np.ptp(ons) > 0:
        trend = float(np.polyfit(ons, off, 1)[0])
        resid = off - np.polyval(np.polyfit(ons, off, 1), ons)
        s = float(np.sqrt(np.sum(resid**2) / max(n - 2, 1))) if n > 2 else float(np.std(off))
        consistency = 100.0 * math.exp(-((s / CONSISTENCY_SCALE_MS) ** 2))
    else:
        consistency = nan
    bpm_start = bpm_end = drift = nan
    if n >= 4 and np.ptp(ons) > 0:
        c2, c1, _ = np.polyfit(ons, off / 1000.0, 2)
        d0 = c1 + 2 * c2 * ons[0]
        d1 = c1 + 2 * c2 * ons[-1]
        # offset grows by d per second of grid time: the performer's beat lasts (1 + d) grid beats
        bpm_start = grid_bpm / (1.0 + d0) if 1.0 + d0 > 0.1 else nan
        bpm_end = grid_bpm / (1.0 + d1) if 1.0 + d1 > 0.1 else nan
        drift = bpm_end - bpm_start
    return TimingReport(
        onsets_s=ons,
        grid_s=g,
        offsets_ms=off,
        beat_index=bi.astype(int),
        subdivision_index=sub_idx[pick].astype(int),
        off_beat=off_beat,
        n_events=int(n),
        mean_offset_ms=float(np.mean(off)),
        median_offset_ms=float(np.median(off)),
        std_offset_ms=float(np.std(off, ddof=1)) if n > 1 else nan,
        within_20ms=float(np.mean(a <= 20.0)),
        within_50ms=float(np.mean(a <= 50.0)),
        n_off_beat=int(off_beat.sum()),
        trend_ms_per_s=trend,
        trend_ms_per_beat=trend * 60.0 / grid_bpm if np.isfinite(trend) else nan,
        grid_bpm=float(grid_bpm),
        performed_bpm_start=float(bpm_start),
        performed_bpm_end=float(bpm_end),
        tempo_drift_bpm=float(drift),
        consistency=float(consistency),
        subdivision=sub,
        swing=sw,
    )
