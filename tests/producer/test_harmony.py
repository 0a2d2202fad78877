from __future__ import annotations

import numpy as np
import pytest

from dawglib.exceptions import DawglibError, ParameterError
from dawglib.producer.grooves import genre_names
from dawglib.producer.harmony import (
    PROGRESSIONS,
    SCALES,
    Chord,
    chord_in_key,
    chord_to_roman,
    is_borrowed,
    parse_chord,
    parse_key,
    progression,
    roman_to_chord,
    voice_lead,
)


@pytest.mark.parametrize(
    ("name", "tonic", "scale"),
    [
        ("C", 0, "major"),
        ("Am", 9, "minor"),
        ("F# minor", 6, "minor"),
        ("Bb dorian", 10, "dorian"),
        ("E minor pentatonic", 4, "minor_pentatonic"),
        ("A blues", 9, "blues"),
        ("Eb major", 3, "major"),
        ("d mixolydian", 2, "mixolydian"),
        ("G harmonic minor", 7, "harmonic_minor"),
    ],
)
def test_parse_key(name, tonic, scale):
    k = parse_key(name)
    assert (k.tonic, k.scale) == (tonic, scale)
    assert len(k.pitch_classes) == len(SCALES[scale])


@pytest.mark.parametrize("bad", ["H major", "C superlocrian", "", "major", 5])
def test_bad_key_is_clear(bad):
    with pytest.raises(ParameterError, match="key|scale|note"):
        parse_key(bad)


def test_scales_known_answers():
    assert parse_key("C major").pitch_classes == (0, 2, 4, 5, 7, 9, 11)
    assert parse_key("A minor").pitch_classes == (9, 11, 0, 2, 4, 5, 7)
    assert parse_key("A blues").pitch_classes == (9, 0, 2, 3, 4, 7)
    assert parse_key("C major pentatonic").pitch_classes == (0, 2, 4, 7, 9)
    assert parse_key("D dorian").pitch_classes == parse_key("C major").pitch_classes[1:] + (0,)


@pytest.mark.parametrize(
    ("symbol", "pcs"),
    [
        ("C", (0, 4, 7)),
        ("F#m7", (6, 9, 1, 4)),
        ("Bbmaj7", (10, 2, 5, 9)),
        ("Bø7", (11, 2, 5, 9)),
        ("G7/B", (7, 11, 2, 5)),
    ],
)
def test_chord_spelling(symbol, pcs):
    assert parse_chord(symbol).pitch_classes == pcs


def test_bad_chord():
    with pytest.raises(ParameterError, match="quality"):
        parse_chord("Cwhatever")
    with pytest.raises(DawglibError):
        Chord(0, "nope")


@pytest.mark.parametrize(
    ("numeral", "key", "name"),
    [
        ("I", "C", "C"),
        ("vi", "C", "Am"),
        ("V7", "C", "G7"),
        ("vii°", "C", "Bdim"),
        ("ii7", "F", "Gm7"),
        ("i", "A minor", "Am"),
        ("VI", "A minor", "F"),
        ("V7", "A minor", "E7"),
        ("iiø7", "A minor", "Bm7b5"),
        ("bVII", "C", "Bb"),
        ("iv", "C", "Fm"),
        ("bVI", "C", "Ab"),
        ("V7/V", "C", "D7"),
        ("Imaj7", "Eb", "Ebmaj7"),
    ],
)
def test_roman_numerals(numeral, key, name):
    assert roman_to_chord(numeral, key).name == name


def test_roman_round_trip():
    key = parse_key("C")
    for rn in ["I", "ii", "iii", "IV", "V", "vi", "vii°", "iv", "bVII", "bVI", "V7", "Imaj7", "ii7"]:
        assert chord_to_roman(roman_to_chord(rn, key), key) == rn


def test_borrowed_chords():
    assert is_borrowed("iv", "C") and is_borrowed("bVII", "C") and is_borrowed("bVI", "C")
    assert not is_borrowed("IV", "C") and not is_borrowed("V7", "A minor")
    assert is_borrowed("IV", "A minor")  # Dorian/major IV in minor


@pytest.mark.parametrize("genre", genre_names())
@pytest.mark.parametrize("key", ["C", "Eb major", "A minor", "F# minor"])
def test_genre_progressions_are_in_key(genre, key):
    # Every chord is diatonic (minor keys: harmonic-minor V/vii° count) or an explicitly borrowed
    # chord from the parallel key; diatonic chords are the large majority.
    k = parse_key(key)
    table = PROGRESSIONS[genre]["minor" if k.is_minor else "major"]
    n = diatonic = 0
    for prog in table:
        for rn, ch in zip(prog, progression(prog, k)):
            n += 1
            if chord_in_key(ch, k, allow_borrowed=False):
                diatonic += 1
            elif "/" in rn:  # applied (secondary) dominant of a diatonic chord
                target = roman_to_chord(rn.split("/")[1], k)
                assert chord_in_key(target, k, allow_borrowed=False) and ch.quality == "7"
            else:
                assert is_borrowed(rn, k) or chord_in_key(ch, k), f"{genre} {key}: {rn} = {ch.name} not in key"
    assert diatonic / n >= 0.8


def test_voice_leading_moves_less_than_block_chords():
    chords = progression(["ii7", "V7", "Imaj7", "vi7", "IV", "V", "iii", "vi"], "C")
    led = voice_lead(chords, n_voices=4, low_midi=50, high_midi=74)
    for v, ch in zip(led, chords):
        assert list(v) == sorted(v) and 50 <= v[0] and v[-1] <= 74
        assert {p % 12 for p in v} <= set(ch.pitch_classes)
        assert ch.root in {p % 12 for p in v}
    moved = np.mean([sum(abs(a - b) for a, b in zip(x, y)) / 4 for x, y in zip(led, led[1:])])
    block = [tuple(sorted(60 + (ch.root + i) % 12 for i in ch.intervals[:4])) for ch in chords]
    block_moved = np.mean([sum(abs(a - b) for a, b in zip(x, y)) / len(x) for x, y in zip(block, block[1:])])
    assert moved <= 2.0, f"mean voice movement {moved:.2f} semitones"
    assert moved < block_moved


def test_voice_lead_bad_input():
    with pytest.raises(ParameterError, match="n_voices"):
        voice_lead(["C"], n_voices=7)
