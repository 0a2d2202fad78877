"""Exact music-theory answers for the offline provider: spelled chords, scales, keys, numerals, transposition.

Everything here is computed, with correct letter-name spelling (an interval is a number of letter
steps *and* a number of semitones, so F# major is F# A# C# and Db minor is Db Fb Ab). A question
that does not match one of the patterns below gets ``None`` — the offline provider then says
plainly that it needs an API key; nothing is guessed.

Questions understood (case-insensitive; "flat"/"sharp", "♭"/"♯" accepted):

* chords: "spell C major 7", "what notes are in F#m7b5", "notes of the Bb7 chord"
* scales: "notes of the E harmonic minor scale", "spell D dorian scale"
* relative keys: "relative minor of E flat major", "relative major of F# minor"
* key signatures: "how many sharps in A major", "key signature of Bb minor"
* roman numerals: "roman numeral of A minor in C major", "what is the V7 chord in G major",
  "chords in the key of D major"
* transposition: "transpose C E G up 2 semitones", "transpose Am F C G from C to D"
* intervals: "interval from C to G"
* tempo: "how long is a quarter note at 120 BPM", "how long is a bar of 3/4 at 90 bpm"
* keys from chords: "what key fits C G Am F"

The chord and roman-numeral logic lives here (in the brain), not in :mod:`dawglib.theory`.

Examples
--------
>>> answer("spell the chord D major")
'D major: D F# A'
>>> answer("relative minor of E flat major")
'The relative minor of Eb major is C minor.'
>>> answer("write me a song") is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "answer",
    "Note",
    "parse_note",
    "parse_chord",
    "chord_notes",
    "scale_notes",
    "roman_numeral",
    "transpose_note",
    "interval_name",
]

LETTERS = "CDEFGAB"
NATURAL_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
ACC_TEXT = {-2: "bb", -1: "b", 0: "", 1: "#", 2: "##"}


@dataclass(frozen=True)
class Note:
    """A spelled pitch class: a letter and an accidental (−2…2)."""

    letter: str
    acc: int = 0

    @property
    def pc(self) -> int:
        """Pitch class 0–11."""
        return (NATURAL_PC[self.letter] + self.acc) % 12

    def __str__(self) -> str:
        return self.letter + ACC_TEXT[self.acc]


def parse_note(s: str) -> Note | None:
    """'C', 'f#', 'Bb', 'Ebb', 'C##' -> Note; anything else -> None."""
    m = re.fullmatch(r"([A-Ga-g])(##|#|bb|b)?", s.strip())
    if not m:
        return None
    acc = {"": 0, "#": 1, "##": 2, "b": -1, "bb": -2}[m.group(2) or ""]
    return Note(m.group(1).upper(), acc)


def transpose_note(n: Note, *, steps: int, semitones: int) -> Note:
    """Move a note by an interval of ``steps`` letters and ``semitones`` half steps (may be negative)."""
    li = (LETTERS.index(n.letter) + steps) % 7
    letter = LETTERS[li]
    acc = ((n.pc + semitones - NATURAL_PC[letter]) + 6) % 12 - 6
    return Note(letter, acc) if -2 <= acc <= 2 else _simplest((n.pc + semitones) % 12, sharp=semitones >= 0)


def _simplest(pc: int, *, sharp: bool) -> Note:
    for letter, v in NATURAL_PC.items():
        if v == pc:
            return Note(letter)
    for letter, v in NATURAL_PC.items():
        if sharp and (v + 1) % 12 == pc:
            return Note(letter, 1)
        if not sharp and (v - 1) % 12 == pc:
            return Note(letter, -1)
    raise AssertionError(pc)  # pragma: no cover


def _respell_plain(n: Note, *, sharp: bool) -> Note:
    """Double accidentals and E#/B#/Fb/Cb -> the simplest enharmonic (for semitone transposition)."""
    if abs(n.acc) == 2 or str(n) in ("E#", "B#", "Fb", "Cb"):
        return _simplest(n.pc, sharp=sharp)
    return n


