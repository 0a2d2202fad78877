"""The per-frame estimator behind ``dawglib.pitch.track(method="auto")`` (private).

Three stages, all vectorised over frames or compiled with numba:

1. :func:`yin_candidates` — the YIN difference function of every frame at once via FFT (numpy),
   its cumulative-mean-normalised form (CMNDF, the "aperiodicity" of a lag) and up to ``K``
   candidate periods per frame from its local minima.
2. :func:`viterbi` — one decoder over the candidates and an unvoiced state: emission cost from the
   aperiodicity and frame energy, transition cost in cents between frames with an extra octave-jump
   penalty, and a fixed voiced/unvoiced switching cost.
3. :func:`refine` — for the chosen period of each voiced frame, the raw difference function again
   at the analysis rate with a short window centred on the frame (about two periods, at least
   20 ms), minimised at sub-sample resolution by a parabola on three lags followed by one step on
   lags a quarter-sample apart (windowed-sinc interpolated), which removes most of the parabola's
   bias.

Three helpers shape the decoder's input (used by ``dawglib.pitch._track_auto``):

- :func:`high_look` — the geometry and filter of a third candidate look for high voices: short
  lags only, through a steep high-pass just below the lowest f0 searched there.
- :func:`offset_drop_db` — how far the energy right after each frame's centre has dropped below the
  last 5-45 ms (an offset detector: the YIN frame reaches back, so without it the frame after a
  note's end still holds the note).
- :func:`noise_floor_threshold` — the voicing threshold raised towards the aperiodicity that the
  recording's own noise floor reaches, so faint notes in noise are not called unvoiced by a
  threshold set for clean recordings.

The same functions serve a streaming analyser: a block of samples is framed, passed through
stages 1-3 with the previous block's decoder state, and emits frames.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba import njit

__all__ = [
    "yin_candidates",
    "viterbi",
    "refine",
    "frame_signal",
    "high_look",
    "offset_drop_db",
    "offset_penalty",
    "OFFSET_DROP_DB",
    "noise_floor_threshold",
    "butter_highpass",
]


def frame_signal(x: np.ndarray, centres: np.ndarray, length: int) -> np.ndarray:
    """Frames of ``length`` samples centred on ``centres`` (zero outside the signal), shape (F, length)."""
    pad = length
    xp = np.zeros(x.size + 2 * pad, dtype=np.float64)
    xp[pad : pad + x.size] = x
    starts = np.clip(centres - length // 2 + pad, 0, xp.size - length)
    idx = starts[:, None] + np.arange(length)[None, :]
    return xp[idx]


def yin_candidates(
    frames: np.ndarray, *, window: int, min_lag: int, max_lag: int, n_candidates: int = 5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate periods of every frame from the minima of the CMNDF.

    Parameters
    ----------
    frames : np.ndarray, shape (F, N)
        Frames with ``N >= window + max_lag + 1``.
    window : int
        Integration window of the difference function, in samples.
    min_lag, max_lag : int
        Lag search range in samples (``2 <= min_lag < max_lag``).
    n_candidates : int
        Candidates kept per frame (the lowest CMNDF minima).

    Returns
    -------
    period : np.ndarray, shape (F, K)
        Candidate periods in samples (parabolic sub-sample estimate); NaN where fewer minima.
    aperiodicity : np.ndarray, shape (F, K)
        CMNDF value at each candidate (0 = perfectly periodic); +inf where no candidate.
    energy : np.ndarray, shape (F,)
        Mean square of the first ``window`` samples of each frame.
    """
    n_frames, n = frames.shape
    nfft = 1 << int(np.ceil(np.log2(n)))
    spec = np.fft.rfft(frames, nfft, axis=1)
    spec_w = np.fft.rfft(frames[:, :window], nfft, axis=1)
    corr = np.fft.irfft(spec * np.conj(spec_w), nfft, axis=1)[:, : max_lag + 2]
    cs = np.zeros((n_frames, n + 1))
    np.cumsum(frames * frames, axis=1, out=cs[:, 1:])
    lags = np.arange(max_lag + 2)
    e_lag = cs[:, lags + window] - cs[:, lags]
    e0 = cs[:, window][:, None]
    d = np.maximum(e0 + e_lag - 2.0 * corr, 0.0)
    d[:, 0] = 0.0
    csum = np.cumsum(d[:, 1:], axis=1)
    cm = np.ones_like(d)
    with np.errstate(divide="ignore", invalid="ignore"):
        cm[:, 1:] = np.where(csum > 0, d[:, 1:] * lags[1:] / csum, 1.0)
    period, ap = _pick(cm, min_lag, max_lag, n_candidates)
    energy = e0[:, 0] / window
    return period, ap, energy


