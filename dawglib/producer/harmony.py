"""Keys, scales, chords, roman numerals, genre progressions and voice-led voicings.

Self-contained music theory for the producer (pitch classes are ints 0-11 with C = 0). The
public API:

- :func:`parse_key` / :class:`Key` — a tonic and a scale: major, minor, the church modes,
  harmonic/melodic minor, major/minor pentatonic and blues.
- :class:`Chord` and :func:`parse_chord` — chord symbols (``"Cmaj7"``, ``"F#m7b5"``, ``"Bb/D"``).
- :func:`roman_to_chord` / :func:`chord_to_roman` — roman numerals in a key, with borrowed chords
  (``"bVII"``, ``"iv"`` in a major key) and secondary dominants (``"V7/V"``).
- :data:`PROGRESSIONS` and :func:`progression` — genre-typical progressions.
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
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..exceptions import ParameterError

__all__ = [
    "SCALES",
    "CHORD_QUALITIES",
    "PROGRESSIONS",
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

#: Scale name -> semitone steps above the tonic.
SCALES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "locrian": (0, 1, 3, 5, 6, 8, 10),
    "harmonic_minor": (0, 2, 3, 5, 7, 8, 11),
    "melodic_minor": (0, 2, 3, 5, 7, 9, 11),
    "major_pentatonic": (0, 2, 4, 7, 9),
    "minor_pentatonic": (0, 3, 5, 7, 10),
    "blues": (0, 3, 5, 6, 7, 10),
    "major_blues": (0, 2, 3, 4, 7, 9),
}

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

#: Scales whose roman numerals and chords come from the parallel major or minor.
_PARENT_SCALE = {
    "major_pentatonic": "major",
    "major_blues": "major",
    "minor_pentatonic": "minor",
    "blues": "minor",
}

#: Chord quality -> semitones above the root; the suffix is the quality's spelling in a symbol.
CHORD_QUALITIES: dict[str, tuple[int, ...]] = {
    "": (0, 4, 7),
    "m": (0, 3, 7),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
    "5": (0, 7),
    "6": (0, 4, 7, 9),
    "m6": (0, 3, 7, 9),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "m7": (0, 3, 7, 10),
    "mmaj7": (0, 3, 7, 11),
    "m7b5": (0, 3, 6, 10),
    "dim7": (0, 3, 6, 9),
    "7sus4": (0, 5, 7, 10),
    "add9": (0, 4, 7, 14),
    "madd9": (0, 3, 7, 14),
    "9": (0, 4, 7, 10, 14),
    "maj9": (0, 4, 7, 11, 14),
    "m9": (0, 3, 7, 10, 14),
}

_QUALITY_ALIASES = {
    "maj": "",
    "M": "",
    "min": "m",
    "-": "m",
    "°": "dim",
    "o": "dim",
    "+": "aug",
    "M7": "maj7",
    "Δ": "maj7",
    "Δ7": "maj7",
    "min7": "m7",
    "-7": "m7",
    "ø": "m7b5",
    "ø7": "m7b5",
    "°7": "dim7",
    "o7": "dim7",
    "sus": "sus4",
    "dom7": "7",
    "mM7": "mmaj7",
    "M9": "maj9",
    "min9": "m9",
    "2": "sus2",
}

_NAMES_SHARP = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_NAMES_FLAT = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
_LETTER_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
#: Tonics (of major keys) conventionally spelled with flats.
_FLAT_MAJOR_TONICS = {5, 10, 3, 8, 1, 6}


def parse_pitch_class(name: str) -> int:
    """Pitch class (0-11, C = 0) of a note name such as ``"C"``, ``"F#"``, ``"Bb"``, ``"E♭"``.

    Raises
    ------
    ParameterError
        If the name is not a letter A-G followed by optional sharps/flats.

    Examples
    --------
    >>> parse_pitch_class("Bb"), parse_pitch_class("c#")
    (10, 1)
    """
    m = re.fullmatch(r"\s*([A-Ga-g])([#b♯♭]*)\s*", str(name))
    if m is None:
        raise ParameterError(f"not a note name: {name!r}; expected a letter A-G with optional # or b, e.g. 'F#', 'Bb'")
    acc = m.group(2)
    shift = acc.count("#") + acc.count("♯") - acc.count("b") - acc.count("♭")
    return (_LETTER_PC[m.group(1).upper()] + shift) % 12


def pitch_class_name(pc: int, *, flats: bool = False) -> str:
    """Name of pitch class ``pc`` with sharps (default) or flats.

    Examples
    --------
    >>> pitch_class_name(10), pitch_class_name(10, flats=True)
    ('A#', 'Bb')
    """
    return (_NAMES_FLAT if flats else _NAMES_SHARP)[int(pc) % 12]


@dataclass(frozen=True)
class Key:
    """A tonic pitch class and a scale.

    Attributes
    ----------
    tonic : int
        Pitch class of the tonic, 0-11 (C = 0).
    scale : str
        One of :data:`SCALES`.

    Examples
    --------
    >>> k = Key(9, "minor")
    >>> k.name, k.pitch_classes
    ('A minor', (9, 11, 0, 2, 4, 5, 7))
    """

    tonic: int
    scale: str = "major"

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise ParameterError(f"unknown scale {self.scale!r}; known scales: {', '.join(SCALES)}")
        if not isinstance(self.tonic, int | np.integer) or not 0 <= int(self.tonic) <= 11:
            raise ParameterError(f"tonic must be a pitch class 0-11, given tonic={self.tonic!r}")

    @property
    def is_minor(self) -> bool:
        """True when the scale has a minor third above the tonic."""
        return 3 in SCALES[self.scale] and 4 not in SCALES[self.scale]

    @property
    def prefers_flats(self) -> bool:
        """Whether note names in this key are conventionally spelled with flats."""
        major_tonic = (self.tonic + 3) % 12 if self.is_minor else self.tonic
        return major_tonic in _FLAT_MAJOR_TONICS

    @property
    def name(self) -> str:
        """E.g. ``"F# minor"``, ``"Bb major"``, ``"D dorian"``."""
        return f"{pitch_class_name(self.tonic, flats=self.prefers_flats)} {self.scale.replace('_', ' ')}"

    @property
    def pitch_classes(self) -> tuple[int, ...]:
        """The scale's pitch classes, starting at the tonic."""
        return tuple((self.tonic + s) % 12 for s in SCALES[self.scale])

    @property
    def parent(self) -> Key:
        """The 7-note key that supplies roman numerals (pentatonic/blues -> parallel major/minor)."""
        return Key(self.tonic, _PARENT_SCALE.get(self.scale, self.scale))

    @property
    def parallel(self) -> Key:
        """The parallel major (of a minor-ish key) or minor (of a major-ish key): source of borrowed chords."""
        return Key(self.tonic, "major" if self.is_minor else "minor")

    def degree_pc(self, degree: int) -> int:
        """Pitch class of scale degree ``degree`` (1-based, wraps around) of the parent 7-note scale."""
        steps = SCALES[self.parent.scale]
        return (self.tonic + steps[(degree - 1) % len(steps)]) % 12

    def contains(self, pcs: Sequence[int] | int) -> bool:
        """Whether every pitch class in ``pcs`` is in the scale."""
        own = set(self.pitch_classes)
        items = [pcs] if isinstance(pcs, int | np.integer) else list(pcs)
        return all(int(p) % 12 in own for p in items)

    def scale_midi(self, *, low_midi: int, high_midi: int) -> list[int]:
        """Every MIDI note of the scale in ``[low_midi, high_midi]``."""
        own = set(self.pitch_classes)
        return [m for m in range(int(low_midi), int(high_midi) + 1) if m % 12 in own]


