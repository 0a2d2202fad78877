"""Bad input to dawglib.rhythm raises DawglibError subclasses; legal-but-empty input warns and returns empty."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dawglib.exceptions import AudioError, DawglibError, DawglibWarning, ParameterError
from dawglib.rhythm import beat_track, beats, onset_strength, onsets, tempo, tempo_candidates, timing, timing_grid
from dawglib.synth import click_track

Y, _ = click_track(bpm=120.0, sr=16000, duration_s=3.0)
FUNCS = (onsets, tempo, beats, onset_strength, tempo_candidates)


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize(
    "y, sr, exc, match",
    [
        (np.array([], dtype=np.float32), 16000, AudioError, "empty"),
        (np.array([0.0, np.nan, 0.1]), 16000, AudioError, "NaN/inf"),
        (np.array([0.0, np.inf]), 16000, AudioError, "NaN/inf"),
        (np.zeros(100, dtype=np.int16), 16000, AudioError, "floating-point"),
        (np.zeros((2, 100), dtype=np.float32), 16000, AudioError, "mono"),
        ([0.1, 0.2], 16000, AudioError, "numpy.ndarray"),
        (Y, 0, ParameterError, "sr"),
        (Y, -44100, ParameterError, "sr"),
        (Y, 10**9, ParameterError, "sr"),
        (Y, 44100.5, ParameterError, "whole number"),
        (Y, None, ParameterError, "sr"),
    ],
)
def test_bad_signals(func, y, sr, exc, match):
    with pytest.raises(exc, match=match):
        func(y, sr=sr)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"min_bpm": 0.0}, "min_bpm"),
        ({"min_bpm": 200.0, "max_bpm": 100.0}, "min_bpm < max_bpm"),
        ({"min_bpm": 100.0, "max_bpm": 150.0}, "one octave"),
        ({"max_bpm": float("nan")}, "max_bpm"),
    ],
)
def test_bad_tempo_ranges(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        tempo(Y, sr=16000, **kwargs)


def test_bad_onset_and_beat_parameters():
    with pytest.raises(ParameterError, match="attack_threshold"):
        onsets(Y, sr=16000, attack_threshold=1.5)
    with pytest.raises(ParameterError, match="delta"):
        onsets(Y, sr=16000, delta=-1.0)
    with pytest.raises(ParameterError, match="bpm"):
        beat_track(Y, sr=16000, bpm=-5.0)
    with pytest.raises(ParameterError, match="n must be"):
        tempo_candidates(Y, sr=16000, n=0)


@pytest.mark.parametrize("n", [1, 100, 16000 * 2])
def test_silence_warns_and_returns_empty(n):
    z = np.zeros(n, dtype=np.float32)
    with pytest.warns(DawglibWarning, match="silent"):
        assert onsets(z, sr=16000).size == 0
    with pytest.warns(DawglibWarning):
        assert np.isnan(tempo(z, sr=16000))
    with pytest.warns(DawglibWarning, match="no beats"):
        b = beat_track(z, sr=16000)
    assert len(b) == 0 and np.isnan(b.tempo_bpm) and b.downbeats_s.size == 0


def test_very_short_audio():
    y = np.roll(Y, 480)[:1600]  # 0.1 s with a click at 30 ms: onsets work, tempo and beats warn and are empty
    assert onsets(y, sr=16000).size >= 1
    with pytest.warns(DawglibWarning, match="shorter than"):
        assert len(tempo_candidates(y, sr=16000)) == 0
    with pytest.warns(DawglibWarning):
        assert beats(y, sr=16000).size == 0


def test_arrhythmic_noise_does_not_crash(rng):
    y = (0.1 * rng.standard_normal(16000 * 3)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DawglibWarning)
        t = tempo(y, sr=16000)
        b = beats(y, sr=16000)
    assert np.isnan(t) or 40 <= t <= 240
    assert np.all(np.diff(b) > 0)


@pytest.mark.parametrize(
    "onsets_s, kwargs, match",
    [
        ([0.1, 0.5], {}, "needs a grid"),
        ([0.1, np.nan], {"bpm": 100.0}, "finite"),
        ([[0.1, 0.2]], {"bpm": 100.0}, "1-D"),
        ([-0.5, 0.2], {"bpm": 100.0}, "did you supply times in seconds"),
        ([1000.0, 200000.0], {"bpm": 100.0}, "seconds"),
        (["a"], {"bpm": 100.0}, "times in seconds"),
        ([0.1], {"beats_s": [0.0, 1.0, 1.0]}, "strictly increasing"),
        ([0.1], {"beats_s": [0.0, 2.0, 1.0]}, "strictly increasing"),
        ([0.1], {"beats_s": [0.5]}, "at least 2 beats"),
        ([0.1], {"beats_s": [0.0, np.inf]}, "finite"),
        ([0.1], {"bpm": 0.0}, "bpm"),
        ([0.1], {"bpm": 100.0, "subdivision": 0}, "subdivision"),
        ([0.1], {"bpm": 100.0, "subdivision": 2.5}, "subdivision"),
        ([0.1], {"bpm": 100.0, "swing": 0.9}, "swing"),
        ([0.1], {"bpm": 100.0, "swing": 0.4}, "swing"),
        ([0.1], {"bpm": 100.0, "subdivision": 3, "swing": 0.6}, "even subdivision"),
        ([0.1], {"bpm": 100.0, "off_beat_ms": 0}, "off_beat_ms"),
        ([0.1], {"bpm": 100.0, "first_beat_s": -1.0}, "first_beat_s"),
    ],
)
def test_bad_timing_input(onsets_s, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        timing(onsets_s, **kwargs)


def test_timing_grid_bad_input():
    with pytest.raises(ParameterError, match="strictly increasing"):
        timing_grid(np.array([1.0, 0.5]))
    with pytest.raises(ParameterError, match="at least 2"):
        timing_grid(np.array([1.0]))


def test_empty_onsets_give_an_empty_report():
    with pytest.warns(DawglibWarning, match="no events"):
        rep = timing([], beats_s=[0.0, 0.5, 1.0])
    assert rep.n_events == 0 and len(rep.to_frame()) == 0
    assert np.isnan(rep.median_offset_ms) and np.isnan(rep.consistency)
    with pytest.warns(DawglibWarning):
        assert timing(np.zeros(0), bpm=90.0).n_events == 0


def test_one_and_duplicate_events_are_legal():
    rep = timing([0.52], beats_s=[0.0, 0.5, 1.0], subdivision=1)
    assert rep.n_events == 1 and abs(rep.offsets_ms[0] - 20.0) < 1e-9 and np.isnan(rep.std_offset_ms)
    rep = timing([0.5, 0.5, 1.01], beats_s=[0.0, 0.5, 1.0])
    assert rep.n_events == 3


def test_cli_bad_files(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF0000WAVEjunk")
    for path, msg in ((bad, "cannot decode"), (tmp_path / "nope.wav", "not found")):
        out = subprocess.run([sys.executable, "-m", "dawglib", "rhythm", str(path)], capture_output=True, text=True)
        assert out.returncode == 2 and msg in out.stderr, out.stderr
        assert "Traceback" not in out.stderr


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(min_value=0, max_value=40000),
    kind=st.sampled_from(["noise", "tone", "zeros", "const", "spikes", "huge", "tiny"]),
    sr=st.sampled_from([8000, 11025, 16000, 22050, 44100, 96000, 0, 500]),
    seed=st.integers(0, 2**16),
)
def test_random_signals_never_crash(n, kind, sr, seed):
    rng = np.random.default_rng(seed)
    if kind == "noise":
        y = rng.standard_normal(n).astype(np.float32)
    elif kind == "tone":
        y = np.sin(2 * np.pi * rng.uniform(50, 2000) * np.arange(n) / max(sr, 1)).astype(np.float32)
    elif kind == "zeros":
        y = np.zeros(n, dtype=np.float32)
    elif kind == "const":
        y = np.full(n, 0.3, dtype=np.float64)
    elif kind == "spikes":
        y = (rng.random(n) > 0.995).astype(np.float32)
    elif kind == "huge":
        y = (1e30 * rng.standard_normal(n)).astype(np.float64)
    else:
        y = (1e-30 * rng.standard_normal(n)).astype(np.float64)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ons = onsets(y, sr=sr)
            b = beat_track(y, sr=sr)
    except DawglibError:
        return
    assert np.all(np.isfinite(ons)) and np.all(np.diff(ons) > 0)
    assert np.all(np.diff(b.beats_s) > 0)
    assert np.isnan(b.tempo_bpm) or b.tempo_bpm > 0
