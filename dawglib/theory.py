"""Music theory: spelled notes, intervals, scales and modes, keys, chords, roman numerals, transposition.

The one home of the library's theory primitives (the producer's harmony and the brain's exact
theory answers build on it). Two views of a pitch live side by side:

- a **pitch class**, an ``int`` 0-11 with C = 0 — what sounds, what the producer computes with;
- a spelled :class:`Note`, a letter and an accidental (``Note("F", 1)`` is F#, ``Note("B", -2)``
  is Bbb) — what a musician reads. An interval is a number of letter *steps* and a number of
  *semitones*, so spelling follows the key: the third of F# major is A#, the third of Db minor is
  Fb, the seventh of C diminished 7 is Bbb.

Main entry points: :class:`Note` / :func:`parse_note` / :func:`pitch_class`, :class:`Interval` /
:func:`interval_between`, :data:`SCALES` / :func:`scale_notes`, :class:`Key` / :func:`parse_key`,
:class:`Chord` / :func:`parse_chord`, :func:`roman_to_chord` / :func:`chord_to_roman`,
:func:`transpose_note` / :func:`transpose_chord`, :func:`keys_from_chords`; and for pitch tracks
:func:`nearest_note`, :func:`cents_off_key` and :func:`in_key`. Unit conversions (Hz, MIDI, note
names, cents) live in :mod:`dawglib.convert` and are re-exported here for convenience.

Bad names raise :class:`~dawglib.exceptions.ParameterError` saying what was given and what was
expected.

Examples
--------
>>> Key.parse("A minor").note_names()
['A', 'B', 'C', 'D', 'E', 'F', 'G']
>>> [str(n) for n in parse_chord("Dbm").notes]
['Db', 'Fb', 'Ab']
>>> roman_to_chord("V7", "A minor").name, chord_to_roman("Bb", "C")
('E7', 'bVII')
>>> nearest_note(470.0, key="A minor")  # near A#4, which is not in A minor: B4 is nearer
71
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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
    # pitch classes and spelled notes
    "LETTERS",
    "NATURAL_PC",
    "NOTE_NAMES",
    "FLAT_NAMES",
    "Note",
    "parse_note",
    "pitch_class",
    "pitch_class_name",
    "transpose_note",
    # intervals
    "Interval",
    "interval_between",
    # scales, modes and keys
    "SCALES",
    "MODES",
    "scale_notes",
    "Key",
    "parse_key",
    # chords and roman numerals
    "CHORD_QUALITIES",
    "CHORD_QUALITY_NAMES",
    "Chord",
    "parse_chord",
    "transpose_chord",
    "roman_to_chord",
    "chord_to_roman",
    "progression",
    "chord_in_key",
    "is_borrowed",
    "keys_from_chords",
    # pitch tracks against a key
    "nearest_note",
    "cents_off_key",
    "in_key",
    # re-exported from dawglib.convert
    "hz_to_midi",
    "midi_to_hz",
    "hz_to_note_name",
    "note_name_to_midi",
    "cents_off",
]

# -------------------------------------------------------------------------------------------------
# pitch classes and spelled notes
# -------------------------------------------------------------------------------------------------
#: The seven letter names in order.
LETTERS = "CDEFGAB"
#: Letter -> pitch class of the natural note.
NATURAL_PC: dict[str, int] = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
#: Pitch class -> name with flats (:data:`NOTE_NAMES` has the sharp names).
FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
_ACC_TEXT = {-2: "bb", -1: "b", 0: "", 1: "#", 2: "##"}
_ACC_SIGN = {"#": 1, "♯": 1, "b": -1, "♭": -1}
_NOTE_PAT = r"[A-Ga-g](?:##|#|bb|b|♯♯|♯|♭♭|♭)?"
_PC_RE = re.compile(r"\s*([A-Ga-g])([#b♯♭]*)\s*")


def _int_like(x: Any) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool)


@dataclass(frozen=True)
class Note:
    """A spelled pitch class: a letter and an accidental.

    Attributes
    ----------
    letter : str
        One of ``"CDEFGAB"``.
    acc : int
        Accidental in semitones, -2 (double flat) to 2 (double sharp).

    Examples
    --------
    >>> str(Note("F", 1)), Note("F", 1).pc, str(Note("B", -2)), Note("B", -2).pc
    ('F#', 6, 'Bbb', 9)
    >>> Note.parse("Eb") == Note("E", -1)
    True
    """

    letter: str
    acc: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.letter, str) or len(self.letter) != 1 or self.letter not in LETTERS:
            raise ParameterError(f"letter must be one of {' '.join(LETTERS)}, given letter={self.letter!r}")
        if not _int_like(self.acc) or not -2 <= int(self.acc) <= 2:
            raise ParameterError(f"acc must be an int in -2..2 (double flat..double sharp), given acc={self.acc!r}")
        object.__setattr__(self, "acc", int(self.acc))

    @classmethod
    def parse(cls, text: str | Note) -> Note:
        """Parse ``"C"``, ``"f#"``, ``"Bb"``, ``"E♭"``, ``"C##"``, ``"Abb"`` into a :class:`Note`.

        Raises
        ------
        ParameterError
            If ``text`` is not a letter A-G with at most two sharps or two flats.
        """
        if isinstance(text, Note):
            return text
        m = _PC_RE.fullmatch(text) if isinstance(text, str) else None
        acc_text = m.group(2) if m else ""
        signs = {_ACC_SIGN[c] for c in acc_text}
        if m is None or len(acc_text) > 2 or len(signs) > 1:
            raise ParameterError(
                f"not a note name: {text!r}; expected a letter A-G with up to two sharps or flats, e.g. 'F#', 'Bbb'"
            )
        return cls(m.group(1).upper(), sum(_ACC_SIGN[c] for c in acc_text))

    @classmethod
    def from_pitch_class(cls, pc: int, *, flats: bool = False) -> Note:
        """The simplest spelling of pitch class ``pc``: a natural, else a sharp (or a flat with ``flats``).

        Examples
        --------
        >>> str(Note.from_pitch_class(10)), str(Note.from_pitch_class(10, flats=True))
        ('A#', 'Bb')
        """
        name = (FLAT_NAMES if flats else NOTE_NAMES)[int(pc) % 12]
        return cls(name[0], _ACC_SIGN.get(name[1:], 0))

    @property
    def pc(self) -> int:
        """Pitch class 0-11 (C = 0)."""
        return (NATURAL_PC[self.letter] + self.acc) % 12

    @property
    def name(self) -> str:
        """E.g. ``"F#"``, ``"Bb"``, ``"C##"``."""
        return self.letter + _ACC_TEXT[self.acc]

    @property
    def is_plain(self) -> bool:
        """True for a natural or a single sharp/flat other than E#, B#, Fb and Cb."""
        return abs(self.acc) < 2 and self.name not in ("E#", "B#", "Fb", "Cb")

    def __str__(self) -> str:
        return self.name


