"""Melodies that fit the chords and the scale, harmony voices, and chord comping.

A melody is built from a *motif*: a one-bar rhythm cell and a contour in scale steps. Phrases
follow the classic shape A A' A B over four bars (A' and B vary the rhythm and the ending), and the
motif is re-realised over each bar's chord: notes on strong beats (beats 1 and 3) snap to the
nearest chord tone, the others move by scale steps, leaps stay under an octave, and each phrase
ends on a chord tone (the last phrase on the tonic where the chord allows).

Examples
--------
>>> from dawglib.producer.harmony import parse_key, progression
>>> key = parse_key("C")
>>> chords = [(4.0 * i, 4.0 * i + 4, c) for i, c in enumerate(progression(["I", "V", "vi", "IV"], key))]
>>> mel = melody(chords, key=key, rng=np.random.default_rng(0))
>>> from dawglib.producer.metrics import strong_beat_chord_tone_rate
>>> strong_beat_chord_tone_rate(mel, chords)
1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..exceptions import ParameterError
from .harmony import Chord, Key
from .notes import NoteEvent

__all__ = ["Motif", "make_motif", "melody", "harmonize", "comping", "COMP_STYLES"]

#: One-bar rhythm cells: (onset, duration) in beats, by density.
_CELLS: dict[str, list[tuple[tuple[float, float], ...]]] = {
    "sparse": [
        ((0, 1.5), (2, 2)),
        ((0, 1), (1.5, 0.5), (2, 2)),
        ((0, 2), (2, 1), (3, 1)),
    ],
    "medium": [
        ((0, 1), (1, 0.5), (1.5, 0.5), (2, 1), (3, 1)),
        ((0, 0.5), (0.5, 0.5), (1, 1), (2, 1.5), (3.5, 0.5)),
        ((0, 1.5), (1.5, 0.5), (2, 0.5), (2.5, 0.5), (3, 1)),
    ],
    "dense": [
        ((0, 0.5), (0.5, 0.5), (1, 0.5), (1.5, 0.5), (2, 0.5), (2.5, 0.25), (2.75, 0.25), (3, 1)),
        ((0, 0.75), (0.75, 0.25), (1, 0.5), (1.5, 0.5), (2, 1), (3, 0.5), (3.5, 0.5)),
    ],
}
_CADENCE_CELLS = (((0, 1), (1, 1), (2, 2)), ((0, 0.5), (0.5, 0.5), (1, 1), (2, 2)), ((0, 2), (2, 2)))

#: Genre -> (melody density, chord comping style).
COMP_STYLES = {
    "trap": ("medium", "pad"),
    "hip-hop": ("medium", "stabs"),
    "lo-fi": ("sparse", "strum"),
    "pop": ("medium", "halves"),
    "rock": ("medium", "eighths"),
    "edm": ("dense", "offbeat"),
    "jazz": ("medium", "charleston"),
    "reggae": ("sparse", "skank"),
    "latin": ("medium", "bossa"),
    "ambient": ("sparse", "pad"),
}


@dataclass(frozen=True)
class Motif:
    """A one-bar rhythm cell and a contour (scale steps between consecutive notes)."""

    rhythm: tuple[tuple[float, float], ...]
    steps: tuple[int, ...]


def make_motif(rng: np.random.Generator, *, density: str = "medium") -> Motif:
    """A random motif: a rhythm cell of the given density and a singable contour."""
    if density not in _CELLS:
        raise ParameterError(f"density must be one of {', '.join(_CELLS)}, given density={density!r}")
    cells = _CELLS[density]
    rhythm = cells[int(rng.integers(len(cells)))]
    steps = tuple(
        int(
            rng.choice(
                [-2, -1, -1, -1, 1, 1, 1, 2, 0, 3, -3], p=[0.1, 0.15, 0.1, 0.1, 0.15, 0.1, 0.1, 0.1, 0.06, 0.02, 0.02]
            )
        )
        for _ in range(len(rhythm))
    )
    return Motif(tuple((float(a), float(b)) for a, b in rhythm), steps)


def _nearest(cands: Sequence[int], target: float) -> int:
    return int(min(cands, key=lambda m: (abs(m - target), m)))


def _realise(
    motif: Motif,
    *,
    bar_start: float,
    chord: Chord,
    key: Key,
    prev: int,
    low_midi: int,
    high_midi: int,
    final: int | None,
) -> tuple[list[NoteEvent], int]:
    scale = key.scale_midi(low_midi=low_midi, high_midi=high_midi)
    ctones = [m for m in range(low_midi, high_midi + 1) if m % 12 in chord.pitch_classes]
    out = []
    cur = prev
    n = len(motif.rhythm)
    for i, ((on, dur), step) in enumerate(zip(motif.rhythm, motif.steps)):
        strong = abs(on - round(on)) < 1e-9 and int(round(on)) % 2 == 0
        if cur in scale:
            idx = scale.index(cur) + step
        else:
            idx = int(np.searchsorted(scale, cur)) + step
        idx = int(np.clip(idx, 0, len(scale) - 1))
        cand = scale[idx]
        if strong or i == n - 1:
            cand = _nearest(ctones, cand)
        if abs(cand - cur) > 9:  # no leaps over a sixth: come back towards the last note
            pool = ctones if (strong or i == n - 1) else scale
            cand = _nearest(pool, cur + np.sign(cand - cur) * 4)
        if i == n - 1 and final is not None:
            tgt = [m for m in ctones if m % 12 == final % 12]
            cand = _nearest(tgt, cur) if tgt else cand
        cur = int(cand)
        out.append(NoteEvent(bar_start + on, dur * 0.95, cur, 90, "melody", bar_start + on))
    return out, cur


def melody(
    chords: Sequence[tuple[float, float, Chord]],
    *,
    key: Key,
    rng: np.random.Generator,
    density: str = "medium",
    low_midi: int = 62,
    high_midi: int = 81,
    motif: Motif | None = None,
    velocity: int = 92,
) -> list[NoteEvent]:
    """A melody over a chord timeline (one chord per bar) with A A' A B phrase structure.

    Parameters
    ----------
    chords : sequence of (start_beats, end_beats, Chord)
        One 4-beat bar per entry.
    key : Key
        The key whose scale the melody uses.
    rng : numpy.random.Generator
        Source of the random choices.
    density : str
        ``sparse``, ``medium`` or ``dense`` rhythm cells.
    low_midi, high_midi : int
        Range of the melody.
    motif : Motif or None
        Reuse a motif (e.g. the chorus hook in every chorus); default a new one.
    velocity : int
        Base MIDI velocity; phrase starts and strong beats are accented.

    Returns
    -------
    notes : list of NoteEvent
        On the straight grid; every note is in the key's scale.
    """
    if high_midi - low_midi < 12:
        raise ParameterError(f"melody range must span an octave, given low_midi={low_midi}, high_midi={high_midi}")
    motif = motif or make_motif(rng, density=density)
    alt = make_motif(rng, density=density)
    cadence = _CADENCE_CELLS[int(rng.integers(len(_CADENCE_CELLS)))]
    cad_motif = Motif(tuple((float(a), float(b)) for a, b in cadence), tuple([1, -1, -1, 0][: len(cadence)]))
    prev = _nearest(key.scale_midi(low_midi=low_midi, high_midi=high_midi), (low_midi + high_midi) / 2)
    out: list[NoteEvent] = []
    n = len(chords)
    for i, (s, _e, ch) in enumerate(chords):
        pos = i % 4
        last_phrase_bar = pos == 3 or i == n - 1
        if pos == 3:
            m = cad_motif
        elif pos == 1:
            m = Motif(motif.rhythm, tuple(-x for x in motif.steps))  # A': inverted contour
        elif pos == 2 and (i // 4) % 2 == 1:
            m = alt  # second phrase: a contrasting bar
        else:
            m = motif
        final = key.tonic if i == n - 1 else None
        notes, prev = _realise(
            m, bar_start=s, chord=ch, key=key, prev=prev, low_midi=low_midi, high_midi=high_midi, final=final
        )
        for j, nt in enumerate(notes):
            on = nt.start_beats - s
            accent = 10 if on == 0 else (5 if abs(on - round(on)) < 1e-9 else 0)
            dur = nt.duration_beats if not (last_phrase_bar and j == len(notes) - 1) else (4.0 - on) * 0.98
            out.append(
                NoteEvent(nt.start_beats, dur, nt.pitch, min(127, velocity + accent - 6), "melody", nt.grid_beats)
            )
    return out


def harmonize(
    notes: Sequence[NoteEvent], *, key: Key, interval: str = "third", above: bool = True, velocity_drop: int = 12
) -> list[NoteEvent]:
    """A diatonic harmony voice for a melody: thirds or sixths, above or below.

    Parameters
    ----------
    notes : sequence of NoteEvent
        The melody (notes outside the key's scale are left unharmonised).
    key : Key
        Key whose scale gives the diatonic intervals.
    interval : str
        ``"third"`` (two scale steps: 3 or 4 semitones) or ``"sixth"`` (five steps: 8 or 9).
    above : bool
        Harmony above (default) or below the melody.
    velocity_drop : int
        The harmony is this much softer.

    Returns
    -------
    notes : list of NoteEvent

    Examples
    --------
    >>> from dawglib.producer.harmony import parse_key
    >>> mel = [NoteEvent(0.0, 1.0, 60, 90), NoteEvent(1.0, 1.0, 62, 90)]
    >>> [n.pitch for n in harmonize(mel, key=parse_key("C"))]
    [64, 65]
    """
    steps = {"third": 2, "sixth": 5}.get(interval)
    if steps is None:
        raise ParameterError(f"interval must be 'third' or 'sixth', given interval={interval!r}")
    scale = key.scale_midi(low_midi=0, high_midi=127)
    out = []
    for n in notes:
        if n.pitch not in scale:
            continue
        i = scale.index(n.pitch) + (steps if above else -steps)
        if 0 <= i < len(scale):
            v = max(1, n.velocity - velocity_drop)
            out.append(NoteEvent(n.start_beats, n.duration_beats, scale[i], v, "harmony", n.grid_beats))
    return out


def comping(
    chords: Sequence[tuple[float, float, Chord]],
    voicings: Sequence[tuple[int, ...]],
    *,
    style: str,
    rng: np.random.Generator,
    velocity: int = 72,
) -> list[NoteEvent]:
    """Chord notes in a genre comping rhythm.

    Styles: ``pad`` (whole bars), ``halves``, ``eighths`` (rock), ``stabs`` (hip-hop), ``strum``
    (lo-fi, rolled), ``offbeat`` (house stabs), ``charleston`` (jazz), ``skank`` (reggae off-beats),
    ``bossa`` (syncopated).
    """
    patterns: dict[str, tuple[tuple[float, float], ...]] = {
        "pad": ((0.0, 4.0),),
        "halves": ((0.0, 2.0), (2.0, 2.0)),
        "eighths": tuple((x * 0.5, 0.45) for x in range(8)),
        "stabs": ((0.0, 1.5), (2.5, 1.0)),
        "strum": ((0.0, 4.0),),
        "offbeat": ((0.5, 0.4), (1.5, 0.4), (2.5, 0.4), (3.5, 0.4)),
        "charleston": ((0.0, 1.0), (1.5, 1.0)),
        "skank": ((1.0, 0.4), (3.0, 0.4)),
        "bossa": ((0.0, 1.0), (1.5, 0.5), (2.5, 1.0), (3.5, 0.5)),
    }
    if style not in patterns:
        raise ParameterError(f"unknown comping style {style!r}; known: {', '.join(patterns)}")
    out = []
    for (s, e, _ch), voicing in zip(chords, voicings):
        for on, dur in patterns[style]:
            if s + on >= e - 1e-9:
                continue
            d = min(dur, e - s - on)
            for k, p in enumerate(voicing):
                roll = 0.03 * k if style == "strum" else 0.0
                v = int(np.clip(velocity + (8 if on == 0 else 0) + rng.normal(0, 3), 1, 127))
                out.append(NoteEvent(s + on + roll, max(0.05, d - roll), int(p), v, "chords", s + on))
    out.sort(key=lambda n: (n.start_beats, n.pitch))
    return out
