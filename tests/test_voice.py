from __future__ import annotations

import numpy as np
import pytest

from dawglib.exceptions import ParameterError
from dawglib.io import load_audio
from dawglib.pitch import track
from dawglib.synth import f0_contour, sung_vowel, tone
from dawglib.voice import analyse, quality, stability, vocal_range


def test_range_ignores_passing_notes():
    sr = 16000
    # a 60 ms passing note at MIDI 72 is not a stable note
    f0 = f0_contour([(0.1, 0.7, 55), (0.7, 0.76, 72), (0.76, 1.4, 67), (1.5, 2.1, 60)], sr=sr)
    r = vocal_range(track(sung_vowel(f0, sr=sr, seed=1), sr=sr))
    assert (r.low_name, r.high_name, r.semitones) == ("G3", "G4", 12)


def test_range_of_silence_is_empty():
    with pytest.warns(UserWarning):
        tr = track(np.zeros(8000, dtype=np.float32), sr=16000)
    r = vocal_range(tr)
    assert r.low_midi == -1 and r.semitones == 0
    s = stability(tr)
    assert s.n_notes == 0 and np.isnan(s.spread_cents)


def test_stability_steady_vs_wobbly(rng):
    sr = 16000
    steady = sung_vowel(f0_contour([(0.1, 1.5, 60)], sr=sr, vibrato_hz=5.5, vibrato_cents=40), sr=sr, seed=1)
    f0 = f0_contour([(0.1, 1.5, 60)], sr=sr)
    wob = np.interp(np.arange(f0.size), np.arange(0, f0.size, 400), rng.normal(0, 25, f0.size // 400 + 1))
    wobbly = sung_vowel(np.where(f0 > 0, f0 * 2 ** (wob / 1200), 0), sr=sr, seed=1)
    s1 = stability(track(steady, sr=sr))
    s2 = stability(track(wobbly, sr=sr))
    assert s1.spread_cents < 5  # vibrato is removed before measuring spread
    assert s2.spread_cents > 2 * s1.spread_cents
    assert s1.in_tune_ratio == 1.0 and s1.n_notes == 1


def test_quality_measures_of_clean_and_jittery_voice():
    sr = 22050
    f0 = f0_contour([(0.05, 1.05, 57)], sr=sr)
    clean = quality(sung_vowel(f0, sr=sr, seed=1), sr=sr)
    rough = quality(sung_vowel(f0, sr=sr, jitter=0.02, shimmer=0.2, breath=0.3, seed=1), sr=sr)
    assert clean.jitter_percent < 0.5 and clean.hnr_db > 20
    assert rough.jitter_percent > clean.jitter_percent
    assert rough.shimmer_percent > clean.shimmer_percent
    assert rough.hnr_db < clean.hnr_db


def test_quality_of_silence_is_nan():
    q = quality(np.zeros(16000, dtype=np.float32), sr=16000)
    assert np.isnan(q.jitter_percent) and np.isnan(q.hnr_db)


def test_analyse_sample_take(samples):
    y, sr = load_audio(samples / "take_synth.wav")
    rep = analyse(y, sr=sr)
    assert (rep.range.low_name, rep.range.high_name) == ("C4", "A4")
    assert rep.stability.in_tune_ratio == pytest.approx(7 / 8)
    assert len(rep.notes) == 8
    df = rep.to_frame()
    assert {"low_name", "jitter_percent", "spread_cents"} <= set(df.columns)


def test_bad_track_argument():
    with pytest.raises(ParameterError, match="PitchTrack"):
        vocal_range(tone(440.0, sr=16000, duration_s=0.1))  # type: ignore[arg-type]