def parse_note(text: str | Note) -> Note:
    """Parse a note name into a :class:`Note` (see :meth:`Note.parse`).

    Examples
    --------
    >>> parse_note("c#"), str(parse_note("E♭"))
    (Note(letter='C', acc=1), 'Eb')
    """
    return Note.parse(text)


def pitch_class(name: str | Note | int) -> int:
    """Pitch class (0-11, C = 0) of a note name such as ``"C"``, ``"F#"``, ``"Bb"``, ``"E♭"``, ``"B#"``.

    Any number of sharps or flats is accepted; an ``int`` is taken modulo 12.

    Raises
    ------
    ParameterError
        If the name is not a letter A-G followed by optional sharps/flats.

    Examples
    --------
    >>> pitch_class("Bb"), pitch_class("c#"), pitch_class("B#"), pitch_class("Fbb")
    (10, 1, 0, 3)
    """
    if isinstance(name, Note):
        return name.pc
    if _int_like(name):
        return int(name) % 12
    m = _PC_RE.fullmatch(name) if isinstance(name, str) else None
    if m is None:
        raise ParameterError(f"not a note name: {name!r}; expected a letter A-G with optional # or b, e.g. 'F#', 'Bb'")
    return (NATURAL_PC[m.group(1).upper()] + sum(_ACC_SIGN[c] for c in m.group(2))) % 12


def pitch_class_name(pc: int, *, flats: bool = False) -> str:
    """Name of pitch class ``pc`` with sharps (default) or flats; for spelling in a key use :meth:`Key.spell`.

    Examples
    --------
    >>> pitch_class_name(10), pitch_class_name(10, flats=True)
    ('A#', 'Bb')
    """
    return (FLAT_NAMES if flats else NOTE_NAMES)[int(pc) % 12]


#: Semitones -> letter steps of the usual interval of that size (minor 2nd ... major 7th; 6 = aug 4th).
_DEFAULT_STEPS = (0, 1, 1, 2, 2, 3, 3, 4, 5, 5, 6, 6)


def transpose_note(note: Note | str, *, semitones: int, steps: int | None = None) -> Note:
    """Move a spelled note by an interval of ``steps`` letters and ``semitones`` half steps.

    Parameters
    ----------
    note : Note or str
        The note to move.
    semitones : int
        Size of the interval in semitones; negative moves down.
    steps : int or None
        Size in letter steps (a third is 2, a fifth 4; negative moves down). With a number the
        spelling is exact (F# up a major third is A#; Db up a minor third is Fb), falling back to
        the simplest enharmonic only when it would need more than a double accidental. With
        ``None`` the usual interval of that size is used (minor second, major second, minor third,
        major third, perfect fourth, augmented fourth, ... up or down) and a result with a double
        accidental or on E#/B#/Fb/Cb is respelled plainly (sharps going up, flats going down):
        transposition by semitones with no key in view.

    Returns
    -------
    Note

    Examples
    --------
    >>> str(transpose_note("F#", steps=2, semitones=4)), str(transpose_note("C", steps=6, semitones=9))
    ('A#', 'Bbb')
    >>> str(transpose_note("A", semitones=1)), str(transpose_note("E", semitones=-1))  # minor seconds
    ('Bb', 'D#')
    >>> str(transpose_note("A#", semitones=7))  # E# is respelled
    'F'
    """
    n = Note.parse(note)
    if not _int_like(semitones) or (steps is not None and not _int_like(steps)):
        raise ParameterError(f"semitones and steps must be ints, given semitones={semitones!r}, steps={steps!r}")
    plain = steps is None
    if steps is None:
        steps = _DEFAULT_STEPS[abs(int(semitones)) % 12] * (1 if semitones >= 0 else -1)
    letter = LETTERS[(LETTERS.index(n.letter) + int(steps)) % 7]
    target = (n.pc + int(semitones)) % 12
    acc = (target - NATURAL_PC[letter] + 6) % 12 - 6
    out = Note(letter, acc) if -2 <= acc <= 2 else Note.from_pitch_class(target, flats=semitones < 0)
    if plain and not out.is_plain:
        out = Note.from_pitch_class(target, flats=semitones < 0)
    return out


# -------------------------------------------------------------------------------------------------
# intervals
# -------------------------------------------------------------------------------------------------
_MAJOR_STEPS = (0, 2, 4, 5, 7, 9, 11)
_NUMBER_NAMES = ("unison", "second", "third", "fourth", "fifth", "sixth", "seventh", "octave")
_TIMES = {1: "", 2: "doubly ", 3: "triply ", 4: "quadruply "}


@dataclass(frozen=True)
class Interval:
    """An ascending interval within an octave: letter steps (0-6) and size in semitones.

    Attributes
    ----------
    steps : int
        Letter steps, 0 (unison) to 6 (seventh); a diminished octave has ``steps=0``.
    semitones : int
        Size in semitones, 0-12 (an augmented seventh is 12, a diminished octave 11).

    Examples
    --------
    >>> Interval(4, 7).name, Interval(3, 6).name, Interval(6, 9).name
    ('perfect fifth', 'augmented fourth', 'diminished seventh')
    """

    steps: int
    semitones: int

    @property
    def deviation(self) -> int:
        """Semitones away from the major/perfect interval with the same number of letter steps."""
        return (self.semitones - _MAJOR_STEPS[self.steps % 7] + 6) % 12 - 6

    @property
    def name(self) -> str:
        """E.g. ``"minor third"``, ``"perfect fifth"``, ``"augmented sixth"``, ``"diminished octave"``."""
        step, dev = self.steps % 7, self.deviation
        number = _NUMBER_NAMES[7 if step == 0 and dev < 0 else step]
        perfect = step in (0, 3, 4)
        if dev == 0:
            quality = "perfect" if perfect else "major"
        elif dev > 0:
            quality = _TIMES.get(dev, f"{dev}x ") + "augmented"
        elif not perfect and dev == -1:
            quality = "minor"
        else:
            k = -dev if perfect else -dev - 1
            quality = _TIMES.get(k, f"{k}x ") + "diminished"
        return f"{quality} {number}"

    def __str__(self) -> str:
        return self.name


