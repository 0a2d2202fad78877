"""The vocal coach against takes with known answers (synthetic voices, exact faults)."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from dawglib.coach import TargetNote, analyze_take, reference_notes, score_pitch, score_rhythm
from dawglib.exceptions import AudioError, MidiError, ParameterError
from dawglib.samples import COACH_TAKES, coach_melody_seconds
from dawglib.synth import add_noise, f0_contour, sung_vowel
from dawglib.takes import CoachStore

from .conftest import BIN

SR = 16000
REF = coach_melody_seconds()  # 16 notes, E4..E5, three phrases


def sing(*, cents=None, delays_ms=None, drop=(), octave=0, vib_hz=5.5, vib_c=25.0, seed=0, snr_db=None):
    """A synthetic take of REF with per-note cents and onset delays (exact ground truth)."""
    notes = []
    for i, (s, e, m) in enumerate(REF):
        if i in drop:
            continue
        c = 0.0 if cents is None else cents[i]
        d = 0.0 if delays_ms is None else delays_ms[i] / 1000.0
        notes.append((s + d, e - 0.03, m + 12 * octave + c / 100.0))
    f0 = np.concatenate([f0_contour(notes, sr=SR, vibrato_hz=vib_hz, vibrato_cents=vib_c), np.zeros(SR // 2)])
    y = sung_vowel(f0, sr=SR, vowel="a", jitter=0.002, shimmer=0.02, breath=0.02, seed=seed)
    return y if snr_db is None else add_noise(y, snr_db=snr_db, seed=seed)


@pytest.fixture(scope="module")
def perfect():
    return analyze_take(sing(), sr=SR, reference=REF)


def test_perfect_rendition_scores_at_least_95(perfect):
    s = perfect.scores
    assert s.overall >= 95 and s.pitch >= 95 and s.rhythm >= 95, s
    assert all(n.in_tune for n in perfect.notes)
    assert perfect.range_low == "E4" and perfect.range_high == "E5"
    assert any(f.severity == "success" for f in perfect.feedback)
    assert not any(f.severity == "warning" for f in perfect.feedback)


def test_per_note_measurements_match_ground_truth(rng):
    cents = rng.uniform(-30, 30, len(REF))
    delays = rng.uniform(-40, 40, len(REF))
    rep = analyze_take(sing(cents=cents, delays_ms=delays, seed=4), sr=SR, reference=REF)
    err_c = np.array([n.cents_off for n in rep.notes]) - cents
    err_ms = np.array([n.onset_offset_ms for n in rep.notes]) - delays
    assert np.max(np.abs(err_c)) <= 4.0, err_c  # cents, with ±25 c vibrato on every note
    assert np.max(np.abs(err_ms)) <= 6.0, err_ms  # ms


@pytest.mark.slow
def test_detuning_lowers_pitch_score_monotonically(perfect):
    scores = [perfect.scores.pitch]
    for c in (10, 25, 50):
        rep = analyze_take(sing(cents=np.full(len(REF), -float(c))), sr=SR, reference=REF)
        scores.append(rep.scores.pitch)
    assert all(a > b for a, b in zip(scores, scores[1:])), scores
    assert scores[-1] < 30


@pytest.mark.slow
def test_timing_jitter_lowers_rhythm_score_monotonically(perfect):
    base = np.random.default_rng(7).standard_normal(len(REF))
    scores = [perfect.scores.rhythm]
    for sd_ms in (20, 50, 100):
        rep = analyze_take(sing(delays_ms=base * sd_ms, seed=1), sr=SR, reference=REF)
        scores.append(rep.scores.rhythm)
    assert all(a > b for a, b in zip(scores, scores[1:])), scores


def test_noise_at_20_db_changes_overall_by_less_than_5_points(perfect):
    noisy = analyze_take(sing(snr_db=20.0), sr=SR, reference=REF)
    assert abs(noisy.scores.overall - perfect.scores.overall) < 5.0


def test_one_late_entry_does_not_ruin_later_notes():
    delays = np.zeros(len(REF))
    delays[5] = 250.0  # the second phrase starts a quarter second late
    rep = analyze_take(sing(delays_ms=delays), sr=SR, reference=REF)
    off = np.array([n.onset_offset_ms for n in rep.notes])
    assert abs(off[5] - 250) <= 6
    assert np.all(np.abs(np.delete(off, 5)) <= 8), off
    assert any("Late entry" in f.message and "C5" in f.message for f in rep.feedback)


def test_missing_note_is_reported():
    rep = analyze_take(sing(drop=(7,)), sr=SR, reference=REF)
    assert not rep.notes[7].sung and all(n.sung for i, n in enumerate(rep.notes) if i != 7)
    assert any("E5" in f.message and "not sung" in f.message for f in rep.feedback)


def test_octave_below_is_not_out_of_tune():
    rep = analyze_take(sing(octave=-1), sr=SR, reference=REF)
    assert all(n.in_tune for n in rep.notes)
    assert any("octave" in f.message for f in rep.feedback)


def test_take_starting_seconds_later_is_aligned():
    y = np.concatenate([np.zeros(3 * SR, dtype=np.float32), sing()])
    rep = analyze_take(y, sr=SR, reference=REF)
    assert rep.scores.rhythm >= 95 and rep.scores.pitch >= 95


@pytest.mark.parametrize("name", sorted(COACH_TAKES))
def test_sample_faults_are_named_in_feedback(samples, name):
    from dawglib.io import load_audio

    y, sr = load_audio(samples / f"{name}.wav")
    rep = analyze_take(y, sr=sr, reference=samples / "coach_reference.mid")
    text = " ".join(f.message for f in rep.feedback if f.severity != "success").lower()
    if name == "coach_good":
        assert rep.scores.overall >= 95 and not any(f.severity == "warning" for f in rep.feedback)
    elif name == "coach_flat_high":
        assert "flat" in text and "high notes" in text
        assert all(n.cents_off < -20 for n in rep.notes if n.target_midi >= 74)
    elif name == "coach_late_entries":
        assert "late" in text and "entries" in text
    elif name == "coach_wobbly":
        assert "wide vibrato" in text
        assert all(60 <= n.vibrato_extent_cents <= 100 for n in rep.notes if n.end_s - n.start_s > 1.0)


def test_score_functions_are_monotone():
    c = np.linspace(0, 100, 50)
    assert np.all(np.diff(score_pitch(c)) < 0) and np.all(np.diff(score_rhythm(c)) < 0)
    assert score_pitch(0) == 100 and score_rhythm(0) == 100


def test_reference_forms_agree(samples):
    from_midi = reference_notes(samples / "coach_reference.mid")
    from_tuples = reference_notes([(s, e - 0.02, m) for s, e, m in REF])
    assert [n.midi for n in from_midi] == [n.midi for n in from_tuples]
    assert np.allclose([n.start_s for n in from_midi], [n.start_s for n in from_tuples], atol=0.005)
    assert reference_notes([{"start_s": 0.0, "end_s": 1.0, "midi": 60}]) == [TargetNote(0.0, 1.0, 60.0)]


def test_bad_input(tmp_path):
    with pytest.raises(AudioError):
        analyze_take(np.array([], dtype=np.float32), sr=SR, reference=REF)
    with pytest.raises(MidiError, match="not found"):
        analyze_take(sing(), sr=SR, reference=tmp_path / "nope.mid")
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"not a midi file")
    with pytest.raises(MidiError, match="cannot read"):
        analyze_take(sing(), sr=SR, reference=bad)
    with pytest.raises(ParameterError):
        analyze_take(sing(), sr=SR, reference=[(1.0, 0.5, 60)])
    with pytest.raises(ParameterError, match="tolerance_cents"):
        analyze_take(sing(), sr=SR, reference=REF, tolerance_cents=-1)


def test_silence_gives_zero_scores_and_a_message():
    with pytest.warns(UserWarning, match="silent"):
        rep = analyze_take(np.zeros(SR * 3, dtype=np.float32), sr=SR, reference=REF[:3])
    assert rep.scores.pitch == 0 and not any(n.sung for n in rep.notes)
    assert rep.feedback and rep.feedback[0].severity == "warning"


def test_report_json_contract(perfect):
    d = json.loads(perfect.to_json())
    assert set(d["scores"]) == {"overall", "pitch", "rhythm", "consistency", "confidence"}
    assert all(0 <= v <= 100 for v in d["scores"].values())
    assert len(d["notes"]) == len(REF)
    assert all(set(f) >= {"message", "severity", "start_s", "end_s"} for f in d["feedback"])


def test_cli_analyze_json_and_save(samples, tmp_path):
    db = tmp_path / "coach.duckdb"
    out = subprocess.run(
        [
            str(BIN / "dawg"),
            "analyze",
            str(samples / "coach_late_entries.wav"),
            "--reference",
            str(samples / "coach_reference.mid"),
            "--json",
            "--save",
            "ana",
            "--db",
            str(db),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    d = json.loads(out.stdout)
    assert set(d["scores"]) == {"overall", "pitch", "rhythm", "consistency", "confidence"}
    assert any("late" in f["message"].lower() for f in d["feedback"])
    with CoachStore(db) as store:
        assert store.takes("ana")["name"].tolist() == ["Take 1"]


def test_store_takes_compare_best_and_progress(tmp_path):
    import datetime as dt

    t = [dt.datetime(2026, 11, 1, tzinfo=dt.UTC)]

    def clock():
        t[0] += dt.timedelta(days=1)
        return t[0]

    flat = np.zeros(len(REF))
    flat[:5] = -40.0  # first phrase flat
    late = np.zeros(len(REF))
    late[11:] = 90.0  # last phrase late
    r1 = analyze_take(sing(cents=flat), sr=SR, reference=REF)
    r2 = analyze_take(sing(delays_ms=late), sr=SR, reference=REF)
    with CoachStore(tmp_path / "c.duckdb", clock=clock) as store:
        a = store.add_take(r1, singer_id="mia")
        b = store.add_take(r2, singer_id="mia")
        takes = store.takes("mia")
        assert takes["name"].tolist() == ["Take 1", "Take 2"]
        cmp = store.compare(a, b)
        pitch_row = cmp[(cmp.kind == "score") & (cmp.item == "pitch")].iloc[0]
        assert pitch_row.delta > 0  # take 2 sings the first phrase in tune
        best = store.best_takes("mia", sections=[("A", 0.0, 4.0), ("C", 12.0, 20.0)])
        assert best.set_index("section").loc["A", "take_name"] == "Take 2"
        assert best.set_index("section").loc["C", "take_name"] == "Take 1"
        prog = store.progress("mia")
        assert prog["best_overall"].is_monotonic_increasing and len(prog) == 2
    # the file is released on close: a second store opens it
    with CoachStore(tmp_path / "c.duckdb") as again:
        assert again.singers() == ["mia"]


def test_without_reference_key_and_tempo_are_detected(samples):
    from dawglib.io import load_audio

    y, sr = load_audio(samples / "coach_good.wav")
    rep = analyze_take(y, sr=sr)
    assert abs(rep.bpm - 90.0) / 90.0 < 0.01  # the coach melody is at 90 BPM
    # E G A C D: the detected key must hold every sung note, so none is called wrong
    assert rep.key is not None and all(n.in_tune for n in rep.notes)
    assert rep.scores.pitch >= 95 and rep.scores.rhythm >= 90


def test_without_reference_a_given_key_names_wrong_notes(samples):
    from dawglib.io import load_audio

    y, sr = load_audio(samples / "coach_good.wav")
    rep = analyze_take(y, sr=sr, key="D major", bpm=90)  # C natural is not in D major
    wrong = [f.message for f in rep.feedback if f.message.startswith("Wrong note")]
    assert wrong and all("C5 sung where C#5 belongs" in m or "B4" in m for m in wrong)


def test_without_reference_late_entries_are_found_against_the_grid(samples):
    from dawglib.io import load_audio

    y, sr = load_audio(samples / "coach_late_entries.wav")
    rep = analyze_take(y, sr=sr, bpm=90)
    assert any("late" in f.message.lower() and "entries" in f.message for f in rep.feedback)