# -- chords ---------------------------------------------------------------------------------------
#: quality -> (display name, intervals as (letter steps, semitones) from the root)
CHORDS: dict[str, tuple[str, tuple[tuple[int, int], ...]]] = {
    "maj": ("major", ((0, 0), (2, 4), (4, 7))),
    "min": ("minor", ((0, 0), (2, 3), (4, 7))),
    "dim": ("diminished", ((0, 0), (2, 3), (4, 6))),
    "aug": ("augmented", ((0, 0), (2, 4), (4, 8))),
    "sus2": ("sus2", ((0, 0), (1, 2), (4, 7))),
    "sus4": ("sus4", ((0, 0), (3, 5), (4, 7))),
    "7": ("dominant 7", ((0, 0), (2, 4), (4, 7), (6, 10))),
    "maj7": ("major 7", ((0, 0), (2, 4), (4, 7), (6, 11))),
    "m7": ("minor 7", ((0, 0), (2, 3), (4, 7), (6, 10))),
    "m7b5": ("half-diminished 7", ((0, 0), (2, 3), (4, 6), (6, 10))),
    "dim7": ("diminished 7", ((0, 0), (2, 3), (4, 6), (6, 9))),
    "mmaj7": ("minor-major 7", ((0, 0), (2, 3), (4, 7), (6, 11))),
    "6": ("major 6", ((0, 0), (2, 4), (4, 7), (5, 9))),
    "m6": ("minor 6", ((0, 0), (2, 3), (4, 7), (5, 9))),
    "add9": ("add9", ((0, 0), (2, 4), (4, 7), (1, 2))),
    "9": ("dominant 9", ((0, 0), (2, 4), (4, 7), (6, 10), (1, 2))),
    "maj9": ("major 9", ((0, 0), (2, 4), (4, 7), (6, 11), (1, 2))),
    "m9": ("minor 9", ((0, 0), (2, 3), (4, 7), (6, 10), (1, 2))),
}

# suffix -> quality; case-sensitive symbols first, then lower-cased words
_SYMBOLS = {
    "": "maj",
    "M": "maj",
    "m": "min",
    "-": "min",
    "M7": "maj7",
    "Δ7": "maj7",
    "Δ": "maj7",
    "-7": "m7",
    "ø": "m7b5",
    "ø7": "m7b5",
    "°": "dim",
    "o": "dim",
    "°7": "dim7",
    "o7": "dim7",
    "+": "aug",
    "mM7": "mmaj7",
}
_WORDS = {
    "maj": "maj",
    "major": "maj",
    "min": "min",
    "minor": "min",
    "dim": "dim",
    "diminished": "dim",
    "aug": "aug",
    "augmented": "aug",
    "sus2": "sus2",
    "sus4": "sus4",
    "sus": "sus4",
    "7": "7",
    "dom7": "7",
    "dominant 7": "7",
    "dominant seventh": "7",
    "dominant 7th": "7",
    "seventh": "7",
    "maj7": "maj7",
    "major 7": "maj7",
    "major seventh": "maj7",
    "major 7th": "maj7",
    "m7": "m7",
    "min7": "m7",
    "minor 7": "m7",
    "minor seventh": "m7",
    "minor 7th": "m7",
    "m7b5": "m7b5",
    "half diminished": "m7b5",
    "half-diminished": "m7b5",
    "half diminished 7": "m7b5",
    "half-diminished 7": "m7b5",
    "half diminished seventh": "m7b5",
    "half-diminished seventh": "m7b5",
    "dim7": "dim7",
    "diminished 7": "dim7",
    "diminished seventh": "dim7",
    "diminished 7th": "dim7",
    "mmaj7": "mmaj7",
    "minor major 7": "mmaj7",
    "minor-major 7": "mmaj7",
    "minor major seventh": "mmaj7",
    "6": "6",
    "major 6": "6",
    "major sixth": "6",
    "m6": "m6",
    "min6": "m6",
    "minor 6": "m6",
    "minor sixth": "m6",
    "add9": "add9",
    "add 9": "add9",
    "9": "9",
    "dominant 9": "9",
    "dominant ninth": "9",
    "maj9": "maj9",
    "major 9": "maj9",
    "major ninth": "maj9",
    "m9": "m9",
    "min9": "m9",
    "minor 9": "m9",
    "minor ninth": "m9",
}


