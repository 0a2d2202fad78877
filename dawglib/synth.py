"""Signals with known answers: tones, clicks and a sung-vowel synthesiser.

Used by tests, benchmarks and the embedded samples as ground truth: the f0 of every sample is
known exactly, so pitch accuracy can be measured in cents.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from ._validate import valid_positive, valid_sr
from .exceptions import ParameterError

__all__ = ["tone", "click_track", "sung_vowel", "f0_contour", "add_noise", "FORMANTS_HZ"]

#: Formant centre frequencies and bandwidths (Hz) of a few sung vowels (rough averages).
FORMANTS_HZ: dict[str, tuple[tuple[float, float], ...]] = {
    "a": ((800, 80), (1150, 90), (2900, 120), (3900, 130)),
    "e": ((400, 60), (1600, 80), (2700, 120), (3300, 150)),
    "i": ((300, 50), (2250, 90), (3000, 120), (3500, 150)),
    "o": ((450, 70), (800, 80), (2830, 100), (3500, 130)),
    "u": ((325, 50), (700, 60), (2530, 170), (3500, 180)),
}


def tone(freq_hz: float, *, sr: int, duration_s: float, amplitude: float = 0.5) -> np.ndarray:
    """A pure sine tone (float32)."""
    sr = valid_sr(sr)
    valid_positive(freq_hz, name="freq_hz")
    n = int(round(valid_positive(duration_s, name="duration_s") * sr))
    t = np.arange(n) / sr
    return (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def click_track(
    *, bpm: float, sr: int, duration_s: float, offset_s: float = 0.0, click_hz: float = 1500.0
) -> tuple[np.ndarray, np.ndarray]:
    """A metronome: short decaying clicks on every beat.

    Returns
    -------
    y : np.ndarray, float32
    beats_s : np.ndarray
        Exact click onset times in seconds.
    """
    sr = valid_sr(sr)
    valid_positive(bpm, name="bpm")
    n = int(round(valid_positive(duration_s, name="duration_s") * sr))
    y = np.zeros(n, dtype=np.float64)
    beats = np.arange(offset_s, duration_s, 60.0 / bpm)
    clen = int(0.03 * sr)
    t = np.arange(clen) / sr
    click = np.sin(2 * np.pi * click_hz * t) * np.exp(-t / 0.006)
    for b in beats:
        i = int(round(b * sr))
        seg = y[i : i + clen]
        seg += click[: seg.size]
    return (0.6 * y).astype(np.float32), beats


def f0_contour(
    notes_midi: list[tuple[float, float, float]],
    *,
    sr: int,
    vibrato_hz: float = 0.0,
    vibrato_cents: float = 0.0,
    glide_s: float = 0.0,
    a4_hz: float = 440.0,
) -> np.ndarray:
    """Per-sample f0 (Hz) of a melody; 0 where silent.

    Parameters
    ----------
    notes_midi : list of (start_s, end_s, midi)
        Notes; gaps between them are unvoiced. ``midi`` may be fractional (detuned notes).
    sr : int
    vibrato_hz, vibrato_cents : float
        Sinusoidal vibrato rate and peak extent (cents, i.e. half the peak-to-peak swing).
    glide_s : float
        Portamento into each note from the previous one when they touch.
    """
    sr = valid_sr(sr)
    if not notes_midi:
        raise ParameterError("notes_midi is empty; expected at least one (start_s, end_s, midi)")
    end = max(e for _, e, _ in notes_midi)
    n = int(round(end * sr)) + 1
    midi = np.full(n, np.nan)
    prev_end, prev_m = -1.0, None
    for s, e, m in notes_midi:
        if e <= s:
            raise ParameterError(f"note end must be after start, given ({s}, {e}, {m})")
        i0, i1 = int(round(s * sr)), int(round(e * sr))
        midi[i0:i1] = m
        if glide_s > 0 and prev_m is not None and abs(prev_end - s) < 1e-9:
            g = min(int(glide_s * sr), i1 - i0)
            midi[i0 : i0 + g] = prev_m + (m - prev_m) * (0.5 - 0.5 * np.cos(np.linspace(0, np.pi, g)))
        prev_end, prev_m = e, m
    t = np.arange(n) / sr
    if vibrato_hz > 0 and vibrato_cents > 0:
        midi = midi + vibrato_cents / 100.0 * np.sin(2 * np.pi * vibrato_hz * t)
    f0 = a4_hz * 2.0 ** ((midi - 69.0) / 12.0)
    return np.nan_to_num(f0, nan=0.0)


def sung_vowel(
    f0_hz: np.ndarray,
    *,
    sr: int,
    vowel: str = "a",
    jitter: float = 0.0,
    shimmer: float = 0.0,
    breath: float = 0.0,
    seed: int | None = 0,
) -> np.ndarray:
    """Synthesise a sung vowel from a per-sample f0 contour (0 = silence).

    A band-limited harmonic source with a -12 dB/octave tilt, shaped by four formant resonators,
    with optional cycle jitter (relative f0 noise), shimmer (relative amplitude noise) and breath
    noise. Onsets/offsets get 10 ms ramps.

    Returns
    -------
    y : np.ndarray, float32, same length as ``f0_hz``; peak 0.5.
    """
    sr = valid_sr(sr)
    if vowel not in FORMANTS_HZ:
        raise ParameterError(f"vowel must be one of {sorted(FORMANTS_HZ)}, given {vowel!r}")
    rng = np.random.default_rng(seed)
    f0 = np.asarray(f0_hz, dtype=np.float64)
    voiced = f0 > 0
    if jitter > 0:
        # slowly varying random perturbation (~ per-cycle scale)
        noise = rng.standard_normal(f0.size // 64 + 2)
        f0 = f0 * (1 + jitter * np.interp(np.arange(f0.size) / 64, np.arange(noise.size), noise))
    phase = 2 * np.pi * np.cumsum(np.where(voiced, f0, 0.0)) / sr
    src = np.zeros_like(f0)
    fmax = np.max(f0[voiced]) if voiced.any() else 0.0
    n_h = int(min(60, (sr / 2) // max(fmax, 1.0)))
    for k in range(1, max(n_h, 1) + 1):
        alive = voiced & (k * f0 < sr / 2 - 200)
        src += np.where(alive, np.sin(k * phase) / k**1.0, 0.0)
    # envelope: 10 ms ramps at voicing edges
    env = voiced.astype(np.float64)
    ramp = max(1, int(0.01 * sr))
    env = np.convolve(env, np.ones(ramp) / ramp, mode="same")
    if shimmer > 0:
        noise = rng.standard_normal(f0.size // 64 + 2)
        env = env * (1 + shimmer * np.interp(np.arange(f0.size) / 64, np.arange(noise.size), noise))
    y = src * env
    out = np.zeros_like(y)
    for fc, bw in FORMANTS_HZ[vowel]:
        if fc >= sr / 2:
            continue
        r = np.exp(-np.pi * bw / sr)
        theta = 2 * np.pi * fc / sr
        a = [1.0, -2 * r * np.cos(theta), r * r]
        b = [1 - r]
        out += lfilter(b, a, y)
    if breath > 0:
        out += breath * np.std(out) * rng.standard_normal(out.size) * (env > 0)
    peak = np.max(np.abs(out))
    if peak > 0:
        out = 0.5 * out / peak
    return out.astype(np.float32)


def add_noise(y: np.ndarray, *, snr_db: float, seed: int | None = 0, color: str = "pink") -> np.ndarray:
    """Add white or pink noise at a given signal-to-noise ratio (dB, over the whole signal)."""
    rng = np.random.default_rng(seed)
    n = rng.standard_normal(y.size)
    if color == "pink":
        spec = np.fft.rfft(n)
        f = np.arange(spec.size, dtype=np.float64)
        f[0] = 1.0
        n = np.fft.irfft(spec / np.sqrt(f), n=y.size)
    elif color != "white":
        raise ParameterError(f"color must be 'white' or 'pink', given {color!r}")
    ps = float(np.mean(np.asarray(y, dtype=np.float64) ** 2))
    pn = float(np.mean(n**2))
    if ps == 0 or pn == 0:
        return y.astype(np.float32)
    n *= np.sqrt(ps / (pn * 10 ** (snr_db / 10)))
    return (y + n).astype(np.float32)
