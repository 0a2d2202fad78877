"""Bad input raises DawglibError subclasses with clear messages; random input never crashes."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dawglib.exceptions import AudioError, AudioFileError, DawglibError, ParameterError
from dawglib.pitch import track
from dawglib.synth import tone

Y = tone(220.0, sr=16000, duration_s=0.2)


@pytest.mark.parametrize(
    "y, kwargs, exc, match",
    [
        (np.array([], dtype=np.float32), {"sr": 16000}, AudioError, "empty"),
        (np.array([0.0, np.nan, 0.1]), {"sr": 16000}, AudioError, "NaN/inf"),
        (np.array([0.0, np.inf]), {"sr": 16000}, AudioError, "NaN/inf"),
        (np.zeros(100, dtype=np.int16), {"sr": 16000}, AudioError, "floating-point"),
        (np.zeros((2, 100), dtype=np.float32), {"sr": 16000}, AudioError, "mono"),
        ([0.1, 0.2], {"sr": 16000}, AudioError, "numpy.ndarray"),
        (Y, {"sr": 0}, ParameterError, "sr"),
        (Y, {"sr": -44100}, ParameterError, "sr"),
        (Y, {"sr": 10**9}, ParameterError, "sr"),
        (Y, {"sr": 44100.5}, ParameterError, "whole number"),
        (Y, {"sr": 16000, "fmin_hz": 500.0, "fmax_hz": 400.0}, ParameterError, "fmin_hz must be < fmax_hz"),
        (Y, {"sr": 16000, "fmax_hz": 9000.0}, ParameterError, "Nyquist"),
        (Y, {"sr": 16000, "fmin_hz": 0.0}, ParameterError, "fmin_hz"),
        (Y, {"sr": 16000, "fmin_hz": 9.2e-226, "fmax_hz": 1.0}, ParameterError, "fmin_hz must be >= 10 Hz"),
        (Y, {"sr": 16000, "method": "yin"}, ParameterError, "method must be one of"),
        (Y, {"sr": 16000, "hop_length": 0}, ParameterError, "hop_length"),
        (Y, {"sr": 16000, "hop_length": 2.5}, ParameterError, "hop_length"),
        (Y, {"sr": 16000, "method": "crepe", "model": "huge"}, ParameterError, "model"),
    ],
)
def test_bad_input_messages(y, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        track(y, **kwargs)


def test_one_sample_and_clipping_are_legal():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tr = track(np.array([0.5], dtype=np.float32), sr=16000)
    assert len(tr) == 1
    clipped = np.clip(4 * tone(200.0, sr=16000, duration_s=0.5), -1, 1)
    tr = track(clipped, sr=16000)
    assert abs(np.nanmedian(tr.f0_hz) - 200.0) < 1.0


def test_cli_bad_files(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF0000WAVEjunk")
    txt = tmp_path / "notes.txt"
    txt.write_text("hello")
    for path, msg in ((bad, "cannot decode"), (txt, "unsupported audio format"), (tmp_path / "nope.wav", "not found")):
        out = subprocess.run([sys.executable, "-m", "dawglib", "pitch", str(path)], capture_output=True, text=True)
        assert out.returncode == 2 and msg in out.stderr, out.stderr
        assert "Traceback" not in out.stderr


def test_load_audio_corrupt_raises(tmp_path):
    from dawglib.io import load_audio

    bad = tmp_path / "x.wav"
    bad.write_bytes(b"\x00" * 64)
    with pytest.raises(AudioFileError):
        load_audio(bad)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(min_value=0, max_value=6000),
    kind=st.sampled_from(["noise", "tone", "zeros", "const", "spikes", "huge", "tiny"]),
    sr=st.sampled_from([8000, 11025, 16000, 22050, 44100, 96000, 0, -1, 500]),
    fmin=st.one_of(st.floats(min_value=-10, max_value=3000), st.just(float("nan"))),
    fmax=st.one_of(st.floats(min_value=-10, max_value=60000), st.just(float("nan"))),
    hop=st.one_of(st.none(), st.integers(min_value=-2, max_value=5000)),
    seed=st.integers(0, 2**16),
)
def test_random_signals_never_crash(n, kind, sr, fmin, fmax, hop, seed):
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
        y = (rng.random(n) > 0.99).astype(np.float32)
    elif kind == "huge":
        y = (1e30 * rng.standard_normal(n)).astype(np.float64)
    else:
        y = (1e-30 * rng.standard_normal(n)).astype(np.float64)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tr = track(y, sr=sr, fmin_hz=fmin, fmax_hz=fmax, hop_length=hop)
    except DawglibError:
        return
    assert tr.f0_hz.shape == tr.voiced.shape == tr.times_s.shape
    v = tr.f0_hz[tr.voiced]
    assert np.all(np.isfinite(v)) and np.all(v > 0)
    assert np.all((tr.confidence >= 0) & (tr.confidence <= 1))