def parse_chord(s: str) -> tuple[Note, str] | None:
    """'C', 'F#m7b5', 'Bb maj7', 'Eb minor 7', 'D major seventh' -> (root, quality) or None."""
    s = s.strip()
    m = re.match(r"([A-Ga-g])(##|#|bb|b(?![a-z]))?", s)
    if not m:
        return None
    root = parse_note(m.group(0))
    rest = s[m.end() :].strip()
    if root is None:
        return None
    if rest in _SYMBOLS:
        return root, _SYMBOLS[rest]
    rest_l = re.sub(r"\s+", " ", rest.lower().replace("chord", "").strip())
    if rest_l in _WORDS:
        return root, _WORDS[rest_l]
    return None


def chord_notes(root: Note, quality: str) -> list[Note]:
    """The spelled notes of a chord, root first (the 9th last)."""
    return [transpose_note(root, steps=st, semitones=se) for st, se in CHORDS[quality][1]]


def chord_name(root: Note, quality: str) -> str:
    """'C major 7', 'F# half-diminished 7'."""
    return f"{root} {CHORDS[quality][0]}"


def chord_symbol(root: Note, quality: str) -> str:
    """'Cmaj7', 'F#m7b5', 'Bb'."""
    sym = {"maj": "", "min": "m", "dim": "dim", "aug": "aug", "mmaj7": "mMaj7"}.get(quality, quality)
    return f"{root}{sym}"


# -- scales and keys ------------------------------------------------------------------------------
_MAJOR = ((0, 0), (1, 2), (2, 4), (3, 5), (4, 7), (5, 9), (6, 11))
SCALES: dict[str, tuple[tuple[int, int], ...]] = {
    "major": _MAJOR,
    "ionian": _MAJOR,
    "natural minor": ((0, 0), (1, 2), (2, 3), (3, 5), (4, 7), (5, 8), (6, 10)),
    "harmonic minor": ((0, 0), (1, 2), (2, 3), (3, 5), (4, 7), (5, 8), (6, 11)),
    "melodic minor": ((0, 0), (1, 2), (2, 3), (3, 5), (4, 7), (5, 9), (6, 11)),
    "dorian": ((0, 0), (1, 2), (2, 3), (3, 5), (4, 7), (5, 9), (6, 10)),
    "phrygian": ((0, 0), (1, 1), (2, 3), (3, 5), (4, 7), (5, 8), (6, 10)),
    "lydian": ((0, 0), (1, 2), (2, 4), (3, 6), (4, 7), (5, 9), (6, 11)),
    "mixolydian": ((0, 0), (1, 2), (2, 4), (3, 5), (4, 7), (5, 9), (6, 10)),
    "locrian": ((0, 0), (1, 1), (2, 3), (3, 5), (4, 6), (5, 8), (6, 10)),
    "major pentatonic": ((0, 0), (1, 2), (2, 4), (4, 7), (5, 9)),
    "minor pentatonic": ((0, 0), (2, 3), (3, 5), (4, 7), (6, 10)),
}
SCALES["minor"] = SCALES["natural minor"]
SCALES["aeolian"] = SCALES["natural minor"]


def scale_notes(tonic: Note, mode: str) -> list[Note]:
    """The spelled notes of a scale (see :data:`SCALES`)."""
    return [transpose_note(tonic, steps=st, semitones=se) for st, se in SCALES[mode]]


def _key(s: str) -> tuple[Note, str] | None:
    m = re.fullmatch(r"([a-g](?:##|#|bb|b)?)\s*(major|minor|maj|min|m)?", s.strip(), flags=re.I)
    if not m:
        return None
    tonic = parse_note(m.group(1))
    mode = (m.group(2) or "major").lower()
    if tonic is None:
        return None
    return tonic, "minor" if mode in ("minor", "min", "m") else "major"


