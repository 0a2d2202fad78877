from __future__ import annotations

import numpy as np
import pytest

from dawglib.convert import (
    cents_off,
    hz_to_midi,
    hz_to_note_name,
    midi_to_hz,
    midi_to_note_name,
    note_name_to_hz,
    note_name_to_midi,
)
from dawglib.exceptions import ParameterError


@pytest.mark.parametrize(
    "hz, name",
    [(440.0, "A4"), (261.6256, "C4"), (622.254, "D#5"), (27.5, "A0"), (4186.01, "C8"), (82.407, "E2")],
)
def test_note_names(hz, name):
    assert hz_to_note_name(hz) == name
    assert abs(note_name_to_hz(name) - hz) / hz < 1e-4


def test_a4_reference():
    assert hz_to_note_name(432.0, a4_hz=432.0) == "A4"
    assert abs(cents_off(432.0) - (-31.77)) < 0.01
    assert abs(cents_off(432.0, a4_hz=432.0)) < 1e-9
    with pytest.raises(ParameterError, match="a4_hz"):
        hz_to_midi(440.0, a4_hz=0.0)


def test_midi_roundtrip_arrays(rng):
    m = rng.uniform(20, 110, 1000)
    np.testing.assert_allclose(hz_to_midi(midi_to_hz(m)), m, atol=1e-9)


def test_cents_off_nearest_note_range_and_sign():
    f = midi_to_hz(np.array([69.1, 68.9, 69.49, 69.51]))
    np.testing.assert_allclose(cents_off(f), [10, -10, 49, -49], atol=1e-6)
    assert cents_off(445.0, reference_hz=440.0) == pytest.approx(19.56, abs=0.01)


def test_unvoiced_is_nan():
    out = hz_to_midi(np.array([0.0, -5.0, np.nan, 440.0]))
    assert np.isnan(out[:3]).all() and out[3] == 69.0
    assert list(midi_to_note_name(np.array([np.nan, 60.0]))) == ["", "C4"]


@pytest.mark.parametrize("name, midi", [("C4", 60), ("c4", 60), ("Bb3", 58), ("D#5", 75), ("C-1", 0), ("B♭3", 58)])
def test_parse(name, midi):
    assert note_name_to_midi(name) == midi


@pytest.mark.parametrize("bad", ["H4", "C", "4C", "", None, "C##4"])
def test_parse_errors(bad):
    with pytest.raises(ParameterError):
        note_name_to_midi(bad)
