"""The re-laid-out crepe network and the banded Viterbi decoder compute torchcrepe's functions.

Tolerances: activations within 1e-5 (float32; the rewrites only reorder sums), float16 arg-max bins
equal on >= 99 % of confident frames (activation >= 0.21), decoded bins identical to
``torchcrepe.decode.viterbi``; against ``torchcrepe.predict`` (which dithers by up to +-20 c) the same
voicing on >= 99 % of frames and f0 within 20.5 c.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from dawglib._crepe_batch import fast_model, frames_of, get_torchcrepe, load_model, predict_many, viterbi_many  # noqa: E402
from dawglib.synth import f0_contour, sung_vowel  # noqa: E402


@pytest.fixture(scope="module")
def frames() -> torch.Tensor:
    """Normalised crepe frames of 1.2 s of sung vowel (a note change and vibrato) plus random frames."""
    f0 = f0_contour([(0.05, 0.6, 57.0), (0.6, 1.15, 69.3)], sr=16000, vibrato_hz=5.5, vibrato_cents=40.0)
    y = sung_vowel(f0, sr=16000, seed=4).astype(np.float32)
    g = torch.Generator().manual_seed(11)
    return torch.cat([frames_of(torch.from_numpy(y), 160), torch.randn(16, 1024, generator=g)])


@pytest.mark.parametrize("layout", ["ncl", "nlc", "lnc"])
def test_fast_model_equals_torchcrepe_tiny(frames: torch.Tensor, layout: str) -> None:
    ref = load_model("tiny")
    with torch.inference_mode():
        a, b = ref(frames), fast_model("tiny", layout=layout)(frames)
    assert b.shape == a.shape == (frames.shape[0], 360)
    assert float((a - b).abs().max()) < 1e-5


@pytest.mark.parametrize("layout", ["ncl", "nlc", "lnc"])
def test_fast_model_with_negative_batchnorm_scales(frames: torch.Tensor, layout: str) -> None:
    # the full model's last layer has BatchNorm scales < 0 (the pool-first rewrite flips min and max
    # there); the tiny model has none, so make some in a copy of it
    from dawglib._crepe_batch import _fast_class

    ref = copy.deepcopy(load_model("tiny"))
    with torch.no_grad():
        for i in (1, 2, 3, 6):
            bn = getattr(ref, f"conv{i}_BN")
            bn.weight[::3] *= -1.0
    fast = _fast_class()(ref, layout=layout).eval()
    assert not all(fast.all_positive)
    with torch.inference_mode():
        a, b = ref(frames), fast(frames)
    assert float((a - b).abs().max()) < 1e-5


@pytest.mark.parametrize("layout", ["ncl", "lnc"])
def test_fast_model_equals_torchcrepe_full_last_layer_mixed_signs(frames: torch.Tensor, layout: str) -> None:
    ref = load_model("full")
    fast = fast_model("full", layout=layout)
    assert fast.all_positive[:5] == [True] * 5 and not fast.all_positive[5]
    with torch.inference_mode():
        a, b = ref(frames[::4]), fast(frames[::4])
    assert float((a - b).abs().max()) < 1e-5


@pytest.mark.parametrize("layout", ["nlc", "lnc"])
def test_fast_model_float16_keeps_the_arg_max(frames: torch.Tensor, layout: str) -> None:
    ref = load_model("tiny")
    with torch.inference_mode():
        a, b = ref(frames), fast_model("tiny", layout=layout, dtype="float16")(frames)
    assert b.dtype == torch.float32
    conf = a.max(1).values >= 0.21
    assert int(conf.sum()) >= 50
    assert float((a.argmax(1) == b.argmax(1))[conf].float().mean()) >= 0.99


def test_spectral_layer_is_the_zero_padded_convolution() -> None:
    # layer 2 of layout "lnc": DFT (160 points) -> per-bin channel mix -> inverse DFT must equal
    # torchcrepe's convolution (64 taps, zero padding 31 before / 32 after) on all 128 positions;
    # a DFT too short would wrap the far end of the frame into the first positions
    from dawglib._crepe_batch import _N_SPEC, _spectral

    g = torch.Generator().manual_seed(3)
    w = torch.randn(5, 3, 64, generator=g, dtype=torch.float64)  # (C2, C1, k)
    y = torch.randn(2, 3, 128, generator=g, dtype=torch.float64)  # (N, C1, L)
    y[:, :, :96] = 0.0  # energy only at the end: wrap-around would show at the start
    ref = torch.nn.functional.conv1d(torch.nn.functional.pad(y, (31, 32)), w)  # (N, C2, 128)
    dft, idft, spec = (m.double() for m in _spectral(w))
    ys = torch.einsum("bp,ncp->bnc", dft, y).reshape(2, _N_SPEC, 2, 3)  # (re/im, bin, N, C1)
    re = ys[0] @ spec[0] + ys[1] @ spec[2]
    im = ys[0] @ spec[1] + ys[1] @ spec[0]
    out = torch.einsum("lb,bnc->ncl", idft, torch.cat([re, im]))  # (N, C2, 128)
    assert float((out - ref).abs().max()) < 1e-5 * float(ref.abs().max())
    assert float(ref[..., :20].abs().max()) < 1e-12 < float(ref[..., 80:].abs().max())


def test_banded_viterbi_equals_torchcrepe_on_jumpy_activations() -> None:
    tc = get_torchcrepe()
    g = torch.Generator().manual_seed(0)
    acts = []
    for k in range(5):
        n = 120 + 41 * k
        a = torch.rand(n, 360, generator=g) * 0.05
        pos = 100
        for t in range(n):  # a path that jumps far (out of the transition band) now and then
            if torch.rand(1, generator=g).item() < 0.06:
                pos = int(torch.randint(30, 330, (1,), generator=g))
            a[t, pos] = 0.9
        if k % 2:
            a[:, :40] = -float("inf")  # a search range
            a[:, 300:] = -float("inf")
        acts.append(a)
    acts.append(torch.rand(1, 360, generator=g))  # a one-frame signal
    ours_1 = viterbi_many(acts, n_threads=1)
    ours_4 = viterbi_many(acts, n_threads=4)
    for a, o1, o4 in zip(acts, ours_1, ours_4):
        ref, _ = tc.decode.viterbi(a.T[None].clone())
        np.testing.assert_array_equal(o1.numpy(), ref[0].numpy())
        np.testing.assert_array_equal(o4.numpy(), ref[0].numpy())


def test_predict_many_agrees_with_torchcrepe_predict() -> None:
    tc = get_torchcrepe()
    notes = [(0.05, 0.5, 50.0), (0.55, 1.1, 62.0), (1.1, 1.6, 74.2)]
    f0 = f0_contour(notes, sr=16000, vibrato_hz=5.0, vibrato_cents=30.0)
    y = sung_vowel(f0, sr=16000, seed=9).astype(np.float32)
    (ours,) = predict_many([y], hop16=160, fmin_hz=50.0, fmax_hz=1500.0, model="tiny", device="cpu", batch_size=64)
    with torch.inference_mode():
        ref_f0, ref_per = tc.predict(
            torch.from_numpy(y)[None], 16000, 160, 50.0, 1500.0, "tiny",
            decoder=tc.decode.viterbi, return_periodicity=True, batch_size=512, device="cpu", pad=True,
        )  # fmt: skip
        ref_per = tc.filter.median(ref_per, 3)
    ref_f0, ref_per = ref_f0[0].numpy(), ref_per[0].numpy()
    assert ours.f0_hz.shape == ref_f0.shape
    np.testing.assert_allclose(ours.periodicity, ref_per, atol=1e-5)
    vo, vr = ours.periodicity >= 0.21, ref_per >= 0.21
    assert np.mean(vo == vr) >= 0.99 and vo.sum() > 80
    both = vo & vr
    cents = 1200 * np.abs(np.log2(ours.f0_hz[both] / ref_f0[both]))
    assert cents.max() <= 20.5  # torchcrepe's dither; we do not dither


def test_predict_many_empty_and_one_frame_signals() -> None:
    assert predict_many([]) == []
    noise = np.random.default_rng(0).standard_normal(5000).astype(np.float32)
    outs = predict_many([np.zeros(1, np.float32), noise, np.zeros(0, np.float32)], batch_size=3, model="tiny")
    assert [o.bins.shape for o in outs] == [(1,), (1 + 5000 // 160,), (1,)]
    assert all(np.all((o.periodicity >= 0) & (o.periodicity <= 1)) for o in outs)
