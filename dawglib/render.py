"""Render MIDI to audio with FluidSynth and the General MIDI soundfont.

Uses the ``fluidsynth`` command line (Debian packages ``fluidsynth`` and ``fluid-soundfont-gm``,
installed by ``make setup``), which renders faithfully: an A440 note reads back within 2 Hz.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ._validate import valid_sr
from .exceptions import DependencyError, MidiError

__all__ = ["render_midi", "find_soundfont", "DEFAULT_SOUNDFONTS"]

DEFAULT_SOUNDFONTS = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
)


def find_soundfont(soundfont: str | os.PathLike[str] | None = None) -> Path:
    """The soundfont to use: ``soundfont``, ``$DAWG_SOUNDFONT`` or the Debian GM soundfont."""
    candidates = [soundfont] if soundfont else [os.environ.get("DAWG_SOUNDFONT"), *DEFAULT_SOUNDFONTS]
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c)
    raise DependencyError(
        f"no General MIDI soundfont found (looked at {[c for c in candidates if c]}); "
        "run 'make setup' (installs fluid-soundfont-gm) or set DAWG_SOUNDFONT"
    )


def render_midi(
    midi: str | os.PathLike[str] | bytes,
    *,
    sr: int,
    soundfont: str | os.PathLike[str] | None = None,
    gain: float = 0.8,
    out_path: str | os.PathLike[str] | None = None,
) -> np.ndarray:
    """Render a MIDI file to mono float32 audio with FluidSynth.

    Parameters
    ----------
    midi : path or bytes
        A Standard MIDI File, or its bytes.
    sr : int
        Output sample rate in Hz.
    soundfont : path or None
        An .sf2 file; default the GM soundfont (see :func:`find_soundfont`).
    gain : float
        FluidSynth master gain.
    out_path : path or None
        Also keep the rendered WAV there.

    Returns
    -------
    y : np.ndarray, float32, shape (n,)
    """
    sr = valid_sr(sr)
    exe = shutil.which("fluidsynth")
    if exe is None:
        raise DependencyError("the 'fluidsynth' program is not installed; run 'make setup'")
    sf2 = find_soundfont(soundfont)
    from .io import load_audio

    with tempfile.TemporaryDirectory(prefix="dawg-render-") as tmp:
        if isinstance(midi, bytes):
            mid_path = Path(tmp) / "in.mid"
            mid_path.write_bytes(midi)
        else:
            mid_path = Path(midi)
            if not mid_path.is_file():
                raise MidiError(f"MIDI file not found: {str(mid_path)!r}")
        wav = Path(tmp) / "out.wav"
        cmd = [exe, "-ni", "-q", "-g", str(gain), "-F", str(wav), "-r", str(sr), str(sf2), str(mid_path)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
        if proc.returncode != 0 or not wav.exists() or wav.stat().st_size <= 44:
            raise MidiError(f"fluidsynth could not render {str(mid_path)!r}: {proc.stderr.strip()[:500]}")
        y, file_sr = load_audio(wav, sr=sr, mono=True)
        if out_path is not None:
            Path(out_path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(wav, out_path)
    return y
