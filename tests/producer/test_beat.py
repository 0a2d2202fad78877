"""Genre signatures measured with the groove metrics, for every genre x complexity."""

from __future__ import annotations

import mido
import numpy as np
import pretty_midi
import pytest

from dawglib.exceptions import DawglibError, MidiError, ParameterError
from dawglib.producer import generate_beat, genre_names
from dawglib.producer.grooves import COMPLEXITIES, DRUM_NOTES
from dawglib.producer.metrics import groove_metrics, midi_drum_notes

SEEDS = (0, 1, 2)


def _metrics(genre, complexity):
    ms = [generate_beat(genre=genre, bars=8, complexity=complexity, seed=s).metrics() for s in SEEDS]
    keys = ms[0].to_dict()
    out = {}
    for k in keys:
        vals = np.array([getattr(m, k) for m in ms], dtype=float)
        out[k] = float(vals[np.isfinite(vals)].mean()) if np.isfinite(vals).any() else float("nan")
    return out


GENRES = genre_names()


def test_every_genre_is_there():
    assert set(GENRES) == {"trap", "hip-hop", "edm", "pop", "rock", "jazz", "lo-fi", "ambient", "reggae", "latin"}


@pytest.mark.parametrize("complexity", COMPLEXITIES)
@pytest.mark.parametrize("genre", GENRES)
def test_genre_signature(genre, complexity):
    m = _metrics(genre, complexity)
    # humanised everywhere: timing spread ~4-5 ms, velocities not flat
    assert 2.5 <= m["timing_spread_ms"] <= 6.5, m
    assert m["velocity_spread"] >= 7.0, m
    if genre == "edm":  # four-on-the-floor
        assert m["kick_on_beat_share"] == 1.0 and m["syncopation_per_bar"] <= 0.25
        assert m["snare_on_backbeat_share"] >= 0.9
    elif genre == "hip-hop":  # boom-bap
        assert 0.58 <= m["swing_ratio"] <= 0.66
        assert m["snare_on_backbeat_share"] >= 0.9 and 2.5 <= m["syncopation_per_bar"] <= 5.0
    elif genre == "trap":  # half-time snare on 3, hat rolls
        assert m["snare_on_3_share"] >= 0.9 and m["snare_on_backbeat_share"] <= 0.1
        assert abs(m["swing_ratio"] - 0.5) <= 0.02
        assert m["hat_rolls_per_bar"] > (0.2 if complexity == "simple" else 0.8)
        assert m["syncopation_per_bar"] >= (1.0 if complexity == "simple" else 2.0)
    elif genre == "reggae":  # one-drop: kick and snare together on 3, nothing on 1
        assert m["kick_on_3_share"] >= 0.95 and m["snare_on_3_share"] >= 0.9 and m["kick_on_1_share"] == 0.0
    elif genre == "latin":  # a clave in every bar
        assert m["clave_share"] >= 0.95 and m["kick_on_1_share"] == 1.0
    elif genre == "jazz":  # swung eighths, feathered kick on the beats
        assert 0.62 <= m["swing_ratio"] <= 0.70 and m["kick_on_beat_share"] >= 0.7
    elif genre == "lo-fi":
        assert 0.55 <= m["swing_ratio"] <= 0.62 and m["snare_on_backbeat_share"] >= 0.9
    elif genre in ("pop", "rock"):
        assert m["snare_on_backbeat_share"] >= 0.9 and m["kick_on_1_share"] == 1.0
        assert m["syncopation_per_bar"] <= 1.5
        assert np.isnan(m["swing_ratio"]) or abs(m["swing_ratio"] - 0.5) <= 0.02
    elif genre == "ambient":  # sparse, soft, unsyncopated
        assert m["notes_per_bar"] <= 14 and m["syncopation_per_bar"] <= 0.5


