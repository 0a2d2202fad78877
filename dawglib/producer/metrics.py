"""Groove metrics measured from drum notes (ours or any MIDI file's), and melody/harmony checks.

Everything is measured from the onsets, GM drum notes and velocities alone, so the same numbers
can be computed for a MIDI file from elsewhere (:func:`midi_drum_notes`):

- **syncopation per bar** — Longuet-Higgins & Lee (1984) on the kick + backbeat stream (ghost
  notes, velocity < 50, left out) at sixteenth resolution in 4/4. Metrical weights: bar 0,
  half bar -1, beats -2, eighths -3, sixteenths -4; a note followed by silence over a stronger
  position scores the weight difference. House ≈ 0, boom-bap/trap ≈ 3-4.
- **swing ratio** — median position of the off-beat hits inside their swing cell (first
  sixteenth's share of an eighth; for jazz the first eighth's share of a beat). 0.5 straight.
  Roll members (inter-onset interval under 0.6 units) are left out.
- **kick-on-beat share** — kicks on quarter-note positions / all kicks.
- **snare on 2 and 4 / on 3** — shares of the non-ghost backbeat hits (snare, clap, cross-stick).
- **timing spread (ms)** — standard deviation of the onsets around the (swung) sixteenth grid,
  counting hits within ±25 ms of a grid point (deliberate off-grid notes such as rolls excluded).
- **velocity spread** — standard deviation of the velocities; **accent contrast** — mean velocity
  of cymbal hits on the beat minus off the beat.
- **notes per bar**, **hi-hat rolls per bar** (runs of hats faster than 32nd-note spacing + margin),
  **clave share** (bars whose claves hits form a known clave).

Examples
--------
>>> from dawglib.producer import generate_beat
>>> m = generate_beat(genre="house", bpm=124, bars=8, seed=3).metrics()
>>> m.kick_on_beat_share, m.syncopation_per_bar
(1.0, 0.0)
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..exceptions import MidiError, ParameterError
from .grooves import CLAVES
from .notes import NoteEvent

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .harmony import Chord

__all__ = [
    "GrooveMetrics",
    "groove_metrics",
    "lhl_syncopation",
    "midi_drum_notes",
    "strong_beat_chord_tone_rate",
    "GHOST_VELOCITY",
]

#: Hits below this velocity are ghost notes (left out of placement shares and syncopation).
GHOST_VELOCITY = 50
_KICK = {35, 36}
_BACKBEAT = {37, 38, 39, 40}
_HATS = {42, 44, 46}
_CYMBALS = {42, 44, 46, 51, 53, 54, 56, 69, 70}
_CLAVES = {75, 76}
_CRASH = {49, 52, 55, 57}
_WINDOW_MS = 25.0


@dataclass(frozen=True)
class GrooveMetrics:
    """Measured groove properties of a drum part (see the module docstring for definitions).

    Attributes
    ----------
    bars : int
        Bars measured.
    syncopation_per_bar : float
        Mean Longuet-Higgins & Lee syncopation per bar (kick + backbeat).
    swing_ratio : float
        Median off-beat position in the swing cell (0.5 straight); NaN without off-beat hits.
    kick_on_beat_share : float
        Share of kicks on quarter-note positions (NaN without kicks).
    snare_on_backbeat_share : float
        Share of non-ghost backbeat hits on beats 2 and 4 (NaN without any).
    snare_on_3_share : float
        Share of non-ghost backbeat hits on beat 3 (half-time, one-drop).
    kick_on_3_share : float
        Share of kicks on beat 3 (one-drop).
    kick_on_1_share : float
        Share of bars with a kick on beat 1.
    timing_spread_ms : float
        Standard deviation of onsets around the swung grid (ms).
    velocity_spread : float
        Standard deviation of MIDI velocities.
    accent_contrast : float
        Mean velocity of cymbal hits on the beat minus off the beat.
    notes_per_bar : float
        Drum hits per bar.
    hat_rolls_per_bar : float
        Hi-hat rolls (runs faster than sixteenths) per bar.
    clave_share : float
        Share of bars whose claves hits match a known clave (NaN without claves).
    """

    bars: int
    syncopation_per_bar: float
    swing_ratio: float
    kick_on_beat_share: float
    snare_on_backbeat_share: float
    snare_on_3_share: float
    kick_on_3_share: float
    kick_on_1_share: float
    timing_spread_ms: float
    velocity_spread: float
    accent_contrast: float
    notes_per_bar: float
    hat_rolls_per_bar: float
    clave_share: float

    def to_dict(self) -> dict[str, float]:
        """The metrics as a plain dict."""
        return asdict(self)

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame of the metrics."""
        import pandas as pd

        return pd.DataFrame([self.to_dict()])


