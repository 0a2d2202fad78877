"""Keys, scales and key-aware nearest notes.

Unit conversions (Hz, MIDI, note names, cents) live in :mod:`dawglib.convert` and are re-exported
here for convenience. A :class:`Key` is a tonic pitch class plus a scale (``"C major"``,
``"A minor"``, ``"F# dorian"``, ``"Bb major pentatonic"``); :func:`nearest_note` snaps a pitch to
the nearest note of a key (or of the chromatic scale when no key is given) and
:func:`cents_off_key` gives the deviation from it.

Examples
--------
>>> k = Key.parse("A minor")
>>> k.note_names()
['A', 'B', 'C', 'D', 'E', 'F', 'G']
>>> nearest_note(470.0, key="A minor")  # near A#4, which is not in A minor: B4 is nearer
71
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from .convert import (
    NOTE_NAMES,
    cents_off,
    hz_to_midi,
    hz_to_note_name,
    midi_to_hz,
    note_name_to_midi,
)
from .exceptions import ParameterError

__all__ = [
    "SCALES",
    "Key",
    "nearest_note",
    "cents_off_key",
    "in_key",
    "hz_to_midi",
    "midi_to_hz",
    "hz_to_note_name",
    "note_name_to_midi",
    "cents_off",
]

#: Scale name -> semitone offsets from the tonic.
SCALES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "harmonic minor": (0, 2, 3, 5, 7, 8, 11),
    "melodic minor": (0, 2, 3, 5, 7, 9, 11),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "locrian": (0, 1, 3, 5, 6, 8, 10),
    "major pentatonic": (0, 2, 4, 7, 9),
    "minor pentatonic": (0, 3, 5, 7, 10),
    "blues": (0, 3, 5, 6, 7, 10),
    "chromatic": tuple(range(12)),
}
_ALIASES = {
    "": "major",
    "maj": "major",
    "ionian": "major",
    "m": "minor",
    "min": "minor",
    "aeolian": "minor",
    "natural minor": "minor",
}
_KEY_RE = re.compile(r"^\s*([A-Ga-g])([#b♯♭]?)\s*(.*?)\s*$")
_FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
_FLAT_KEYS = {("F", "major"), ("D", "minor")} | {(n, m) for n in _FLAT_NAMES if "b" in n for m in ("major", "minor")}


@dataclass(frozen=True)
class Key:
    """A key: tonic pitch class (0 = C) and scale name (a key of :data:`SCALES`).

    Examples
    --------
    >>> Key.parse("F# minor")
    Key(tonic=6, scale='minor')
    >>> str(Key(tonic=10, scale="major"))
    'Bb major'
    """

    tonic: int
    scale: str = "major"

    def __post_init__(self) -> None:
        if isinstance(self.tonic, bool) or not isinstance(self.tonic, (int, np.integer)) or not 0 <= self.tonic < 12:
            raise ParameterError(f"tonic must be a pitch class 0..11 (0 = C), given tonic={self.tonic!r}")
        if self.scale not in SCALES:
            raise ParameterError(f"scale must be one of {sorted(SCALES)}, given scale={self.scale!r}")

    @classmethod
    def parse(cls, text: str | Key) -> Key:
        """Parse ``"C major"``, ``"Am"``, ``"Eb dorian"``, ``"G"`` (major) into a :class:`Key`."""
        if isinstance(text, Key):
            return text
        if not isinstance(text, str):
            raise ParameterError(f"key must be a str like 'C major' or 'A minor', given {text!r}")
        m = _KEY_RE.match(text)
        if not m:
            raise ParameterError(f"cannot parse key {text!r}; expected e.g. 'C major', 'A minor', 'F# dorian'")
        letter, acc, rest = m.group(1).upper(), m.group(2), m.group(3).lower()
        acc = {"♯": "#", "♭": "b"}.get(acc, acc)
        pc = (NOTE_NAMES.index(letter) + {"": 0, "#": 1, "b": -1}[acc]) % 12
        scale = _ALIASES.get(rest, rest)
        if scale not in SCALES:
            raise ParameterError(f"unknown scale {rest!r} in key {text!r}; expected one of {sorted(SCALES)}")
        return cls(tonic=pc, scale=scale)

    @property
    def pitch_classes(self) -> tuple[int, ...]:
        """Pitch classes (0 = C) of the scale, starting at the tonic."""
        return tuple((self.tonic + s) % 12 for s in SCALES[self.scale])

    def note_names(self) -> list[str]:
        """Names of the scale's pitch classes (flats in flat keys)."""
        names = _FLAT_NAMES if (_FLAT_NAMES[self.tonic], self.scale) in _FLAT_KEYS else NOTE_NAMES
        return [names[p] for p in self.pitch_classes]

    def __str__(self) -> str:
        names = _FLAT_NAMES if (_FLAT_NAMES[self.tonic], self.scale) in _FLAT_KEYS else NOTE_NAMES
        return f"{names[self.tonic]} {self.scale}"


