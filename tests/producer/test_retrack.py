"""Rendered WAV tempo re-tracked with dawglib.rhythm is within 1 % of the requested BPM.

Every genre at 70/100/140/175 BPM, 4-bar renders at 22.05 kHz. Octave-tolerant (x2 or /2 also
accepted) for the half-time genres (trap, reggae one-drop), for ambient, whose sparse kick plays
on beats 1 and 3 only, and for a tempo outside the genre's usual range (hip-hop or lo-fi at 175 BPM
is heard as half-time 87.5 BPM: the metrical level is genuinely ambiguous there). Inside the usual
range the tempo must come back at the requested level.
"""

from __future__ import annotations

import pytest

from dawglib.producer import generate_beat, genre_names
from dawglib.producer.grooves import GROOVES, resolve_genre

SR = 22050
OCTAVE_TOLERANT = {"trap", "reggae", "ambient"}


def _cases():
    for genre in genre_names():
        for bpm in (70, 100, 140, 175):
            yield pytest.param(genre, bpm, id=f"{genre}-{bpm}")


@pytest.mark.slow
@pytest.mark.parametrize("genre, bpm", list(_cases()))
def test_rendered_tempo_retracks(genre, bpm):
    from dawglib.rhythm import tempo

    beat = generate_beat(genre=genre, bpm=bpm, bars=4, complexity="medium", seed=1)
    y = beat.render(sr=SR)
    est = float(tempo(y, sr=SR))
    lo, hi = GROOVES[resolve_genre(genre)].bpm_typical
    tolerant = genre in OCTAVE_TOLERANT or not lo <= bpm <= hi
    cands = [bpm] + ([bpm * 2, bpm / 2] if tolerant else [])
    err = min(abs(est - c) / c for c in cands)
    assert err <= 0.01, f"{genre} at {bpm} BPM re-tracked as {est:.2f} BPM"