def key_signature(tonic: Note, mode: str) -> tuple[str, list[Note]]:
    """('sharps' | 'flats' | 'none', accidentals in the order of the key signature)."""
    notes = scale_notes(tonic, "major" if mode == "major" else "natural minor")
    sharps = [n for n in notes if n.acc > 0]
    flats = [n for n in notes if n.acc < 0]
    if sharps and not flats:
        order = "FCGDAEB"
        return "sharps", sorted(sharps, key=lambda n: order.index(n.letter))
    if flats and not sharps:
        order = "BEADGCF"
        return "flats", sorted(flats, key=lambda n: order.index(n.letter))
    return ("none", []) if not sharps and not flats else ("mixed", sharps + flats)


# -- roman numerals -------------------------------------------------------------------------------
_NUMERALS = ("I", "II", "III", "IV", "V", "VI", "VII")
_MINOR_THIRD = {"min", "dim", "m7", "m7b5", "dim7", "m6", "m9", "mmaj7"}
_NUMERAL_SUFFIX = {
    "maj": "",
    "min": "",
    "dim": "°",
    "aug": "+",
    "7": "7",
    "maj7": "maj7",
    "m7": "7",
    "m7b5": "ø7",
    "dim7": "°7",
}


def roman_numeral(root: Note, quality: str, *, tonic: Note, mode: str) -> str | None:
    """The roman numeral of a chord in a key ('vi', 'V7', 'bVII', 'vii°'); None for unusual chords."""
    if quality not in _NUMERAL_SUFFIX:
        return None
    degree = (LETTERS.index(root.letter) - LETTERS.index(tonic.letter)) % 7
    scale = scale_notes(tonic, "major" if mode == "major" else "natural minor")
    diff = (root.pc - scale[degree].pc + 6) % 12 - 6
    if abs(diff) > 1:
        return None
    prefix = {-1: "b", 0: "", 1: "#"}[diff]
    if mode == "minor" and degree == 6 and diff == 1:
        prefix = ""  # the leading tone of the harmonic minor: vii°, not #vii°
    base = _NUMERALS[degree]
    if quality in _MINOR_THIRD:
        base = base.lower()
    return prefix + base + _NUMERAL_SUFFIX[quality]


def chord_of_numeral(numeral: str, *, tonic: Note, mode: str) -> tuple[Note, str] | None:
    """The chord a numeral names in a key ('V7' in G major -> D dominant 7)."""
    m = re.fullmatch(r"(b|#)?(iii|ii|iv|vii|vi|v|i|III|II|IV|VII|VI|V|I)(°7|ø7|maj7|°|\+|7)?", numeral.strip())
    if not m:
        return None
    acc, num, suffix = m.group(1), m.group(2), m.group(3) or ""
    degree = _NUMERALS.index(num.upper())
    lower = num.islower()
    scale = scale_notes(tonic, "major" if mode == "major" else "natural minor")
    root = scale[degree]
    if mode == "minor" and degree == 6 and lower and acc is None:
        root = transpose_note(root, steps=0, semitones=1)  # leading tone
    if acc:
        root = transpose_note(root, steps=0, semitones=1 if acc == "#" else -1)
    table = {
        (False, ""): "maj", (True, ""): "min", (True, "°"): "dim", (False, "+"): "aug", (False, "7"): "7",
        (False, "maj7"): "maj7", (True, "7"): "m7", (True, "ø7"): "m7b5", (True, "°7"): "dim7",
    }  # fmt: skip
    q = table.get((lower, suffix))
    return None if q is None else (root, q)


