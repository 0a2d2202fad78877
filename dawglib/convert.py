"""Unit conversions: Hz, MIDI note numbers, note names and cents.

Conventions: MIDI 69 is A4; equal temperament with a configurable A4 reference (``a4_hz``);
note names use sharps and scientific pitch notation (``"C4"`` is MIDI 60, ``"D#5"`` is 75).
All functions accept scalars or arrays and return the same kind; non-positive or NaN frequencies
map to NaN (they mean "unvoiced"), never to an exception, so pitch tracks convert directly.
"""

from __future__ import annotations

import re
from typing import Any, overload

import numpy as np

from .exceptions import ParameterError

__all__ = [
    "hz_to_midi",
    "midi_to_hz",
    "hz_to_note_name",
    "midi_to_note_name",
    "note_name_to_midi",
    "note_name_to_hz",
    "cents_off",
    "cents_between",
    "NOTE_NAMES",
]

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_FLAT_TO_SHARP = {
    "Db": "C#",
    "Eb": "D#",
    "Gb": "F#",
    "Ab": "G#",
    "Bb": "A#",
    "Cb": "B",
    "Fb": "E",
    "E#": "F",
    "B#": "C",
}
_NAME_RE = re.compile(r"^\s*([A-Ga-g])([#b♯♭]?)(-?\d+)\s*$")


def _check_a4(a4_hz: float) -> float:
    if isinstance(a4_hz, bool) or not np.isfinite(a4_hz) or not 200.0 <= float(a4_hz) <= 600.0:
        raise ParameterError(f"a4_hz must be a reference frequency in [200, 600] Hz, given a4_hz={a4_hz!r}")
    return float(a4_hz)


@overload
def hz_to_midi(f_hz: float, *, a4_hz: float = ...) -> float: ...
@overload
def hz_to_midi(f_hz: np.ndarray, *, a4_hz: float = ...) -> np.ndarray: ...
def hz_to_midi(f_hz: Any, *, a4_hz: float = 440.0) -> Any:
    """Convert frequency (Hz) to fractional MIDI note number.

    Parameters
    ----------
    f_hz : float or np.ndarray
        Frequencies in Hz; values <= 0 or NaN give NaN.
    a4_hz : float
        Tuning reference for A4 (MIDI 69), in Hz.

    Returns
    -------
    midi : float or np.ndarray
        ``69 + 12 * log2(f_hz / a4_hz)``.

    Examples
    --------
    >>> hz_to_midi(440.0)
    69.0
    >>> round(hz_to_midi(261.6256), 3)
    60.0
    """
    a4 = _check_a4(a4_hz)
    f = np.asarray(f_hz, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.where(f > 0, 69.0 + 12.0 * np.log2(np.where(f > 0, f, 1.0) / a4), np.nan)
    return float(m) if m.ndim == 0 else m


def midi_to_hz(midi: Any, *, a4_hz: float = 440.0) -> Any:
    """Convert (fractional) MIDI note numbers to Hz.

    Examples
    --------
    >>> midi_to_hz(69)
    440.0
    """
    a4 = _check_a4(a4_hz)
    m = np.asarray(midi, dtype=np.float64)
    f = a4 * 2.0 ** ((m - 69.0) / 12.0)
    return float(f) if f.ndim == 0 else f


def midi_to_note_name(midi: Any) -> Any:
    """Name of the nearest equal-tempered note, e.g. ``60 -> "C4"``; NaN gives ``""``.

    Examples
    --------
    >>> midi_to_note_name(75)
    'D#5'
    """
    m = np.asarray(midi, dtype=np.float64)

    def one(v: float) -> str:
        if not np.isfinite(v):
            return ""
        n = int(np.floor(v + 0.5))
        return f"{NOTE_NAMES[n % 12]}{n // 12 - 1}"

    if m.ndim == 0:
        return one(float(m))
    return np.array([one(float(v)) for v in m.ravel()], dtype=object).reshape(m.shape)


def hz_to_note_name(f_hz: Any, *, a4_hz: float = 440.0) -> Any:
    """Name of the nearest equal-tempered note to a frequency.

    Examples
    --------
    >>> hz_to_note_name(440.0)
    'A4'
    >>> hz_to_note_name(622.25)
    'D#5'
    >>> hz_to_note_name(432.0, a4_hz=432.0)
    'A4'
    """
    return midi_to_note_name(hz_to_midi(f_hz, a4_hz=a4_hz))


def note_name_to_midi(name: str) -> int:
    """Parse a note name (``"C4"``, ``"D#5"``, ``"Bb3"``, ``"c-1"``) to a MIDI number.

    Raises
    ------
    ParameterError
        If the name does not parse.

    Examples
    --------
    >>> note_name_to_midi("C4"), note_name_to_midi("Bb3")
    (60, 58)
    """
    if not isinstance(name, str):
        raise ParameterError(f"note name must be a str like 'C4' or 'D#5', given {name!r}")
    m = _NAME_RE.match(name)
    if not m:
        raise ParameterError(
            f"cannot parse note name {name!r}; expected a letter, optional #/b and an octave, e.g. 'D#5'"
        )
    letter, acc, octave = m.group(1).upper(), m.group(2), int(m.group(3))
    acc = {"♯": "#", "♭": "b"}.get(acc, acc)
    base = NOTE_NAMES.index(letter)
    shift = {"": 0, "#": 1, "b": -1}[acc]
    return (octave + 1) * 12 + base + shift


def note_name_to_hz(name: str, *, a4_hz: float = 440.0) -> float:
    """Frequency in Hz of a named note, e.g. ``"A4" -> 440.0``."""
    return float(midi_to_hz(note_name_to_midi(name), a4_hz=a4_hz))


def cents_between(f_hz: Any, reference_hz: Any) -> Any:
    """Signed interval in cents from ``reference_hz`` to ``f_hz`` (positive = sharp)."""
    f = np.asarray(f_hz, dtype=np.float64)
    r = np.asarray(reference_hz, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where((f > 0) & (r > 0), 1200.0 * np.log2(np.where(f > 0, f, 1.0) / np.where(r > 0, r, 1.0)), np.nan)
    return float(c) if c.ndim == 0 else c


def cents_off(f_hz: Any, *, reference_hz: Any = None, a4_hz: float = 440.0) -> Any:
    """Deviation in cents of ``f_hz`` from a reference pitch.

    Parameters
    ----------
    f_hz : float or np.ndarray
        Sung/played frequency in Hz (<= 0 or NaN gives NaN).
    reference_hz : float, np.ndarray or None
        Target frequency. ``None`` means the nearest equal-tempered note (so the result lies in
        ``[-50, +50)`` cents).
    a4_hz : float
        Tuning reference used when ``reference_hz`` is None.

    Returns
    -------
    cents : float or np.ndarray
        Positive when sharp, negative when flat.

    Examples
    --------
    >>> round(cents_off(446.0), 1)
    23.4
    >>> round(cents_off(440.0, reference_hz=445.0), 1)
    -19.6
    """
    if reference_hz is not None:
        return cents_between(f_hz, reference_hz)
    m = hz_to_midi(f_hz, a4_hz=a4_hz)
    c = 100.0 * (np.asarray(m) - np.floor(np.asarray(m) + 0.5))
    return float(c) if np.ndim(c) == 0 else c
