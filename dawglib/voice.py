"""Voice measures: range, pitch stability and voice quality (jitter, shimmer, HNR).

- :func:`vocal_range` — the lowest and highest *stable* notes of a take (notes held long enough).
- :func:`stability` — how steadily the notes are held: the spread of each note's stable part
  around its centre line once vibrato is removed, the drift, and the in-tune ratio.
- :func:`quality` — jitter (local, %), shimmer (local, %) and harmonics-to-noise ratio (dB) with
  Praat's standard settings through praat-parselmouth.
- :func:`analyse` — all of them in one :class:`VoiceReport`.

Examples
--------
>>> from dawglib.synth import f0_contour, sung_vowel
>>> from dawglib.pitch import track
>>> y = sung_vowel(f0_contour([(0.1, 0.6, 57), (0.6, 1.1, 64)], sr=16000), sr=16000)
>>> r = vocal_range(track(y, sr=16000))
>>> r.low_name, r.high_name, r.semitones
('A3', 'E4', 7)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from ._validate import valid_audio, valid_freq_range, valid_positive, valid_sr
from .convert import midi_to_note_name
from .exceptions import DawglibError, DependencyError, ParameterError
from .pitch import Note, PitchTrack, notes, track

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["VocalRange", "Stability", "VoiceQuality", "VoiceReport", "vocal_range", "stability", "quality", "analyse"]


@dataclass(frozen=True)
class VocalRange:
    """Lowest and highest stable notes (MIDI numbers and names); ``-1`` / ``""`` when none."""

    low_midi: int
    high_midi: int
    low_name: str
    high_name: str

    @property
    def semitones(self) -> int:
        """Span in semitones (0 when no stable note)."""
        return max(0, self.high_midi - self.low_midi) if self.low_midi >= 0 else 0


@dataclass(frozen=True)
class Stability:
    """How steadily notes are held.

    Attributes
    ----------
    spread_cents : float
        Median over notes of the standard deviation (cents) of the stable part around its
        centre line, vibrato sinusoid removed: ~2-5 c is steady, > 15 c wobbly.
    drift_cents_per_s : float
        Median over notes of the absolute pitch drift during the stable part (cents per second).
    in_tune_ratio : float
        Share of notes within the in-tune tolerance.
    n_notes : int
    """

    spread_cents: float
    drift_cents_per_s: float
    in_tune_ratio: float
    n_notes: int


@dataclass(frozen=True)
class VoiceQuality:
    """Praat voice-quality measures of the voiced part.

    Attributes
    ----------
    jitter_percent : float
        Local jitter: mean absolute difference of consecutive periods over the mean period, in %
        (healthy sustained voice typically < 1 %).
    shimmer_percent : float
        Local shimmer: the same for peak amplitudes, in % (typically < 3.8 %).
    hnr_db : float
        Mean harmonics-to-noise ratio (cross-correlation method) in dB (typically > 20 dB).
    """

    jitter_percent: float
    shimmer_percent: float
    hnr_db: float


@dataclass(frozen=True)
class VoiceReport:
    """:func:`analyse`'s result: range, stability, quality and the notes."""

    range: VocalRange
    stability: Stability
    quality: VoiceQuality
    notes: tuple[Note, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row of every scalar measure."""
        import pandas as pd

        row = {
            **asdict(self.range),
            "range_semitones": self.range.semitones,
            **asdict(self.stability),
            **asdict(self.quality),
        }
        return pd.DataFrame([row])


def _check_track(tr: object) -> PitchTrack:
    if not isinstance(tr, PitchTrack):
        raise ParameterError(f"expected a PitchTrack (from dawglib.pitch.track), given {type(tr).__name__}")
    return tr


def vocal_range(tr: PitchTrack, *, min_duration_s: float = 0.2, notes_list: list[Note] | None = None) -> VocalRange:
    """Lowest and highest notes held for at least ``min_duration_s`` seconds.

    Parameters
    ----------
    tr : PitchTrack
    min_duration_s : float
        Shortest note that counts as "stable" (passing notes and glides do not).
    notes_list : list of Note or None
        Notes already segmented from ``tr`` (saves recomputing them).

    Returns
    -------
    VocalRange
    """
    _check_track(tr)
    dur = valid_positive(min_duration_s, name="min_duration_s")
    ns = notes(tr) if notes_list is None else notes_list
    held = [n.midi for n in ns if n.duration_s >= dur]
    if not held:
        return VocalRange(low_midi=-1, high_midi=-1, low_name="", high_name="")
    lo, hi = min(held), max(held)
    return VocalRange(
        low_midi=lo, high_midi=hi, low_name=str(midi_to_note_name(lo)), high_name=str(midi_to_note_name(hi))
    )


def stability(tr: PitchTrack, *, tolerance_cents: float = 15.0, notes_list: list[Note] | None = None) -> Stability:
    """Pitch stability of the held notes of a track.

    Parameters
    ----------
    tr : PitchTrack
    tolerance_cents : float
        In-tune tolerance for ``in_tune_ratio`` (cents).
    notes_list : list of Note or None
        Notes already segmented from ``tr`` with the same tolerance.

    Returns
    -------
    Stability
        NaN measures and ``n_notes=0`` when the track has no notes.
    """
    from .pitch import _fit_vibrato

    _check_track(tr)
    ns = notes(tr, tolerance_cents=tolerance_cents) if notes_list is None else notes_list
    if not ns:
        return Stability(
            spread_cents=float("nan"), drift_cents_per_s=float("nan"), in_tune_ratio=float("nan"), n_notes=0
        )
    fr = tr.sr / tr.hop_length
    spreads, drifts = [], []
    for n in ns:
        sel = (tr.times_s >= n.onset_s) & (tr.times_s < n.offset_s) & tr.voiced
        f = tr.f0_hz[sel]
        trim = max(int(round(0.03 * fr)), int(0.15 * f.size))
        f = f[trim : f.size - trim] if f.size - 2 * trim >= 4 else f
        if f.size < 4:
            continue
        _, sinus = _fit_vibrato(f, fr, 3.0, min(10.0, 0.45 * fr), 10.0)
        c = 1200 * np.log2(f / np.median(f)) - sinus
        t = np.arange(c.size) / fr
        slope, icpt = np.polyfit(t, c, 1)
        spreads.append(float(np.std(c - (slope * t + icpt))))
        drifts.append(abs(float(slope)))
    return Stability(
        spread_cents=float(np.median(spreads)) if spreads else float("nan"),
        drift_cents_per_s=float(np.median(drifts)) if drifts else float("nan"),
        in_tune_ratio=float(np.mean([n.in_tune for n in ns])),
        n_notes=len(ns),
    )


def quality(y: np.ndarray, *, sr: int, fmin_hz: float = 65.0, fmax_hz: float = 1100.0) -> VoiceQuality:
    """Jitter, shimmer and HNR of a voice recording (Praat, via praat-parselmouth).

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono float audio.
    sr : int
        Sample rate (Hz).
    fmin_hz, fmax_hz : float
        Pitch floor and ceiling (Hz) for Praat's period detection.

    Returns
    -------
    VoiceQuality
        NaN measures when Praat finds too few periods (silence, noise).

    Raises
    ------
    DependencyError
        praat-parselmouth is not installed.
    """
    y = valid_audio(y, mono=True)
    sr = valid_sr(sr)
    fmin_hz, fmax_hz = valid_freq_range(fmin_hz, fmax_hz, sr=sr)
    try:
        import parselmouth
        from parselmouth.praat import call
    except ImportError as exc:  # pragma: no cover - installed by make setup
        raise DependencyError(f"voice quality needs praat-parselmouth ({exc}); run 'make setup'") from exc
    if y.size < int(3 * sr / fmin_hz) or float(np.max(np.abs(y))) < 1e-7:
        return VoiceQuality(jitter_percent=float("nan"), shimmer_percent=float("nan"), hnr_db=float("nan"))
    snd = parselmouth.Sound(np.asarray(y, dtype=np.float64), sampling_frequency=sr)

    def _get(fn: object) -> float:
        try:
            v = float(fn())  # type: ignore[operator]
        except parselmouth.PraatError:
            return float("nan")
        return v if np.isfinite(v) else float("nan")

    try:
        pp = call(snd, "To PointProcess (periodic, cc)", fmin_hz, fmax_hz)
    except parselmouth.PraatError as exc:
        raise DawglibError(f"Praat could not find periods in the signal: {exc}") from exc
    jit = _get(lambda: 100 * call(pp, "Get jitter (local)", 0, 0, 0.0001, 0.02, 1.3))
    shim = _get(lambda: 100 * call([snd, pp], "Get shimmer (local)", 0, 0, 0.0001, 0.02, 1.3, 1.6))
    hnr = _get(lambda: call(snd.to_harmonicity_cc(minimum_pitch=fmin_hz), "Get mean", 0, 0))
    return VoiceQuality(jitter_percent=jit, shimmer_percent=shim, hnr_db=hnr)


def analyse(
    y: np.ndarray,
    *,
    sr: int,
    pitch_track: PitchTrack | None = None,
    tolerance_cents: float = 15.0,
    fmin_hz: float = 65.0,
    fmax_hz: float = 1100.0,
) -> VoiceReport:
    """Range, stability, quality and notes of a sung take.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono float audio.
    sr : int
        Sample rate (Hz).
    pitch_track : PitchTrack or None
        A track of ``y`` already computed (default: ``track(y, sr=sr)``).
    tolerance_cents : float
        In-tune tolerance (cents).
    fmin_hz, fmax_hz : float
        Pitch range (Hz).

    Returns
    -------
    VoiceReport

    Examples
    --------
    >>> from dawglib.synth import f0_contour, sung_vowel
    >>> y = sung_vowel(f0_contour([(0.1, 1.1, 57)], sr=16000), sr=16000)
    >>> analyse(y, sr=16000).range.low_name
    'A3'
    """
    tr = pitch_track if pitch_track is not None else track(y, sr=sr, fmin_hz=fmin_hz, fmax_hz=fmax_hz)
    _check_track(tr)
    ns = notes(tr, tolerance_cents=tolerance_cents)
    return VoiceReport(
        range=vocal_range(tr, notes_list=ns),
        stability=stability(tr, notes_list=ns),
        quality=quality(y, sr=sr, fmin_hz=fmin_hz, fmax_hz=fmax_hz),
        notes=tuple(ns),
    )
