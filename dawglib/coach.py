"""The vocal coach: score a sung take, explain its faults, keep takes.

:func:`analyze_take` tracks the pitch of a take (:func:`dawglib.pitch.track`), aligns it to a
reference melody by dynamic time warping (so a late entry or a long-held note shifts only that
note), measures every note (cents off, onset offset, vibrato) and turns the measurements into
scores and feedback. Without a reference the targets are the nearest notes of the given or
detected key, and timing is judged against the beat grid of the given or detected tempo.

Scores (0-100, higher is better; each is a monotone function of the measured errors)
---------------------------------------------------------------------------------
pitch
    Duration-weighted mean over target notes of ``100 * exp(-(e / 35)^2)``, ``e`` the absolute
    median cents error of the note's stable part (a note not sung scores 0). 5 c → 98, 10 c → 92,
    25 c → 60, 50 c → 13.
rhythm
    Mean over sung target notes of ``100 * exp(-(d / 90)^2)``, ``d`` the absolute onset offset in
    ms. 20 ms → 95, 50 ms → 73, 100 ms → 29.
consistency
    ``100 * exp(-(s_c / 25)^2) * exp(-(s_t / 80)^2)``: ``s_c`` the standard deviation of the signed
    cents errors across notes, ``s_t`` that of the onset offsets (ms). A singer who is steadily a
    little sharp is consistent; one who is sharp, then flat, is not.
confidence
    ``100 * coverage * steadiness``: ``coverage`` the share of the target notes' time that is
    voiced, ``steadiness = exp(-(j / 40)^2)`` with ``j`` the median frame-to-frame pitch wobble
    in cents within notes (after removing vibrato-rate motion) — shaky, breathy or hesitant singing
    scores lower.
overall
    ``0.45 pitch + 0.30 rhythm + 0.10 consistency + 0.15 confidence``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._validate import valid_audio, valid_positive, valid_sr
from .convert import hz_to_midi, midi_to_note_name
from .exceptions import MidiError, ParameterError

__all__ = [
    "TargetNote",
    "NoteResult",
    "Feedback",
    "Scores",
    "CoachReport",
    "analyze_take",
    "reference_notes",
    "score_pitch",
    "score_rhythm",
    "SCORE_WEIGHTS",
]

#: Weights of the overall score.
SCORE_WEIGHTS = {"pitch": 0.45, "rhythm": 0.30, "consistency": 0.10, "confidence": 0.15}
_HOP_S = 0.01


# ---------------------------------------------------------------------------------------------
# records
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TargetNote:
    """A note the singer should sing: ``start_s`` to ``end_s`` at MIDI ``midi``."""

    start_s: float
    end_s: float
    midi: float

    def __post_init__(self) -> None:
        if not (np.isfinite(self.start_s) and np.isfinite(self.end_s) and self.end_s > self.start_s >= 0):
            raise ParameterError(f"note needs 0 <= start_s < end_s, given start_s={self.start_s}, end_s={self.end_s}")
        if not 0 <= self.midi <= 127:
            raise ParameterError(f"note midi must be within [0, 127], given {self.midi}")

    @property
    def name(self) -> str:
        """Note name, e.g. ``"E5"``."""
        return str(midi_to_note_name(self.midi))


@dataclass(frozen=True)
class NoteResult:
    """The measurements of one target note in a take.

    ``cents_off`` is the median over the note's stable part (its first 20 % / 60 ms and last 10 %
    are left out), positive when sharp. ``onset_offset_ms`` is positive when late.
    ``vibrato_extent_cents`` is the *peak* extent (half the peak-to-peak swing).
    """

    index: int
    target_midi: float
    target_name: str
    start_s: float
    end_s: float
    sung: bool
    sung_start_s: float
    sung_end_s: float
    sung_midi: float
    sung_name: str
    cents_off: float
    onset_offset_ms: float
    in_tune: bool
    vibrato_rate_hz: float
    vibrato_extent_cents: float
    vibrato_regularity: float
    voiced_share: float
    pitch_score: float
    rhythm_score: float


@dataclass(frozen=True)
class Feedback:
    """One feedback item: a message, its severity and the time span it refers to."""

    message: str
    severity: str  # 'success' | 'info' | 'warning'
    start_s: float
    end_s: float
    kind: str = "general"

    def __post_init__(self) -> None:
        if self.severity not in ("success", "info", "warning"):
            raise ParameterError(f"severity must be success/info/warning, given {self.severity!r}")


@dataclass(frozen=True)
class Scores:
    """The five scores, each 0-100 (see the module docstring for their definitions)."""

    overall: float
    pitch: float
    rhythm: float
    consistency: float
    confidence: float


@dataclass(frozen=True)
class CoachReport:
    """Everything the coach found in one take."""

    scores: Scores
    notes: tuple[NoteResult, ...]
    feedback: tuple[Feedback, ...]
    range_low: str
    range_high: str
    key: str | None
    bpm: float | None
    duration_s: float
    reference: str
    tolerance_cents: float
    track: Any = field(repr=False, compare=False, default=None)

    def notes_frame(self) -> Any:
        """The per-note table as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame([asdict(n) for n in self.notes])

    def to_frame(self) -> Any:
        """Alias of :meth:`notes_frame`."""
        return self.notes_frame()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``scores``, ``notes``, ``feedback``, ``range`` and context."""

        def clean(v: Any) -> Any:
            if isinstance(v, float) and not np.isfinite(v):
                return None
            if isinstance(v, (np.floating, np.integer, np.bool_)):
                return clean(v.item())
            return v

        return {
            "scores": {k: round(float(v), 1) for k, v in asdict(self.scores).items()},
            "notes": [{k: clean(v) for k, v in asdict(n).items()} for n in self.notes],
            "feedback": [asdict(f) for f in self.feedback],
            "range": {"low": self.range_low, "high": self.range_high},
            "key": self.key,
            "bpm": self.bpm,
            "duration_s": self.duration_s,
            "reference": self.reference,
            "tolerance_cents": self.tolerance_cents,
        }

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), **kwargs)


# ---------------------------------------------------------------------------------------------
# score functions (monotone, documented in the module docstring)
# ---------------------------------------------------------------------------------------------
def score_pitch(abs_cents: Any) -> Any:
    """Per-note pitch score ``100 * exp(-(e / 35)^2)`` for absolute cents errors ``e``."""
    return 100.0 * np.exp(-((np.asarray(abs_cents, dtype=float) / 35.0) ** 2))


def score_rhythm(abs_ms: Any) -> Any:
    """Per-note rhythm score ``100 * exp(-(d / 90)^2)`` for absolute onset offsets ``d`` (ms)."""
    return 100.0 * np.exp(-((np.asarray(abs_ms, dtype=float) / 90.0) ** 2))


# ---------------------------------------------------------------------------------------------
# references
# ---------------------------------------------------------------------------------------------
def reference_notes(reference: Any) -> list[TargetNote]:
    """Normalise a reference to a sorted, monotonic list of :class:`TargetNote`.

    Parameters
    ----------
    reference : path, pretty_midi.PrettyMIDI, or iterable
        A MIDI file (the first non-drum instrument with notes; overlapping notes are cut so the
        line is monophonic), or an iterable of ``(start_s, end_s, midi)`` tuples, dicts with those
        keys, or objects with ``start``/``end``/``pitch`` (pretty_midi notes) or
        ``start_s``/``end_s``/``midi`` attributes.
    """
    if isinstance(reference, (str, os.PathLike)):
        path = Path(reference)
        if not path.is_file():
            raise MidiError(f"reference MIDI file not found: {str(path)!r}")
        from .render import pretty_midi as _load_pretty_midi

        pretty_midi = _load_pretty_midi()

        try:
            pm = pretty_midi.PrettyMIDI(str(path))
        except Exception as exc:  # noqa: BLE001 - pretty_midi raises many types on corrupt files
            raise MidiError(f"cannot read reference MIDI {str(path)!r}: {exc}") from exc
        reference = pm
    if hasattr(reference, "instruments"):
        insts = [i for i in reference.instruments if not i.is_drum and i.notes]
        if not insts:
            raise MidiError("reference MIDI has no pitched notes")
        raw = [(n.start, n.end, n.pitch) for n in insts[0].notes]
    elif isinstance(reference, Iterable):
        raw = []
        for n in reference:
            if isinstance(n, TargetNote):
                raw.append((n.start_s, n.end_s, n.midi))
            elif isinstance(n, dict):
                raw.append((n["start_s"], n["end_s"], n["midi"]))
            elif hasattr(n, "pitch") and hasattr(n, "start"):
                raw.append((n.start, n.end, n.pitch))
            elif hasattr(n, "start_s") and hasattr(n, "midi"):
                raw.append((n.start_s, n.end_s, n.midi))
            elif isinstance(n, Sequence) and len(n) == 3:
                raw.append((n[0], n[1], n[2]))
            else:
                raise ParameterError(f"cannot read reference note {n!r}; expected (start_s, end_s, midi)")
    else:
        raise ParameterError(f"reference must be a MIDI path or a list of notes, given {type(reference).__name__}")
    if not raw:
        raise ParameterError("reference has no notes")
    raw.sort(key=lambda t: (t[0], -t[2]))
    out: list[TargetNote] = []
    for k, (s, e, m) in enumerate(raw):
        if k + 1 < len(raw):
            e = min(e, raw[k + 1][0])  # monophonic: cut at the next onset
        if e - s >= 0.03 and (not out or s >= out[-1].start_s + 1e-6):
            out.append(TargetNote(float(s), float(e), float(m)))
    if not out:
        raise ParameterError("reference has no note longer than 30 ms")
    return out


# ---------------------------------------------------------------------------------------------
# keys (for takes without a reference)
# ---------------------------------------------------------------------------------------------
# Krumhansl-Kessler key profiles (probe-tone ratings), C major / C minor
_KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def detect_key(midi: Any, *, weights: Any = None) -> Any:
    """Most likely major/minor key of a set of pitches.

    Krumhansl-Kessler profile correlation of the (weighted) pitch-class histogram, minus three
    times the share of the weight that falls outside the key's scale: a coach must not call a
    correctly sung note wrong because the key guess left it out.

    Parameters
    ----------
    midi : array-like
        (Fractional) MIDI pitches, e.g. every voiced frame of a take; NaN ignored.
    weights : array-like or None
        Weight per pitch (e.g. note durations); default 1.

    Returns
    -------
    dawglib.theory.Key

    Examples
    --------
    >>> str(detect_key([57, 59, 60, 62, 64, 65, 67, 69, 69, 64, 57]))
    'A minor'
    """
    from .theory import Key

    m = np.asarray(midi, dtype=float)
    ok = np.isfinite(m)
    if not ok.any():
        raise ParameterError("cannot detect a key: no pitched frames")
    w = np.ones_like(m) if weights is None else np.asarray(weights, dtype=float)
    hist = np.bincount(np.round(m[ok]).astype(int) % 12, weights=w[ok], minlength=12)
    total = float(hist.sum()) or 1.0
    best, best_r = Key(tonic=0, scale="major"), -np.inf
    for pc in range(12):
        for scale, prof in (("major", _KK_MAJOR), ("minor", _KK_MINOR)):
            key = Key(tonic=pc, scale=scale)
            r = np.corrcoef(hist, np.roll(prof, pc))[0, 1]
            # a key that leaves sung notes outside its scale would call them wrong notes: penalise
            outside = 1.0 - float(hist[list(key.pitch_classes)].sum()) / total
            score = (r if np.isfinite(r) else -1.0) - 3.0 * outside
            if score > best_r:
                best, best_r = key, score
    return best


# ---------------------------------------------------------------------------------------------
# analysis
# ---------------------------------------------------------------------------------------------
def _grid_midi(track: Any, *, n_frames: int, a4_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """The track's MIDI pitch and confidence resampled (nearest frame) to the coach's 10 ms grid."""
    t = np.asarray(track.times_s, dtype=float)
    midi = hz_to_midi(np.where(np.asarray(track.voiced), np.asarray(track.f0_hz, dtype=float), np.nan), a4_hz=a4_hz)
    conf = np.asarray(track.confidence, dtype=float)
    grid = np.arange(n_frames) * _HOP_S
    if t.size == 0:
        return np.full(n_frames, np.nan), np.zeros(n_frames)
    idx = np.clip(np.searchsorted(t, grid), 0, t.size - 1)
    prev = np.clip(idx - 1, 0, t.size - 1)
    idx = np.where(np.abs(t[prev] - grid) < np.abs(t[idx] - grid), prev, idx)
    far = np.abs(t[idx] - grid) > max(2 * _HOP_S, float(np.median(np.diff(t))) if t.size > 1 else _HOP_S)
    out = np.where(far, np.nan, np.asarray(midi)[idx])
    return out, np.where(far, 0.0, conf[idx])


def _vibrato(midi: np.ndarray) -> tuple[float, float, float]:
    """Rate (Hz), peak extent (cents) and regularity of a note's vibrato (:func:`dawglib.pitch.vibrato`)."""
    from .convert import midi_to_hz
    from .pitch import vibrato

    x = np.asarray(midi, dtype=float)
    if np.count_nonzero(np.isfinite(x)) < int(0.3 / _HOP_S):
        return float("nan"), float("nan"), float("nan")
    v = vibrato(np.asarray(midi_to_hz(x)), frame_rate_hz=1.0 / _HOP_S)
    if not v.present:
        return float("nan"), 0.0, float(v.regularity)
    return float(v.rate_hz), float(v.extent_cents), float(v.regularity)


