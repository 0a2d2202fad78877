"""Signal-processing core of :mod:`dawglib.rhythm` (private; the public API validates its input).

Pieces
------
envelopes
    Log-filtered magnitude spectrogram (12 bands per octave, 30 Hz-16 kHz) at 100 frames/s and a
    superflux-like spectral flux (positive log-magnitude differences against a frequency-max-filtered
    earlier frame): the full-band envelope plus a low band (< 200 Hz, kicks/bass) and a high band
    (> 2 kHz, hats/snares).
peaks and attack refinement
    Adaptive peak picking on the flux, then every onset is moved onto the physical attack: the time
    where a 3 ms RMS envelope of the (pre-emphasised) signal first rises through half-way from the
    pre-onset floor to the attack peak.
periodicity
    Autocorrelation of the envelope; a pulse strength per tempo averages the ACF at 1-4 periods.
    The metrical level is chosen among the relatives (x1/3 ... x3) of the strongest pulse with
    evidence from the subdivision and tatum levels (straight, ternary and swung offbeats; see
    ``_fold``) and the low band, plus a broad log-tempo prior.
beats
    Dynamic programming (Ellis 2007) with the chosen period, then a half-period phase check on the
    low band; beat times are snapped to nearby refined onsets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FPS = 100.0  # envelope frame rate (frames per second)


@dataclass(frozen=True)
class Envelopes:
    """Onset envelopes at ``fps`` frames/s; frame ``k`` is centred at ``k / fps`` seconds."""

    full: np.ndarray
    low: np.ndarray
    high: np.ndarray
    fps: float
    sr: int
    hop_length: int


def normalise(y: np.ndarray) -> np.ndarray:
    """Scale to a robust peak of 1 (float32); silent input stays zero."""
    y = np.asarray(y, dtype=np.float32)
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak <= 1e-10:
        return np.zeros_like(y)
    return y / peak


def _filterbank(
    n_fft: int, sr: int, *, fmin: float = 30.0, fmax: float = 16000.0, per_octave: int = 12
) -> tuple[np.ndarray, np.ndarray]:
    """Triangular log-spaced filters (area-normalised) on unique FFT bins: shape (n_bins, n_bands)."""
    fmax = min(fmax, sr / 2.0)
    n_bins = n_fft // 2 + 1
    freqs = np.arange(n_bins) * sr / n_fft
    n_oct = np.log2(fmax / fmin)
    centres = fmin * 2.0 ** (np.arange(int(n_oct * per_octave) + 3) / per_octave)
    bins = np.unique(np.round(centres * n_fft / sr).astype(int))
    bins = bins[(bins > 0) & (bins < n_bins)]
    fb = np.zeros((n_bins, max(len(bins) - 2, 1)), dtype=np.float32)
    for j in range(len(bins) - 2):
        lo, c, hi = bins[j], bins[j + 1], bins[j + 2]
        up = np.linspace(0, 1, c - lo + 1)[:-1] if c > lo else np.zeros(0)
        down = np.linspace(1, 0, hi - c + 1)
        tri = np.concatenate([up, down])
        tri = tri / max(float(tri.sum()), 1e-9)
        fb[lo : hi + 1, j] = tri[: hi + 1 - lo]
    centre_hz = freqs[bins[1:-1]] if len(bins) > 2 else np.array([freqs[bins[0]]])
    fb_centres = centre_hz[: fb.shape[1]]
    return fb, fb_centres


_FB_CACHE: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}


def envelopes(y: np.ndarray, sr: int, *, fps: float = FPS, lag: int = 1) -> Envelopes:
    """Superflux-like onset envelopes (full, low, high band) of a normalised mono signal."""
    hop = max(1, int(round(sr / fps)))
    fps = sr / hop
    n_fft = int(2 ** round(np.log2(0.046 * sr)))
    n_fft = max(n_fft, 64)
    pad = n_fft // 2
    yp = np.concatenate([np.zeros(pad, np.float32), y.astype(np.float32), np.zeros(pad + hop, np.float32)])
    n_frames = 1 + y.size // hop
    idx = np.lib.stride_tricks.sliding_window_view(yp, n_fft)[::hop][:n_frames]
    win = np.hanning(n_fft + 1)[:-1].astype(np.float32)
    key = (n_fft, sr)
    if key not in _FB_CACHE:
        _FB_CACHE[key] = _filterbank(n_fft, sr)
    fb, centres = _FB_CACHE[key]
    out_full = np.empty(n_frames, np.float32)
    out_low = np.empty(n_frames, np.float32)
    out_high = np.empty(n_frames, np.float32)
    low_mask = centres < 200.0
    high_mask = centres > 2000.0
    # blocks keep memory small for long files
    block = 2048
    prev_tail: np.ndarray | None = None
    for b0 in range(0, n_frames, block):
        fr = idx[b0 : b0 + block] * win
        mag = np.abs(np.fft.rfft(fr, axis=1)).astype(np.float32)
        spec = np.log10(1.0 + mag @ fb)
        ext = spec if prev_tail is None else np.concatenate([prev_tail, spec])
        start = 0 if prev_tail is None else prev_tail.shape[0]
        ref = np.empty_like(ext)
        ref[:lag] = ext[:1]  # the file's start is not an onset
        ref[lag:] = ext[:-lag]
        # max filter over 3 neighbouring bands of the reference frame (vibrato suppression)
        refm = ref.copy()
        refm[:, 1:] = np.maximum(refm[:, 1:], ref[:, :-1])
        refm[:, :-1] = np.maximum(refm[:, :-1], ref[:, 1:])
        diff = np.maximum(ext - refm, 0.0)[start:]
        out_full[b0 : b0 + diff.shape[0]] = diff.sum(axis=1)
        out_low[b0 : b0 + diff.shape[0]] = diff[:, low_mask].sum(axis=1)
        out_high[b0 : b0 + diff.shape[0]] = diff[:, high_mask].sum(axis=1)
        prev_tail = spec[-lag:]
    return Envelopes(full=out_full, low=out_low, high=out_high, fps=float(fps), sr=sr, hop_length=hop)


def _movmax(x: np.ndarray, before: int, after: int) -> np.ndarray:
    from scipy.ndimage import maximum_filter1d

    size = before + after + 1
    return maximum_filter1d(x, size=size, origin=(before - after) // 2, mode="constant", cval=-np.inf)


def _movmean(x: np.ndarray, before: int, after: int) -> np.ndarray:
    c = np.concatenate([[0.0], np.cumsum(x, dtype=np.float64)])
    i = np.arange(x.size)
    lo = np.clip(i - before, 0, x.size)
    hi = np.clip(i + after + 1, 0, x.size)
    return (c[hi] - c[lo]) / np.maximum(hi - lo, 1)


def pick_peaks(env: np.ndarray, fps: float, *, delta: float = 0.07, combine_s: float = 0.03) -> np.ndarray:
    """Frame indices of onset peaks: local maxima above a moving mean plus ``delta`` x a robust scale."""
    if env.size < 3:
        return np.zeros(0, dtype=int)
    scale = float(np.percentile(env, 99))
    if scale <= 1e-9:
        return np.zeros(0, dtype=int)
    e = env / scale
    pre_max, post_max = int(round(0.03 * fps)), int(round(0.03 * fps))
    pre_avg, post_avg = int(round(0.10 * fps)), int(round(0.07 * fps))
    mx = _movmax(e, pre_max, post_max)
    avg = _movmean(e, pre_avg, post_avg)
    cand = np.flatnonzero((e >= mx) & (e > avg + delta) & (e > 0))
    if cand.size == 0:
        return cand
    keep = [int(cand[0])]
    gap = combine_s * fps
    for c in cand[1:]:
        if c - keep[-1] > gap:
            keep.append(int(c))
    return np.asarray(keep, dtype=int)


def fine_envelope(
    y: np.ndarray, sr: int, *, step_s: float = 0.0005, smooth_s: float = 0.003
) -> tuple[np.ndarray, float]:
    """RMS envelope of the pre-emphasised signal on a ``step_s`` grid; returns (env, step in seconds).

    Sample ``j`` describes the window centred at ``j * step``.
    """
    step = max(1, int(round(step_s * sr)))
    x = np.empty_like(y, dtype=np.float32)
    x[0] = y[0]
    x[1:] = y[1:] - 0.9 * y[:-1]
    n = x.size // step
    if n < 2:
        return np.sqrt(np.atleast_1d(np.mean(x.astype(np.float64) ** 2))), step / sr
    e = (x[: n * step].astype(np.float64) ** 2).reshape(n, step).sum(axis=1)
    k = max(1, int(round(smooth_s * sr / step)))
    c = np.concatenate([[0.0], np.cumsum(e)])
    i = np.arange(n)
    lo = np.clip(i - k // 2, 0, n)
    hi = np.clip(i - k // 2 + k, 0, n)
    rms = np.sqrt((c[hi] - c[lo]) / np.maximum((hi - lo) * step, 1))
    # block j covers samples [j*step, (j+1)*step): centre (j + 0.5) * step; the moving window starts at j - k//2
    return rms, step / sr


def refine_onsets(
    times_s: np.ndarray,
    fine: np.ndarray,
    step_s: float,
    *,
    threshold: float = 0.5,
    search_before_s: float = 0.06,
    search_after_s: float = 0.03,
) -> tuple[np.ndarray, np.ndarray]:
    """Move each rough onset to the ``threshold`` crossing of its attack on the fine envelope.

    Returns the refined times and each attack's rise (peak / floor of the fine envelope).
    """
    out = np.empty_like(times_s)
    rise = np.ones_like(times_s)
    n = fine.size
    centre_shift = 0.5 * step_s  # block j's centre
    b = int(round(search_before_s / step_s))
    a = int(round(search_after_s / step_s))
    for i, t in enumerate(times_s):
        j = int(round(t / step_s))
        lo, hi = max(0, j - b), min(n, j + a + 1)
        if hi - lo < 4:
            out[i] = t
            continue
        seg = fine[lo:hi]
        # attack peak: the maximum of the rise (largest value after the deepest floor before it)
        p = int(np.argmax(seg[b // 3 :])) + b // 3 if seg.size > b // 3 else int(np.argmax(seg))
        floor_i = int(np.argmin(seg[: p + 1]))
        floor, peak = float(seg[floor_i]), float(seg[p])
        rise[i] = peak / max(floor, 1e-12)
        if peak <= floor * 1.05 + 1e-12:
            out[i] = t
            continue
        level = floor + threshold * (peak - floor)
        k = p
        while k > floor_i and seg[k - 1] >= level:
            k -= 1
        # linear interpolation between k-1 and k
        if k > 0 and seg[k] != seg[k - 1]:
            frac = (level - seg[k - 1]) / (seg[k] - seg[k - 1])
            pos = k - 1 + float(np.clip(frac, 0.0, 1.0))
        else:
            pos = float(k)
        out[i] = (lo + pos) * step_s + centre_shift
    return out, rise


# --------------------------------------------------------------------------------------- periodicity


def autocorr(env: np.ndarray, max_lag: int) -> np.ndarray:
    """Normalised autocorrelation (lag 0 = 1) of a mean-removed envelope, lags 0..max_lag."""
    x = env.astype(np.float64) - float(np.mean(env))
    n = x.size
    nfft = 1 << int(np.ceil(np.log2(2 * n + 1)))
    f = np.fft.rfft(x, nfft)
    r = np.fft.irfft(f * np.conj(f), nfft)[: max_lag + 1]
    if r[0] <= 0:
        return np.zeros(max_lag + 1)
    # unbiased-ish: compensate the shrinking overlap
    r = r / np.maximum(n - np.arange(max_lag + 1), n // 4)
    return r / r[0]


def _interp(acf: np.ndarray, lags: np.ndarray) -> np.ndarray:
    lags = np.asarray(lags, dtype=np.float64)
    return np.interp(lags, np.arange(acf.size), acf, right=0.0)


def _peak(acf: np.ndarray, lag: float, tol: float = 0.06) -> float:
    """Maximum of the ACF within +-tol (relative) of ``lag`` (0 when out of range)."""
    lo = int(np.floor(lag * (1 - tol)))
    hi = int(np.ceil(lag * (1 + tol)))
    if lo >= acf.size or lo < 1:
        return 0.0
    return float(max(0.0, np.max(acf[lo : min(hi, acf.size - 1) + 1])))


def pulse_strength(acf: np.ndarray, lags: np.ndarray, n_harm: int = 4) -> np.ndarray:
    """Mean positive ACF at 1..n_harm multiples of each lag (frames)."""
    s = np.zeros(lags.size)
    for k in range(1, n_harm + 1):
        s += np.maximum(_interp(acf, k * lags), 0.0)
    return s / n_harm


@dataclass(frozen=True)
class TempoEvidence:
    """Candidate tempi with scores (higher is better) and the features behind them."""

    bpm: np.ndarray
    score: np.ndarray
    pulse: np.ndarray
    prior: np.ndarray
    meter: np.ndarray


def _local_maxima(x: np.ndarray) -> np.ndarray:
    return np.flatnonzero((x[1:-1] >= x[:-2]) & (x[1:-1] > x[2:])) + 1


def tempo_evidence(
    env: Envelopes,
    *,
    min_bpm: float = 40.0,
    max_bpm: float = 240.0,
    prior_bpm: float = 110.0,
    prior_octaves: float = 1.0,
) -> TempoEvidence:
    """Score the tempo candidates of an envelope (see the module docstring)."""
    fps = env.fps
    # compressed envelopes: quiet regular events (hats) count, not only the loudest hits
    full = np.sqrt(env.full / (np.percentile(env.full, 99) + 1e-9))
    low = np.sqrt(env.low / (np.percentile(env.low, 99) + 1e-9))
    e = full + 0.5 * low
    max_lag = int(np.ceil(60.0 * fps / min_bpm * 4.5))
    max_lag = min(max_lag, e.size - 1)
    if max_lag < 8:
        return TempoEvidence(*(np.zeros(0) for _ in range(5)))
    acf = autocorr(e, max_lag)
    acf_full = autocorr(full, max_lag)
    bpm_grid = np.geomspace(min_bpm / 1.5, max_bpm * 1.5, 600)
    lags = 60.0 * fps / bpm_grid
    ps = pulse_strength(acf, lags)
    peaks = _local_maxima(ps)
    if peaks.size == 0:
        return TempoEvidence(*(np.zeros(0) for _ in range(5)))

    def refine(lag: float) -> float:
        fine = np.linspace(lag * 0.985, lag * 1.015, 31)
        s = pulse_strength(acf, fine, n_harm=8)
        return float(60.0 * fps / fine[int(np.argmax(s))])

    top = peaks[np.argsort(-ps[peaks])][:3]
    seeds = [refine(lags[p]) for p in peaks]
    for p in top:
        b0 = 60.0 * fps / lags[p]
        seeds += [refine(60.0 * fps / (b0 * r)) for r in (2.0, 0.5, 3.0, 1 / 3, 1.5, 2 / 3)]
    cands_a = np.asarray(seeds)
    cands_a = cands_a[(cands_a >= min_bpm) & (cands_a <= max_bpm)]
    if cands_a.size == 0:
        return TempoEvidence(*(np.zeros(0) for _ in range(5)))
    lag_c = 60.0 * fps / cands_a
    pulse = pulse_strength(acf, lag_c)
    pmax = float(pulse.max()) if pulse.size else 1.0
    pulse_n = pulse / max(pmax, 1e-9)
    prior = -0.5 * (np.log2(cands_a / prior_bpm) / prior_octaves) ** 2
    meter = np.zeros(cands_a.size)
    pk = pick_peaks(env.full, fps)
    height = np.sqrt(np.clip(env.full[pk] / (np.percentile(env.full, 99) + 1e-9), 0, 2)) if pk.size else pk
    for i, L in enumerate(lag_c):
        occ, sal = _fold(pk, height, L)
        # beat positions must mostly be filled: a level with empty beats is too fast
        meter[i] -= 3.0 * max(0.0, 0.8 - occ)
        support = 0.0
        for k in (2, 3):
            r_k = sal[k]
            if k * cands_a[i] <= max_bpm:
                # an equally strong 'subdivision' that is itself a plausible tempo is really the beat
                meter[i] -= 6.0 * max(r_k - 0.7, 0.0)
                # a weaker one (hats between kicks, eighths between quarter notes) supports this level
                support = max(support, min(r_k, 0.7) / 0.7 if r_k < 0.75 else 0.0)
            elif k == 2:
                # an eighth-note level too fast to be a beat is a tatum, however strong
                support = max(support, min(r_k, 0.7) / 0.7)
        # a swung offbeat (long-short eighths, late in the beat with nothing at 1/3) supports this level
        # like a straight one; half weight, because the same window also catches the swung sixteenths
        # of a level half as fast
        support = max(support, 0.5 * min(sal[SWUNG], 0.7) / 0.7)
        meter[i] += 0.6 * support
        quarter = max(_peak(acf_full, L / 4), _peak(acf_full, L / 6))
        eighth = _peak(acf_full, L / 8) if L / 8 >= 6 else 0.0
        # a steady pulse 8 per beat means the beat is too slow
        if quarter > 0.05:
            meter[i] -= 1.0 * max(0.0, eighth / quarter - 0.5)
    # weak periodicities are not metrical levels; nor are levels in 3:2 / 4:3 relations to the strongest
    best = cands_a[int(np.argmax(pulse_n))]
    ratio = np.log2(cands_a / best)
    family = np.zeros(cands_a.size, dtype=bool)
    for r in (0.0, 1.0, -1.0, 2.0, -2.0, np.log2(3), -np.log2(3)):
        family |= np.abs(ratio - r) < 0.03
    meter = np.where(pulse_n >= 0.6, meter, meter - 1.0)
    meter = np.where(family, meter, meter - 1.0)
    score = np.log(np.maximum(pulse_n, 1e-6)) + prior + meter
    order = np.argsort(-score)
    # merge near duplicates (within 2 %)
    keep: list[int] = []
    for o in order:
        if all(abs(np.log(cands_a[o] / cands_a[k])) > 0.02 for k in keep):
            keep.append(int(o))
    sel = np.asarray(keep)
    return TempoEvidence(bpm=cands_a[sel], score=score[sel], pulse=pulse_n[sel], prior=prior[sel], meter=meter[sel])


SWUNG = 0  # key of the swung-offbeat salience in the dict returned by _fold (2: half, 3: thirds)


def _fold(peaks: np.ndarray, height: np.ndarray, period: float, tol: float = 3.0) -> tuple[float, dict[int, float]]:
    """Occupancy of the best beat phase and the salience of the subdivision positions relative to it.

    Peaks (frames, with heights) are folded modulo ``period``; the beat phase is the one with the
    largest summed height. Occupancy = share of the beats (between the first and last peak) that
    have a peak within ``tol`` frames of the beat phase. Saliences (relative to the beat phase):

    - ``2``: the half position (a straight eighth of this beat);
    - ``3``: the ternary grid, ``(min(a1, a2) + a2) / 2`` with ``a1``, ``a2`` at 1/3 and 2/3 of the beat.
      Both thirds (triplets, 6/8) or the late one alone (shuffle: long-short) count; an onset at 1/3
      alone (short-long) does not: it is 2/3 of a beat half as long, the swung offbeat of the level
      twice as fast, and must not support this one;
    - ``SWUNG`` (0): a swung offbeat, the strongest position at 0.58-0.72 of the beat (swing ratios
      ~1.4:1 to 2.6:1) less the salience at 1/3.
    """
    if peaks.size < 4 or period < 2 * tol:
        return 0.0, {2: 0.0, 3: 0.0, SWUNG: 0.0}
    n_beats = max((peaks[-1] - peaks[0]) / period, 1.0)
    ph = np.mod(peaks, period)
    grid = np.arange(0.0, period, 1.0)
    d = np.abs(ph[None, :] - grid[:, None])
    d = np.minimum(d, period - d)
    near = d <= tol
    w = np.clip(1.0 - d / (tol + 1.0), 0.0, None)
    sal = (w * height[None, :]).sum(axis=1)
    j = int(np.argmax(sal))
    occ = min(1.0, float(near[j].sum()) / (n_beats + 1))
    top = max(float(sal[j]), 1e-9)

    def at(frac: float) -> float:
        c = int(round(grid[j] + frac * period))
        return float(max(sal[(c + o) % grid.size] for o in (-1, 0, 1))) / top

    a1, a2 = at(1 / 3), at(2 / 3)
    late = max(at(frac) for frac in np.linspace(0.58, 0.72, 5))
    return occ, {2: at(0.5), 3: 0.5 * (min(a1, a2) + a2), SWUNG: max(0.0, late - a1)}


# --------------------------------------------------------------------------------------- beats


def dp_beats(onset: np.ndarray, period: float, *, tightness: float = 100.0) -> np.ndarray:
    """Beat frames by dynamic programming (Ellis 2007) with a fixed period (frames)."""
    n = onset.size
    if n == 0 or period <= 1:
        return np.zeros(0, dtype=int)
    sd = float(np.std(onset))
    loc = onset / sd if sd > 0 else onset.astype(np.float64)
    # smooth with a Gaussian of period/32 like librosa
    w = np.exp(-0.5 * (np.arange(-int(period), int(period) + 1) * 32.0 / period) ** 2)
    loc = np.convolve(loc, w, mode="same") - 0.0
    cum = np.zeros(n)
    back = -np.ones(n, dtype=int)
    lo_off = int(round(2 * period))
    hi_off = max(1, int(round(period / 2)))
    offs = np.arange(lo_off, hi_off - 1, -1)
    txwt = -tightness * np.log(offs / period) ** 2
    for t in range(n):
        cand = t - offs
        ok = cand >= 0
        if not ok.any():
            cum[t] = loc[t]
            continue
        sc = cum[cand[ok]] + txwt[ok]
        j = int(np.argmax(sc))
        if sc[j] > 0 or t > lo_off:
            cum[t] = loc[t] + sc[j]
            back[t] = int(cand[ok][j])
        else:
            cum[t] = loc[t]
    # the last beat: the best cumulative score among local maxima in the final period
    tail = max(0, n - int(round(period)) - 1)
    med = np.median(cum[tail:]) if n - tail > 0 else 0.0
    cand_end = np.arange(tail, n)
    cand_end = cand_end[cum[cand_end] >= 0.5 * med] if med > 0 else cand_end
    end = int(cand_end[np.argmax(cum[cand_end])]) if cand_end.size else n - 1
    path = [end]
    while back[path[-1]] >= 0:
        path.append(int(back[path[-1]]))
    b = np.asarray(path[::-1], dtype=int)
    # trim weak beats at the edges (before the music starts, after it ends)
    strength = np.convolve(onset, np.ones(5), mode="same")[b]
    thr = 0.1 * float(np.median(strength)) if b.size else 0.0
    on = np.flatnonzero(strength > thr)
    if on.size:
        b = b[on[0] : on[-1] + 1]
    return b
