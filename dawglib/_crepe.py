"""The torchcrepe backend of :func:`dawglib.pitch.track` (private; torch loads only here)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .exceptions import ParameterError

__all__ = ["track_crepe", "on_grid", "CREPE_SR"]

#: torchcrepe's model rate (Hz).
CREPE_SR = 16000
_MODELS = ("tiny", "full")


def on_grid(
    out16: Any, *, n_samples: int, sr: int, hop_length: int, periodicity_threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A :class:`dawglib._crepe_batch.CrepeOutput` (16 kHz grid) interpolated onto our frame grid.

    f0 is interpolated in log frequency, periodicity linearly, at the frame centres
    ``k * hop_length / sr``; a frame is voiced when its periodicity is at least
    ``periodicity_threshold``.

    Returns
    -------
    f0_hz, voiced, periodicity : np.ndarray, shape (1 + n_samples // hop_length,)
    """
    from .pitch import _grid

    times = np.arange(_grid(n_samples, hop_length)) * hop_length / sr
    t16 = np.arange(out16.f0_hz.size) * out16.hop16 / CREPE_SR
    f0i = np.exp(np.interp(times, t16, np.log(np.maximum(out16.f0_hz, 1e-3))))
    pi = np.interp(times, t16, out16.periodicity)
    voiced = pi >= periodicity_threshold
    return np.where(voiced, f0i, np.nan), voiced, pi


def track_crepe(
    y: np.ndarray,
    *,
    sr: int,
    fmin_hz: float,
    fmax_hz: float,
    hop_length: int,
    model: str = "tiny",
    device: str | None = None,
    periodicity_threshold: float = 0.21,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Torchcrepe with Viterbi decoding on our frame grid.

    The signal is resampled to 16 kHz, analysed every 10 ms (or the requested hop, rounded to
    whole 16 kHz samples) by torchcrepe's network (in :func:`dawglib._crepe_batch.fast_model`'s
    layout: the same function, about twice as fast) and decoded with torchcrepe's Viterbi model;
    the f0 / periodicity are interpolated onto the frame centres ``k * hop_length / sr``. A frame is
    voiced when its periodicity (median-filtered over 3 frames) is at least
    ``periodicity_threshold`` (torchcrepe's suggested 0.21). Unlike ``torchcrepe.predict`` the pitch
    is not dithered.

    Returns
    -------
    f0_hz, voiced, periodicity : np.ndarray, shape (1 + len(y) // hop_length,)
    """
    if model not in _MODELS:
        raise ParameterError(f"model must be one of {_MODELS} for method='crepe', given model={model!r}")
    import torch

    from ._crepe_batch import predict_many
    from .pitch import _grid, _resample_fast

    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    x = _resample_fast(y, sr, CREPE_SR).astype(np.float32)
    if x.size < 2:
        n = _grid(y.size, hop_length)
        return np.full(n, np.nan), np.zeros(n, bool), np.zeros(n)
    hop16 = max(1, int(round(hop_length * CREPE_SR / sr)))
    (out16,) = predict_many(
        [x],
        hop16=hop16,
        fmin_hz=float(max(fmin_hz, 32.0)),
        fmax_hz=float(min(fmax_hz, 1975.0)),
        model=model,
        device=device,
        batch_size=1024,
    )
    return on_grid(out16, n_samples=y.size, sr=sr, hop_length=hop_length, periodicity_threshold=periodicity_threshold)