@pytest.mark.parametrize("genre", GENRES)
def test_complexity_adds_density(genre):
    npb = [_metrics(genre, c)["notes_per_bar"] for c in COMPLEXITIES]
    assert npb[0] < npb[1] < npb[2], npb


@pytest.mark.parametrize("genre", ["trap", "hip-hop", "jazz", "lo-fi"])
def test_complexity_adds_syncopation(genre):
    s = [_metrics(genre, c)["syncopation_per_bar"] for c in COMPLEXITIES]
    assert s[2] > s[0], s


def test_jazz_ride_and_hihat_foot():
    df = generate_beat(genre="jazz", bpm=160, bars=8, complexity="medium", seed=4).to_frame()
    df = df[~df.bar.isin([3, 7])]
    pedal = df[df.part == "pedal"].grid_beats % 4
    assert set(np.round(pedal, 6)) == {1.0, 3.0}  # hi-hat foot on 2 and 4
    ride = np.round(df[df.part == "ride"].grid_beats % 4, 6)
    assert {0.0, 1.0, 1.5, 2.0, 3.0, 3.5} <= set(ride)  # spang-a-lang


def test_same_seed_same_beat_and_new_seed_differs():
    a = generate_beat(genre="trap", bpm=140, bars=8, complexity="complex", seed=11)
    b = generate_beat(genre="trap", bpm=140, bars=8, complexity="complex", seed=11)
    c = generate_beat(genre="trap", bpm=140, bars=8, complexity="complex", seed=12)
    assert a == b and a.midi_bytes() == b.midi_bytes()
    assert a.notes != c.notes
    d = generate_beat(genre="trap", bpm=140, bars=4)
    assert d == generate_beat(genre="trap", bpm=140, bars=4, seed=d.seed)


def test_no_humanize_is_on_the_swung_grid():
    b = generate_beat(genre="boom-bap", bpm=90, bars=8, seed=3, humanize=False, swing=0.6)
    m = b.metrics()
    assert m.timing_spread_ms < 0.01 and abs(m.swing_ratio - 0.6) < 1e-6
    assert m.velocity_spread > 5  # accents and ghost notes even without humanising
    h = generate_beat(genre="boom-bap", bpm=90, bars=8, seed=3, swing=0.6).metrics()
    assert 3.0 <= h.timing_spread_ms <= 6.0 and abs(h.swing_ratio - 0.6) < 0.02


def test_swing_argument_in_percent():
    assert generate_beat(genre="pop", bpm=100, bars=4, seed=1, swing=60).swing == 0.6


def test_fills_at_phrase_ends_and_crashes_on_section_downbeats():
    b = generate_beat(genre="rock", bpm=120, bars=16, complexity="medium", seed=5, humanize=False)
    df = b.to_frame()
    assert b.fill_bars == (3, 7, 11, 15)
    toms = df[df.part.str.startswith("tom")]
    assert set(toms.bar) == {3, 7, 11, 15}
    # big fills (2 beats) at the 8-bar ends, small ones (the last beat) at the 4-bar ends
    assert (toms[toms.bar.isin([7, 15])].grid_beats % 4 >= 2.0).all()
    assert (toms[toms.bar.isin([7, 15])].grid_beats % 4 < 3.0).any()
    assert (toms[toms.bar.isin([3, 11])].grid_beats % 4 >= 3.0).all()
    crash = df[df.part == "crash"]
    assert list(crash.grid_beats) == [0.0, 32.0]
    # the last beat of the small-fill bars has no hi-hat (the fill plays there)
    small = df[(df.bar == 3) & (df.grid_beats % 4 >= 3.0)]
    assert "hat" not in set(small.part) and len(small) >= 2


def test_edm_fill_keeps_four_on_the_floor():
    b = generate_beat(genre="house", bpm=126, bars=8, complexity="complex", seed=2)
    m = b.metrics(include_fills=True)
    assert m.kick_on_beat_share == 1.0
    kicks = b.to_frame().query("part == 'kick'")
    assert len(kicks) == 32


