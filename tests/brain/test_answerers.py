"""Offline answers beyond theory: beat requests are made for real; take questions read the coach store."""

from __future__ import annotations

import mido
import numpy as np

from dawglib.brain.answerers import beat_answerer, default_answerers, takes_answerer
from dawglib.brain.factory import build_router
from dawglib.coach import analyze_take
from dawglib.samples import coach_melody_seconds
from dawglib.synth import f0_contour, sung_vowel
from dawglib.takes import CoachStore


def test_beat_request_makes_the_beat_asked_for(tmp_path):
    answer = beat_answerer(tmp_path)
    text = answer("make me a trap beat at 140 bpm, 4 bars, complex")
    assert text.startswith("Made a beat: trap, 140 BPM, 4 bars, complex")
    (mid,) = tmp_path.glob("beat_trap_*.mid")
    f = mido.MidiFile(str(mid))
    assert abs(f.length - 4 * 4 * 60 / 140) < 0.05  # 4 bars of 4/4 at 140 BPM, in seconds
    tempos = [m.tempo for t in f.tracks for m in t if m.type == "set_tempo"]
    assert tempos and abs(mido.tempo2bpm(tempos[0]) - 140) < 0.01
    assert answer("what is a beat?") is None and answer("make me a sandwich") is None


def test_takes_question_reads_real_scores(tmp_path):
    ref = coach_melody_seconds()[:5]
    f0 = f0_contour([(s, e - 0.03, m) for s, e, m in ref], sr=16000, vibrato_hz=5.5, vibrato_cents=25)
    rep = analyze_take(sung_vowel(f0, sr=16000), sr=16000, reference=ref)
    db = tmp_path / "coach.duckdb"
    with CoachStore(db) as store:
        store.add_take(rep, singer_id="ana")
    answer = takes_answerer(db, singer="ana")
    text = answer("what did my last take score?")
    stored = rep.to_dict()["scores"]["overall"]  # the store keeps scores to 0.1, as the coach app shows them
    assert f"scored {stored:.0f} overall" in text and "Take 1" in text
    assert takes_answerer(tmp_path / "missing.duckdb", singer="bo")("how are my takes?").startswith("I have no takes")
    assert answer("spell C major") is None


def test_router_uses_them_offline_and_stays_honest(tmp_path):
    router = build_router(keys={}, base_urls={}, answerers=default_answerers(out_dir=tmp_path))
    r = router.complete("generate a house beat at 124 bpm", persona="musician", user_id="u")
    assert r.provider == "offline" and r.text.startswith("Made a beat: edm, 124 BPM")
    r2 = router.complete("write me a poem about rain", persona="musician", user_id="u")
    assert "needs a language model" in r2.text
    assert np.isclose(r.cost_usd, 0.0)