def parse_key(name: str | Key) -> Key:
    """Parse a key name.

    Parameters
    ----------
    name : str or Key
        A tonic and an optional scale: ``"C"``, ``"C major"``, ``"Am"``, ``"F# minor"``,
        ``"Bb dorian"``, ``"E minor pentatonic"``, ``"A blues"``, ``"Ebm"``.

    Returns
    -------
    Key

    Raises
    ------
    ParameterError
        If the tonic or the scale is unknown (the message lists the known scales).

    Examples
    --------
    >>> parse_key("F#m").name
    'F# minor'
    >>> parse_key("Eb major pentatonic").pitch_classes
    (3, 5, 7, 10, 0)
    """
    if isinstance(name, Key):
        return name
    if not isinstance(name, str):
        raise ParameterError(f"key must be a string such as 'C major' or 'F#m', given {name!r}")
    m = re.fullmatch(r"\s*([A-Ga-g][#b♯♭]?)\s*(.*?)\s*", name)
    if m is None:
        raise ParameterError(f"bad key {name!r}; expected a tonic A-G (optional # or b) and a scale, e.g. 'F# minor'")
    tonic = parse_pitch_class(m.group(1))
    raw = m.group(2).strip()
    scale = raw.lower().replace("-", " ").replace("  ", " ").replace(" ", "_")
    if raw == "M":
        scale = "major"
    scale = _SCALE_ALIASES.get(scale, scale)
    if scale not in SCALES:
        raise ParameterError(
            f"bad key {name!r}: unknown scale {raw!r}; known scales: {', '.join(SCALES)} "
            "(also 'm', 'min', 'maj', 'aeolian', 'ionian', 'pentatonic')"
        )
    return Key(tonic, scale)


