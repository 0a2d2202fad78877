from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from dawglib.exceptions import AudioError, AudioFileError, DawglibError, ParameterError
from dawglib.io import load_audio, resample, write_audio
from dawglib.synth import tone


def test_roundtrip_keeps_rate_and_dtype(tmp_path):
    y = tone(440.0, sr=16000, duration_s=0.5)
    path = write_audio(tmp_path / "a.wav", y, sr=16000, subtype="FLOAT")
    z, sr = load_audio(path)
    assert sr == 16000 and z.dtype == np.float32 and z.shape == y.shape
    np.testing.assert_allclose(z, y, atol=1e-6)


def test_resample_on_load_keeps_frequency(tmp_path):
    y = tone(1000.0, sr=44100, duration_s=1.0)
    path = write_audio(tmp_path / "b.flac", y, sr=44100, subtype="PCM_24")
    z, sr = load_audio(path, sr=16000)
    assert sr == 16000 and abs(z.size - 16000) <= 1
    spec = np.abs(np.fft.rfft(z * np.hanning(z.size)))
    peak_hz = np.argmax(spec) * sr / z.size
    assert abs(peak_hz - 1000.0) <= 1.0
    # soxr keeps the level: RMS within 0.1 dB of a sine of amplitude 0.5
    rms = np.sqrt(np.mean(z[1000:-1000] ** 2))
    assert abs(20 * np.log10(rms / (0.5 / np.sqrt(2)))) < 0.1


def test_stereo_mixdown_and_keep(tmp_path):
    left = tone(440.0, sr=8000, duration_s=0.25)
    st = np.stack([left, np.zeros_like(left)])
    path = write_audio(tmp_path / "s.wav", st, sr=8000, subtype="FLOAT")
    mono, _ = load_audio(path)
    both, _ = load_audio(path, mono=False)
    assert mono.shape == left.shape and both.shape == (2, left.size)
    np.testing.assert_allclose(mono, left / 2, atol=1e-6)


def test_integer_pcm_file_is_scaled(tmp_path):
    path = tmp_path / "i.wav"
    sf.write(path, (np.ones(100) * 16384).astype(np.int16), 8000, subtype="PCM_16")
    y, _ = load_audio(path)
    assert y.dtype == np.float32 and np.allclose(y, 0.5)


def _put(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda d: d / "missing.wav", "not found"),
        (lambda d: d, "directory"),
        (lambda d: _put(d / "x.txt", b"hi"), "unsupported audio format"),
        (lambda d: _put(d / "e.wav", b""), "empty"),
        (lambda d: _put(d / "c.wav", b"RIFF\x00\x00garbage" * 10), "cannot decode"),
    ],
)
def test_bad_files_raise_audio_file_error(tmp_path, make, match):
    with pytest.raises(AudioFileError, match=match):
        load_audio(make(tmp_path))


@pytest.mark.parametrize("sr", [0, -1, 1.5, float("nan"), 10**9, "44100", True])
def test_bad_sr(tmp_path, sr):
    path = write_audio(tmp_path / "a.wav", tone(440.0, sr=8000, duration_s=0.1), sr=8000)
    with pytest.raises(ParameterError, match="sr"):
        load_audio(path, sr=sr)


@pytest.mark.parametrize(
    "y, match",
    [
        (np.array([], dtype=np.float32), "empty"),
        (np.array([0.0, np.nan]), "finite"),
        (np.array([1, 2, 3]), "floating-point"),
        ([0.1, 0.2], "numpy.ndarray"),
    ],
)
def test_resample_rejects_bad_audio(y, match):
    with pytest.raises(AudioError, match=match):
        resample(y, orig_sr=8000, target_sr=16000)
    with pytest.raises(DawglibError):
        resample(y, orig_sr=8000, target_sr=16000)
