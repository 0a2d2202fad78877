"""FluidSynth renders (few and short: they are the slow part)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from dawglib.exceptions import AudioFileError, DependencyError
from dawglib.producer import arrange_song, generate_beat


def test_beat_renders_exact_length_with_kicks_where_written(tmp_path):
    sr = 22050
    b = generate_beat(genre="house", bpm=120, bars=4, complexity="simple", seed=1, humanize=False)
    y = b.render(sr=sr)
    assert y.dtype == np.float32 and y.size == round(b.duration_s * sr)
    assert 0.05 < float(np.abs(y).max()) <= 1.0
    # energy of 20 ms after each beat is far above the 20 ms before the beat (the kick is there)
    win = int(0.02 * sr)
    idx = [int(i * 0.5 * sr) for i in range(1, 16)]
    after = np.array([np.sqrt(np.mean(y[i : i + win] ** 2)) for i in idx])
    before = np.array([np.sqrt(np.mean(y[i - win : i] ** 2)) for i in idx])
    assert np.median(after / np.maximum(before, 1e-9)) > 2.0
    path = b.to_wav(tmp_path / "house.wav", sr=sr)
    info = sf.info(str(path))
    assert info.samplerate == sr and abs(info.duration - b.duration_s) < 1e-3


def test_song_renders(tmp_path):
    s = arrange_song(genre="reggae", key="G", bpm=150, structure=("verse",), seed=2)
    y = s.render(sr=16000, tail_s=0.5)
    assert y.size == round((s.duration_s + 0.5) * 16000) and np.abs(y).max() > 0.05


def test_unwritable_wav_and_missing_soundfont(tmp_path):
    b = generate_beat(genre="pop", bpm=100, bars=4, seed=0)
    with pytest.raises(AudioFileError, match="directory"):
        b.to_wav(tmp_path, sr=16000)
    with pytest.raises(DependencyError, match="apt-get install fluidsynth fluid-soundfont-gm"):
        b.render(sr=16000, soundfont=tmp_path / "missing.sf2")
