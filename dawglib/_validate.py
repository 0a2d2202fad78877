"""Shared validators used at the public boundary of :mod:`dawglib`.

Each returns a normalised value or raises a :class:`~dawglib.exceptions.DawglibError` subclass
whose message states what was given and what was expected.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .exceptions import AudioError, ParameterError

__all__ = ["valid_audio", "valid_sr", "valid_positive", "valid_freq_range"]

#: Sample rates outside this range are refused as absurd (Hz).
SR_MIN = 1_000
SR_MAX = 768_000


def valid_sr(sr: Any) -> int:
    """Check a sample rate and return it as ``int``.

    Parameters
    ----------
    sr : number
        Sample rate in Hz; must be an integer-valued number in ``[1000, 768000]``.

    Returns
    -------
    sr : int

    Raises
    ------
    ParameterError
        If ``sr`` is not a finite number in range.
    """
    if isinstance(sr, bool) or not isinstance(sr, numbers.Real):
        raise ParameterError(f"sr must be a number of samples per second, given sr={sr!r}")
    v = float(sr)
    if not np.isfinite(v) or v != int(v):
        raise ParameterError(f"sr must be a whole number of Hz, given sr={sr!r}")
    if not SR_MIN <= int(v) <= SR_MAX:
        raise ParameterError(f"sr must be within [{SR_MIN}, {SR_MAX}] Hz, given sr={sr!r}")
    return int(v)


def valid_audio(y: Any, *, mono: bool = True, name: str = "y") -> np.ndarray:
    """Check an audio signal and return it as a float32 (or float64) array.

    Parameters
    ----------
    y : np.ndarray
        Audio samples. With ``mono=True`` shape ``(n,)``; otherwise ``(n,)`` or ``(channels, n)``.
        Must be floating point (integer PCM is refused: divide by its full scale first), non-empty
        and finite.
    mono : bool
        Require a 1-D signal.
    name : str
        Name used in error messages.

    Returns
    -------
    y : np.ndarray
        The same data, as float32 unless it already was float64.

    Raises
    ------
    AudioError
        If the signal is not an array, has integer/complex/object dtype, is empty, has the wrong
        number of dimensions, or contains NaN/inf.
    """
    if not isinstance(y, np.ndarray):
        raise AudioError(f"{name} must be a numpy.ndarray of float samples, given {type(y).__name__}")
    if not np.issubdtype(y.dtype, np.floating):
        raise AudioError(
            f"{name} must have a floating-point dtype, given {name}.dtype={y.dtype}; "
            "for integer PCM divide by the full scale (e.g. y / 32768.0)"
        )
    if mono and y.ndim != 1:
        raise AudioError(
            f"{name} must be mono with shape (n,), given {name}.shape={y.shape}; mix down first, e.g. y.mean(axis=0)"
        )
    if not mono and y.ndim not in (1, 2):
        raise AudioError(f"{name} must have shape (n,) or (channels, n), given {name}.shape={y.shape}")
    if y.size == 0:
        raise AudioError(f"{name} is empty, given {name}.shape={y.shape}; expected at least 1 sample")
    if not np.all(np.isfinite(y)):
        n_bad = int(np.count_nonzero(~np.isfinite(y)))
        raise AudioError(f"{name} must be finite, given {n_bad} NaN/inf sample(s) of {y.size}")
    if y.dtype not in (np.float32, np.float64):
        y = y.astype(np.float32)
    return y


def valid_positive(value: Any, *, name: str, allow_zero: bool = False) -> float:
    """Check that ``value`` is a finite real number > 0 (or >= 0) and return it as ``float``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(float(value)):
        raise ParameterError(f"{name} must be a finite number, given {name}={value!r}")
    v = float(value)
    if v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ParameterError(f"{name} must be {bound}, given {name}={value!r}")
    return v


#: Lowest pitch-search floor accepted (Hz): below any sung or played pitch (C0 is 16.4 Hz); the
#: trackers' lag windows grow as 1 / fmin_hz, so a floor of 1e-200 Hz would ask for absurd memory.
MIN_PITCH_HZ = 10.0


def valid_freq_range(fmin_hz: Any, fmax_hz: Any, *, sr: int) -> tuple[float, float]:
    """Check a pitch search range against the sample rate.

    Raises
    ------
    ParameterError
        If either bound is not positive, ``fmin_hz`` is below ``MIN_PITCH_HZ`` (10 Hz),
        ``fmin_hz >= fmax_hz`` or ``fmax_hz`` exceeds Nyquist.
    """
    lo = valid_positive(fmin_hz, name="fmin_hz")
    hi = valid_positive(fmax_hz, name="fmax_hz")
    if lo < MIN_PITCH_HZ:
        raise ParameterError(
            f"fmin_hz must be >= {MIN_PITCH_HZ:g} Hz (below any sung or played pitch), given fmin_hz={lo:g}"
        )
    if lo >= hi:
        raise ParameterError(f"fmin_hz must be < fmax_hz, given fmin_hz={lo}, fmax_hz={hi}")
    if hi > sr / 2:
        raise ParameterError(f"fmax_hz must be <= sr/2 (Nyquist), given fmax_hz={hi} with sr={sr} (Nyquist {sr / 2})")
    return lo, hi
