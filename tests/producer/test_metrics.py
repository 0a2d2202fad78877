from __future__ import annotations

import numpy as np
import pytest

from dawglib.exceptions import ParameterError
from dawglib.producer.beat import swing_unwarp, swing_warp
from dawglib.producer.metrics import groove_metrics, lhl_syncopation
from dawglib.producer.notes import NoteEvent


def test_lhl_known_patterns():
    assert lhl_syncopation([0, 4, 8, 12], total_steps=16).tolist() == [0.0]
    assert lhl_syncopation([0, 4, 7, 10, 12], total_steps=16).tolist() == [3.0]  # boom-bap
    # son clave 3-2: the strokes on steps 3 and 6 are followed by silence on beats 2 and 3 (2 + 2)
    assert lhl_syncopation([0, 3, 6, 10, 12], total_steps=16).tolist() == [4.0]
    # the last note's silence runs into the next bar's downbeat of the loop
    assert lhl_syncopation([0, 14], total_steps=16).tolist() == [0.0]
    assert lhl_syncopation([2], total_steps=16).tolist() == [3.0]
    assert lhl_syncopation([], total_steps=32).tolist() == [0.0, 0.0]


def test_swing_warp_round_trip():
    x = np.arange(0, 8, 0.25)
    for ratio in (0.5, 0.58, 0.66, 0.75):
        for unit in (0.25, 0.5):
            assert np.allclose(
                swing_unwarp(swing_warp(x, ratio=ratio, unit_beats=unit), ratio=ratio, unit_beats=unit), x
            )


def _grid_notes(*, rng, swing, sd_ms, bpm, bars=8, unit=0.25):
    notes = []
    for k in range(bars * 16):
        pos = k * 0.25
        t = float(swing_warp(pos, ratio=swing, unit_beats=unit)) + rng.normal(0, sd_ms) * bpm / 60000
        notes.append(NoteEvent(max(0.0, t), 0.1, 42, 90 + (10 if k % 4 == 0 else 0)))
        if k % 4 == 0:
            notes.append(NoteEvent(max(0.0, t), 0.1, 36 if k % 8 == 0 else 38, 100))
    return notes


@pytest.mark.parametrize("swing", [0.5, 0.58, 0.62, 0.66])
def test_swing_ratio_and_timing_spread_recovered(rng, swing):
    m = groove_metrics(_grid_notes(rng=rng, swing=swing, sd_ms=4.5, bpm=95), bpm=95, length_beats=32)
    assert abs(m.swing_ratio - swing) < 0.01
    assert abs(m.timing_spread_ms - 4.5) < 0.6
    assert m.kick_on_beat_share == 1.0 and m.snare_on_backbeat_share == 1.0
    assert m.accent_contrast == pytest.approx(10.0)
    assert m.notes_per_bar == 20


def test_metrics_bad_input():
    with pytest.raises(ParameterError, match="no drum notes"):
        groove_metrics([], bpm=120)
    with pytest.raises(ParameterError, match="4/4"):
        groove_metrics([NoteEvent(0.0, 0.1, 36, 90)], bpm=120, beats_per_bar=3)