def interval_between(low: Note | str, high: Note | str) -> Interval:
    """The ascending interval from ``low`` up to ``high`` (within an octave), named by its spelling.

    Examples
    --------
    >>> interval_between("C", "G").name, interval_between("E", "C").name
    ('perfect fifth', 'minor sixth')
    >>> iv = interval_between("C", "D#"); iv.name, iv.semitones
    ('augmented second', 3)
    """
    a, b = Note.parse(low), Note.parse(high)
    steps = (LETTERS.index(b.letter) - LETTERS.index(a.letter)) % 7
    dev = ((b.pc - a.pc) % 12 - _MAJOR_STEPS[steps] + 6) % 12 - 6
    semis = _MAJOR_STEPS[steps] + dev + (12 if steps == 0 and dev < 0 else 0)
    return Interval(steps, semis)


# -------------------------------------------------------------------------------------------------
# scales, modes and keys
# -------------------------------------------------------------------------------------------------
#: Scale name -> (letter steps, semitones) of each degree above the tonic; spelling comes from the steps.
_SCALE_SPELLING: dict[str, tuple[tuple[int, int], ...]] = {
    "major": ((0, 0), (1, 2), (2, 4), (3, 5), (4, 7), (5, 9), (6, 11)),
    "minor": ((0, 0), (1, 2), (2, 3), (3, 5), (4, 7), (5, 8), (6, 10)),
    "dorian": ((0, 0), (1, 2), (2, 3), (3, 5), (4, 7), (5, 9), (6, 10)),
    "phrygian": ((0, 0), (1, 1), (2, 3), (3, 5), (4, 7), (5, 8), (6, 10)),
    "lydian": ((0, 0), (1, 2), (2, 4), (3, 6), (4, 7), (5, 9), (6, 11)),
    "mixolydian": ((0, 0), (1, 2), (2, 4), (3, 5), (4, 7), (5, 9), (6, 10)),
    "locrian": ((0, 0), (1, 1), (2, 3), (3, 5), (4, 6), (5, 8), (6, 10)),
    "harmonic_minor": ((0, 0), (1, 2), (2, 3), (3, 5), (4, 7), (5, 8), (6, 11)),
    "melodic_minor": ((0, 0), (1, 2), (2, 3), (3, 5), (4, 7), (5, 9), (6, 11)),
    "major_pentatonic": ((0, 0), (1, 2), (2, 4), (4, 7), (5, 9)),
    "minor_pentatonic": ((0, 0), (2, 3), (3, 5), (4, 7), (6, 10)),
    "blues": ((0, 0), (2, 3), (3, 5), (4, 6), (4, 7), (6, 10)),
    "major_blues": ((0, 0), (1, 2), (2, 3), (2, 4), (4, 7), (5, 9)),
    "chromatic": (),  # spelled by the key's preference for sharps or flats
}
#: Scale name -> semitone offsets from the tonic.
SCALES: dict[str, tuple[int, ...]] = {k: tuple(s for _, s in v) for k, v in _SCALE_SPELLING.items()}
SCALES["chromatic"] = tuple(range(12))
#: The seven church modes in order: mode ``i`` starts on degree ``i + 1`` of the major scale.
MODES = ("major", "dorian", "phrygian", "lydian", "mixolydian", "minor", "locrian")

_SCALE_ALIASES = {
    "": "major",
    "maj": "major",
    "ionian": "major",
    "m": "minor",
    "min": "minor",
    "aeolian": "minor",
    "natural_minor": "minor",
    "harmonic": "harmonic_minor",
    "melodic": "melodic_minor",
    "pentatonic": "major_pentatonic",
    "major_pent": "major_pentatonic",
    "minor_pent": "minor_pentatonic",
    "m_pentatonic": "minor_pentatonic",
    "minor_blues": "blues",
}
#: Scales whose roman numerals, chords and key signature come from a 7-note parent scale.
_PARENT_SCALE = {
    "major_pentatonic": "major",
    "major_blues": "major",
    "minor_pentatonic": "minor",
    "blues": "minor",
    "chromatic": "major",
}
_SIGNATURE_SCALE = {**_PARENT_SCALE, "harmonic_minor": "minor", "melodic_minor": "minor"}


def _scale_name(raw: Any) -> str:
    """Canonical scale name (``"harmonic minor"`` -> ``"harmonic_minor"``, ``"aeolian"`` -> ``"minor"``)."""
    if not isinstance(raw, str):
        raise ParameterError(f"scale must be a str such as 'major' or 'dorian', given {raw!r}")
    if raw.strip() == "M":
        return "major"
    s = re.sub(r"[\s\-_]+", "_", raw.strip().lower())
    s = _SCALE_ALIASES.get(s, s)
    if s not in SCALES:
        raise ParameterError(
            f"unknown scale {raw!r}; known scales: {', '.join(SCALES)} "
            "(also 'm', 'min', 'maj', 'aeolian', 'ionian', 'natural minor', 'pentatonic'; spaces or underscores)"
        )
    return s


def scale_notes(tonic: Note | str, scale: str) -> list[Note]:
    """The spelled notes of a scale starting on ``tonic`` (see :data:`SCALES` for the names).

    Examples
    --------
    >>> " ".join(map(str, scale_notes("E", "harmonic minor")))
    'E F# G A B C D#'
    >>> " ".join(map(str, scale_notes("Gb", "major")))
    'Gb Ab Bb Cb Db Eb F'
    """
    t = Note.parse(tonic)
    name = _scale_name(scale)
    if name == "chromatic":
        return Key(t.pc, name, spelling=t).notes()
    return [transpose_note(t, steps=st, semitones=se) for st, se in _SCALE_SPELLING[name]]


def _accidental_count(tonic: Note, scale: str) -> int:
    return sum(abs(n.acc) for n in scale_notes(tonic, _SIGNATURE_SCALE.get(scale, scale)))


def _default_tonic(pc: int, scale: str) -> Note:
    """The usual spelling of a key's tonic: a natural, else the enharmonic with fewer accidentals (ties: flats)."""
    sharp, flat = Note.from_pitch_class(pc), Note.from_pitch_class(pc, flats=True)
    if sharp == flat:
        return sharp
    return sharp if _accidental_count(sharp, scale) < _accidental_count(flat, scale) else flat


_KEY_RE = re.compile(rf"\s*({_NOTE_PAT})\s*(.*?)\s*")