def diatonic_triads(tonic: Note, mode: str) -> list[tuple[str, Note, str]]:
    """(numeral, root, quality) of the seven triads of a major or natural-minor key."""
    scale = scale_notes(tonic, "major" if mode == "major" else "natural minor")
    out = []
    for i, root in enumerate(scale):
        third = scale[(i + 2) % 7]
        fifth = scale[(i + 4) % 7]
        t, f = (third.pc - root.pc) % 12, (fifth.pc - root.pc) % 12
        q = {(4, 7): "maj", (3, 7): "min", (3, 6): "dim", (4, 8): "aug"}[(t, f)]
        num = roman_numeral(root, q, tonic=tonic, mode=mode)
        assert num is not None
        out.append((num, root, q))
    return out


# -- intervals and tempo --------------------------------------------------------------------------
_INTERVALS = {
    (0, 0): "perfect unison", (0, 1): "augmented unison", (1, 0): "diminished second", (1, 1): "minor second",
    (1, 2): "major second", (1, 3): "augmented second", (2, 2): "diminished third", (2, 3): "minor third",
    (2, 4): "major third", (2, 5): "augmented third", (3, 4): "diminished fourth", (3, 5): "perfect fourth",
    (3, 6): "augmented fourth", (4, 6): "diminished fifth", (4, 7): "perfect fifth", (4, 8): "augmented fifth",
    (5, 7): "diminished sixth", (5, 8): "minor sixth", (5, 9): "major sixth", (5, 10): "augmented sixth",
    (6, 9): "diminished seventh", (6, 10): "minor seventh", (6, 11): "major seventh", (6, 0): "augmented seventh",
}  # fmt: skip
_DEFAULT_BY_SEMITONES = {0: (0, 0), 1: (1, 1), 2: (1, 2), 3: (2, 3), 4: (2, 4), 5: (3, 5), 6: (3, 6), 7: (4, 7),
                         8: (5, 8), 9: (5, 9), 10: (6, 10), 11: (6, 11)}  # fmt: skip


def interval_name(a: Note, b: Note) -> tuple[str, int] | None:
    """Name and size in semitones of the ascending interval from a to b (within an octave)."""
    steps = (LETTERS.index(b.letter) - LETTERS.index(a.letter)) % 7
    semis = (b.pc - a.pc) % 12
    name = _INTERVALS.get((steps, semis))
    return None if name is None else (name, semis)


_NOTE_VALUES = {
    "whole note": 4.0, "half note": 2.0, "quarter note": 1.0, "beat": 1.0, "crotchet": 1.0, "eighth note": 0.5,
    "quaver": 0.5, "sixteenth note": 0.25, "semiquaver": 0.25, "dotted half note": 3.0, "dotted quarter note": 1.5,
    "dotted eighth note": 0.75, "dotted quarter": 1.5, "dotted eighth": 0.75, "quarter-note triplet": 2.0 / 3.0,
    "eighth-note triplet": 1.0 / 3.0, "eighth note triplet": 1.0 / 3.0, "quarter note triplet": 2.0 / 3.0,
}  # fmt: skip


