"""MIDI rendering with FluidSynth: both engines play the right notes at the right times."""

from __future__ import annotations

import numpy as np
import pytest

from dawglib.exceptions import MidiError, ParameterError
from dawglib.render import render_midi

SR = 22050


def _midi(tmp_path, notes, program=0):
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(program=program)
    for s, e, p in notes:
        inst.notes.append(pretty_midi.Note(velocity=100, pitch=p, start=s, end=e))
    pm.instruments.append(inst)
    path = tmp_path / "t.mid"
    pm.write(str(path))
    return path


def _onset_s(y, thresh=0.1):
    env = np.abs(y)
    return np.flatnonzero(env > thresh * env.max())[0] / SR


def _f0(y):
    seg = y[: SR // 2] * np.hanning(SR // 2)
    spec = np.abs(np.fft.rfft(seg, 8 * seg.size))
    freqs = np.fft.rfftfreq(8 * seg.size, 1 / SR)
    band = (freqs > 300) & (freqs < 600)
    return freqs[band][np.argmax(spec[band])]


@pytest.mark.parametrize("engine", ["inprocess", "cli"])
def test_a440_at_the_right_time(tmp_path, engine):
    path = _midi(tmp_path, [(0.5, 1.5, 69)], program=73)  # flute: a clean fundamental
    y = render_midi(path, sr=SR, engine=engine)
    assert y.dtype == np.float32 and y.ndim == 1
    assert abs(_onset_s(y, thresh=0.02) - 0.5) < 0.015  # s
    assert abs(_f0(y[int(0.6 * SR) :]) - 440.0) < 2.0  # Hz
    assert 1.5 * SR < y.size < 6.0 * SR


def test_engines_agree(tmp_path):
    path = _midi(tmp_path, [(0.25, 0.75, 60), (1.0, 1.5, 64), (1.75, 2.25, 67)])
    a = render_midi(path, sr=SR, engine="inprocess")
    b = render_midi(path, sr=SR, engine="cli")
    n = min(a.size, b.size, int(2.5 * SR))
    rms_a, rms_b = np.sqrt(np.mean(a[:n] ** 2)), np.sqrt(np.mean(b[:n] ** 2))
    assert abs(20 * np.log10(rms_a / rms_b)) < 1.0  # dB
    assert abs(_onset_s(a) - _onset_s(b)) < 0.005


def test_bad_input(tmp_path):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd garbage")
    for engine in ("inprocess", "cli"):
        with pytest.raises(MidiError):
            render_midi(bad, sr=SR, engine=engine)
    with pytest.raises(MidiError, match="not found"):
        render_midi(tmp_path / "missing.mid", sr=SR)
    with pytest.raises(ParameterError, match="engine"):
        render_midi(bad, sr=SR, engine="magic")


def test_same_midi_same_samples(tmp_path):
    path = _midi(tmp_path, [(0.1, 0.4, 60), (0.5, 0.9, 67)], program=0)
    other = tmp_path / "o.mid"
    other.write_bytes(_midi(tmp_path / "..", [(0.0, 0.33, 40)], program=33).read_bytes())
    a = render_midi(path, sr=SR)
    render_midi(other, sr=44100)  # a different render in between must not leak into the next one
    b = render_midi(path, sr=SR)
    np.testing.assert_array_equal(a, b)