@dataclass(frozen=True)
class Key:
    """A key: tonic pitch class, scale name and the tonic's spelling.

    Attributes
    ----------
    tonic : int
        Pitch class of the tonic, 0-11 (C = 0).
    scale : str
        A name of :data:`SCALES`; aliases and spaces are normalised (``"harmonic minor"`` ->
        ``"harmonic_minor"``, ``"aeolian"`` -> ``"minor"``).
    spelling : Note or None
        How the tonic is written (F# or Gb); ``None`` picks the usual one (fewer accidentals in the
        key signature; Gb major and Eb minor on a tie). Equality and hashing ignore it: F# major
        and Gb major are the same pitch classes.

    Examples
    --------
    >>> Key.parse("F# minor")
    Key(tonic=6, scale='minor')
    >>> str(Key(10, "major")), Key(9, "minor").pitch_classes
    ('Bb major', (9, 11, 0, 2, 4, 5, 7))
    >>> Key.parse("D# minor").name, Key(3, "minor").name
    ('D# minor', 'Eb minor')
    """

    tonic: int
    scale: str = "major"
    spelling: Note | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not _int_like(self.tonic) or not 0 <= int(self.tonic) < 12:
            raise ParameterError(f"tonic must be a pitch class 0..11 (0 = C), given tonic={self.tonic!r}")
        object.__setattr__(self, "tonic", int(self.tonic))
        object.__setattr__(self, "scale", _scale_name(self.scale))
        if self.spelling is None:
            object.__setattr__(self, "spelling", _default_tonic(self.tonic, self.scale))
        elif not isinstance(self.spelling, Note) or self.spelling.pc != self.tonic:
            raise ParameterError(
                f"spelling must be a Note of pitch class {self.tonic}, given spelling={self.spelling!r}"
            )

    @classmethod
    def parse(cls, text: str | Key) -> Key:
        """Parse ``"C"``, ``"C major"``, ``"Am"``, ``"F# minor"``, ``"Eb dorian"``, ``"A blues"`` into a :class:`Key`.

        Raises
        ------
        ParameterError
            If the tonic or the scale is unknown (the message lists the known scales).

        Examples
        --------
        >>> Key.parse("Ebm").name, Key.parse("bb major pentatonic").name
        ('Eb minor', 'Bb major pentatonic')
        """
        if isinstance(text, Key):
            return text
        if not isinstance(text, str):
            raise ParameterError(f"key must be a str like 'C major' or 'F#m', given {text!r}")
        m = _KEY_RE.fullmatch(text)
        if m is None:
            raise ParameterError(
                f"bad key {text!r}; expected a tonic A-G (optional # or b) and a scale, e.g. 'F# minor'"
            )
        tonic = Note.parse(m.group(1))
        try:
            scale = _scale_name(m.group(2))
        except ParameterError as e:
            raise ParameterError(f"bad key {text!r}: {e}") from None
        return cls(tonic.pc, scale, spelling=tonic)

    # -- names and notes ---------------------------------------------------------------------------
    @property
    def tonic_note(self) -> Note:
        """The spelled tonic."""
        assert self.spelling is not None
        return self.spelling

    @property
    def name(self) -> str:
        """E.g. ``"F# minor"``, ``"Bb major"``, ``"D dorian"``, ``"E minor pentatonic"``."""
        return f"{self.tonic_note} {self.scale.replace('_', ' ')}"

    def __str__(self) -> str:
        return self.name

    @property
    def pitch_classes(self) -> tuple[int, ...]:
        """The scale's pitch classes, starting at the tonic."""
        return tuple((self.tonic + s) % 12 for s in SCALES[self.scale])

    def notes(self) -> list[Note]:
        """The scale's spelled notes, starting at the tonic (chromatic: sharps or flats by :attr:`prefers_flats`)."""
        if self.scale == "chromatic":
            t = self.tonic_note
            plain = [Note.from_pitch_class(p, flats=self.prefers_flats) for p in self.pitch_classes]
            return [t, *plain[1:]]
        return scale_notes(self.tonic_note, self.scale)

    def note_names(self) -> list[str]:
        """Names of the scale's notes, spelled for the key (``['Bb', 'C', 'D', 'Eb', ...]``)."""
        return [str(n) for n in self.notes()]

    # -- related keys ------------------------------------------------------------------------------
    @property
    def is_minor(self) -> bool:
        """True when the scale has a minor third above the tonic (and no major third)."""
        return 3 in SCALES[self.scale] and 4 not in SCALES[self.scale]

    @property
    def parent(self) -> Key:
        """The 7-note key that supplies roman numerals (pentatonic/blues -> parallel major/minor)."""
        return Key(self.tonic, _PARENT_SCALE.get(self.scale, self.scale), spelling=self.spelling)

    @property
    def parallel(self) -> Key:
        """The parallel major (of a minor-ish key) or minor (of a major-ish key): source of borrowed chords."""
        return Key(self.tonic, "major" if self.is_minor else "minor", spelling=self.spelling)

    @property
    def relative(self) -> Key:
        """The relative minor of a major key, or the relative major of a minor key (same key signature).

        Raises
        ------
        ParameterError
            For modes other than major and minor (and their pentatonic/blues/harmonic/melodic kin).

        Examples
        --------
        >>> Key.parse("F# major").relative.name, Key.parse("G# minor").relative.name
        ('D# minor', 'B major')
        """
        sig = _SIGNATURE_SCALE.get(self.scale, self.scale)
        if sig == "major":
            return Key.parse(f"{transpose_note(self.tonic_note, steps=5, semitones=9)} minor")
        if sig == "minor":
            return Key.parse(f"{transpose_note(self.tonic_note, steps=2, semitones=3)} major")
        raise ParameterError(f"a relative key is defined for major and minor keys, given {self.name!r}")

    @property
    def signature(self) -> tuple[Note, ...]:
        """The key signature: its sharps (in the order F C G D A E B) or flats (B E A D G C F).

        Minor-ish scales use the natural minor's signature, pentatonic/blues their parent's.

        Examples
        --------
        >>> " ".join(map(str, Key.parse("A major").signature)), len(Key.parse("Bb minor").signature)
        ('F# C# G#', 5)
        """
        notes = scale_notes(self.tonic_note, _SIGNATURE_SCALE.get(self.scale, self.scale))
        sharps = sorted((n for n in notes if n.acc > 0), key=lambda n: "FCGDAEB".index(n.letter))
        flats = sorted((n for n in notes if n.acc < 0), key=lambda n: "BEADGCF".index(n.letter))
        return tuple(sharps + flats)

    @property
    def prefers_flats(self) -> bool:
        """Whether pitch classes outside the scale are conventionally spelled with flats in this key."""
        sig = self.signature
        return any(n.acc < 0 for n in sig) or (not sig and self.tonic_note.acc < 0)

    # -- degrees and membership --------------------------------------------------------------------
    def degree_note(self, degree: int) -> Note:
        """Spelled note of scale degree ``degree`` (1-based, wraps around) of the parent 7-note scale."""
        notes = self.parent.notes()
        return notes[(int(degree) - 1) % len(notes)]

    def degree_pc(self, degree: int) -> int:
        """Pitch class of scale degree ``degree`` (1-based, wraps around) of the parent 7-note scale."""
        steps = SCALES[self.parent.scale]
        return (self.tonic + steps[(int(degree) - 1) % len(steps)]) % 12

    def spell(self, pc: int) -> Note:
        """The spelling of pitch class ``pc`` in this key.

        A scale note is spelled as in the scale; a minor key's raised seventh as the leading tone
        (G# in A minor); any other pitch class as the flat of the scale degree above (Bb in C,
        for bVII; Gb for bV) or, when that is not a scale note, the sharp of the degree below.

        Examples
        --------
        >>> [str(Key.parse("Db major").spell(p)) for p in (1, 5, 11)]
        ['Db', 'F', 'Cb']
        >>> str(Key.parse("A minor").spell(8)), str(Key.parse("C").spell(6)), str(Key.parse("C").spell(1))
        ('G#', 'Gb', 'Db')
        """
        pc = int(pc) % 12
        notes = self.parent.notes()
        by_pc = {n.pc: n for n in notes}
        if pc in by_pc:
            return by_pc[pc]
        if self.parent.scale == "minor" and pc == (self.tonic + 11) % 12:
            return transpose_note(notes[6], steps=0, semitones=1)
        if (pc + 1) % 12 in by_pc:
            return transpose_note(by_pc[(pc + 1) % 12], steps=0, semitones=-1)
        return transpose_note(by_pc[(pc - 1) % 12], steps=0, semitones=1)

    def contains(self, pcs: Sequence[int] | int) -> bool:
        """Whether every pitch class in ``pcs`` is in the scale."""
        own = set(self.pitch_classes)
        items = [pcs] if isinstance(pcs, int | np.integer) else list(pcs)
        return all(int(p) % 12 in own for p in items)

    def scale_midi(self, *, low_midi: int, high_midi: int) -> list[int]:
        """Every MIDI note of the scale in ``[low_midi, high_midi]``."""
        own = set(self.pitch_classes)
        return [m for m in range(int(low_midi), int(high_midi) + 1) if m % 12 in own]

    def triads(self, *, sevenths: bool = False) -> list[tuple[str, Chord]]:
        """The diatonic chords of the parent 7-note scale as ``(roman numeral, Chord)``, degree 1 to 7.

        Examples
        --------
        >>> [(rn, c.name) for rn, c in Key.parse("D major").triads()][:3]
        [('I', 'D'), ('ii', 'Em'), ('iii', 'F#m')]
        >>> [rn for rn, _ in Key.parse("A minor").triads(sevenths=True)]
        ['i7', 'iiø7', 'IIImaj7', 'iv7', 'v7', 'VImaj7', 'VII7']
        """
        notes = self.parent.notes()
        out = []
        for i, root in enumerate(notes):
            tones = [notes[(i + k) % 7] for k in ((0, 2, 4, 6) if sevenths else (0, 2, 4))]
            shape = tuple((n.pc - root.pc) % 12 for n in tones)
            quality = next(q for q, iv in CHORD_QUALITIES.items() if iv == shape)
            ch = Chord(root.pc, quality, flats=self.prefers_flats, spelling=root)
            out.append((chord_to_roman(ch, self), ch))
        return out