def test_midi_file_reads_back_in_mido_and_pretty_midi(tmp_path):
    b = generate_beat(genre="trap", bpm=140, bars=8, complexity="complex", seed=1)
    path = b.to_midi(tmp_path / "trap.mid")
    expected_s = 8 * 4 * 60 / 140
    mf = mido.MidiFile(path)
    assert abs(mf.length - expected_s) < 1e-4  # the tempo is stored in whole microseconds per beat
    metas = {m.type: m for t in mf.tracks for m in t if m.is_meta}
    assert mido.tempo2bpm(metas["set_tempo"].tempo) == pytest.approx(140, abs=1e-3)
    assert (metas["time_signature"].numerator, metas["time_signature"].denominator) == (4, 4)
    channels = {m.channel for t in mf.tracks for m in t if m.type == "note_on"}
    assert channels == {9}
    pm = pretty_midi.PrettyMIDI(str(path))
    assert abs(pm.get_end_time() - expected_s) < 1e-3
    assert pm.instruments[0].is_drum and len(pm.instruments[0].notes) == len(b.notes)
    assert {n.pitch for n in pm.instruments[0].notes} <= set(DRUM_NOTES.values())
    # the metrics measured from the file agree with those of the object (tick rounding < 1 ms)
    notes, bpm = midi_drum_notes(path)
    m_file = groove_metrics(notes, bpm=bpm, length_beats=32, exclude_bars=b.fill_bars)
    m_obj = b.metrics()
    assert m_file.snare_on_3_share == m_obj.snare_on_3_share
    assert abs(m_file.syncopation_per_bar - m_obj.syncopation_per_bar) < 1e-9
    assert abs(m_file.timing_spread_ms - m_obj.timing_spread_ms) < 0.1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"genre": "polka", "bpm": 100}, "unknown genre 'polka'; known genres: trap, hip-hop, edm"),
        ({"genre": "trap", "bpm": 59}, "bpm must be within 60-200"),
        ({"genre": "trap", "bpm": 201}, "bpm must be within 60-200"),
        ({"genre": "trap", "bpm": "fast"}, "bpm must be a number"),
        ({"genre": "trap", "bpm": 140, "bars": 6}, "bars must be one of 4, 8, 16, 32"),
        ({"genre": "trap", "bpm": 140, "complexity": "extreme"}, "complexity must be one of simple, medium, complex"),
        ({"genre": "trap", "bpm": 140, "swing": 0.9}, "swing must be a ratio"),
        ({"genre": "trap", "bpm": 140, "seed": -1}, "seed must be"),
    ],
)
def test_bad_input_is_clear(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        generate_beat(**kwargs)


def test_aliases():
    assert generate_beat(genre="Boom Bap", bpm=90, bars=4, seed=0).genre == "hip-hop"
    assert generate_beat(genre="house", bpm=124, bars=4, seed=0).genre == "edm"
    assert generate_beat(genre="one-drop", bpm=76, bars=4, seed=0).genre == "reggae"
    assert generate_beat(genre="bossa", bpm=120, bars=4, seed=0).genre == "latin"
    assert generate_beat(genre="lofi", bpm=80, bars=4, seed=0).genre == "lo-fi"


def test_unwritable_midi_path(tmp_path):
    b = generate_beat(genre="pop", bpm=100, bars=4, seed=0)
    with pytest.raises(MidiError, match="does not exist"):
        b.to_midi(tmp_path / "missing" / "x.mid")
    with pytest.raises(DawglibError, match="directory"):
        b.to_midi(tmp_path)


def test_to_frame_columns():
    df = generate_beat(genre="latin", bpm=120, bars=4, seed=0).to_frame()
    assert {"start_s", "start_beats", "grid_beats", "bar", "part", "pitch", "velocity"} <= set(df.columns)
    assert df.start_s.is_monotonic_increasing and df.bar.between(0, 3).all()
