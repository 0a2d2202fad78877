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
- :func:`lpc_residual` — the signal through a partial LPC inverse filter: a clean recording's
  refinement is repeated on it, so that formant group delay does not shift a moving contour.
- :func:`slope_weight`, :func:`inverse_blend`, :func:`curvature_correct`, :func:`refine_moment_s2` — the two
  post-steps of the refinement (slope-weighted inverse-filtered period; the window's smoothing of
  a bending contour undone from the track's own curvature), for the offline and streaming paths.
- :func:`lag_persistence` — how far each candidate's lag continues into the neighbouring frames on
  both sides (noisy recordings: a faint note persists where the noise's best lag wanders).
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
    "lag_persistence",
    "butter_highpass",
    "lpc_residual",
    "inverse_blend",
    "slope_weight",
    "curvature_correct",
    "refine_moment_s2",
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


@njit(cache=True)
def _levinson(r: np.ndarray, order: int) -> np.ndarray:  # pragma: no cover - compiled
    """Prediction-error filter ``[1, a1, .., ap]`` per row of autocorrelations ``r`` (shape (B, >= p+1))."""
    n_rows = r.shape[0]
    out = np.zeros((n_rows, order + 1))
    a = np.zeros(order + 1)
    tmp = np.zeros(order + 1)
    for b in range(n_rows):
        out[b, 0] = 1.0
        err = r[b, 0]
        if not err > 0:
            continue
        a[:] = 0.0
        a[0] = 1.0
        for i in range(1, order + 1):
            acc = r[b, i]
            for j in range(1, i):
                acc += a[j] * r[b, i - j]
            k = -acc / err
            tmp[:] = a
            for j in range(1, i):
                a[j] = tmp[j] + k * tmp[i - j]
            a[i] = k
            err *= 1.0 - k * k
            if not err > 0:
                break
        out[b, :] = a
    return out


@njit(cache=True)
def _apply_blocks(x: np.ndarray, coefs: np.ndarray, block: int, gamma: float) -> np.ndarray:  # pragma: no cover
    # y = A(z) / A(z / gamma) x, A from the block holding each sample
    n = x.size
    order = coefs.shape[1] - 1
    y = np.zeros(n)
    g = np.empty(order + 1)
    for k in range(order + 1):
        g[k] = gamma**k
    for i in range(n):
        b = min(i // block, coefs.shape[0] - 1)
        acc = 0.0
        for k in range(order + 1):
            if i - k >= 0:
                acc += coefs[b, k] * x[i - k]
                if k > 0:
                    acc -= coefs[b, k] * g[k] * y[i - k]
        y[i] = acc
    return y


def lpc_residual(
    x: np.ndarray,
    *,
    sr: int,
    order: int | None = None,
    gamma: float = 0.9,
    block_s: float = 0.01,
    window_s: float = 0.025,
    bandwidth_hz: float = 60.0,
) -> np.ndarray:
    """``x`` through a time-varying partial LPC inverse filter ``A(z) / A(z / gamma)`` (SIFT-style).

    The spectral envelope (a voice's formants, an instrument's body) is estimated by
    autocorrelation LPC on Hann windows of ``window_s`` every ``block_s`` (a Gaussian lag window of
    ``bandwidth_hz`` keeps the poles off single harmonics). Its minimum-phase inverse ``A(z)``
    removes the narrow resonances, their magnitude and their group delay; ``1 / A(z / gamma)`` puts
    back the same resonances broadened (radii times ``gamma``), i.e. the broad spectral tilt, so that
    the harmonics keep roughly their weight against noise.

    Parameters
    ----------
    x : np.ndarray, shape (n,)
        Signal.
    sr : int
        Its rate (Hz).
    order : int or None
        LPC order; default ``2 + sr // 1000``.
    gamma : float
        Bandwidth-expansion factor in ``[0, 1)``: 0 is the full inverse filter (a whitened residual),
        towards 1 the filter approaches the identity.
    block_s, window_s : float
        Coefficient update step and analysis window (s).
    bandwidth_hz : float
        Gaussian lag-window bandwidth (Hz).

    Returns
    -------
    np.ndarray, shape (n,)
        The filtered signal.
    """
    if order is None:
        order = 2 + int(sr // 1000)
    block = max(1, int(block_s * sr))
    length = max(order + 2, int(window_s * sr))
    n_blocks = int(np.ceil(x.size / block))
    centres = (np.arange(n_blocks) * block + block // 2).astype(np.int64)
    frames = frame_signal(x, centres, length) * np.hanning(length)[None, :]
    nfft = 1 << int(np.ceil(np.log2(length + order + 1)))  # lags <= order free of wrap-around
    spec = np.fft.rfft(frames, nfft, axis=1)
    r = np.fft.irfft(spec.real**2 + spec.imag**2, nfft, axis=1)[:, : order + 1]
    lag = np.arange(order + 1)
    r = r * np.exp(-0.5 * (2 * np.pi * bandwidth_hz * lag / sr) ** 2)[None, :]
    r[:, 0] *= 1.0001
    coefs = _levinson(np.ascontiguousarray(r), int(order))
    return np.asarray(_apply_blocks(np.ascontiguousarray(x, dtype=np.float64), coefs, block, float(gamma)))


def curvature_correct(
    f0_hz: np.ndarray, *, m2_s2: np.ndarray, hop_s: float, max_step_cents: float = 150.0
) -> np.ndarray:
    """Undo, to first order, the smoothing of a windowed period estimate where the contour bends.

    A difference-function minimum over a window is the period averaged over the window: a contour
    with curvature ``c''`` (cents/s^2) comes out biased by ``m2 / 2 * c''``, where ``m2`` (s^2) is
    the second moment of the estimator's time weighting (window W and lag tau, both uniform:
    ``(W^2 + tau^2) / 12``; about 3 c at the peaks of a +-70 c / 6 Hz vibrato with a 25 ms window).
    The curvature is read from the track itself by a least-squares parabola through five frames
    about 10 ms apart (three at a voiced run's edge; none where fewer, where the contour steps by
    more than ``max_step_cents`` between them, or on a grid coarser than 15 ms).

    Parameters
    ----------
    f0_hz : np.ndarray, shape (F,)
        The track (Hz), NaN where unvoiced.
    m2_s2 : np.ndarray, shape (F,)
        Second moment of each frame's time weighting (s^2).
    hop_s : float
        Frame step (s).
    max_step_cents : float
        A larger step between the frames used breaks the run (a note change, an octave error).

    Returns
    -------
    np.ndarray, shape (F,)
        The corrected track (Hz).
    """
    n = f0_hz.size
    if hop_s > 0.015 or n < 3:
        return f0_hz
    k = max(1, int(round(0.01 / hop_s)))
    with np.errstate(invalid="ignore", divide="ignore"):
        c = 1200.0 * np.log2(np.where(np.isfinite(f0_hz) & (f0_hz > 0), f0_hz, np.nan))
    pad = np.full(n + 4 * k, np.nan)
    pad[2 * k : 2 * k + n] = c
    nb = np.stack([pad[i * k : i * k + n] for i in range(5)], axis=1)  # frames -2k, -k, 0, k, 2k
    d = np.abs(np.diff(nb, axis=1))
    ok_in = np.isfinite(nb[:, 1:4]).all(axis=1) & (d[:, 1] < max_step_cents) & (d[:, 2] < max_step_cents)
    ok_out = ok_in & np.isfinite(nb).all(axis=1) & (d[:, 0] < max_step_cents) & (d[:, 3] < max_step_cents)
    h2 = (k * hop_s) ** 2
    with np.errstate(invalid="ignore"):
        curv5 = (2.0 * nb[:, 0] - nb[:, 1] - 2.0 * nb[:, 2] - nb[:, 3] + 2.0 * nb[:, 4]) / 7.0 / h2
        curv3 = (nb[:, 1] - 2.0 * nb[:, 2] + nb[:, 3]) / h2
    curv = np.where(ok_out, curv5, np.where(ok_in, curv3, 0.0))
    corr = 0.5 * m2_s2 * np.nan_to_num(curv, nan=0.0)
    return np.asarray(np.where(np.isfinite(c), f0_hz * 2.0 ** (-corr / 1200.0), f0_hz))


def refine_moment_s2(
    period: np.ndarray, fine_period: np.ndarray, *, min_window: int, n_periods: float, sr: int
) -> np.ndarray:
    """Second moment (s^2) of the time weighting of :func:`refine`'s estimate per frame.

    The window (``max(min_window, n_periods * period)`` samples) and the lag (``fine_period``)
    each weigh the contour uniformly: ``(W^2 + tau^2) / 12``. 0 where ``period`` is NaN.
    """
    p = np.nan_to_num(period, nan=0.0)
    win = np.maximum(int(min_window), (n_periods * p).astype(np.int64)).astype(np.float64)
    tau = np.nan_to_num(fine_period, nan=0.0)
    return np.asarray(np.where(p > 0, (win**2 + tau**2) / 12.0 / float(sr) ** 2, 0.0))


def slope_weight(
    period: np.ndarray, *, frame_rate_hz: float, from_cents_s: float = 100.0, full_slope_cents_s: float = 1000.0
) -> np.ndarray:
    """How fast the contour moves, as a weight in ``[0, 1]`` per frame.

    The larger step to either neighbour (cents/s): 0 up to ``from_cents_s``, rising linearly to 1 at
    ``full_slope_cents_s``; 0 where ``period`` or both neighbours are NaN.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        c = 1200.0 * np.log2(np.where(period > 0, period, np.nan))
    step = np.fmax(np.abs(np.diff(c, append=np.nan)), np.abs(np.diff(c, prepend=np.nan)))
    slope = np.nan_to_num(step, nan=0.0) * frame_rate_hz
    return np.asarray(np.clip((slope - from_cents_s) / (full_slope_cents_s - from_cents_s), 0.0, 1.0))


def inverse_blend(
    period: np.ndarray, inv_period: np.ndarray, weight: np.ndarray, *, max_cents: float = 20.0
) -> np.ndarray:
    """The refined period moved towards the inverse-filtered one by ``weight`` (0..1, log domain).

    Formant group delay only shifts a moving contour in time, so the weight is
    :func:`slope_weight`: on steady frames ``period`` (from the signal itself) is kept. Corrections
    larger than ``max_cents`` are not taken at all; NaN in either stays ``period``.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = inv_period / period
        near = (
            np.isfinite(ratio) & (ratio > 0) & (np.abs(np.log2(np.where(ratio > 0, ratio, 1.0))) < max_cents / 1200.0)
        )
    return np.asarray(np.where(near, period * np.where(near, ratio, 1.0) ** weight, period))


@njit(cache=True)
def _run_length(
    logp: np.ndarray, t: int, i: int, step: int, radius: int, tol: float, max_gap: int
) -> int:  # pragma: no cover - compiled
    n_frames, k = logp.shape
    cur = logp[t, i]
    n = 0
    gap = 0
    s = t
    for _ in range(radius):
        s += step
        if s < 0 or s >= n_frames:
            break
        best = tol * (1 + gap)
        nxt = 0.0
        found = False
        for j in range(k):
            d = abs(logp[s, j] - cur)  # NaN (no link) compares False
            if d <= best:
                best = d
                nxt = logp[s, j]
                found = True
        if not found:
            gap += 1
            if gap > max_gap:
                break
            continue
        gap = 0
        cur = nxt
        n += 1
    return n


@njit(cache=True)
def _persistence(
    period: np.ndarray, ap: np.ndarray, radius: int, tol: float, max_ap: float, max_gap: int
) -> np.ndarray:  # pragma: no cover - compiled
    n_frames, k = period.shape
    logp = np.full((n_frames, k), np.nan)  # log2 lag of the candidates that may be links
    for t in range(n_frames):
        for i in range(k):
            if period[t, i] > 0 and ap[t, i] <= max_ap:
                logp[t, i] = np.log2(period[t, i])
    out = np.zeros((n_frames, k))
    for t in range(n_frames):
        for i in range(k):
            if not (period[t, i] > 0) or not np.isfinite(ap[t, i]):
                continue
            # the candidate itself needs no link-level aperiodicity, only its neighbours do
            save = logp[t, i]
            logp[t, i] = np.log2(period[t, i])
            fwd = _run_length(logp, t, i, 1, radius, tol, max_gap)
            if fwd > 0:
                bwd = _run_length(logp, t, i, -1, radius, tol, max_gap)
                out[t, i] = min(fwd, bwd) / radius
            logp[t, i] = save
    return out


def lag_persistence(
    period: np.ndarray,
    ap: np.ndarray,
    *,
    radius: int = 5,
    tol_cents: float = 50.0,
    max_ap: float = 1.0,
    max_gap: int = 0,
) -> np.ndarray:
    """How far each candidate's lag continues into the neighbouring frames, 0..1.

    From candidate ``(t, i)`` a chain steps frame by frame forwards (and backwards) to the nearest
    candidate whose lag is within ``tol_cents`` of the previous link and whose aperiodicity is at
    most ``max_ap``, for up to ``radius`` frames each way (a chain may skip ``max_gap`` frames in a
    row without a match, the tolerance widening with each skip); the score is the shorter side's
    number of links over ``radius``. A note's lag persists on both sides (the chain follows vibrato
    and glides step by step); in noise alone the best lags wander, so chains break after a frame
    or two, and a frame just past a note's end has a chain on one side only.

    Parameters
    ----------
    period : np.ndarray, shape (F, K)
        Candidate periods in samples (<= 0 or NaN where none).
    ap : np.ndarray, shape (F, K)
        Their aperiodicity (+inf where none).
    radius : int
        Frames looked at on each side.
    tol_cents : float
        Largest lag change between consecutive links, in cents.
    max_ap : float
        Largest aperiodicity a link may have.
    max_gap : int
        Frames in a row a chain may skip.

    Returns
    -------
    np.ndarray, shape (F, K)
        Persistence score in 0..1 (0 for missing candidates).

    Examples
    --------
    >>> p = np.array([[100.0, 37.0], [101.0, 55.0], [100.5, 80.0]])
    >>> a = np.full((3, 2), 0.5)
    >>> lag_persistence(p, a, radius=1)
    array([[0., 0.],
           [1., 0.],
           [0., 0.]])
    """
    p = np.ascontiguousarray(np.nan_to_num(np.asarray(period, dtype=np.float64), nan=-1.0))
    a = np.ascontiguousarray(np.asarray(ap, dtype=np.float64))
    return np.asarray(_persistence(p, a, int(radius), float(tol_cents) / 1200.0, float(max_ap), int(max_gap)))