def parse_key(name: str | Key) -> Key:
    """Parse a key name; see :meth:`Key.parse`.

    Examples
    --------
    >>> parse_key("F#m").name, parse_key("Eb major pentatonic").pitch_classes
    ('F# minor', (3, 5, 7, 10, 0))
    """
    return Key.parse(name)


# -------------------------------------------------------------------------------------------------
# chords
# -------------------------------------------------------------------------------------------------
#: Quality suffix -> (long name, (letter steps, semitones) of each tone above the root).
_CHORD_SPELLING: dict[str, tuple[str, tuple[tuple[int, int], ...]]] = {
    "": ("major", ((0, 0), (2, 4), (4, 7))),
    "m": ("minor", ((0, 0), (2, 3), (4, 7))),
    "dim": ("diminished", ((0, 0), (2, 3), (4, 6))),
    "aug": ("augmented", ((0, 0), (2, 4), (4, 8))),
    "sus2": ("sus2", ((0, 0), (1, 2), (4, 7))),
    "sus4": ("sus4", ((0, 0), (3, 5), (4, 7))),
    "5": ("power chord", ((0, 0), (4, 7))),
    "6": ("major 6", ((0, 0), (2, 4), (4, 7), (5, 9))),
    "m6": ("minor 6", ((0, 0), (2, 3), (4, 7), (5, 9))),
    "7": ("dominant 7", ((0, 0), (2, 4), (4, 7), (6, 10))),
    "maj7": ("major 7", ((0, 0), (2, 4), (4, 7), (6, 11))),
    "m7": ("minor 7", ((0, 0), (2, 3), (4, 7), (6, 10))),
    "mmaj7": ("minor-major 7", ((0, 0), (2, 3), (4, 7), (6, 11))),
    "m7b5": ("half-diminished 7", ((0, 0), (2, 3), (4, 6), (6, 10))),
    "dim7": ("diminished 7", ((0, 0), (2, 3), (4, 6), (6, 9))),
    "7sus4": ("dominant 7 sus4", ((0, 0), (3, 5), (4, 7), (6, 10))),
    "add9": ("add9", ((0, 0), (2, 4), (4, 7), (8, 14))),
    "madd9": ("minor add9", ((0, 0), (2, 3), (4, 7), (8, 14))),
    "9": ("dominant 9", ((0, 0), (2, 4), (4, 7), (6, 10), (8, 14))),
    "maj9": ("major 9", ((0, 0), (2, 4), (4, 7), (6, 11), (8, 14))),
    "m9": ("minor 9", ((0, 0), (2, 3), (4, 7), (6, 10), (8, 14))),
}
#: Chord quality (its suffix in a chord symbol; ``""`` is a major triad) -> semitones above the root.
CHORD_QUALITIES: dict[str, tuple[int, ...]] = {q: tuple(s for _, s in v) for q, (_, v) in _CHORD_SPELLING.items()}
#: Chord quality -> long name ("dominant 7", "half-diminished 7").
CHORD_QUALITY_NAMES: dict[str, str] = {q: name for q, (name, _) in _CHORD_SPELLING.items()}

