"""Audio and MIDI file input/output.

Audio is always returned as float32 in ``[-1, 1]`` with the file's own sample rate unless one is
asked for; resampling uses soxr (VHQ). Every failure raises an
:class:`~dawglib.exceptions.AudioFileError` or :class:`~dawglib.exceptions.ParameterError`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ._validate import valid_audio, valid_sr
from .exceptions import AudioFileError, ParameterError

__all__ = ["load_audio", "write_audio", "resample", "SUPPORTED_AUDIO"]

#: File endings that :func:`load_audio` reads (libsndfile formats; mp3 via libsndfile >= 1.1).
SUPPORTED_AUDIO = (".wav", ".flac", ".ogg", ".oga", ".aiff", ".aif", ".mp3", ".opus")


def resample(y: np.ndarray, *, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample a signal with soxr's very-high-quality filter.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (channels, n)
        Float audio.
    orig_sr, target_sr : int
        Sample rates in Hz.

    Returns
    -------
    y_resampled : np.ndarray, float32
        Same number of dimensions as ``y``; length ``ceil(n * target_sr / orig_sr)``.

    Examples
    --------
    >>> import numpy as np
    >>> resample(np.zeros(44100, dtype=np.float32), orig_sr=44100, target_sr=16000).shape
    (16000,)
    """
    y = valid_audio(y, mono=False)
    orig_sr = valid_sr(orig_sr)
    target_sr = valid_sr(target_sr)
    if orig_sr == target_sr:
        return y.astype(np.float32, copy=False)
    import soxr

    if y.ndim == 1:
        out = soxr.resample(y, orig_sr, target_sr, quality="VHQ")
    else:
        out = soxr.resample(y.T, orig_sr, target_sr, quality="VHQ").T
    return np.ascontiguousarray(out, dtype=np.float32)


def load_audio(path: str | os.PathLike[str], *, sr: int | None = None, mono: bool = True) -> tuple[np.ndarray, int]:
    """Load an audio file as float32.

    Parameters
    ----------
    path : str or path-like
        A WAV/FLAC/OGG/AIFF/MP3 file.
    sr : int or None
        Target sample rate in Hz; ``None`` keeps the file's rate (no silent resampling).
    mono : bool
        Mix channels down to one (mean). With ``mono=False`` the result has shape
        ``(channels, n)`` for multi-channel files and ``(n,)`` for mono files.

    Returns
    -------
    y : np.ndarray, float32
        Samples in ``[-1, 1]``; shape ``(n,)`` when mono.
    sr : int
        The sample rate of ``y`` in Hz.

    Raises
    ------
    AudioFileError
        The file is missing, empty, corrupt or in an unsupported format.
    ParameterError
        ``sr`` is not a valid sample rate.

    Examples
    --------
    >>> y, sr = load_audio("data/samples/sine_a4.wav")  # doctest: +SKIP
    """
    if sr is not None:
        sr = valid_sr(sr)
    if not isinstance(path, (str, os.PathLike)):
        raise ParameterError(f"path must be a str or os.PathLike, given {type(path).__name__}")
    p = Path(path)
    if not p.exists():
        raise AudioFileError(f"audio file not found: {str(p)!r}")
    if p.is_dir():
        raise AudioFileError(f"expected an audio file, given a directory: {str(p)!r}")
    if p.suffix.lower() not in SUPPORTED_AUDIO:
        raise AudioFileError(
            f"unsupported audio format {p.suffix or '(no extension)'!r} for {str(p)!r}; "
            f"expected one of {', '.join(SUPPORTED_AUDIO)}"
        )
    if p.stat().st_size == 0:
        raise AudioFileError(f"audio file is empty (0 bytes): {str(p)!r}")
    import soundfile as sf

    try:
        data, file_sr = sf.read(str(p), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioFileError(f"cannot decode audio file {str(p)!r}: {exc}") from exc
    if data.shape[0] == 0:
        raise AudioFileError(f"audio file has no samples: {str(p)!r}")
    y = data.T  # (channels, n)
    if mono:
        y = y.mean(axis=0)
    elif y.shape[0] == 1:
        y = y[0]
    y = np.ascontiguousarray(y, dtype=np.float32)
    if not np.all(np.isfinite(y)):
        raise AudioFileError(f"audio file contains NaN/inf samples: {str(p)!r}")
    if sr is not None and sr != file_sr:
        y = resample(y, orig_sr=int(file_sr), target_sr=sr)
        return y, sr
    return y, int(file_sr)


def write_audio(path: str | os.PathLike[str], y: np.ndarray, *, sr: int, subtype: str = "PCM_16") -> Path:
    """Write float audio to a WAV/FLAC file (parent folders are created).

    Parameters
    ----------
    path : str or path-like
        Destination; the format follows the extension (``.wav``, ``.flac``).
    y : np.ndarray, shape (n,) or (channels, n)
        Float samples; values beyond ``[-1, 1]`` are clipped.
    sr : int
        Sample rate in Hz.
    subtype : str
        libsndfile subtype, e.g. ``"PCM_16"``, ``"PCM_24"``, ``"FLOAT"``.

    Returns
    -------
    path : pathlib.Path
    """
    y = valid_audio(y, mono=False)
    sr = valid_sr(sr)
    import soundfile as sf

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    data = np.clip(y, -1.0, 1.0)
    data = data.T if data.ndim == 2 else data
    try:
        sf.write(str(p), data, sr, subtype=subtype)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioFileError(f"cannot write audio file {str(p)!r}: {exc}") from exc
    return p
