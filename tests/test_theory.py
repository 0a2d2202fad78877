from __future__ import annotations

import numpy as np
import pytest

from dawglib.exceptions import ParameterError
from dawglib.theory import SCALES, Key, cents_off_key, in_key, midi_to_hz, nearest_note


@pytest.mark.parametrize(
    "text, tonic, scale",
    [
        ("C major", 0, "major"),
        ("Am", 9, "minor"),
        ("F# minor", 6, "minor"),
        ("Eb dorian", 3, "dorian"),
        ("G", 7, "major"),
        ("bb major pentatonic", 10, "major pentatonic"),
        ("A aeolian", 9, "minor"),
    ],
)
def test_parse_keys(text, tonic, scale):
    assert Key.parse(text) == Key(tonic=tonic, scale=scale)


def test_key_names():
    assert Key.parse("A minor").note_names() == ["A", "B", "C", "D", "E", "F", "G"]
    assert Key.parse("Bb major").note_names()[:3] == ["Bb", "C", "D"]
    assert str(Key.parse("Bb major")) == "Bb major"
    assert all(len(set(v)) == len(v) for v in SCALES.values())


@pytest.mark.parametrize("bad", ["H major", "C lydian-ish", "", None, 3])
def test_bad_keys(bad):
    with pytest.raises(ParameterError):
        Key.parse(bad)
    with pytest.raises(ParameterError):
        Key(tonic=12)


def test_nearest_note_chromatic_and_in_key():
    assert nearest_note(440.0) == 69
    # C#4 sung: chromatic -> C#4; in C major it is equidistant C4/D4, slightly sharp -> D4
    f = midi_to_hz(61.1)
    assert nearest_note(f) == 61
    assert nearest_note(f, key="C major") == 62
    assert nearest_note(midi_to_hz(60.9), key="C major") == 60
    arr = nearest_note(np.array([midi_to_hz(61.1), np.nan, 0.0]), key="C major")
    assert arr.tolist() == [62, -1, -1]


def test_cents_off_key():
    assert cents_off_key(midi_to_hz(61.1), key="C major") == pytest.approx(-90, abs=1e-6)
    assert cents_off_key(midi_to_hz(61.1)) == pytest.approx(10, abs=1e-6)
    assert np.isnan(cents_off_key(np.array([0.0]), key="C major")[0])
    assert cents_off_key(440.0, key="A minor", a4_hz=442.0) == pytest.approx(-7.85, abs=0.01)


def test_in_key():
    assert in_key(60, key="C major") and not in_key(61, key="C major")
    assert in_key(np.array([61, 66, 68]), key="A major").all()