#: Other spellings of a quality in a chord symbol (case-sensitive).
_QUALITY_SYMBOLS = {
    "maj": "", "M": "", "min": "m", "-": "m", "°": "dim", "o": "dim", "+": "aug", "M7": "maj7", "Δ": "maj7",
    "Δ7": "maj7", "min7": "m7", "-7": "m7", "ø": "m7b5", "ø7": "m7b5", "°7": "dim7", "o7": "dim7", "sus": "sus4",
    "dom7": "7", "mM7": "mmaj7", "mMaj7": "mmaj7", "M9": "maj9", "min9": "m9", "2": "sus2", "min6": "m6",
}  # fmt: skip
#: Qualities written in words (matched lower-case, single spaces).
_QUALITY_WORDS = {
    "major": "", "minor": "m", "diminished": "dim", "augmented": "aug", "dominant 7": "7",
    "dominant seventh": "7", "dominant 7th": "7", "seventh": "7", "major 7": "maj7", "major seventh": "maj7",
    "major 7th": "maj7", "minor 7": "m7", "minor seventh": "m7", "minor 7th": "m7", "half diminished": "m7b5",
    "half-diminished": "m7b5", "half diminished 7": "m7b5", "half-diminished 7": "m7b5",
    "half diminished seventh": "m7b5", "half-diminished seventh": "m7b5", "diminished 7": "dim7",
    "diminished seventh": "dim7", "diminished 7th": "dim7", "minor major 7": "mmaj7", "minor-major 7": "mmaj7",
    "minor major seventh": "mmaj7", "major 6": "6", "major sixth": "6", "minor 6": "m6", "minor sixth": "m6",
    "add 9": "add9", "dominant 9": "9", "dominant ninth": "9", "major 9": "maj9", "major ninth": "maj9",
    "minor 9": "m9", "minor ninth": "m9", "power chord": "5", "minor add9": "madd9", "minor add 9": "madd9",
}  # fmt: skip
#: Quality -> the triad it contains, for fitting chords to keys.
_TRIAD_OF = {"7": "", "maj7": "", "6": "", "add9": "", "9": "", "maj9": "", "m7": "m", "m6": "m", "m9": "m",
             "mmaj7": "m", "madd9": "m", "m7b5": "dim", "dim7": "dim"}  # fmt: skip


def _quality(text: str) -> str | None:
    if text in CHORD_QUALITIES:
        return text
    if text in _QUALITY_SYMBOLS:
        return _QUALITY_SYMBOLS[text]
    words = re.sub(r"\s+", " ", text.lower()).strip()
    return words if words in CHORD_QUALITIES else _QUALITY_WORDS.get(words)


@dataclass(frozen=True)
class Chord:
    """A chord: root pitch class, quality and optional bass pitch class (slash chord).

    Attributes
    ----------
    root : int
        Pitch class of the root (0-11).
    quality : str
        A key of :data:`CHORD_QUALITIES` (``""`` is a major triad, ``"m7b5"`` half-diminished).
    bass : int or None
        Pitch class of the bass note when it is not the root.
    flats : bool
        Spell unspelled notes with flats.
    spelling, bass_spelling : Note or None
        How the root and the bass are written (``None``: from ``flats``). Equality ignores them.

    Examples
    --------
    >>> Chord(2, "m7").name, Chord(2, "m7").pitch_classes
    ('Dm7', (2, 5, 9, 0))
    >>> [str(n) for n in parse_chord("F#").notes], parse_chord("Cdim7").long_name
    (['F#', 'A#', 'C#'], 'C diminished 7')
    """

    root: int
    quality: str = ""
    bass: int | None = None
    flats: bool = False
    spelling: Note | None = field(default=None, compare=False, repr=False)
    bass_spelling: Note | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.quality not in CHORD_QUALITIES:
            raise ParameterError(
                f"unknown chord quality {self.quality!r}; known: {', '.join(repr(q) for q in CHORD_QUALITIES)}"
            )
        if not _int_like(self.root) or not 0 <= int(self.root) < 12:
            raise ParameterError(f"root must be a pitch class 0..11 (0 = C), given root={self.root!r}")
        object.__setattr__(self, "root", int(self.root))
        if self.bass is not None:
            if not _int_like(self.bass) or not 0 <= int(self.bass) < 12:
                raise ParameterError(f"bass must be a pitch class 0..11 or None, given bass={self.bass!r}")
            object.__setattr__(self, "bass", int(self.bass))
        for what, note, pc in (
            ("spelling", self.spelling, self.root),
            ("bass_spelling", self.bass_spelling, self.bass),
        ):
            if note is not None and (not isinstance(note, Note) or note.pc != pc):
                raise ParameterError(f"{what} must be a Note of pitch class {pc}, given {what}={note!r}")

    @property
    def intervals(self) -> tuple[int, ...]:
        """Semitones above the root."""
        return CHORD_QUALITIES[self.quality]

    @property
    def pitch_classes(self) -> tuple[int, ...]:
        """Chord tones as pitch classes, root first (the bass of a slash chord is added if new)."""
        pcs = [(self.root + i) % 12 for i in self.intervals]
        if self.bass is not None and self.bass not in pcs:
            pcs.append(self.bass)
        return tuple(pcs)

    @property
    def bass_pc(self) -> int:
        """The lowest note's pitch class: the slash bass or the root."""
        return self.root if self.bass is None else self.bass

    @property
    def root_note(self) -> Note:
        """The spelled root."""
        return self.spelling if self.spelling is not None else Note.from_pitch_class(self.root, flats=self.flats)

    @property
    def notes(self) -> list[Note]:
        """The spelled chord tones, root first, in stacking order (a 9th comes last)."""
        return [transpose_note(self.root_note, steps=st, semitones=se) for st, se in _CHORD_SPELLING[self.quality][1]]

    @property
    def bass_note(self) -> Note | None:
        """The spelled bass of a slash chord (as a chord tone when it is one), else ``None``."""
        if self.bass is None:
            return None
        if self.bass_spelling is not None:
            return self.bass_spelling
        tone = next((n for n in self.notes if n.pc == self.bass), None)
        return tone if tone is not None else Note.from_pitch_class(self.bass, flats=self.flats)

    @property
    def triad(self) -> str:
        """The quality of the triad inside the chord (``"7"`` -> ``""``, ``"m7b5"`` -> ``"dim"``)."""
        return _TRIAD_OF.get(self.quality, self.quality)

    @property
    def name(self) -> str:
        """Chord symbol, e.g. ``"Bbmaj7"`` or ``"C/E"``."""
        s = f"{self.root_note}{self.quality}"
        if self.bass is not None and self.bass != self.root:
            s += f"/{self.bass_note}"
        return s

    @property
    def long_name(self) -> str:
        """E.g. ``"C major 7"``, ``"F# half-diminished 7"``."""
        return f"{self.root_note} {CHORD_QUALITY_NAMES[self.quality]}"

    def __repr__(self) -> str:
        return f"Chord({self.name!r})"


