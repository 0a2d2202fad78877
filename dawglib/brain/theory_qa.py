"""Exact music-theory answers for the offline provider: spelled chords, scales, keys, numerals, transposition.

Everything is computed by :mod:`dawglib.theory`, with correct letter-name spelling (an interval is
a number of letter steps *and* a number of semitones, so F# major is F# A# C# and Db minor is
Db Fb Ab); this module only understands the questions and words the answers. A question that does
not match one of the patterns below gets ``None`` — the offline provider then says plainly that it
needs an API key; nothing is guessed.

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

from .. import theory
from ..exceptions import ParameterError
from ..theory import Note, transpose_note

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

#: This module's quality names that differ from :data:`dawglib.theory.CHORD_QUALITIES` ("maj" is "").
_QA_QUALITY = {"maj": "", "min": "m"}
_QUALITY_QA = {v: k for k, v in _QA_QUALITY.items()}


def parse_note(s: str) -> Note | None:
    """'C', 'f#', 'Bb', 'Ebb', 'C##' -> Note; anything else -> None."""
    try:
        return Note.parse(s)
    except ParameterError:
        return None


def _chord(s: str) -> theory.Chord | None:
    """A chord symbol or name ('F#m7b5', 'Bb maj7', 'Eb minor 7 chord') -> Chord, or None."""
    text = re.sub(r"\bchord\b", "", s, flags=re.I).strip()
    if "/" in text:
        return None
    try:
        return theory.parse_chord(text)
    except ParameterError:
        return None


def parse_chord(s: str) -> tuple[Note, str] | None:
    """'C', 'F#m7b5', 'Bb maj7', 'Eb minor 7', 'D major seventh' -> (root, quality) or None.

    Qualities are those of :data:`dawglib.theory.CHORD_QUALITIES`, except that a major triad is
    ``"maj"`` and a minor triad ``"min"``.
    """
    ch = _chord(s)
    return None if ch is None else (ch.root_note, _QUALITY_QA.get(ch.quality, ch.quality))


def _as_chord(root: Note, quality: str) -> theory.Chord:
    return theory.Chord(root.pc, _QA_QUALITY.get(quality, quality), flats=root.acc < 0, spelling=root)


def chord_notes(root: Note, quality: str) -> list[Note]:
    """The spelled notes of a chord, root first (the 9th last)."""
    return _as_chord(root, quality).notes


def scale_notes(tonic: Note, mode: str) -> list[Note]:
    """The spelled notes of a scale (any name :func:`dawglib.theory.scale_notes` knows)."""
    return theory.scale_notes(tonic, mode)


def roman_numeral(root: Note, quality: str, *, tonic: Note, mode: str) -> str | None:
    """The roman numeral of a chord in a key ('vi', 'V7', 'bVII', 'vii°'); None when it has none."""
    try:
        return theory.chord_to_roman(_as_chord(root, quality), theory.Key(tonic.pc, mode, spelling=tonic))
    except ParameterError:
        return None


def interval_name(a: Note, b: Note) -> tuple[str, int] | None:
    """Name and size in semitones of the ascending interval from a to b (within an octave)."""
    iv = theory.interval_between(a, b)
    return iv.name, iv.semitones


# -- tempo ----------------------------------------------------------------------------------------
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
_ROOT_RE = re.compile(r"[A-Ga-g](?:##|#|bb|b)?")


def _normalise(q: str) -> str:
    q = q.strip().replace("♯", "#").replace("♭", "b").replace("’", "'")
    q = re.sub(r"\b([A-Ga-g])[\s-]?flat\b", r"\1b", q, flags=re.I)
    q = re.sub(r"\b([A-Ga-g])[\s-]?sharp\b", r"\1#", q, flags=re.I)
    q = re.sub(r"[?.!]+$", "", q).strip()
    return re.sub(r"\s+", " ", q)


def _split_items(s: str) -> list[str]:
    return [x for x in re.split(r"[\s,]+|\s*-\s*", s.strip()) if x and x.lower() not in ("and", "the", "chords")]


def _key(s: str) -> theory.Key | None:
    """'C', 'Eb major', 'F#m', 'a min' -> a major or minor Key; anything else -> None."""
    m = re.fullmatch(r"([a-g](?:##|#|bb|b)?)\s*(major|minor|maj|min|m)?", s.strip(), flags=re.I)
    tonic = parse_note(m.group(1)) if m else None
    if m is None or tonic is None:
        return None
    mode = "minor" if (m.group(2) or "").lower() in ("minor", "min", "m") else "major"
    return theory.Key(tonic.pc, mode, spelling=tonic)


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


def _notes(notes: list[Note]) -> str:
    return " ".join(map(str, notes))


def _chord_q(q: str) -> str | None:
    m = re.fullmatch(
        r"(?:spell|how do (?:you|i) spell|what (?:notes )?(?:are|is) in|what are the notes (?:of|in)|notes (?:of|in)"
        r"|what notes make up|which notes are in|what notes are in)\s+(?:the\s+|an?\s+)?(?:chord\s+)?(.+?)"
        r"(?:\s+chord)?",
        q,
        flags=re.I,
    )
    ch = _chord(m.group(1)) if m else None
    return None if ch is None else f"{ch.long_name}: {_notes(ch.notes)}"


#: Scale words understood in questions -> canonical scale name.
_SCALE_WORDS = {
    **{name.replace("_", " "): name for name in theory.SCALES if name != "chromatic"},
    "ionian": "major", "natural minor": "minor", "aeolian": "minor",
}  # fmt: skip


def _scale_q(q: str) -> str | None:
    modes = "|".join(sorted((re.escape(k) for k in _SCALE_WORDS), key=len, reverse=True))
    m = re.fullmatch(
        rf"(?:spell|what are the notes (?:of|in)|what notes are in|notes (?:of|in)|which notes are in)\s+"
        rf"(?:the\s+|an?\s+)?({_NOTE})\s+({modes})\s+scale",
        q,
        flags=re.I,
    )
    tonic = parse_note(m.group(1)) if m else None
    if m is None or tonic is None:
        return None
    mode = m.group(2).lower()
    return f"{tonic} {mode} scale: {_notes(theory.scale_notes(tonic, _SCALE_WORDS[mode]))}"


def _relative_q(q: str) -> str | None:
    m = re.fullmatch(rf"(?:what is |what's )?(?:the )?relative (major|minor) (?:key )?(?:of|for|to) ({_KEY})", q, re.I)
    k = _key(m.group(2)) if m else None
    if m is None or k is None or k.scale == m.group(1).lower():
        return None
    return f"The relative {m.group(1).lower()} of {k.name} is {k.relative.name}."


def _keysig_q(q: str) -> str | None:
    m = re.fullmatch(
        rf"(?:how many (?:sharps|flats|sharps or flats|accidentals) (?:are |does )?(?:there )?(?:in |have )?"
        rf"(?:the key of )?({_KEY})(?: have)?|(?:what is )?(?:the )?key signature (?:of|for) ({_KEY}))",
        q,
        flags=re.I,
    )
    k = _key(m.group(1) or m.group(2)) if m else None
    if k is None:
        return None
    sig = k.signature
    if not sig:
        return f"{k.name} has no sharps or flats."
    if len({n.acc > 0 for n in sig}) > 1:
        return None  # no standard signature
    count = sum(abs(n.acc) for n in sig)  # a double sharp counts twice (theoretical keys such as G# major)
    word = ("sharp" if sig[0].acc > 0 else "flat") + ("s" if count != 1 else "")
    return f"{k.name} has {count} {word}: {_notes(list(sig))}."


def _numeral_q(q: str) -> str | None:
    m = re.fullmatch(
        rf"(?:what is )?(?:the )?(?:roman numeral|numeral|function|scale degree) (?:of|for) (?:the )?(?:chord )?(.+?)"
        rf"(?: chord)? in (?:the key of )?({_KEY})",
        q,
        flags=re.I,
    )
    if not m:
        return None
    ch, k = _chord(m.group(1)), _key(m.group(2))
    if ch is None or k is None:
        return None
    try:
        num = theory.chord_to_roman(ch, k)
    except ParameterError:
        return None
    return f"In {k.name}, {ch.long_name} is {num}."


_NUMERAL = r"[b#]?[ivIV]+(?:°7|ø7|maj7|°|\+|7)?"


def _degree_q(q: str) -> str | None:
    m = re.fullmatch(
        rf"(?:what is |what's |which chord is )?(?:the )?({_NUMERAL}) chord (?:in|of) (?:the key of )?({_KEY})", q
    )
    if not m:
        m = re.fullmatch(
            rf"(?:what is |what's |which chord is )?(?:the )?({_NUMERAL}) (?:in|of) (?:the key of )?({_KEY})", q
        )
    k = _key(m.group(2)) if m else None
    if m is None or k is None:
        return None
    try:
        ch = theory.roman_to_chord(m.group(1), k)
    except ParameterError:
        return None
    return f"In {k.name}, {m.group(1)} is {ch.long_name}: {_notes(ch.notes)}."


def _diatonic_q(q: str) -> str | None:
    m = re.fullmatch(rf"(?:what are )?(?:the )?(?:diatonic )?(?:chords|triads) (?:in|of) (?:the key of )?({_KEY})",
                     q, flags=re.I)  # fmt: skip
    k = _key(m.group(1)) if m else None
    if k is None:
        return None
    return f"Chords in {k.name}: {', '.join(f'{num} {ch.long_name}' for num, ch in k.triads())}."


def _transpose_q(q: str) -> str | None:
    m = re.fullmatch(r"transpose (.+?) (up|down) (?:by )?(\d{1,2}) (?:semitones?|half[ -]?steps?)", q, flags=re.I)
    if m:
        items, up, n = _split_items(m.group(1)), m.group(2).lower() == "up", int(m.group(3))
        if not items or n > 12:
            return None
        out = _transpose_items(items, semitones=n if up else -n, steps=None)
        return None if out is None else f"{'Up' if up else 'Down'} {n} semitone{'s' if n != 1 else ''}: {out}"
    m = re.fullmatch(rf"transpose (.+?) from (?:the key of )?({_KEY}) to (?:the key of )?({_KEY})", q, flags=re.I)
    if m:
        items, k1, k2 = _split_items(m.group(1)), _key(m.group(2)), _key(m.group(3))
        if not items or k1 is None or k2 is None or k1.scale != k2.scale:
            return None
        iv = theory.interval_between(k1.tonic_note, k2.tonic_note)
        out = _transpose_items(items, semitones=iv.semitones, steps=iv.steps)
        return None if out is None else f"From {k1.name} to {k2.name}: {out}"
    return None


def _transpose_items(items: list[str], *, semitones: int, steps: int | None) -> str | None:
    """Each chord moved by the interval, written with the original suffix ('Dm7' -> 'Fm7')."""
    out = []
    for it in items:
        ch = _chord(it)
        if ch is None:
            return None
        root = theory.transpose_chord(ch, semitones=semitones, steps=steps).root_note
        m = _ROOT_RE.match(it)
        out.append(f"{root}{it[m.end() :] if m else ''}")
    return " ".join(out)


def _interval_q(q: str) -> str | None:
    m = re.fullmatch(
        rf"(?:what is |what's )?(?:the )?interval (?:from|between) ({_NOTE}) (?:up )?(?:to|and) ({_NOTE})", q, re.I
    )
    a, b = (parse_note(m.group(1)), parse_note(m.group(2))) if m else (None, None)
    if a is None or b is None:
        return None
    iv = theory.interval_between(a, b)
    n = iv.semitones
    return f"{a} up to {b} is {_a(iv.name)} {iv.name} ({n} semitone{'s' if n != 1 else ''})."


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


def _fit_q(q: str) -> str | None:
    m = re.fullmatch(
        r"(?:what|which) keys? (?:fits?|matches|match|contains?|is this)(?: these chords)?:? (.+)", q, re.I
    )
    if not m:
        return None
    chords = [_chord(it) for it in _split_items(m.group(1))]
    if len(chords) < 2 or any(c is None for c in chords):
        return None
    ranked = theory.keys_from_chords(c for c in chords if c is not None)
    best = ranked[0][1]
    winners = [k for k, n in ranked if n == best]
    listed = ", ".join(f"{k.name} / {k.relative.name}" for k in winners)
    if best == len(chords):
        if len(winners) == 1:
            k = winners[0]
            return f"All {len(chords)} chords are diatonic to {k.name} (and to its relative minor, {k.relative.name})."
        return f"All {len(chords)} chords fit {len(winners)} keys: {listed}."
    return (
        f"No single major or minor key contains all {len(chords)} chords; closest ({best} of {len(chords)}): {listed}."
    )