def _centre_pitch(midi: np.ndarray, *, rate_hz: float) -> float:
    """The pitch a listener hears for a (possibly vibrato) contour, in MIDI.

    Without vibrato: the median. With vibrato at ``rate_hz``: the mean over the longest centred
    span holding a whole number of cycles, so partial cycles do not bias the centre.
    """
    x = midi[np.isfinite(midi)]
    if not np.isfinite(rate_hz) or rate_hz <= 0:
        return float(np.median(x))
    period = 1.0 / (rate_hz * _HOP_S)  # frames per cycle
    n_cyc = int(np.floor(x.size / period))
    if n_cyc < 1:
        return float(np.median(x))
    keep = int(round(n_cyc * period))
    a = (x.size - keep) // 2
    return float(np.mean(x[a : a + keep]))


def _coarse_lag_s(ref_roll: np.ndarray, take_midi: np.ndarray, *, max_s: float = 20.0) -> float:
    """Global time shift (s) that best overlaps voiced take frames with reference notes."""
    a = np.isfinite(ref_roll).astype(float)
    b = np.isfinite(take_midi).astype(float)
    n = 1 << int(np.ceil(np.log2(a.size + b.size)))
    xc = np.fft.irfft(np.fft.rfft(b, n) * np.conj(np.fft.rfft(a, n)), n)
    lags = np.concatenate([np.arange(0, n // 2), np.arange(-n // 2, 0)])
    ok = np.abs(lags) <= int(max_s / _HOP_S)
    lg, v = lags[ok], xc[ok]
    best = lg[np.argmax(v)]
    top = lg[(v >= v.max() - 0.5) & (np.abs(lg - best) <= 3)]  # the middle of a run of near-ties
    return float(np.median(top) * _HOP_S)


def analyze_take(
    y: np.ndarray,
    *,
    sr: int,
    reference: Any = None,
    key: str | None = None,
    bpm: float | None = None,
    tolerance_cents: float = 15.0,
    a4_hz: float = 440.0,
    fmin_hz: float = 65.0,
    fmax_hz: float = 1100.0,
    pitch_method: str = "auto",
    track: Any = None,
) -> CoachReport:
    """Score a sung take and explain its faults.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono float audio of the take.
    sr : int
        Sample rate in Hz.
    reference : MIDI path, list of notes, or None
        The melody to sing (see :func:`reference_notes`). ``None``: the targets are the nearest
        notes of ``key`` (detected when ``None``) and timing is judged against the beat grid of
        ``bpm`` (detected when ``None``).
    key : str or None
        e.g. ``"Am"``, ``"Eb major"``; used without a reference.
    bpm : float or None
        Tempo of the grid in beats per minute; used without a reference.
    tolerance_cents : float
        A note is in tune when its median cents error is within ± this.
    a4_hz : float
        Tuning reference.
    fmin_hz, fmax_hz : float
        Pitch search range, passed to :func:`dawglib.pitch.track`.
    pitch_method : str
        Pitch backend (``"auto"``, ``"pyin"``, ``"crepe"``).
    track : PitchTrack or None
        A pitch track already computed for ``y`` (skips tracking).

    Returns
    -------
    CoachReport

    Examples
    --------
    >>> from dawglib.io import load_audio
    >>> y, sr = load_audio("data/samples/take_synth.wav")  # doctest: +SKIP
    >>> report = analyze_take(y, sr=sr, reference="data/samples/melody.mid")  # doctest: +SKIP
    >>> report.scores.pitch > 80  # doctest: +SKIP
    True
    """
    y = valid_audio(y)
    sr = valid_sr(sr)
    tol = valid_positive(tolerance_cents, name="tolerance_cents")
    if bpm is not None:
        valid_positive(bpm, name="bpm")
    if track is None:
        from .pitch import track as pitch_track

        track = pitch_track(y, sr=sr, method=pitch_method, fmin_hz=fmin_hz, fmax_hz=fmax_hz)
    duration_s = y.size / sr
    n_take = int(np.ceil(duration_s / _HOP_S)) + 1

    if reference is not None:
        targets = reference_notes(reference)
        ref_label = Path(reference).name if isinstance(reference, (str, os.PathLike)) else "reference notes"
        key_used = key
        bpm_used = bpm
    else:
        targets, key_used, bpm_used = _targets_without_reference(track, y, sr=sr, key=key, bpm=bpm, a4_hz=a4_hz)
        ref_label = f"key {key_used}" + (f", {bpm_used:.1f} BPM grid" if bpm_used else "")
        if not targets:
            return _empty_report(
                duration_s=duration_s, key=key_used, bpm=bpm_used, reference=ref_label, tol=tol, track=track
            )

    n = max(n_take, int(np.ceil(max(t.end_s for t in targets) / _HOP_S)) + 1)
    take_midi, take_conf = _grid_midi(track, n_frames=n, a4_hz=a4_hz)
    ref_list = [(t.start_s, t.end_s, t.midi) for t in targets]
    from ._align import dtw_path, piano_roll

    # octave equivalence: a singer an octave below the written line is not wrong by 1200 c
    voiced = np.isfinite(take_midi)
    ref_med = float(np.median([t.midi for t in targets]))
    shift = 12.0 * round((float(np.median(take_midi[voiced])) - ref_med) / 12.0) if voiced.any() else 0.0
    ref_roll = piano_roll([(s, e, m + shift) for s, e, m in ref_list], hop_s=_HOP_S, n_frames=n)

    # a different time origin (the take starts seconds later) is removed; small lags are faults
    lag_s = _coarse_lag_s(ref_roll, take_midi) if voiced.any() else 0.0
    if abs(lag_s) < 1.0:
        lag_s = 0.0
    lag_frames = int(round(lag_s / _HOP_S))
    if lag_frames:
        ref_roll = np.roll(ref_roll, lag_frames)
        if lag_frames > 0:
            ref_roll[:lag_frames] = np.nan
        else:
            ref_roll[lag_frames:] = np.nan

    path = dtw_path(ref_roll, take_midi, hop_s=_HOP_S) if voiced.any() else np.zeros((0, 2), dtype=np.int64)
    results = _measure_notes(targets, path, take_midi, shift=shift, lag_frames=lag_frames, tol=tol, reference=reference)
    results = _refine_onsets(results, y, sr=sr, track=track, a4_hz=a4_hz, shift=shift, lag_s=lag_s)

    if reference is None and bpm_used:
        results = _rhythm_against_grid(results, y, sr=sr, bpm=bpm_used)

    scores = _scores(results, take_midi, targets)
    sung = [r for r in results if r.sung]
    if sung:
        lo = min(sung, key=lambda r: r.sung_midi)
        hi = max(sung, key=lambda r: r.sung_midi)
        range_low, range_high = lo.sung_name, hi.sung_name
    else:
        range_low = range_high = ""
    feedback = _feedback(results, scores, tol=tol, lag_s=lag_s, shift=shift, has_reference=reference is not None)
    return CoachReport(
        scores=scores,
        notes=tuple(results),
        feedback=tuple(feedback),
        range_low=range_low,
        range_high=range_high,
        key=key_used,
        bpm=bpm_used,
        duration_s=float(duration_s),
        reference=ref_label,
        tolerance_cents=tol,
        track=track,
    )


def _empty_report(
    *, duration_s: float, key: str | None, bpm: float | None, reference: str, tol: float, track: Any
) -> CoachReport:
    msg = Feedback("No singing was detected in this take.", "warning", 0.0, float(duration_s), "missing")
    return CoachReport(
        scores=Scores(0.0, 0.0, 0.0, 0.0, 0.0),
        notes=(),
        feedback=(msg,),
        range_low="",
        range_high="",
        key=key,
        bpm=bpm,
        duration_s=float(duration_s),
        reference=reference,
        tolerance_cents=tol,
        track=track,
    )


def _measure_notes(
    targets: list[TargetNote],
    path: np.ndarray,
    take_midi: np.ndarray,
    *,
    shift: float,
    lag_frames: int,
    tol: float,
    reference: Any,
) -> list[NoteResult]:
    n_ref = take_midi.size
    # for every reference frame, the take frames paired with it
    first_take = np.full(n_ref, -1, dtype=np.int64)
    last_take = np.full(n_ref, -1, dtype=np.int64)
    if path.size:
        r, j = path[:, 0], path[:, 1]
        order = np.argsort(r, kind="stable")
        r, j = r[order], j[order]
        uniq, start_idx = np.unique(r, return_index=True)
        end_idx = np.r_[start_idx[1:], r.size] - 1
        first_take[uniq] = j[start_idx]
        last_take[uniq] = j[end_idx]
    out: list[NoteResult] = []
    for i, t in enumerate(targets):
        a = int(round(t.start_s / _HOP_S)) + lag_frames
        b = int(round(t.end_s / _HOP_S)) + lag_frames
        a, b = max(0, a), min(n_ref, max(b, a + 1))
        ja = first_take[a:b]
        jb = last_take[a:b]
        ok = ja >= 0
        target_m = t.midi + shift
        if not ok.any():
            out.append(_unsung(i, t))
            continue
        j0, j1 = int(ja[ok].min()), int(jb[ok].max()) + 1
        seg = take_midi[j0:j1]
        voiced_share = float(np.mean(np.isfinite(seg))) if seg.size else 0.0
        # the sung onset: first voiced frame, near the target's pitch, in the aligned span
        near = np.flatnonzero(np.isfinite(seg) & (np.abs(seg - target_m) < 1.5))
        if voiced_share < 0.3 or near.size == 0:
            out.append(_unsung(i, t, voiced_share=voiced_share))
            continue
        on = j0 + int(near[0])
        off = j0 + int(np.flatnonzero(np.isfinite(seg))[-1]) + 1
        length = off - on
        skip_a = max(int(0.2 * length), int(0.06 / _HOP_S))
        skip_b = int(0.1 * length)
        stable = take_midi[on + skip_a : max(on + skip_a + 1, off - skip_b)]
        stable = stable[np.isfinite(stable)]
        if stable.size < 3:
            stable = take_midi[on:off][np.isfinite(take_midi[on:off])]
        stable_raw = take_midi[on + skip_a : max(on + skip_a + 1, off - skip_b)]
        rate, extent, regularity = _vibrato(stable_raw)
        med = _centre_pitch(stable_raw, rate_hz=rate) if stable.size >= 3 else float(np.median(stable))
        cents = 100.0 * (med - target_m)
        onset_ms = ((on - lag_frames) * _HOP_S - t.start_s) * 1000.0
        out.append(
            NoteResult(
                index=i,
                target_midi=float(t.midi),
                target_name=t.name,
                start_s=t.start_s,
                end_s=t.end_s,
                sung=True,
                sung_start_s=(on - lag_frames) * _HOP_S,
                sung_end_s=(off - lag_frames) * _HOP_S,
                sung_midi=med - shift,
                sung_name=str(midi_to_note_name(med)),
                cents_off=cents,
                onset_offset_ms=onset_ms,
                in_tune=bool(abs(cents) <= tol),
                vibrato_rate_hz=rate,
                vibrato_extent_cents=extent,
                vibrato_regularity=regularity,
                voiced_share=voiced_share,
                pitch_score=float(score_pitch(abs(cents))),
                rhythm_score=float(score_rhythm(abs(onset_ms))),
            )
        )
    return out


def _envelope(y: np.ndarray, *, sr: int, hop_s: float = 0.001, win_s: float = 0.004) -> np.ndarray:
    """RMS envelope on an exact 1 ms grid (window 4 ms): sample ``k`` is centred on ``k * hop_s``."""
    win = max(2, int(round(win_s * sr)))
    csum = np.concatenate([[0.0], np.cumsum(np.asarray(y, dtype=np.float64) ** 2)])
    centres = np.round(np.arange(0.0, y.size / sr, hop_s) * sr).astype(np.int64)
    a = np.clip(centres - win // 2, 0, y.size)
    b = np.clip(centres + win // 2, 0, y.size)
    return np.sqrt((csum[b] - csum[a]) / np.maximum(b - a, 1))


def _refine_onsets(
    results: list[NoteResult], y: np.ndarray, *, sr: int, track: Any, a4_hz: float, shift: float, lag_s: float
) -> list[NoteResult]:
    """Sharpen each sung onset from the 10 ms grid to the physical event.

    An entry after silence starts where the RMS envelope (1 ms grid) first reaches half of the
    note's early level (its median over the 30-80 ms after the grid onset); a legato note starts
    where the pitch crosses the midpoint between the previous sung note and this one.
    """
    from dataclasses import replace

    env = _envelope(y, sr=sr)
    t_tr = np.asarray(track.times_s, dtype=float)
    m_tr = np.asarray(
        hz_to_midi(np.where(np.asarray(track.voiced), np.asarray(track.f0_hz, dtype=float), np.nan), a4_hz=a4_hz)
    )
    out = []
    prev: NoteResult | None = None
    for r in results:
        if not r.sung:
            out.append(r)
            prev = None
            continue
        t0 = r.sung_start_s + lag_s  # in take time
        new_t = t0
        i0 = max(0, int(round((t0 - 0.06) * 1000)))
        i1 = int(round((t0 + 0.02) * 1000))
        lvl = env[int(round((t0 + 0.03) * 1000)) : int(round((t0 + 0.08) * 1000))]
        level = float(np.median(lvl)) if lvl.size else 0.0
        seg = env[i0:i1]
        if level > 0 and seg.size and float(seg.min()) < 0.3 * level:
            # an attack out of (near) silence: the half-level crossing after the dip
            k0 = int(np.argmin(seg))
            above = np.flatnonzero(env[i0 + k0 : i1 + 40] >= 0.5 * level)
            if above.size:
                new_t = (i0 + k0 + int(above[0])) / 1000.0
        elif prev is not None and prev.sung:
            # legato: where the pitch crosses the midpoint between the two notes
            mid = (prev.sung_midi + r.sung_midi) / 2 + shift
            lo = np.searchsorted(t_tr, t0 - 0.06)
            hi = np.searchsorted(t_tr, t0 + 0.04)
            seg_t, seg_m = t_tr[lo:hi], m_tr[lo:hi]
            fin = np.isfinite(seg_m)  # bridge an unvoiced frame or two at the change
            seg_t, seg_m = seg_t[fin], seg_m[fin]
            up = r.sung_midi > prev.sung_midi
            for k in range(1, seg_m.size):
                a_, b_ = seg_m[k - 1], seg_m[k]
                if np.isfinite(a_) and np.isfinite(b_) and ((a_ < mid <= b_) if up else (a_ > mid >= b_)):
                    new_t = float(seg_t[k - 1] + (mid - a_) / (b_ - a_) * (seg_t[k] - seg_t[k - 1]))
                    break
        start_s = new_t - lag_s
        onset_ms = (start_s - r.start_s) * 1000.0
        out.append(
            replace(r, sung_start_s=start_s, onset_offset_ms=onset_ms, rhythm_score=float(score_rhythm(abs(onset_ms))))
        )
        prev = r
    return out


def _unsung(i: int, t: TargetNote, *, voiced_share: float = 0.0) -> NoteResult:
    nan = float("nan")
    return NoteResult(
        index=i,
        target_midi=float(t.midi),
        target_name=t.name,
        start_s=t.start_s,
        end_s=t.end_s,
        sung=False,
        sung_start_s=nan,
        sung_end_s=nan,
        sung_midi=nan,
        sung_name="",
        cents_off=nan,
        onset_offset_ms=nan,
        in_tune=False,
        vibrato_rate_hz=nan,
        vibrato_extent_cents=nan,
        vibrato_regularity=nan,
        voiced_share=voiced_share,
        pitch_score=0.0,
        rhythm_score=0.0,
    )


def _scores(results: list[NoteResult], take_midi: np.ndarray, targets: list[TargetNote]) -> Scores:
    dur = np.array([r.end_s - r.start_s for r in results])
    ps = np.array([r.pitch_score for r in results])
    pitch = float(np.sum(ps * dur) / np.sum(dur)) if dur.sum() > 0 else 0.0
    sung = [r for r in results if r.sung]
    rhythm = float(np.mean([r.rhythm_score for r in sung])) if sung else 0.0
    if len(sung) >= 2:
        s_c = float(np.std([r.cents_off for r in sung]))
        s_t = float(np.std([r.onset_offset_ms for r in sung]))
        consistency = 100.0 * float(np.exp(-((s_c / 25.0) ** 2)) * np.exp(-((s_t / 80.0) ** 2)))
    else:
        consistency = 0.0 if not sung else 50.0
    coverage = float(np.sum([r.voiced_share * (r.end_s - r.start_s) for r in results]) / max(dur.sum(), 1e-9))
    wobble = []
    for r in sung:
        a = int(round(r.sung_start_s / _HOP_S))
        b = int(round(r.sung_end_s / _HOP_S))
        c = 100.0 * take_midi[max(a, 0) : max(b, 0)]
        c = c[np.isfinite(c)]
        if c.size >= 5:
            wobble.append(float(np.median(np.abs(np.diff(c, 2)))))
    j = float(np.median(wobble)) if wobble else 40.0
    confidence = 100.0 * min(coverage, 1.0) * float(np.exp(-((j / 40.0) ** 2)))
    parts = {"pitch": pitch, "rhythm": rhythm, "consistency": consistency, "confidence": confidence}
    overall = sum(SCORE_WEIGHTS[k] * v for k, v in parts.items())
    return Scores(overall=overall, **parts)


# ---------------------------------------------------------------------------------------------
# feedback
# ---------------------------------------------------------------------------------------------
def _fmt_c(c: float) -> str:
    return f"{c:+.0f} c".replace("-", "−")


def _feedback(
    results: list[NoteResult], scores: Scores, *, tol: float, lag_s: float, shift: float, has_reference: bool
) -> list[Feedback]:
    """Feedback items from measured faults, most important first; always one encouragement."""
    items: list[tuple[int, Feedback]] = []  # (priority, item); lower is more important
    sung = [r for r in results if r.sung]
    missing = [r for r in results if not r.sung]
    if not sung:
        return [Feedback("No singing was detected in this take.", "warning", 0.0, 0.0, "missing")]

    # 1. register-dependent tendencies on sustained notes (e.g. flat on high notes)
    sustained = [r for r in sung if r.end_s - r.start_s >= 0.35]
    covered: set[int] = set()
    if len(sustained) >= 3:
        pitches = np.array([r.target_midi for r in sustained])
        hi_cut = float(np.percentile(pitches, 70))
        lo_cut = float(np.percentile(pitches, 30))
        for label, group, bound in (
            ("high", [r for r in sustained if r.target_midi >= hi_cut], hi_cut),
            ("low", [r for r in sustained if r.target_midi <= lo_cut], lo_cut),
        ):
            if len(group) < 2 or len(group) == len(sustained):
                continue
            mean_c = float(np.mean([r.cents_off for r in group]))
            if abs(mean_c) >= max(10.0, 0.7 * tol) and all(np.sign(r.cents_off) == np.sign(mean_c) for r in group):
                word = "flat" if mean_c < 0 else "sharp"
                where = "above" if label == "high" else "below"
                name = str(midi_to_note_name(bound - (0 if label == "high" else 0)))
                msg = (
                    f"You go {word} on sustained {label} notes ({_fmt_c(mean_c)} on average {where} {name}, "
                    f"{len(group)} notes)."
                )
                items.append(
                    (1, Feedback(msg, "warning", min(r.start_s for r in group), max(r.end_s for r in group), "pitch"))
                )
                covered.update(r.index for r in group)

    # 2. overall tendency
    mean_all = float(np.mean([r.cents_off for r in sung]))
    if abs(mean_all) >= 10.0 and len(sung) >= 3:
        word = "flat" if mean_all < 0 else "sharp"
        items.append(
            (
                2,
                Feedback(
                    f"Overall you sing slightly {word} ({_fmt_c(mean_all)} on average).",
                    "info",
                    sung[0].start_s,
                    sung[-1].end_s,
                    "pitch",
                ),
            )
        )

    # 3. individual notes out of tune
    out_of_tune = sorted((r for r in sung if not r.in_tune and r.index not in covered), key=lambda r: -abs(r.cents_off))
    for r in out_of_tune[:5]:
        word = "flat" if r.cents_off < 0 else "sharp"
        if abs(r.cents_off) >= 50:
            msg = (
                f"Wrong note at {r.start_s:.2f} s: {r.sung_name} sung where {r.target_name} belongs "
                f"({_fmt_c(r.cents_off)})."
            )
        else:
            msg = f"{r.target_name} at {r.start_s:.2f} s is {abs(r.cents_off):.0f} c {word}."
        items.append((3, Feedback(msg, "warning", r.start_s, r.end_s, "pitch")))

    # 4. entries: late / early notes, and a systematic tendency on entries after rests
    entries = [r for k, r in enumerate(results) if r.sung and (k == 0 or results[k - 1].end_s < r.start_s - 0.2)]
    if len(entries) >= 2:
        mean_e = float(np.mean([r.onset_offset_ms for r in entries]))
        if abs(mean_e) >= 40.0 and all(np.sign(r.onset_offset_ms) == np.sign(mean_e) for r in entries):
            word = "late after rests" if mean_e > 0 else "early after rests (rushing)"
            items.append(
                (
                    2,
                    Feedback(
                        f"You come in {word} by ~{abs(mean_e):.0f} ms on average ({len(entries)} entries).",
                        "warning",
                        entries[0].start_s,
                        entries[-1].end_s,
                        "rhythm",
                    ),
                )
            )
    timing = sorted((r for r in sung if abs(r.onset_offset_ms) > 50.0), key=lambda r: -abs(r.onset_offset_ms))
    for r in timing[:5]:
        word = "Late" if r.onset_offset_ms > 0 else "Early"
        msg = f"{word} entry on {r.target_name} at {r.start_s:.2f} s ({r.onset_offset_ms:+.0f} ms)."
        items.append((3, Feedback(msg, "warning", r.start_s, r.end_s, "rhythm")))
    sung_timing = [r.onset_offset_ms for r in sung]
    mean_t = float(np.mean(sung_timing))
    if len(sung) >= 4 and abs(mean_t) >= 30.0 and not timing:
        word = "behind the beat (dragging)" if mean_t > 0 else "ahead of the beat (rushing)"
        items.append(
            (
                2,
                Feedback(
                    f"You sing {word} by ~{abs(mean_t):.0f} ms.", "info", sung[0].start_s, sung[-1].end_s, "rhythm"
                ),
            )
        )

    # 5. vibrato
    wide = [r for r in sung if np.isfinite(r.vibrato_extent_cents) and r.vibrato_extent_cents > 60.0]
    for r in wide[:3]:
        msg = (
            f"Wide vibrato on {r.target_name} at {r.start_s:.2f} s (±{r.vibrato_extent_cents:.0f} c, "
            f"{r.vibrato_rate_hz:.1f} Hz) — aim for about ±20–50 c."
        )
        items.append((4, Feedback(msg, "info", r.start_s, r.end_s, "vibrato")))

    # 6. missing notes
    for r in missing[:5]:
        items.append(
            (
                2,
                Feedback(
                    f"{r.target_name} at {r.start_s:.2f} s was not sung.", "warning", r.start_s, r.end_s, "missing"
                ),
            )
        )

    # 7. context
    if lag_s:
        items.append(
            (5, Feedback(f"The take starts {lag_s:+.2f} s from the reference; aligned.", "info", 0.0, 0.0, "info"))
        )
    if shift:
        items.append(
            (
                5,
                Feedback(
                    f"Sung {abs(shift) / 12:.0f} octave(s) {'below' if shift < 0 else 'above'} the written line.",
                    "info",
                    0.0,
                    0.0,
                    "info",
                ),
            )
        )

    # 8. encouragement, from what went well
    in_tune = sum(r.in_tune for r in sung)
    on_time = sum(abs(r.onset_offset_ms) <= 50.0 for r in sung)
    t0, t1 = results[0].start_s, results[-1].end_s
    if scores.pitch >= 85:
        items.append(
            (
                0,
                Feedback(
                    f"Great intonation: {in_tune} of {len(results)} notes within ±{tol:.0f} c.",
                    "success",
                    t0,
                    t1,
                    "pitch",
                ),
            )
        )
    elif in_tune:
        items.append(
            (
                6,
                Feedback(
                    f"{in_tune} of {len(results)} notes were within ±{tol:.0f} c — keep going.",
                    "success",
                    t0,
                    t1,
                    "pitch",
                ),
            )
        )
    if scores.rhythm >= 85 and has_reference:
        items.append(
            (0, Feedback(f"Solid timing: {on_time} of {len(sung)} entries within ±50 ms.", "success", t0, t1, "rhythm"))
        )
    if not any(f.severity == "success" for _, f in items):
        items.append(
            (
                6,
                Feedback(
                    "Every take teaches something — focus on the first warning below.", "success", t0, t1, "general"
                ),
            )
        )
    items.sort(key=lambda p: p[0])
    return [f for _, f in items]


# ---------------------------------------------------------------------------------------------
# takes without a reference: key and beat grid
# ---------------------------------------------------------------------------------------------
#: Grid used for timing without a reference: eighth notes of the given or detected tempo.
GRID_SUBDIVISION = 2


def _targets_without_reference(
    track: Any, y: np.ndarray, *, sr: int, key: str | None, bpm: float | None, a4_hz: float
) -> tuple[list[TargetNote], str | None, float | None]:
    """Targets = the nearest notes of the key to the sung notes; the key is detected when not given."""
    from .pitch import notes as find_notes
    from .theory import Key

    sung = find_notes(track, a4_hz=a4_hz)
    if key is not None:
        k = Key.parse(key)
    elif sung:
        k = detect_key([n.midi + n.cents / 100.0 for n in sung], weights=[n.duration_s for n in sung])
    else:
        k = None
    targets = []
    for n in sung:
        m = n.midi + n.cents / 100.0
        assert k is not None
        pcs = set(k.pitch_classes)
        base = int(np.floor(m))
        cands = [c for c in range(base - 2, base + 3) if c % 12 in pcs]
        targets.append(TargetNote(float(n.onset_s), float(n.offset_s), float(min(cands, key=lambda c: abs(c - m)))))
    if bpm is None and targets:
        from .rhythm import tempo

        bpm = float(tempo(y, sr=sr))
    return targets, (None if k is None else str(k)), bpm


def _rhythm_against_grid(results: list[NoteResult], y: np.ndarray, *, sr: int, bpm: float) -> list[NoteResult]:
    """Onset offsets against the best-fitting eighth-note grid of ``bpm`` (see :func:`dawglib.rhythm.timing`)."""
    from dataclasses import replace

    from .rhythm import timing

    sung = [r for r in results if r.sung]
    if len(sung) < 2:
        return results
    rep = timing(np.array([r.sung_start_s for r in sung]), bpm=bpm, subdivision=GRID_SUBDIVISION)
    offsets = np.asarray(rep.offsets_ms, dtype=float)
    out, k = [], 0
    for r in results:
        if r.sung:
            d = float(offsets[k])
            k += 1
            out.append(replace(r, onset_offset_ms=d, rhythm_score=float(score_rhythm(abs(d)))))
        else:
            out.append(r)
    return out