_CHORD_RE = re.compile(rf"\s*({_NOTE_PAT})(.*?)(?:/({_NOTE_PAT}))?\s*")


def parse_chord(symbol: str | Chord) -> Chord:
    """Parse a chord symbol such as ``"C"``, ``"F#m7"``, ``"Bbmaj7"``, ``"Eø7"``, ``"G7/B"``, ``"Eb minor 7"``.

    Qualities may be written as in :data:`CHORD_QUALITIES`, with the usual symbols (``"M7"``,
    ``"Δ"``, ``"-7"``, ``"°"``, ``"ø"``, ``"+"``) or in words (``"major seventh"``,
    ``"half-diminished"``). The root keeps its spelling (``"Db"`` is not ``"C#"``).

    Raises
    ------
    ParameterError
        If the root or quality is unknown.

    Examples
    --------
    >>> parse_chord("Bbmaj7").pitch_classes, parse_chord("D major seventh").name
    ((10, 2, 5, 9), 'Dmaj7')
    """
    if isinstance(symbol, Chord):
        return symbol
    m = _CHORD_RE.fullmatch(symbol) if isinstance(symbol, str) else None
    if m is None:
        raise ParameterError(f"bad chord symbol {symbol!r}; expected e.g. 'C', 'F#m7', 'Bbmaj7', 'G7/B'")
    quality = _quality(m.group(2).strip())
    if quality is None:
        raise ParameterError(
            f"bad chord symbol {symbol!r}: unknown quality {m.group(2).strip()!r}; known: "
            f"{', '.join(repr(q) for q in CHORD_QUALITIES)} (or e.g. 'maj', 'M7', '-7', 'ø', 'major seventh')"
        )
    root = Note.parse(m.group(1))
    bass = Note.parse(m.group(3)) if m.group(3) else None
    return Chord(
        root.pc,
        quality,
        None if bass is None else bass.pc,
        flats=root.acc < 0,
        spelling=root,
        bass_spelling=bass,
    )


def transpose_chord(chord: Chord | str, *, semitones: int, steps: int | None = None) -> Chord:
    """Move a chord's root (and slash bass) by an interval; the quality stays.

    Parameters
    ----------
    chord : Chord or str
    semitones : int
        Size of the interval in semitones (negative: down).
    steps : int or None
        Letter steps of the interval, for spelling in a key change (C major -> Eb major is
        ``steps=2, semitones=3``); a double sharp/flat root is then respelled simply. ``None``:
        plain spelling, see :func:`transpose_note`.

    Examples
    --------
    >>> [transpose_chord(c, semitones=5).name for c in ("C", "G", "Am", "F")]
    ['F', 'C', 'Dm', 'Bb']
    >>> transpose_chord("Em", semitones=8, steps=5).name  # G major -> Eb major
    'Cm'
    """
    ch = parse_chord(chord)

    def move(n: Note) -> Note:
        out = transpose_note(n, semitones=semitones, steps=steps)
        return Note.from_pitch_class(out.pc, flats=out.acc < 0) if abs(out.acc) == 2 else out

    root = move(ch.root_note)
    bass = None if ch.bass_note is None else move(ch.bass_note)
    return Chord(root.pc, ch.quality, None if bass is None else bass.pc, root.acc < 0, root, bass)


# -------------------------------------------------------------------------------------------------
# roman numerals
# -------------------------------------------------------------------------------------------------
_ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii")
_ROMAN_RE = re.compile(r"^([b#♭♯]*)(vii|iii|iv|vi|ii|v|i)(°|o|ø|\+)?(.*)$", re.I)
_UPPER_SUFFIX = {"": "", "7": "7", "maj7": "maj7", "M7": "maj7", "9": "9", "maj9": "maj9", "6": "6", "sus4": "sus4",
                 "sus2": "sus2", "7sus4": "7sus4", "add9": "add9", "5": "5"}  # fmt: skip
_LOWER_SUFFIX = {"": "m", "7": "m7", "9": "m9", "6": "m6", "maj7": "mmaj7", "add9": "madd9", "7b5": "m7b5"}
#: Quality -> suffix after the numeral (the case of the numeral carries the third).
_NUMERAL_SUFFIX = {"m": "", "dim": "°", "aug": "+", "m7": "7", "m9": "9", "m6": "6", "mmaj7": "maj7", "m7b5": "ø7",
                   "dim7": "°7", "madd9": "add9"}  # fmt: skip
_MINOR_THIRD = {"m", "m6", "m7", "mmaj7", "m9", "madd9", "dim", "m7b5", "dim7"}


def _roman_quality(upper: bool, sym: str, suffix: str, numeral: str) -> str:
    suffix = suffix.strip()
    if sym in ("°", "o"):
        return {"": "dim", "7": "dim7"}.get(suffix, "dim")
    if sym == "ø":
        return "m7b5"
    if sym == "+":
        return "aug"
    table = _UPPER_SUFFIX if upper else _LOWER_SUFFIX
    if suffix not in table:
        raise ParameterError(
            f"bad roman numeral {numeral!r}: unknown suffix {suffix!r}; known: {', '.join(repr(s) for s in table)}"
        )
    return table[suffix]