@njit(cache=True)
def _pick(cm: np.ndarray, min_lag: int, max_lag: int, k: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """Up to ``k`` CMNDF minima per frame, subharmonics of a kept minimum left out; parabolic lags."""
    n_frames = cm.shape[0]
    period = np.full((n_frames, k), np.nan)
    ap = np.full((n_frames, k), np.inf)
    lags = np.empty(max_lag + 2)
    vals = np.empty(max_lag + 2)
    for f in range(n_frames):
        n = 0
        for t in range(min_lag, max_lag + 1):
            a = cm[f, t - 1]
            b = cm[f, t]
            c = cm[f, t + 1]
            if b < a and b <= c:
                den = a - 2.0 * b + c
                sh = 0.0
                if den > 0:
                    sh = 0.5 * (a - c) / den
                    sh = min(0.5, max(-0.5, sh))
                lags[n] = t + sh
                vals[n] = max(0.0, b - 0.25 * (a - c) * sh)
                n += 1
        order = np.argsort(vals[:n])
        kept = 0
        for oi in range(n):
            i = order[oi]
            lag = lags[i]
            # a multiple (2x..6x) of a shorter minimum that is nearly as periodic is the same pitch
            redundant = False
            for oj in range(n):
                j = order[oj]
                if lags[j] < lag * 0.6 and vals[j] < vals[i] + 0.1:
                    r = lag / lags[j]
                    m = np.floor(r + 0.5)
                    if m >= 2 and abs(r / m - 1.0) < 0.03:
                        redundant = True
                        break
            if redundant:
                continue
            period[f, kept] = lag
            ap[f, kept] = vals[i]
            kept += 1
            if kept == k:
                break
    return period, ap


@njit(cache=True)
def viterbi(
    period: np.ndarray,
    cost_voiced: np.ndarray,
    cost_unvoiced: np.ndarray,
    cents_weight: float,
    octave_cost: float,
    switch_cost: float,
) -> np.ndarray:  # pragma: no cover - compiled
    """Cheapest path over K candidates + 1 unvoiced state; returns the chosen column per frame (K = unvoiced)."""
    n_frames, k = period.shape
    n_states = k + 1
    acc = np.empty(n_states)
    new = np.empty(n_states)
    back = np.zeros((n_frames, n_states), dtype=np.int64)
    logp = np.empty((n_frames, k))
    for t in range(n_frames):
        for i in range(k):
            p = period[t, i]
            logp[t, i] = np.log2(p) if p > 0 else np.nan
    for i in range(k):
        acc[i] = cost_voiced[0, i]
    acc[k] = cost_unvoiced[0]
    for t in range(1, n_frames):
        for i in range(k):
            ci = cost_voiced[t, i]
            if not np.isfinite(ci):
                new[i] = np.inf
                back[t, i] = k
                continue
            # from unvoiced
            best = acc[k] + switch_cost
            arg = k
            for j in range(k):
                if not np.isfinite(acc[j]):
                    continue
                dc = abs(logp[t, i] - logp[t - 1, j]) * 12.0  # semitones
                tc = cents_weight * dc
                if dc > 9.0:
                    tc += octave_cost
                v = acc[j] + tc
                if v < best:
                    best = v
                    arg = j
            new[i] = best + ci
            back[t, i] = arg
        best = acc[k]
        arg = k
        for j in range(k):
            v = acc[j] + switch_cost
            if v < best:
                best = v
                arg = j
        new[k] = best + cost_unvoiced[t]
        back[t, k] = arg
        # renormalise to keep numbers small
        m = np.inf
        for i in range(n_states):
            if new[i] < m:
                m = new[i]
        for i in range(n_states):
            acc[i] = new[i] - m
    path = np.empty(n_frames, dtype=np.int64)
    last_cost = np.inf
    last = k
    for i in range(n_states):
        if acc[i] < last_cost:
            last_cost = acc[i]
            last = i
    path[-1] = last
    for t in range(n_frames - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


@njit(cache=True)
def _diff_at(x: np.ndarray, start: int, window: int, lag: int) -> float:  # pragma: no cover - compiled
    s = 0.0
    for j in range(window):
        v = x[start + j] - x[start + j + lag]
        s += v * v
    return s


@njit(cache=True)
def _diff_frac(x: np.ndarray, start: int, window: int, lag: float, taps: np.ndarray) -> float:  # pragma: no cover
    # x delayed by a fractional lag through a Hann-windowed sinc of len(taps) points
    li = int(np.floor(lag))
    frac = lag - li
    half = taps.size // 2
    for m in range(taps.size):
        u = m - half + 1 - frac
        h = 1.0 if u == 0.0 else np.sin(np.pi * u) / (np.pi * u)
        w = 0.5 + 0.5 * np.cos(np.pi * u / (half + 1))
        taps[m] = h * w
    s = 0.0
    for j in range(window):
        acc = 0.0
        base = start + j + li - half + 1
        for m in range(taps.size):
            acc += taps[m] * x[base + m]
        v = x[start + j] - acc
        s += v * v
    return s


@njit(cache=True)
def refine(
    x: np.ndarray,
    pad: int,
    centres: np.ndarray,
    period: np.ndarray,
    min_window: int,
    n_periods: float,
    fine: bool,
) -> np.ndarray:  # pragma: no cover - compiled
    """Sub-sample period (samples of ``x``) at each centre, searched near ``period``; NaN stays NaN.

    ``x`` is zero-padded by ``pad`` samples on both sides; ``centres`` index the unpadded signal.
    """
    out = np.full(period.size, np.nan)
    taps = np.empty(16)
    for f in range(period.size):
        p0 = period[f]
        if not p0 > 2.0:
            continue
        window = max(min_window, int(n_periods * p0))
        li = int(np.floor(p0 + 0.5))
        span = window + li
        start = centres[f] + pad - span // 2
        if start - 16 < 0 or start + span + 20 >= x.size:
            out[f] = p0
            continue
        # walk downhill on integer lags from the rounded estimate
        dm = _diff_at(x, start, window, li - 1)
        d0 = _diff_at(x, start, window, li)
        dp = _diff_at(x, start, window, li + 1)
        steps = 0
        while steps < 3:
            if dm < d0 and dm <= dp and li - 2 > 1:
                li -= 1
                dp = d0
                d0 = dm
                dm = _diff_at(x, start, window, li - 1)
            elif dp < d0 and dp < dm:
                li += 1
                dm = d0
                d0 = dp
                dp = _diff_at(x, start, window, li + 1)
            else:
                break
            steps += 1
        den = dm - 2.0 * d0 + dp
        shift = 0.0
        if den > 0:
            shift = 0.5 * (dm - dp) / den
            if shift > 0.5:
                shift = 0.5
            elif shift < -0.5:
                shift = -0.5
        est = li + shift
        if fine:
            h = 0.25
            a = _diff_frac(x, start, window, est - h, taps)
            b = _diff_frac(x, start, window, est, taps)
            c = _diff_frac(x, start, window, est + h, taps)
            den2 = a - 2.0 * b + c
            if den2 > 0:
                s2 = 0.5 * (a - c) / den2
                if -1.0 <= s2 <= 1.0:
                    est = est + s2 * h
        out[f] = est
    return out


@lru_cache(maxsize=64)
def _butter_highpass(order: int, cutoff_hz: float, sr: int) -> np.ndarray:
    from scipy.signal import butter

    return np.asarray(butter(order, cutoff_hz, btype="highpass", fs=sr, output="sos"))


def butter_highpass(order: int, cutoff_hz: float, sr: int) -> np.ndarray:
    """Second-order sections (shape (order // 2, 6)) of a Butterworth high-pass at ``cutoff_hz`` (Hz).

    The design is cached: it costs more than analysing a short block.
    """
    return _butter_highpass(int(order), float(cutoff_hz), int(sr)).copy()


def high_look(*, fmin_hz: float, fmax_hz: float, sr: int, min_lag: int, from_hz: float = 400.0) -> dict | None:
    """Geometry of the high-voice candidate look, or None when the search range does not reach it.

    Parameters
    ----------
    fmin_hz, fmax_hz : float
        The tracker's search range (Hz).
    sr : int
        Working rate (Hz).
    min_lag : int
        The shortest lag searched (samples).
    from_hz : float
        Lowest f0 (Hz) of the look.

    Returns
    -------
    dict or None
        ``sos`` (4th-order Butterworth high-pass at 0.8 x the look's lowest f0, second-order
        sections), ``max_lag``, ``window`` (samples, at least 10 ms) and ``frame_length`` (samples)
        for :func:`frame_signal` / :func:`yin_candidates`.
    """
    if not fmax_hz > 1.5 * from_hz:
        return None
    f_lo = max(from_hz, fmin_hz)
    max_lag = int(np.ceil(sr / f_lo)) + 1
    if max_lag <= min_lag + 2:
        return None
    window = max(max_lag, int(0.01 * sr))
    sos = butter_highpass(4, float(0.8 * f_lo), int(sr))
    return {"sos": sos, "max_lag": max_lag, "window": window, "frame_length": window + max_lag + 2}


def offset_drop_db(x: np.ndarray, centres: np.ndarray, period: np.ndarray, *, sr: int) -> np.ndarray:
    """Drop (dB) of the energy just after each frame's centre below the loudest of the last 5-45 ms.

    The energy of one window starting at the centre (2.5 ms or one period of the frame's most
    periodic candidate, whichever is longer, so that a low voice's pulses do not make it flicker)
    against the loudest window of the same length ending 5-45 ms earlier. A note that has ended by
    the centre of a frame has dropped there, while the frame's difference-function window (which
    reaches back) still holds the note.

    Parameters
    ----------
    x : np.ndarray, shape (n,)
    centres : np.ndarray of int, shape (F,)
        Frame centres (samples of ``x``).
    period : np.ndarray, shape (F,)
        Period (samples) per frame; NaN where none.
    sr : int
        Rate of ``x`` (Hz).

    Returns
    -------
    np.ndarray, shape (F,)
        The drop in dB (negative when the energy rises).
    """
    w = np.maximum(int(0.0025 * sr), np.nan_to_num(period, nan=0.0)).astype(np.int64)
    w = np.maximum(w, 1)
    cs = np.concatenate([[0.0], np.cumsum(x * x)])
    n = x.size

    def energy(start: np.ndarray, length: np.ndarray) -> np.ndarray:
        a = np.clip(start, 0, n)
        b = np.clip(start + length, 0, n)
        return (cs[b] - cs[a]) / length

    post = energy(centres, w)
    step = max(1, int(0.001 * sr))
    offs = np.arange(int(0.005 * sr), int(0.045 * sr) + 1, step)
    back = energy(centres[:, None] - offs[None, :] - w[:, None], w[:, None])
    ref = back.max(axis=1)
    return np.asarray(10.0 * np.log10(np.maximum(ref, 1e-20) / np.maximum(post, 1e-20)))


#: Drop (dB) of the energy after a frame's centre beyond which calling the frame voiced costs more.
OFFSET_DROP_DB = 10.0


def offset_penalty(x: np.ndarray, centres: np.ndarray, period: np.ndarray, *, sr: int) -> np.ndarray:
    """Voicing cost (0..3, per frame) of a note that has ended by the frame's centre.

    0 while :func:`offset_drop_db` stays within ``OFFSET_DROP_DB``, growing by 1 per 4 dB beyond it,
    capped at 3. Shared by the offline tracker and the streaming analyser, so both decide alike.
    """
    return np.asarray(np.clip((offset_drop_db(x, centres, period, sr=sr) - OFFSET_DROP_DB) / 4.0, 0.0, 3.0))


def noise_floor_threshold(
    ap: np.ndarray,
    energy: np.ndarray,
    ref: float,
    *,
    threshold: float,
    share: float = 0.15,
    pct: float = 10.0,
    margin: float = 0.1,
    max_threshold: float = 0.65,
) -> float:
    """The voicing threshold, raised towards the aperiodicity that the recording's own noise floor reaches.

    The quietest ``share`` of the non-silent frames stand for the noise floor; the ``pct``-th
    percentile of their best aperiodicity is how periodic the noise alone can look. A threshold
    ``margin`` below that still rejects the noise while accepting faint notes that a fixed threshold
    (set for clean recordings) calls unvoiced. Never below ``threshold`` nor above
    ``max_threshold``; a recording without a noise floor (digital silence between notes, or no
    pauses at all) keeps ``threshold``.

    Parameters
    ----------
    ap : np.ndarray, shape (F, K)
        Aperiodicity of each candidate (+inf where none).
    energy : np.ndarray, shape (F,)
        Frame energy (mean square).
    ref : float
        Reference energy (loud frames); frames below ``ref * 1e-9`` count as silent.
    threshold : float
        The clean-recording threshold (aperiodicity, 0..1).

    Returns
    -------
    float
        The threshold to use.
    """
    best = np.min(ap, axis=1) if ap.shape[1] else np.full(energy.size, np.inf)
    live = energy > ref * 1e-9
    n = int(live.sum())
    if n < 20:
        return float(threshold)
    order = np.argsort(np.where(live, energy, np.inf))[: max(10, int(share * n))]
    b = np.where(np.isfinite(best[order]), best[order], 1.0)
    q = float(np.percentile(b, pct))
    return float(np.clip(q - margin, threshold, max(threshold, max_threshold)))
