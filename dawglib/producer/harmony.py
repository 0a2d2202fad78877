"""Genre progressions and voice-led voicings, on top of :mod:`dawglib.theory`.

The theory itself (keys, scales, chords, roman numerals with borrowed chords and secondary
dominants) lives in :mod:`dawglib.theory` and is re-exported here so that producer code can
import everything harmonic from one place. This module adds what is specific to producing:

- :data:`PROGRESSIONS` / :data:`BRIDGE_PROGRESSIONS` and :func:`genre_progressions` —
  genre-typical progressions as roman numerals.
- :func:`voice_lead` — voicings that move each voice as little as possible.

Examples
--------
>>> key = parse_key("A minor")
>>> [c.name for c in progression(["i", "VI", "III", "VII"], key)]
['Am', 'F', 'C', 'G']
>>> roman_to_chord("iv", parse_key("C")).name
'Fm'
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from ..exceptions import ParameterError
from ..theory import (
    CHORD_QUALITIES,
    SCALES,
    Chord,
    Key,
    chord_in_key,
    chord_to_roman,
    is_borrowed,
    parse_chord,
    parse_key,
    pitch_class_name,
    progression,
    roman_to_chord,
)
from ..theory import pitch_class as parse_pitch_class

__all__ = [
    "SCALES",
    "CHORD_QUALITIES",
    "PROGRESSIONS",
    "BRIDGE_PROGRESSIONS",
    "Key",
    "Chord",
    "parse_key",
    "parse_pitch_class",
    "pitch_class_name",
    "parse_chord",
    "roman_to_chord",
    "chord_to_roman",
    "progression",
    "genre_progressions",
    "is_borrowed",
    "chord_in_key",
    "voice_lead",
]


#: Genre -> {"major": [...], "minor": [...]} progressions as roman numerals (one chord per bar).
PROGRESSIONS: dict[str, dict[str, list[tuple[str, ...]]]] = {
    "pop": {
        "major": [("I", "V", "vi", "IV"), ("vi", "IV", "I", "V"), ("I", "vi", "IV", "V"), ("IV", "I", "V", "vi")],
        "minor": [("i", "VI", "III", "VII"), ("i", "iv", "VI", "V"), ("VI", "VII", "i", "i")],
    },
    "rock": {
        "major": [("I", "bVII", "IV", "I"), ("I", "IV", "V", "IV"), ("I", "V", "vi", "IV"), ("I", "bIII", "IV", "I")],
        "minor": [("i", "VII", "VI", "VII"), ("i", "VI", "VII", "i"), ("i", "iv", "VII", "III")],
    },
    "hip-hop": {
        "major": [("I", "vi", "ii", "V"), ("IVmaj7", "iii7", "vi7", "V"), ("I", "iv", "I", "iv")],
        "minor": [("i", "iv", "VI", "V"), ("i7", "iv7", "i7", "VI"), ("i", "VI", "iv", "V7")],
    },
    "trap": {
        "major": [("vi", "IV", "I", "V"), ("I", "iii", "vi", "IV")],
        "minor": [("i", "VI", "III", "VII"), ("i", "iv", "VI", "V"), ("i", "VI", "iv", "VII"), ("i", "i", "VI", "V")],
    },
    "edm": {
        "major": [("vi", "IV", "I", "V"), ("I", "V", "vi", "IV"), ("IV", "V", "iii", "vi")],
        "minor": [("i", "VI", "III", "VII"), ("VI", "VII", "i", "i"), ("i", "VII", "VI", "VII")],
    },
    "jazz": {
        "major": [("ii7", "V7", "Imaj7", "vi7"), ("Imaj7", "vi7", "ii7", "V7"), ("iii7", "V7/ii", "ii7", "V7")],
        "minor": [("iiø7", "V7", "i7", "i7"), ("i7", "iv7", "iiø7", "V7"), ("i7", "VImaj7", "iiø7", "V7")],
    },
    "lo-fi": {
        "major": [("IVmaj7", "iii7", "ii7", "Imaj7"), ("ii9", "V9", "Imaj9", "vi7"), ("Imaj7", "iv7", "iii7", "vi7")],
        "minor": [("i9", "iv9", "VImaj7", "V7"), ("i7", "VImaj7", "iv7", "v7"), ("iv9", "v7", "i9", "i9")],
    },
    "ambient": {
        "major": [("Imaj7", "IVmaj7", "Imaj7", "IVmaj7"), ("I", "iii", "IV", "iv"), ("Iadd9", "vi7", "IVmaj7", "V")],
        "minor": [("i", "VI", "i", "VI"), ("iadd9", "VImaj7", "III", "VII"), ("i7", "iv7", "VImaj7", "i7")],
    },
    "reggae": {
        "major": [("I", "IV", "V", "IV"), ("I", "V", "vi", "IV"), ("I", "ii", "IV", "V")],
        "minor": [("i", "iv", "i", "v"), ("i", "VII", "VI", "VII"), ("i", "iv", "VII", "i")],
    },
    "latin": {
        "major": [("Imaj7", "ii7", "V7", "Imaj7"), ("Imaj7", "vi7", "ii7", "V7"), ("Imaj7", "V7/V", "ii7", "V7")],
        "minor": [("i", "VII", "VI", "V"), ("i7", "iv7", "V7", "i7"), ("iiø7", "V7", "i7", "i7")],
    },
}

#: Progressions for bridges: move away from the tonic, often with a borrowed chord.
BRIDGE_PROGRESSIONS: dict[str, list[tuple[str, ...]]] = {
    "major": [("IV", "iv", "I", "V"), ("vi", "bVII", "IV", "V"), ("ii", "IV", "bVI", "V")],
    "minor": [("VI", "VII", "III", "V"), ("iv", "VI", "VII", "V"), ("III", "VII", "iv", "V")],
}


def genre_progressions(genre: str, *, minor: bool) -> list[tuple[str, ...]]:
    """The genre-typical progressions (roman numerals, 4 chords) for a major or minor key."""
    if genre not in PROGRESSIONS:
        raise ParameterError(f"no progressions for genre {genre!r}; known: {', '.join(PROGRESSIONS)}")
    return PROGRESSIONS[genre]["minor" if minor else "major"]


def _voicing_candidates(chord: Chord, *, n_voices: int, low_midi: int, high_midi: int) -> list[tuple[int, ...]]:
    pcs = list(dict.fromkeys((chord.root + i) % 12 for i in chord.intervals))
    # Which tones must sound: root, third (or sus tone), seventh; the fifth may be dropped.
    required = set(pcs) if len(pcs) <= n_voices else {p for i, p in enumerate(pcs) if i != 2}
    if len(required) > n_voices:
        required = set(pcs[:n_voices])
    pool = [m for m in range(low_midi, high_midi + 1) if m % 12 in set(pcs)]
    out = []
    for combo in itertools.combinations(pool, n_voices):
        present = {m % 12 for m in combo}
        if not required <= present:
            continue
        if combo[-1] - combo[0] > 19:  # keep voicings within about an octave and a half
            continue
        if any(b - a < 2 for a, b in itertools.pairwise(combo)) and len(pcs) < 4:
            continue
        out.append(combo)
    return out


def voice_lead(
    chords: Sequence[Chord | str],
    *,
    n_voices: int = 4,
    low_midi: int = 52,
    high_midi: int = 76,
    start_midi: int | None = None,
) -> list[tuple[int, ...]]:
    """Voice-led voicings of ``chords``: each chord moves its voices as little as possible.

    The first chord is voiced closest to ``start_midi`` (default the middle of the range); each
    following one is the voicing, among all that contain the root, third and seventh (the fifth may
    be dropped) inside ``[low_midi, high_midi]``, with the smallest total movement of the voices
    (sorted bottom to top), ties broken towards the middle of the range.

    Parameters
    ----------
    chords : sequence of Chord or str
        The chords in order.
    n_voices : int
        Notes per voicing (3-5).
    low_midi, high_midi : int
        Range of the voicings (MIDI notes).
    start_midi : int or None
        Centre for the first voicing.

    Returns
    -------
    voicings : list of tuple of int
        One ascending tuple of MIDI notes per chord.

    Examples
    --------
    >>> voice_lead(["C", "Am", "F", "G"], n_voices=3, low_midi=55, high_midi=72)
    [(60, 64, 67), (60, 64, 69), (60, 65, 69), (59, 62, 67)]
    """
    if not 3 <= int(n_voices) <= 5:
        raise ParameterError(f"n_voices must be 3, 4 or 5, given n_voices={n_voices!r}")
    if high_midi - low_midi < 12:
        raise ParameterError(f"the voicing range must span an octave, given low_midi={low_midi}, high_midi={high_midi}")
    centre = (low_midi + high_midi) / 2 if start_midi is None else float(start_midi)
    out: list[tuple[int, ...]] = []
    prev: tuple[int, ...] | None = None
    for c in chords:
        ch = parse_chord(c) if isinstance(c, str) else c
        cands = _voicing_candidates(ch, n_voices=int(n_voices), low_midi=low_midi, high_midi=high_midi)
        if not cands:
            raise ParameterError(f"no {n_voices}-voice voicing of {ch.name} in MIDI [{low_midi}, {high_midi}]")
        if prev is None:
            best = min(cands, key=lambda v: (abs(float(np.mean(v)) - centre), v[-1] - v[0]))
        else:
            p = prev
            best = min(
                cands,
                key=lambda v: (sum(abs(a - b) for a, b in zip(v, p)), abs(float(np.mean(v)) - centre)),
            )
        out.append(best)
        prev = best
    return out
