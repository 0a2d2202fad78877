"""dawglib — the music side of the DAWG Workbench.

Audio I/O, pitch and voice analysis, rhythm, the vocal coach, the producer and the brain.
Importing the package is cheap: numpy-heavy submodules load on first attribute access and torch
or the LLM SDKs load only inside the functions that need them.

Examples
--------
>>> import dawglib
>>> dawglib.convert.hz_to_note_name(440.0)
'A4'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .exceptions import (
    AudioError,
    AudioFileError,
    DawglibError,
    DawglibWarning,
    DependencyError,
    MidiError,
    ParameterError,
)

__version__ = "0.1.0"

_SUBMODULES = {
    "batch",
    "brain",
    "cli",
    "coach",
    "convert",
    "evaluate",
    "events",
    "io",
    "live",
    "live_app",
    "live_widget",
    "pitch",
    "producer",
    "render",
    "rhythm",
    "samples",
    "synth",
    "takes",
    "theory",
    "voice",
}

if TYPE_CHECKING:  # pragma: no cover
    from . import cli, convert, io  # noqa: F401

__all__ = [
    "AudioError",
    "AudioFileError",
    "DawglibError",
    "DawglibWarning",
    "DependencyError",
    "MidiError",
    "ParameterError",
    "__version__",
    *sorted(_SUBMODULES),
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'dawglib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBMODULES)