@dataclass(frozen=True)
class Chord:
    """A chord: root pitch class, quality and optional bass pitch class (slash chord).

    Attributes
    ----------
    root : int
        Pitch class of the root (0-11).
    quality : str
        A key of :data:`CHORD_QUALITIES` (``""`` is a major triad).
    bass : int or None
        Pitch class of the bass note when it is not the root.
    flats : bool
        Spell the name with flats.

    Examples
    --------
    >>> Chord(2, "m7").name, Chord(2, "m7").pitch_classes
    ('Dm7', (2, 5, 9, 0))
    """

    root: int
    quality: str = ""
    bass: int | None = None
    flats: bool = False

    def __post_init__(self) -> None:
        if self.quality not in CHORD_QUALITIES:
            raise ParameterError(
                f"unknown chord quality {self.quality!r}; known: {', '.join(repr(q) for q in CHORD_QUALITIES)}"
            )

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
    def name(self) -> str:
        """Chord symbol, e.g. ``"Bbmaj7"`` or ``"C/E"``."""
        s = pitch_class_name(self.root, flats=self.flats) + self.quality
        if self.bass is not None and self.bass != self.root:
            s += "/" + pitch_class_name(self.bass, flats=self.flats)
        return s

    def __repr__(self) -> str:
        return f"Chord({self.name!r})"


def parse_chord(symbol: str) -> Chord:
    """Parse a chord symbol such as ``"C"``, ``"F#m7"``, ``"Bbmaj7"``, ``"Eø7"``, ``"G7/B"``.

    Raises
    ------
    ParameterError
        If the root or quality is unknown.

    Examples
    --------
    >>> parse_chord("Bbmaj7").pitch_classes
    (10, 2, 5, 9)
    """
    m = re.fullmatch(r"\s*([A-Ga-g][#b♯♭]?)([^/\s]*)(?:/([A-Ga-g][#b♯♭]?))?\s*", str(symbol))
    if m is None:
        raise ParameterError(f"bad chord symbol {symbol!r}; expected e.g. 'C', 'F#m7', 'Bbmaj7', 'G7/B'")
    quality = _QUALITY_ALIASES.get(m.group(2), m.group(2))
    if quality not in CHORD_QUALITIES:
        raise ParameterError(
            f"bad chord symbol {symbol!r}: unknown quality {m.group(2)!r}; known: "
            f"{', '.join(repr(q) for q in CHORD_QUALITIES)}"
        )
    root = parse_pitch_class(m.group(1))
    bass = parse_pitch_class(m.group(3)) if m.group(3) else None
    return Chord(root, quality, bass, flats="b" in m.group(1)[1:] or "♭" in m.group(1))


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7}
_ROMAN_RE = re.compile(r"^([b#♭♯]*)(vii|iii|iv|vi|ii|v|i)(°|o|ø|\+)?(.*)$", re.I)


def _roman_base(numeral: str) -> tuple[int, int, bool, str, str]:
    m = _ROMAN_RE.match(numeral.strip())
    if m is None:
        raise ParameterError(f"bad roman numeral {numeral!r}; expected e.g. 'I', 'ii7', 'V7', 'bVII', 'vii°', 'V7/V'")
    acc, rn, sym, suffix = m.group(1), m.group(2), m.group(3) or "", m.group(4)
    shift = acc.count("#") + acc.count("♯") - acc.count("b") - acc.count("♭")
    return _ROMAN[rn.lower()], shift, rn.isupper(), sym, suffix


def _roman_quality(upper: bool, sym: str, suffix: str, numeral: str) -> str:
    suffix = suffix.strip()
    if sym in ("°", "o"):
        return {"": "dim", "7": "dim7"}.get(suffix, "dim")
    if sym == "ø":
        return "m7b5"
    if sym == "+":
        return "aug"
    if upper:
        table = {"": "", "7": "7", "maj7": "maj7", "M7": "maj7", "9": "9", "maj9": "maj9", "6": "6"}
        table.update({"sus4": "sus4", "sus2": "sus2", "7sus4": "7sus4", "add9": "add9", "5": "5"})
    else:
        table = {"": "m", "7": "m7", "9": "m9", "6": "m6", "maj7": "mmaj7", "add9": "madd9", "7b5": "m7b5"}
    if suffix not in table:
        raise ParameterError(
            f"bad roman numeral {numeral!r}: unknown suffix {suffix!r}; known: {', '.join(repr(s) for s in table)}"
        )
    return table[suffix]