def _weights(steps_per_bar: int) -> np.ndarray:
    s = np.arange(steps_per_bar)
    w = np.full(steps_per_bar, -4.0)
    w[s % 2 == 0] = -3.0
    w[s % 4 == 0] = -2.0
    if steps_per_bar % 8 == 0:
        w[s % (steps_per_bar // 2) == 0] = -1.0
    w[0] = 0.0
    return w


def lhl_syncopation(steps: Sequence[int], *, total_steps: int, steps_per_bar: int = 16) -> np.ndarray:
    """Longuet-Higgins & Lee syncopation of onsets on a sixteenth grid, summed per bar.

    Parameters
    ----------
    steps : sequence of int
        Grid indices (sixteenths from the start) of the onsets; duplicates are merged.
    total_steps : int
        Length of the (looping) piece in sixteenths; the last note's silence runs to the first
        note of the next repetition.
    steps_per_bar : int
        Sixteenths per bar (16 for 4/4).

    Returns
    -------
    per_bar : np.ndarray, shape (total_steps // steps_per_bar,)

    Examples
    --------
    >>> lhl_syncopation([0, 4, 7, 10, 12], total_steps=16).tolist()  # boom-bap kick + snare
    [3.0]
    >>> lhl_syncopation([0, 4, 8, 12], total_steps=16).tolist()  # four on the floor
    [0.0]
    """
    n_bars = max(1, total_steps // steps_per_bar)
    out = np.zeros(n_bars)
    on = sorted({int(s) % total_steps for s in steps})
    if not on:
        return out
    w = _weights(steps_per_bar)
    for i, a in enumerate(on):
        b = on[i + 1] if i + 1 < len(on) else on[0] + total_steps
        if b - a <= 1:
            continue
        rest = np.arange(a + 1, b) % steps_per_bar
        wr = float(w[rest].max())
        wn = float(w[a % steps_per_bar])
        if wr > wn:
            out[(a // steps_per_bar) % n_bars] += wr - wn
    return out


def _nan_share(mask: np.ndarray) -> float:
    return float(mask.mean()) if mask.size else float("nan")


def groove_metrics(
    notes: Sequence[NoteEvent],
    *,
    bpm: float,
    swing_unit_beats: float = 0.25,
    length_beats: float | None = None,
    beats_per_bar: int = 4,
    exclude_bars: Sequence[int] = (),
) -> GrooveMetrics:
    """Measure a drum part's groove.

    Parameters
    ----------
    notes : sequence of NoteEvent
        Drum hits: ``start_beats`` (as played), ``pitch`` (GM drum note) and ``velocity`` are used.
    bpm : float
        Tempo, to convert beats to milliseconds.
    swing_unit_beats : float
        0.25 to measure sixteenth swing, 0.5 for eighth swing (jazz).
    length_beats : float or None
        Length of the part (default: rounded up to whole bars from the last onset).
    beats_per_bar : int
        Only 4 (4/4) is supported.
    exclude_bars : sequence of int
        Bars (0-based) left out, e.g. fill bars.

    Returns
    -------
    GrooveMetrics

    Raises
    ------
    ParameterError
        If there are no notes, or the metre is not 4/4.
    """
    if beats_per_bar != 4:
        raise ParameterError(f"only 4/4 is supported, given beats_per_bar={beats_per_bar!r}")
    if len(notes) == 0:
        raise ParameterError("no drum notes to measure; expected at least one NoteEvent")
    if swing_unit_beats not in (0.25, 0.5):
        raise ParameterError(f"swing_unit_beats must be 0.25 or 0.5, given {swing_unit_beats!r}")
    from .beat import swing_unwarp, swing_warp

    t = np.array([n.start_beats for n in notes], dtype=float)
    pitch = np.array([n.pitch for n in notes], dtype=int)
    vel = np.array([n.velocity for n in notes], dtype=float)
    order = np.argsort(t, kind="stable")
    t, pitch, vel = t[order], pitch[order], vel[order]
    steps_per_bar = 16
    if length_beats is None:
        length_beats = math.ceil((float(t.max()) + 1e-6) / beats_per_bar) * beats_per_bar
    n_bars = max(1, int(round(length_beats / beats_per_bar)))
    total_steps = n_bars * steps_per_bar
    u = float(swing_unit_beats)

    # roll members: a neighbour of the same pitch closer than 0.6 swing units
    roll = np.zeros(t.size, dtype=bool)
    for p in np.unique(pitch):
        idx = np.flatnonzero(pitch == p)
        if idx.size > 1:
            d = np.diff(t[idx])
            close = d < 0.6 * u
            roll[idx[1:][close]] = True
            roll[idx[:-1][close]] = True

    # swing ratio: median phase of off-beat hits in their 2u cell
    phase = np.mod(t, 2 * u) / (2 * u)
    off = (phase >= 0.35) & (phase < 0.85) & ~roll & ~np.isin(pitch, list(_CRASH))
    ratio = float(np.median(phase[off])) if np.count_nonzero(off) >= 4 else float("nan")
    r_used = 0.5 if not np.isfinite(ratio) else float(np.clip(ratio, 0.5, 0.75))

    # nearest sixteenth grid index (after removing the swing) and residual timing
    straight = swing_unwarp(t, ratio=r_used, unit_beats=u)
    k = np.round(straight / 0.25).astype(int)
    grid_t = swing_warp(k * 0.25, ratio=r_used, unit_beats=u)
    resid_ms = (t - grid_t) * 60_000.0 / bpm
    bar = np.clip(k // steps_per_bar, 0, n_bars - 1)
    step = k % steps_per_bar

    keep = ~np.isin(bar, list(exclude_bars))
    bars_used = n_bars - len({b for b in exclude_bars if 0 <= b < n_bars})
    if bars_used <= 0:
        raise ParameterError(f"every bar is excluded (exclude_bars={list(exclude_bars)}, {n_bars} bars)")

    is_kick = np.isin(pitch, list(_KICK)) & keep
    is_bb = np.isin(pitch, list(_BACKBEAT)) & keep & (vel >= GHOST_VELOCITY)
    kick_steps = step[is_kick]
    bb_steps = step[is_bb]

    main = (np.isin(pitch, list(_KICK)) | np.isin(pitch, list(_BACKBEAT))) & (vel >= GHOST_VELOCITY)
    sync = lhl_syncopation(k[main].tolist(), total_steps=total_steps, steps_per_bar=steps_per_bar)
    kept_bars = [b for b in range(n_bars) if b not in set(exclude_bars)]
    sync_per_bar = float(np.mean(sync[kept_bars])) if kept_bars else float("nan")

    win = keep & (np.abs(resid_ms) <= _WINDOW_MS) & ~roll
    spread = float(np.std(resid_ms[win])) if np.count_nonzero(win) > 1 else float("nan")

    cym = np.isin(pitch, list(_CYMBALS)) & keep & ~roll
    on_b = cym & (step % 4 == 0)
    off_b = cym & (step % 4 != 0)
    contrast = float(vel[on_b].mean() - vel[off_b].mean()) if on_b.any() and off_b.any() else float("nan")

    # hat rolls: runs of hats with spacing < 0.15 beats, counted once per run
    hat_t = t[np.isin(pitch, list(_HATS)) & keep]
    n_rolls = 0
    if hat_t.size > 1:
        fast = np.diff(hat_t) < 0.15
        n_rolls = int(np.count_nonzero(fast[1:] & ~fast[:-1]) + (1 if fast[0] else 0))

    clave_share = float("nan")
    cl = np.isin(pitch, list(_CLAVES)) & keep
    if cl.any():
        known = {frozenset(i for i, c in enumerate(p) if c != ".") for p in CLAVES.values()}
        matches = [frozenset(step[cl & (bar == b)].tolist()) in known for b in kept_bars]
        clave_share = float(np.mean(matches))

    kick_bar_has_1 = [bool(np.any(is_kick & (bar == b) & (step == 0))) for b in kept_bars]
    return GrooveMetrics(
        bars=bars_used,
        syncopation_per_bar=sync_per_bar,
        swing_ratio=ratio,
        kick_on_beat_share=_nan_share(kick_steps % 4 == 0),
        snare_on_backbeat_share=_nan_share(np.isin(bb_steps, [4, 12])),
        snare_on_3_share=_nan_share(bb_steps == 8),
        kick_on_3_share=_nan_share(kick_steps == 8),
        kick_on_1_share=float(np.mean(kick_bar_has_1)) if kept_bars else float("nan"),
        timing_spread_ms=spread,
        velocity_spread=float(np.std(vel[keep])) if keep.any() else float("nan"),
        accent_contrast=contrast,
        notes_per_bar=float(np.count_nonzero(keep)) / bars_used,
        hat_rolls_per_bar=n_rolls / bars_used,
        clave_share=clave_share,
    )


def midi_drum_notes(path: str | os.PathLike[str] | bytes) -> tuple[list[NoteEvent], float]:
    """Read the drum notes (channel 10) and the first tempo of a MIDI file.

    Returns
    -------
    notes : list of NoteEvent
        Onsets in beats of the first tempo.
    bpm : float

    Raises
    ------
    MidiError
        If the file cannot be read or has no drum notes.
    """
    import io

    from ..render import pretty_midi as _load_pretty_midi

    pretty_midi = _load_pretty_midi()

    try:
        pm = pretty_midi.PrettyMIDI(io.BytesIO(path) if isinstance(path, bytes) else str(path))
    except Exception as exc:  # pretty_midi raises many types for corrupt files
        raise MidiError(f"cannot read MIDI {str(path)[:80]!r}: {exc}") from exc
    _, tempi = pm.get_tempo_changes()
    bpm = float(tempi[0]) if len(tempi) else 120.0
    out = []
    for inst in pm.instruments:
        if not inst.is_drum:
            continue
        for n in inst.notes:
            b = n.start * bpm / 60.0
            out.append(NoteEvent(b, max(1e-3, (n.end - n.start) * bpm / 60.0), n.pitch, n.velocity, "", b))
    if not out:
        raise MidiError(f"no drum notes (channel 10) in {str(path)[:80]!r}")
    return sorted(out, key=lambda n: n.start_beats), bpm


def strong_beat_chord_tone_rate(
    melody: Sequence[NoteEvent],
    chords: Sequence[tuple[float, float, Chord]],
    *,
    beats_per_bar: int = 4,
    strong_beats: Sequence[int] = (0, 2),
) -> float:
    """Share of melody notes on strong beats (beats 1 and 3 of 4/4) that are chord tones.

    Parameters
    ----------
    melody : sequence of NoteEvent
        Melody notes; their ``grid_beats`` (the metrical position) decide "on a strong beat".
    chords : sequence of (start_beats, end_beats, Chord)
        The chord timeline.
    beats_per_bar : int
        Beats per bar.
    strong_beats : sequence of int
        0-based beats in the bar that count as strong.

    Returns
    -------
    rate : float
        NaN when no melody note starts on a strong beat.
    """
    hits = total = 0
    for n in melody:
        g = n.grid_beats if np.isfinite(n.grid_beats) else n.start_beats
        pos = g % beats_per_bar
        if abs(pos - round(pos)) > 1e-6 or int(round(pos)) % beats_per_bar not in strong_beats:
            continue
        ch = next((c for s, e, c in chords if s - 1e-9 <= g < e - 1e-9), None)
        if ch is None:
            continue
        total += 1
        hits += int(n.pitch % 12 in ch.pitch_classes)
    return hits / total if total else float("nan")
