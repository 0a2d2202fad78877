"""The one exception tree of :mod:`dawglib`.

Every error raised on purpose by the library derives from :class:`DawglibError`, so callers can
catch the whole family with one ``except``. Errors about a bad argument are also ``ValueError``
(and bad types also ``TypeError``) so that generic code keeps working.

Messages say what was received and what was expected, e.g.
``ParameterError("fmin_hz must be < fmax_hz, given fmin_hz=500.0, fmax_hz=400.0")``.
"""

from __future__ import annotations

__all__ = [
    "DawglibError",
    "ParameterError",
    "AudioError",
    "AudioFileError",
    "MidiError",
    "DependencyError",
    "DawglibWarning",
]


class DawglibError(Exception):
    """Base class of every error raised on purpose by :mod:`dawglib`."""


class ParameterError(DawglibError, ValueError):
    """A parameter has an invalid value (wrong range, shape, unit or combination)."""


class AudioError(DawglibError, ValueError):
    """An audio signal is unusable: empty, non-finite, wrong shape or dtype."""


class AudioFileError(DawglibError, OSError):
    """An audio file is missing, unreadable, corrupt or in an unsupported format."""


class MidiError(DawglibError, ValueError):
    """A MIDI file or MIDI-like input is missing, corrupt or inconsistent."""


class DependencyError(DawglibError, ImportError):
    """An optional dependency (e.g. torch for the crepe backend) is missing or broken."""


class DawglibWarning(UserWarning):
    """Warning category for legal-but-suspicious input (e.g. an all-silent signal)."""