def roman_to_chord(numeral: str, key: Key | str) -> Chord:
    """The chord of a roman numeral in ``key``.

    Upper case is a major chord, lower case minor; ``°``/``o`` diminished, ``ø`` half-diminished,
    ``+`` augmented; suffixes ``7``, ``maj7``, ``9``, ``6``, ``sus4``, ``add9``. Roots come from the
    key's own 7-note scale (natural minor for minor keys, so ``"VI"`` in A minor is F); an accidental
    (``"bVII"``, ``"#iv°"``) moves the root. ``"X/Y"`` is a secondary chord: ``X`` in the key of ``Y``.

    Examples
    --------
    >>> roman_to_chord("V7", "A minor").name
    'E7'
    >>> roman_to_chord("bVII", "C").name
    'Bb'
    >>> roman_to_chord("V7/V", "C").name
    'D7'
    """
    key = parse_key(key)
    numeral = str(numeral).strip()
    if "/" in numeral:
        head, _, target = numeral.partition("/")
        tchord = roman_to_chord(target, key)
        tkey = Key(tchord.root, "minor" if tchord.quality.startswith("m") and tchord.quality != "maj7" else "major")
        return roman_to_chord(head, tkey)
    degree, shift, upper, sym, suffix = _roman_base(numeral)
    root = (key.degree_pc(degree) + shift) % 12
    quality = _roman_quality(upper, sym, suffix, numeral)
    return Chord(root, quality, flats=key.prefers_flats or shift < 0)


def chord_to_roman(chord: Chord | str, key: Key | str) -> str:
    """Roman numeral of ``chord`` in ``key`` (inverse of :func:`roman_to_chord` for plain chords).

    Examples
    --------
    >>> chord_to_roman("Fm", "C"), chord_to_roman("G7", "C"), chord_to_roman("Bb", "C")
    ('iv', 'V7', 'bVII')
    """
    key = parse_key(key)
    ch = parse_chord(chord) if isinstance(chord, str) else chord
    steps = SCALES[key.parent.scale]
    rel = (ch.root - key.tonic) % 12
    if rel in steps:
        degree, acc = steps.index(rel) + 1, ""
    elif (rel + 1) % 12 in steps:
        degree, acc = steps.index((rel + 1) % 12) + 1, "b"
    else:
        degree, acc = steps.index((rel - 1) % 12) + 1, "#"
    rn = next(k for k, v in _ROMAN.items() if v == degree)
    q = ch.quality
    minorish = q.startswith("m") and not q.startswith("maj") or q in ("dim", "dim7", "m7b5")
    rn = rn if minorish else rn.upper()
    suffix = {
        "m": "",
        "dim": "°",
        "aug": "+",
        "m7": "7",
        "m9": "9",
        "m6": "6",
        "mmaj7": "maj7",
        "m7b5": "ø7",
        "dim7": "°7",
        "madd9": "add9",
    }.get(q, q)
    return acc + rn + suffix


def progression(numerals: Sequence[str], key: Key | str) -> list[Chord]:
    """Chords of a sequence of roman numerals in ``key``.

    Examples
    --------
    >>> [c.name for c in progression(["I", "V", "vi", "IV"], "G")]
    ['G', 'D', 'Em', 'C']
    """
    key = parse_key(key)
    return [roman_to_chord(n, key) for n in numerals]


def is_borrowed(numeral: str, key: Key | str) -> bool:
    """Whether a roman numeral's chord leaves the key's scale but lies in the parallel key.

    A minor key's ``V``/``V7``/``vii°`` (raised leading tone, harmonic minor) count as diatonic.

    Examples
    --------
    >>> is_borrowed("iv", "C"), is_borrowed("IV", "C"), is_borrowed("bVII", "C")
    (True, False, True)
    """
    key = parse_key(key)
    ch = roman_to_chord(numeral, key)
    return not chord_in_key(ch, key, allow_borrowed=False) and chord_in_key(ch, key.parallel, allow_borrowed=False)


def chord_in_key(chord: Chord | str, key: Key | str, *, allow_borrowed: bool = True) -> bool:
    """Whether every tone of ``chord`` belongs to ``key``.

    The parent 7-note scale is used for pentatonic/blues keys; minor keys also accept the raised
    leading tone (harmonic minor). With ``allow_borrowed`` the parallel key's tones are accepted too.

    Examples
    --------
    >>> chord_in_key("E7", "A minor"), chord_in_key("Fm", "C", allow_borrowed=False)
    (True, False)
    """
    key = parse_key(key)
    ch = parse_chord(chord) if isinstance(chord, str) else chord
    pcs = set(key.parent.pitch_classes) | set(key.pitch_classes)
    if key.is_minor:
        pcs.add((key.tonic + 11) % 12)
    if allow_borrowed:
        pcs |= set(key.parallel.pitch_classes)
    return all(p in pcs for p in ch.pitch_classes)


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
