"""Audio rendering of producer output through :func:`dawglib.render.render_midi` (FluidSynth + GM).

If FluidSynth or the soundfont is missing, :class:`~dawglib.exceptions.DependencyError` says how to
install them (Debian: ``apt-get install fluidsynth fluid-soundfont-gm``, or ``make setup``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..exceptions import AudioFileError, DependencyError

__all__ = ["render_notes", "write_wav"]

_INSTALL_HINT = "install it with 'sudo apt-get install fluidsynth fluid-soundfont-gm' (or run 'make setup')"


def render_notes(
    midi: bytes | str | os.PathLike[str],
    *,
    sr: int,
    duration_s: float | None = None,
    soundfont: str | os.PathLike[str] | None = None,
) -> np.ndarray:
    """Render MIDI (bytes or a file) with FluidSynth to mono float32 of an exact length.

    Parameters
    ----------
    midi : bytes or path
        Standard MIDI File.
    sr : int
        Sample rate in Hz.
    duration_s : float or None
        Trim or zero-pad the result to ``round(duration_s * sr)`` samples (``None``: as rendered,
        with FluidSynth's release tail).
    soundfont : path or None
        An .sf2 file; default the General MIDI soundfont.

    Returns
    -------
    y : np.ndarray, float32, shape (n,)

    Raises
    ------
    DependencyError
        FluidSynth or the soundfont is not installed (with the command that installs them).
    """
    from ..render import render_midi

    try:
        y = render_midi(midi, sr=sr, soundfont=soundfont)
    except DependencyError as exc:
        raise DependencyError(f"{exc}; {_INSTALL_HINT}") from exc
    if duration_s is not None:
        n = int(round(duration_s * sr))
        y = y[:n] if y.size >= n else np.concatenate([y, np.zeros(n - y.size, dtype=y.dtype)])
    return y.astype(np.float32, copy=False)


def write_wav(path: str | os.PathLike[str], y: np.ndarray, *, sr: int) -> Path:
    """Write ``y`` as 16-bit WAV, turning unwritable paths into :class:`AudioFileError`."""
    from ..io import write_audio

    p = Path(path)
    if p.is_dir():
        raise AudioFileError(f"cannot write WAV to {str(p)!r}: it is a directory; give a file name")
    try:
        return write_audio(p, y, sr=sr)
    except OSError as exc:
        if isinstance(exc, AudioFileError):
            raise
        raise AudioFileError(f"cannot write WAV to {str(p)!r}: {exc.strerror or exc}") from exc
