"""The torchcrepe backend of :func:`dawglib.pitch.track` (private; torch loads only here)."""

from __future__ import annotations

import numpy as np

from .exceptions import ParameterError

__all__ = ["track_crepe", "CREPE_SR"]

#: torchcrepe's model rate (Hz).
CREPE_SR = 16000
_MODELS = ("tiny", "full")


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
    whole 16 kHz samples) and the f0 / periodicity are interpolated onto the frame centres
    ``k * hop_length / sr``. A frame is voiced when its periodicity (median-filtered over 3 frames)
    is at least ``periodicity_threshold`` (torchcrepe's suggested 0.21).

    Returns
    -------
    f0_hz, voiced, periodicity : np.ndarray, shape (1 + len(y) // hop_length,)
    """
    if model not in _MODELS:
        raise ParameterError(f"model must be one of {_MODELS} for method='crepe', given model={model!r}")
    from ._torchaudio_shim import import_torchcrepe

    tc = import_torchcrepe()
    import torch

    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    from .pitch import _grid, _resample_fast

    x = _resample_fast(y, sr, CREPE_SR).astype(np.float32)
    hop16 = max(1, int(round(hop_length * CREPE_SR / sr)))
    n = _grid(y.size, hop_length)
    times = np.arange(n) * hop_length / sr
    if x.size < 2:
        return np.full(n, np.nan), np.zeros(n, bool), np.zeros(n)
    audio = torch.from_numpy(x)[None]
    with torch.inference_mode():
        f0, per = tc.predict(
            audio,
            CREPE_SR,
            hop16,
            float(max(fmin_hz, 32.0)),
            float(min(fmax_hz, 1975.0)),
            model,
            decoder=tc.decode.viterbi,
            return_periodicity=True,
            batch_size=1024,
            device=device,
            pad=True,
        )
        per = tc.filter.median(per, 3)
    f0n = f0[0].detach().cpu().numpy().astype(np.float64)
    pn = per[0].detach().cpu().numpy().astype(np.float64)
    t16 = np.arange(f0n.size) * hop16 / CREPE_SR
    f0i = np.exp(np.interp(times, t16, np.log(np.maximum(f0n, 1e-3))))
    pi = np.interp(times, t16, pn)
    voiced = pi >= periodicity_threshold
    return np.where(voiced, f0i, np.nan), voiced, pi