def roman_to_chord(numeral: str, key: Key | str) -> Chord:
    """The chord of a roman numeral in ``key``, spelled for the key.

    Upper case is a major chord, lower case minor; ``°``/``o`` diminished, ``ø`` half-diminished,
    ``+`` augmented; suffixes ``7``, ``maj7``, ``9``, ``6``, ``sus4``, ``add9``. Roots come from the
    key's own 7-note scale (natural minor for minor keys, so ``"VI"`` in A minor is F), except that a
    lower-case ``vii`` in a minor key stands on the leading tone (``"vii°"`` in A minor is G#dim); an
    accidental (``"bVII"``, ``"#iv°"``) moves the root. ``"X/Y"`` is a secondary chord: ``X`` in the
    key of ``Y``.

    Raises
    ------
    ParameterError
        If the numeral or its suffix is unknown, or the key cannot be parsed.

    Examples
    --------
    >>> roman_to_chord("V7", "A minor").name, roman_to_chord("vii°", "A minor").name
    ('E7', 'G#dim')
    >>> roman_to_chord("bVII", "C").name, roman_to_chord("V7/V", "C").name, roman_to_chord("IV", "Gb").name
    ('Bb', 'D7', 'Cb')
    """
    k = Key.parse(key)
    if not isinstance(numeral, str):
        raise ParameterError(f"numeral must be a str such as 'ii7' or 'bVII', given {numeral!r}")
    numeral = numeral.strip()
    if "/" in numeral:
        head, _, target = numeral.partition("/")
        t = roman_to_chord(target, k)
        minor = t.quality.startswith("m") and t.quality != "maj7"
        return roman_to_chord(head, Key(t.root, "minor" if minor else "major", spelling=t.root_note))
    m = _ROMAN_RE.match(numeral)
    if m is None:
        raise ParameterError(f"bad roman numeral {numeral!r}; expected e.g. 'I', 'ii7', 'V7', 'bVII', 'vii°', 'V7/V'")
    acc, rn, sym, suffix = m.group(1), m.group(2), m.group(3) or "", m.group(4)
    shift = sum(_ACC_SIGN[c] for c in acc)
    degree, upper = _ROMAN.index(rn.lower()) + 1, rn.isupper()
    quality = _roman_quality(upper, sym, suffix, numeral)
    root = k.degree_note(degree)
    if k.parent.scale == "minor" and degree == 7 and not upper and not shift:
        shift = 1  # vii in minor: the leading tone of the harmonic minor
    root = transpose_note(root, steps=0, semitones=shift)
    return Chord(root.pc, quality, flats=k.prefers_flats or shift < 0, spelling=root)


def chord_to_roman(chord: Chord | str, key: Key | str) -> str:
    """Roman numeral of ``chord`` in ``key`` (the inverse of :func:`roman_to_chord` for plain chords).

    The degree is read from the root's letter when the chord is spelled (``"A#"`` in C is ``#VI``,
    ``"Bb"`` is ``bVII``); an unspelled :class:`Chord` is spelled by :meth:`Key.spell` first.

    Examples
    --------
    >>> chord_to_roman("Fm", "C"), chord_to_roman("G7", "C"), chord_to_roman("Bb", "C")
    ('iv', 'V7', 'bVII')
    >>> chord_to_roman("G#dim", "A minor"), chord_to_roman("F#", "C"), chord_to_roman("Dm9", "C")
    ('vii°', '#IV', 'ii9')
    """
    k = Key.parse(key)
    ch = parse_chord(chord)
    scale = k.parent.notes()
    root = ch.spelling if ch.spelling is not None else k.spell(ch.root)
    for candidate in (root, k.spell(ch.root)):
        degree = (LETTERS.index(candidate.letter) - LETTERS.index(k.tonic_note.letter)) % 7
        diff = (candidate.pc - scale[degree].pc + 6) % 12 - 6
        if abs(diff) <= 1:
            break
    else:
        raise ParameterError(f"cannot name {ch.name} as a degree of {k.name}: its root is too far from any scale note")
    prefix = {-1: "b", 0: "", 1: "#"}[diff]
    minor_third = ch.quality in _MINOR_THIRD
    if k.parent.scale == "minor" and degree == 6 and diff == 1 and minor_third:
        prefix = ""  # the leading-tone chord of the harmonic minor: vii°, not #vii°
    rn = _ROMAN[degree] if minor_third else _ROMAN[degree].upper()
    return prefix + rn + _NUMERAL_SUFFIX.get(ch.quality, ch.quality)


def progression(numerals: Sequence[str], key: Key | str) -> list[Chord]:
    """Chords of a sequence of roman numerals in ``key``.

    Examples
    --------
    >>> [c.name for c in progression(["I", "V", "vi", "IV"], "G")]
    ['G', 'D', 'Em', 'C']
    """
    k = Key.parse(key)
    return [roman_to_chord(n, k) for n in numerals]


def chord_in_key(chord: Chord | str, key: Key | str, *, allow_borrowed: bool = True) -> bool:
    """Whether every tone of ``chord`` belongs to ``key``.

    The parent 7-note scale is used for pentatonic/blues keys; minor keys also accept the raised
    leading tone (harmonic minor). With ``allow_borrowed`` the parallel key's tones are accepted too.

    Examples
    --------
    >>> chord_in_key("E7", "A minor"), chord_in_key("Fm", "C", allow_borrowed=False)
    (True, False)
    """
    k = Key.parse(key)
    ch = parse_chord(chord)
    pcs = set(k.parent.pitch_classes) | set(k.pitch_classes)
    if k.is_minor:
        pcs.add((k.tonic + 11) % 12)
    if allow_borrowed:
        pcs |= set(k.parallel.pitch_classes)
    return all(p in pcs for p in ch.pitch_classes)


def is_borrowed(numeral: str, key: Key | str) -> bool:
    """Whether a roman numeral's chord leaves the key's scale but lies in the parallel key.

    A minor key's ``V``/``V7``/``vii°`` (raised leading tone, harmonic minor) count as diatonic.

    Examples
    --------
    >>> is_borrowed("iv", "C"), is_borrowed("IV", "C"), is_borrowed("bVII", "C")
    (True, False, True)
    """
    k = Key.parse(key)
    ch = roman_to_chord(numeral, k)
    return not chord_in_key(ch, k, allow_borrowed=False) and chord_in_key(ch, k.parallel, allow_borrowed=False)


#: The twelve major keys in circle-of-fifths order, spelled as usually named.
_FIT_TONICS = ("C", "G", "D", "A", "E", "B", "F#", "Db", "Ab", "Eb", "Bb", "F")


def keys_from_chords(chords: Iterable[Chord | str]) -> list[tuple[Key, int]]:
    """Rank the twelve major keys by how many of ``chords`` are diatonic to them.

    A chord counts when its triad (a seventh or added note is ignored: ``G7`` counts as ``G``) is
    one of the key's diatonic triads. Each major key stands for its relative minor too
    (:attr:`Key.relative`).

    Returns
    -------
    ranked : list of (Key, int)
        Every major key with its count, best first; ties keep circle-of-fifths order (C G D ... F).

    Raises
    ------
    ParameterError
        If a chord symbol cannot be parsed.

    Examples
    --------
    >>> [(k.name, n) for k, n in keys_from_chords(["C", "G", "Am", "F"])[:2]]
    [('C major', 4), ('G major', 3)]
    """
    parsed = [parse_chord(c) for c in chords]
    scores = []
    for name in _FIT_TONICS:
        k = Key.parse(name)
        triads = {(c.root, c.quality) for _, c in k.triads()}
        scores.append((k, sum((c.root, c.triad) in triads for c in parsed)))
    return sorted(scores, key=lambda kn: -kn[1])


# -------------------------------------------------------------------------------------------------
# pitch tracks against a key
# -------------------------------------------------------------------------------------------------
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