def _key(key: Any) -> Key:
    return Key(tonic=0, scale="chromatic") if key is None else Key.parse(key)


def nearest_note(f_hz: Any, *, key: Any = None, a4_hz: float = 440.0) -> Any:
    """MIDI number of the nearest note of ``key`` to a frequency.

    Parameters
    ----------
    f_hz : float or np.ndarray
        Frequency in Hz (<= 0 or NaN gives -1, meaning "no note").
    key : str, Key or None
        ``None`` means all twelve notes (equal temperament).
    a4_hz : float
        Tuning reference (Hz).

    Returns
    -------
    midi : int or np.ndarray of int

    Examples
    --------
    >>> nearest_note(440.0), nearest_note(452.0, key="C major")
    (69, 69)
    >>> nearest_note(455.0, key="C major")  # 58 c above A4, 142 c below B4
    69
    """
    k = _key(key)
    m = np.asarray(hz_to_midi(f_hz, a4_hz=a4_hz), dtype=np.float64)
    pcs = np.array(k.pitch_classes)
    # candidate notes: every scale note in the octave below/at/above
    base = np.floor(np.nan_to_num(m, nan=0.0) / 12.0) * 12.0
    offsets = np.concatenate([pcs - 12, pcs, pcs + 12])
    if m.ndim == 0:
        if not np.isfinite(m):
            return -1
        cand0 = base + offsets
        return int(cand0[np.argmin(np.abs(cand0 - m))])
    cands = base[..., None] + offsets
    best = np.take_along_axis(cands, np.argmin(np.abs(cands - m[..., None]), axis=-1)[..., None], axis=-1)[..., 0]
    return np.where(np.isfinite(m), best, -1).astype(np.int64)


def cents_off_key(f_hz: Any, *, key: Any = None, a4_hz: float = 440.0) -> Any:
    """Deviation in cents of ``f_hz`` from the nearest note of ``key`` (positive = sharp; NaN if unvoiced).

    Examples
    --------
    >>> round(cents_off_key(470.0, key="A minor"))  # against B4
    -86
    """
    m = np.asarray(hz_to_midi(f_hz, a4_hz=a4_hz), dtype=np.float64)
    n = np.asarray(nearest_note(f_hz, key=key, a4_hz=a4_hz), dtype=np.float64)
    c = np.where(np.isfinite(m), 100.0 * (m - n), np.nan)
    return float(c) if c.ndim == 0 else c


def in_key(midi: Any, *, key: Any) -> Any:
    """Whether MIDI note numbers belong to ``key``.

    Examples
    --------
    >>> in_key(61, key="C major"), in_key(61, key="A major")
    (False, True)
    """
    k = Key.parse(key)
    m = np.asarray(midi)
    out = np.isin(np.mod(np.round(m).astype(np.int64), 12), np.array(k.pitch_classes))
    return bool(out) if out.ndim == 0 else out