def _a(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _ms(x: float) -> str:
    s = f"{x:.3f}".rstrip("0").rstrip(".")
    return s


# -- the question parser --------------------------------------------------------------------------
_NOTE = r"[A-Ga-g](?:##|#|bb|b)?"
_KEY = rf"{_NOTE}(?:\s*(?:major|minor|maj|min))?"


def _normalise(q: str) -> str:
    q = q.strip().replace("♯", "#").replace("♭", "b").replace("’", "'")
    q = re.sub(r"\b([A-Ga-g])[\s-]?flat\b", r"\1b", q, flags=re.I)
    q = re.sub(r"\b([A-Ga-g])[\s-]?sharp\b", r"\1#", q, flags=re.I)
    q = re.sub(r"[?.!]+$", "", q).strip()
    return re.sub(r"\s+", " ", q)


def _split_items(s: str) -> list[str]:
    return [x for x in re.split(r"[\s,]+|\s*-\s*", s.strip()) if x and x.lower() not in ("and", "the", "chords")]


def answer(question: str) -> str | None:
    """The exact answer to a music-theory question, or None when it is not one this module knows.

    Parameters
    ----------
    question : str

    Returns
    -------
    str or None
    """
    if not isinstance(question, str) or len(question) > 300:
        return None
    q = _normalise(question)
    for f in (_scale_q, _relative_q, _keysig_q, _numeral_q, _degree_q, _diatonic_q, _transpose_q, _interval_q,
              _tempo_q, _fit_q, _chord_q):  # fmt: skip
        out = f(q)
        if out is not None:
            return out
    return None


def _chord_q(q: str) -> str | None:
    m = re.fullmatch(
        r"(?:spell|how do (?:you|i) spell|what (?:notes )?(?:are|is) in|what are the notes (?:of|in)|notes (?:of|in)"
        r"|what notes make up|which notes are in|what notes are in)\s+(?:the\s+|an?\s+)?(?:chord\s+)?(.+?)"
        r"(?:\s+chord)?",
        q,
        flags=re.I,
    )
    if not m:
        return None
    parsed = parse_chord(m.group(1))
    if parsed is None:
        return None
    root, quality = parsed
    return f"{chord_name(root, quality)}: {' '.join(map(str, chord_notes(root, quality)))}"


def _scale_q(q: str) -> str | None:
    modes = "|".join(sorted((re.escape(k) for k in SCALES), key=len, reverse=True))
    m = re.fullmatch(
        rf"(?:spell|what are the notes (?:of|in)|what notes are in|notes (?:of|in)|which notes are in)\s+"
        rf"(?:the\s+|an?\s+)?({_NOTE})\s+({modes})\s+scale",
        q,
        flags=re.I,
    )
    if not m:
        return None
    tonic = parse_note(m.group(1))
    mode = m.group(2).lower()
    if tonic is None:
        return None
    return f"{tonic} {mode} scale: {' '.join(map(str, scale_notes(tonic, mode)))}"


def _relative_q(q: str) -> str | None:
    m = re.fullmatch(rf"(?:what is |what's )?(?:the )?relative (major|minor) (?:key )?(?:of|for|to) ({_KEY})", q, re.I)
    if not m:
        return None
    want = m.group(1).lower()
    k = _key(m.group(2))
    if k is None:
        return None
    tonic, mode = k
    if mode == want:
        return None
    rel = (
        transpose_note(tonic, steps=5, semitones=9) if want == "minor" else transpose_note(tonic, steps=2, semitones=3)
    )
    return f"The relative {want} of {tonic} {mode} is {rel} {want}."


def _keysig_q(q: str) -> str | None:
    m = re.fullmatch(
        rf"(?:how many (?:sharps|flats|sharps or flats|accidentals) (?:are |does )?(?:there )?(?:in |have )?"
        rf"(?:the key of )?({_KEY})(?: have)?|(?:what is )?(?:the )?key signature (?:of|for) ({_KEY}))",
        q,
        flags=re.I,
    )
    if not m:
        return None
    k = _key(m.group(1) or m.group(2))
    if k is None:
        return None
    tonic, mode = k
    kind, accs = key_signature(tonic, mode)
    if kind == "none":
        return f"{tonic} {mode} has no sharps or flats."
    if kind == "mixed":
        return None  # theoretical key (e.g. G# major): no standard signature
    word = kind if len(accs) != 1 else kind[:-1]
    return f"{tonic} {mode} has {len(accs)} {word}: {' '.join(map(str, accs))}."


def _numeral_q(q: str) -> str | None:
    m = re.fullmatch(
        rf"(?:what is )?(?:the )?(?:roman numeral|numeral|function|scale degree) (?:of|for) (?:the )?(?:chord )?(.+?)"
        rf"(?: chord)? in (?:the key of )?({_KEY})",
        q,
        flags=re.I,
    )
    if not m:
        return None
    chord, k = parse_chord(m.group(1)), _key(m.group(2))
    if chord is None or k is None:
        return None
    num = roman_numeral(*chord, tonic=k[0], mode=k[1])
    if num is None:
        return None
    return f"In {k[0]} {k[1]}, {chord_name(*chord)} is {num}."


def _degree_q(q: str) -> str | None:
    m = re.fullmatch(
        rf"(?:what is |what's |which chord is )?(?:the )?([b#]?[ivIV]+(?:°7|ø7|maj7|°|\+|7)?) chord (?:in|of) "
        rf"(?:the key of )?({_KEY})",
        q,
    )
    if not m:
        m = re.fullmatch(
            rf"(?:what is |what's |which chord is )?(?:the )?([b#]?[ivIV]+(?:°7|ø7|maj7|°|\+|7)?) (?:in|of) "
            rf"(?:the key of )?({_KEY})",
            q,
        )
    if not m:
        return None
    k = _key(m.group(2))
    if k is None:
        return None
    c = chord_of_numeral(m.group(1), tonic=k[0], mode=k[1])
    if c is None:
        return None
    return f"In {k[0]} {k[1]}, {m.group(1)} is {chord_name(*c)}: {' '.join(map(str, chord_notes(*c)))}."


def _diatonic_q(q: str) -> str | None:
    m = re.fullmatch(rf"(?:what are )?(?:the )?(?:diatonic )?(?:chords|triads) (?:in|of) (?:the key of )?({_KEY})",
                     q, flags=re.I)  # fmt: skip
    if not m:
        return None
    k = _key(m.group(1))
    if k is None:
        return None
    parts = [f"{num} {chord_name(root, qual)}" for num, root, qual in diatonic_triads(*k)]
    return f"Chords in {k[0]} {k[1]}: {', '.join(parts)}."


def _transpose_q(q: str) -> str | None:
    m = re.fullmatch(r"transpose (.+?) (up|down) (?:by )?(\d{1,2}) (?:semitones?|half[ -]?steps?)", q, flags=re.I)
    if m:
        items, up, n = _split_items(m.group(1)), m.group(2).lower() == "up", int(m.group(3))
        if not items or n > 12:
            return None
        steps, semis = _DEFAULT_BY_SEMITONES[n % 12]
        if n == 12:
            steps, semis = 0, 0
        if not up:
            steps, semis = -steps, -semis
        out = []
        for it in items:
            c = parse_chord(it)
            if c is None:
                return None
            root = _respell_plain(transpose_note(c[0], steps=steps, semitones=semis), sharp=up)
            out.append(_item_text(it, root, c[1]))
        return f"{'Up' if up else 'Down'} {n} semitone{'s' if n != 1 else ''}: {' '.join(out)}"
    m = re.fullmatch(rf"transpose (.+?) from (?:the key of )?({_KEY}) to (?:the key of )?({_KEY})", q, flags=re.I)
    if m:
        items, k1, k2 = _split_items(m.group(1)), _key(m.group(2)), _key(m.group(3))
        if not items or k1 is None or k2 is None or k1[1] != k2[1]:
            return None
        steps = (LETTERS.index(k2[0].letter) - LETTERS.index(k1[0].letter)) % 7
        semis = (k2[0].pc - k1[0].pc) % 12
        out = []
        for it in items:
            c = parse_chord(it)
            if c is None:
                return None
            root = transpose_note(c[0], steps=steps, semitones=semis)
            if abs(root.acc) == 2:
                root = _simplest(root.pc, sharp=root.acc > 0)
            out.append(_item_text(it, root, c[1]))
        return f"From {k1[0]} {k1[1]} to {k2[0]} {k2[1]}: {' '.join(out)}"
    return None


def _item_text(original: str, root: Note, quality: str) -> str:
    m = re.match(r"([A-Ga-g])(##|#|bb|b(?![a-z]))?", original)
    suffix = original[m.end() :] if m else ""
    return f"{root}{suffix}"


def _interval_q(q: str) -> str | None:
    m = re.fullmatch(
        rf"(?:what is |what's )?(?:the )?interval (?:from|between) ({_NOTE}) (?:up )?(?:to|and) ({_NOTE})", q, re.I
    )
    if not m:
        return None
    a, b = parse_note(m.group(1)), parse_note(m.group(2))
    if a is None or b is None:
        return None
    iv = interval_name(a, b)
    if iv is None:
        return None
    return f"{a} up to {b} is {_a(iv[0])} {iv[0]} ({iv[1]} semitone{'s' if iv[1] != 1 else ''})."


def _tempo_q(q: str) -> str | None:
    values = "|".join(sorted((re.escape(k) for k in _NOTE_VALUES), key=len, reverse=True))
    m = re.fullmatch(
        rf"(?:how long is |how many (?:ms|milliseconds) is |what is the length of |length of |duration of )"
        rf"(?:a |an |one )?({values}) at (\d+(?:\.\d+)?) ?bpm",
        q,
        flags=re.I,
    )
    if m:
        bpm = float(m.group(2))
        if not 1 <= bpm <= 1000:
            return None
        beats = _NOTE_VALUES[m.group(1).lower()]
        value = m.group(1).lower()
        return f"At {_ms(bpm)} BPM {_a(value)} {value} lasts {_ms(60000.0 * beats / bpm)} ms."
    m = re.fullmatch(
        r"(?:how long (?:is|are) |length of |duration of )(?:a |one )?(\d+ )?(?:bars?|measures?) (?:of|in) "
        r"(\d{1,2})/(2|4|8|16) at (\d+(?:\.\d+)?) ?bpm",
        q,
        flags=re.I,
    )
    if m:
        n_bars = int(m.group(1) or 1)
        num, den, bpm = int(m.group(2)), int(m.group(3)), float(m.group(4))
        if not 1 <= bpm <= 1000 or num < 1:
            return None
        quarter_beats = num * 4.0 / den  # BPM counts quarter notes
        seconds = n_bars * quarter_beats * 60.0 / bpm
        bars = f"{n_bars} bar{'s' if n_bars != 1 else ''}"
        verb = "lasts" if n_bars == 1 else "last"
        return f"At {_ms(bpm)} BPM (quarter note = 1 beat), {bars} of {num}/{den} {verb} {_ms(seconds)} s."
    return None


_FIT_KEYS = ("C", "G", "D", "A", "E", "B", "F#", "Db", "Ab", "Eb", "Bb", "F")


def _fit_q(q: str) -> str | None:
    m = re.fullmatch(
        r"(?:what|which) keys? (?:fits?|matches|match|contains?|is this)(?: these chords)?:? (.+)", q, re.I
    )
    if not m:
        return None
    items = _split_items(m.group(1))
    chords = [parse_chord(it) for it in items]
    if len(chords) < 2 or any(c is None for c in chords):
        return None
    scores = []
    for name in _FIT_KEYS:
        tonic = parse_note(name)
        assert tonic is not None
        triads = {(r.pc, qq) for _, r, qq in diatonic_triads(tonic, "major")}
        n = sum(1 for c in chords if c is not None and (c[0].pc, _triad(c[1])) in triads)
        scores.append((n, tonic))
    best = max(n for n, _ in scores)
    winners = [t for n, t in scores if n == best]
    rel = {str(t): transpose_note(t, steps=5, semitones=9) for t in winners}
    listed = ", ".join(f"{t} major / {rel[str(t)]} minor" for t in winners)
    if best == len(chords):
        if len(winners) == 1:
            t = winners[0]
            return (f"All {len(chords)} chords are diatonic to {t} major (and to its relative minor, "
                    f"{rel[str(t)]} minor).")  # fmt: skip
        return f"All {len(chords)} chords fit {len(winners)} keys: {listed}."
    return (
        f"No single major or minor key contains all {len(chords)} chords; closest ({best} of {len(chords)}): {listed}."
    )


def _triad(quality: str) -> str:
    return {"7": "maj", "maj7": "maj", "m7": "min", "m7b5": "dim", "6": "maj", "m6": "min", "add9": "maj",
            "9": "maj", "maj9": "maj", "m9": "min"}.get(quality, quality)  # fmt: skip
