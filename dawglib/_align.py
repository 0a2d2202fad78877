"""Dynamic time warping of a sung pitch curve onto a reference melody (private to the coach).

Both sequences live on one frame grid (``hop_s``). The reference is a piano roll (MIDI per frame,
NaN for rests); the take is its pitch track in fractional MIDI (NaN when unvoiced). The cost of
pairing a reference frame with a take frame is

- ``min(|m_take - m_ref|, 2) / 2`` when both are pitched (an octave error costs as much as any
  wrong note),
- 0 when both are silent, ``rest_cost`` when one sings over the other's rest or is silent in a
  note,

and every non-diagonal step costs ``step_cost`` extra, so the path follows real time unless the
singer really is early, late or holds a note long. The search is limited to a band of
``band_s`` seconds around the diagonal (Sakoe-Chiba), which keeps a 3-minute take at about
10^7 cells.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["dtw_path", "piano_roll"]


def piano_roll(notes: list[tuple[float, float, float]], *, hop_s: float, n_frames: int) -> np.ndarray:
    """MIDI number per frame of a monophonic note list ``(start_s, end_s, midi)``; NaN in rests."""
    roll = np.full(n_frames, np.nan)
    for s, e, m in notes:
        a = max(0, int(round(s / hop_s)))
        b = min(n_frames, int(round(e / hop_s)))
        roll[a:b] = m
    return roll


@njit(cache=True)
def _dtw(ref: np.ndarray, take: np.ndarray, band: int, rest_cost: float, step_cost: float) -> np.ndarray:
    # Banded storage: row i holds columns lo[i] .. lo[i] + width - 1 (memory n * width, not n * m).
    n, m = ref.size, take.size
    inf = 1e18
    width = 2 * band + 1
    lo = np.empty(n + 1, dtype=np.int64)
    acc = np.full((n + 1, width), inf)
    move = np.zeros((n + 1, width), dtype=np.int8)
    lo[0] = 0
    acc[0, 0] = 0.0
    slope = m / max(n, 1)
    for i in range(1, n + 1):
        centre = int(i * slope)
        j0 = max(1, centre - band)
        j1 = min(m, centre + band)
        lo[i] = j0
        for j in range(j0, j1 + 1):
            r = ref[i - 1]
            t = take[j - 1]
            r_nan = r != r
            t_nan = t != t
            if r_nan and t_nan:
                c = 0.0
            elif r_nan or t_nan:
                c = rest_cost
            else:
                d = abs(t - r)
                c = (d if d < 2.0 else 2.0) / 2.0
            best = inf
            mv = 0
            kd = j - 1 - lo[i - 1]  # diagonal: (i-1, j-1)
            if 0 <= kd < width:
                best = acc[i - 1, kd]
            ku = j - lo[i - 1]  # from above: (i-1, j)
            if 0 <= ku < width:
                v = acc[i - 1, ku] + step_cost
                if v < best:
                    best = v
                    mv = 1
            kl = j - 1 - j0  # from the left: (i, j-1)
            if kl >= 0:
                v = acc[i, kl] + step_cost
                if v < best:
                    best = v
                    mv = 2
            acc[i, j - j0] = best + c
            move[i, j - j0] = mv
    # backtrack: path[k] = (i, j)
    path = np.zeros((n + m, 2), dtype=np.int64)
    i, j, k = n, m, 0
    while i > 0 and j > 0:
        path[k, 0] = i - 1
        path[k, 1] = j - 1
        k += 1
        mv = move[i, j - lo[i]]
        if mv == 0:
            i -= 1
            j -= 1
        elif mv == 1:
            i -= 1
        else:
            j -= 1
    return path[:k][::-1].copy()


def dtw_path(
    ref_midi: np.ndarray,
    take_midi: np.ndarray,
    *,
    hop_s: float,
    band_s: float = 3.0,
    rest_cost: float = 0.6,
    step_cost: float = 0.05,
) -> np.ndarray:
    """Warping path between a reference piano roll and a take's pitch curve.

    Parameters
    ----------
    ref_midi, take_midi : np.ndarray, shape (n,), (m,)
        MIDI per frame (NaN = rest / unvoiced), same ``hop_s``.
    hop_s : float
        Frame period in seconds.
    band_s : float
        Largest time shift considered, in seconds.
    rest_cost, step_cost : float
        See the module docstring.

    Returns
    -------
    path : np.ndarray, shape (k, 2), int
        Monotone pairs ``(ref_frame, take_frame)`` from ``(0, 0)`` to ``(n-1, m-1)``.
    """
    band = int(np.ceil(band_s / hop_s)) + abs(ref_midi.size - take_midi.size)
    return _dtw(
        np.ascontiguousarray(ref_midi, dtype=np.float64),
        np.ascontiguousarray(take_midi, dtype=np.float64),
        band,
        float(rest_cost),
        float(step_cost),
    )
