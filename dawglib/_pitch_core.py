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

The same functions serve a streaming analyser: a block of samples is framed, passed through
stages 1-3 with the previous block's decoder state, and emits frames.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["yin_candidates", "viterbi", "refine", "frame_signal"]


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
