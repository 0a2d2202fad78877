"""The AI producer: genre-true drum beats, harmony, melodies, basslines and arrangements.

Entry points: :func:`generate_beat` (a drum beat in one of :func:`genre_names`) and
:func:`arrange_song` (a multi-track song); both export MIDI (mido) and WAV (FluidSynth + GM).
Grooves are measured by :mod:`dawglib.producer.metrics`.

Examples
--------
>>> from dawglib.producer import generate_beat
>>> beat = generate_beat(genre="trap", bpm=140, bars=8, complexity="complex", seed=1)
>>> beat.metrics().snare_on_3_share
1.0
"""

from __future__ import annotations

from .arrange import Section, Song, arrange_song
from .beat import Beat, generate_beat
from .grooves import genre_names, resolve_genre
from .harmony import Chord, Key, parse_chord, parse_key, progression, roman_to_chord, voice_lead
from .metrics import GrooveMetrics, groove_metrics

__all__ = [
    "Beat",
    "Section",
    "Song",
    "arrange_song",
    "Chord",
    "GrooveMetrics",
    "Key",
    "generate_beat",
    "genre_names",
    "groove_metrics",
    "parse_chord",
    "parse_key",
    "progression",
    "resolve_genre",
    "roman_to_chord",
    "voice_lead",
]
