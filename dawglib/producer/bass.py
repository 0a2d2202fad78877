"""Basslines that follow the chords and the kick drum.

Styles (chosen by genre): ``kick`` — a note on every kick, root on chord changes, fifths/octaves
and approach notes with complexity (trap 808s sustain to the next kick); ``offbeat`` — house
off-beat bass; ``walking`` — jazz quarter notes ending in a chromatic approach to the next root;
``one-drop`` — reggae bass around the drop on 3; ``bossa`` — root and fifth with anticipations;
``pedal`` — ambient long roots.

Examples
--------
>>> from dawglib.producer.harmony import progression
>>> chords = [(4.0 * i, 4.0 * i + 4, c) for i, c in enumerate(progression(["i", "VI"], "A minor"))]
>>> notes = bassline(chords, genre="jazz", kick_beats=[], rng=np.random.default_rng(0))
>>> [n.pitch % 12 for n in notes if n.grid_beats % 4 == 0]  # roots on the downbeats: A, F
[9, 5]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .harmony import Chord
from .notes import NoteEvent

__all__ = ["bassline", "BASS_STYLES", "bass_root_midi"]

#: Genre -> bass style.
BASS_STYLES = {
    "trap": "kick",
    "hip-hop": "kick",
    "lo-fi": "kick",
    "pop": "kick",
    "rock": "kick",
    "edm": "offbeat",
    "jazz": "walking",
    "reggae": "one-drop",
    "latin": "bossa",
    "ambient": "pedal",
}


def bass_root_midi(pc: int, *, low_midi: int = 33) -> int:
    """The MIDI note of pitch class ``pc`` in the bass octave starting at ``low_midi`` (A1 = 33)."""
    return low_midi + (int(pc) - low_midi) % 12


def _chord_at(chords: Sequence[tuple[float, float, Chord]], t: float) -> tuple[float, float, Chord]:
    for s, e, c in chords:
        if s - 1e-9 <= t < e - 1e-9:
            return s, e, c
    return chords[-1]


def _fifth(root: int, chord: Chord) -> int:
    iv = chord.intervals
    return root + (7 if 7 in iv else (6 if 6 in iv else (8 if 8 in iv else 7)))


def bassline(
    chords: Sequence[tuple[float, float, Chord]],
    *,
    genre: str,
    kick_beats: Sequence[float],
    rng: np.random.Generator,
    complexity: str = "medium",
    velocity: int = 96,
) -> list[NoteEvent]:
    """A bassline over a chord timeline, locked to the kick where the style asks for it.

    Parameters
    ----------
    chords : sequence of (start_beats, end_beats, Chord)
        The chord timeline.
    genre : str
        Canonical genre name (picks the style, :data:`BASS_STYLES`).
    kick_beats : sequence of float
        Grid positions (beats) of the kicks; ``kick`` style basses play on them.
    rng : numpy.random.Generator
        Source of the random choices.
    complexity : str
        ``simple`` (roots), ``medium`` (fifths, octaves), ``complex`` (plus approach notes).
    velocity : int
        Base MIDI velocity.

    Returns
    -------
    notes : list of NoteEvent
        On the straight grid (``start_beats == grid_beats``); the arranger swings and humanises.
    """
    style = BASS_STYLES.get(genre, "kick")
    out: list[NoteEvent] = []
    end_all = chords[-1][1] if chords else 0.0

    def add(t: float, dur: float, pitch: int, vel: float) -> None:
        dur = min(dur, end_all - t)
        if dur > 0.01:
            v = int(np.clip(round(vel), 1, 127))
            out.append(NoteEvent(t, dur, int(np.clip(pitch, 24, 60)), v, "bass", t))

    if style == "kick":
        kicks = sorted({round(float(k), 4) for k in kick_beats})
        starts = sorted({s for s, _, _ in chords} | set(kicks))
        for i, t in enumerate(starts):
            s, e, ch = _chord_at(chords, t)
            root = bass_root_midi(ch.bass_pc)
            nxt = starts[i + 1] if i + 1 < len(starts) else end_all
            dur = (nxt - t) if genre == "trap" else min(nxt - t, 1.0 if genre != "rock" else 0.5)
            pitch = root
            if t - s > 1e-6 and complexity != "simple":
                u = rng.random()
                if u < 0.25:
                    pitch = root + 12 if genre != "trap" else root
                elif u < 0.45:
                    pitch = _fifth(root, ch)
            if complexity == "complex" and e - nxt < 1e-6 and nxt < end_all and nxt - t <= 1.0 and t - s > 1e-6:
                _, _, nch = _chord_at(chords, nxt)
                target = bass_root_midi(nch.bass_pc)
                pitch = target + (1 if rng.random() < 0.5 else -1)  # chromatic approach
            add(t, dur, pitch, velocity + (8 if abs(t - s) < 1e-6 else 0))
            if genre == "rock":  # driving eighths on the root between kicks
                x = t + 0.5
                while x < nxt - 1e-6:
                    add(x, 0.5, root, velocity - 12)
                    x += 0.5
    elif style == "offbeat":
        for s, e, ch in chords:
            root = bass_root_midi(ch.bass_pc)
            x = s + 0.5
            i = 0
            while x < e - 1e-6:
                pitch = root + (12 if complexity == "complex" and i % 2 == 1 else 0)
                add(x, 0.4, pitch, velocity + (6 if i % 2 == 0 else 0))
                x += 1.0
                i += 1
    elif style == "walking":
        for j, (s, e, ch) in enumerate(chords):
            root = bass_root_midi(ch.root, low_midi=36)
            tones = sorted({root + i for i in ch.intervals if i < 12})
            nxt_root = bass_root_midi(chords[j + 1][2].root, low_midi=36) if j + 1 < len(chords) else root
            beats = int(round(e - s))
            for b in range(beats):
                if b == 0:
                    p = root
                elif b == beats - 1:
                    p = nxt_root + (1 if rng.random() < 0.5 else -1)
                else:
                    p = int(rng.choice(tones[1:])) if len(tones) > 1 else root
                add(s + b, 0.9, p, velocity + (6 if b == 0 else 0) + rng.normal(0, 3))
    elif style == "one-drop":
        for s, e, ch in chords:
            root = bass_root_midi(ch.root, low_midi=31)
            fifth = _fifth(root, ch)
            third = root + (ch.intervals[1] if len(ch.intervals) > 1 else 4)
            plan = [(0.0, 1.0, root), (1.5, 0.5, root), (2.0, 1.0, fifth)]
            if complexity != "simple":
                plan.append((3.0, 0.5, third))
            if complexity == "complex":
                plan.append((3.5, 0.5, fifth))
            for off, dur, p in plan:
                if s + off < e - 1e-6:
                    add(s + off, dur, p, velocity + (6 if off == 2.0 else 0))
    elif style == "bossa":
        for j, (s, _e, ch) in enumerate(chords):
            root = bass_root_midi(ch.root, low_midi=31)
            fifth = _fifth(root, ch)
            add(s, 1.5, root, velocity + 6)
            add(s + 1.5, 0.5, fifth, velocity - 6)
            add(s + 2.0, 1.5, fifth, velocity)
            if complexity != "simple" and j + 1 < len(chords):
                add(s + 3.5, 0.5, bass_root_midi(chords[j + 1][2].root, low_midi=31), velocity - 4)
            else:
                add(s + 3.5, 0.5, root, velocity - 8)
    else:  # pedal
        for s, e, ch in chords:
            root = bass_root_midi(ch.root, low_midi=28)
            add(s, (e - s) if complexity == "simple" else (e - s) / 2, root, velocity - 20)
            if complexity != "simple":
                add(s + (e - s) / 2, (e - s) / 2, _fifth(root, ch), velocity - 26)
    out.sort(key=lambda n: n.start_beats)
    return out
