"""The calibration split of the knowledge-base questions, and the threshold it gives.

Both splits (this one and the test split in ``test_kb.py``) were written before any similarity
score was computed. :data:`dawglib.brain.kb.DEFAULT_MIN_SCORE` was calibrated on this split only with
:func:`dawglib.brain.kb.calibrate_min_score` (answering an off-topic question counts twice a wrongly
refused one): 29/32 in-domain questions had the right top-1 article, their lowest score was 0.515,
the highest off-topic score was 0.306, so the threshold is the middle of the gap, 0.41. The design
choices (the keyword line, the lexical bonus) were also made on this split; the test split was run
once afterwards.
"""

from __future__ import annotations

import numpy as np
import pytest

from dawglib.brain.kb import DEFAULT_MIN_SCORE, calibrate_min_score

CALIBRATION_IN = [
    ("how many semitones are in a perfect fifth?", "intervals"),
    ("what does dorian mode sound like", "modes"),
    ("difference between harmonic and melodic minor", "minor-scales"),
    ("which notes are in the minor pentatonic scale", "pentatonic-and-blues-scales"),
    ("what is a deceptive cadence", "cadences"),
    ("what does V/V mean in roman numerals", "secondary-dominants"),
    ("why does Db7 resolve to C major", "tritone-substitution"),
    ("how do I move to a new key using a pivot chord", "modulation"),
    ("what are parallel fifths and why avoid them", "voice-leading"),
    ("using Fm in the key of C major, what is that called", "borrowed-chords"),
    ("what is the most common four chord pop progression", "pop-progressions"),
    ("how does a 12 bar blues go", "twelve-bar-blues"),
    ("what does 6/8 time feel like", "time-signatures"),
    ("how much swing should I put on my hi-hats", "swing-and-shuffle"),
    ("how do I play 3 against 2", "polyrhythm"),
    ("what is a pre-chorus", "song-form"),
    ("I run out of air at the end of long phrases", "breath-support"),
    ("my voice cracks when I go up high, why", "passaggio"),
    ("how fast should vibrato be", "vibrato"),
    ("how to belt high notes without hurting my voice", "belting"),
    ("why do I always sing flat", "intonation"),
    ("good exercises to warm up my voice before a gig", "vocal-warm-ups"),
    ("what is falsetto", "vocal-registers"),
    ("what frequency should I high pass vocals", "eq"),
    ("what does the attack knob on a compressor do", "compression"),
    ("what is pre-delay on a reverb", "reverb"),
    ("what level should I record at in dBFS", "gain-staging"),
    ("how do I make the bass duck when the kick hits", "sidechain-compression"),
    ("how loud should my master be for spotify", "loudness-and-mastering"),
    ("what is a slapback echo", "delay"),
    ("how to get rid of harsh s sounds in a vocal", "de-essing"),
    ("what is a half-diminished chord", "seventh-chords"),
]

CALIBRATION_OFF = [
    "what's the weather in Paris tomorrow?",
    "what is the price of Apple stock today",
    "write me a poem about the sea",
    "who won the football world cup in 2018",
    "translate 'good morning' into Japanese",
    "how do I bake sourdough bread",
    "what is the capital of Australia",
    "tell me a joke",
    "who sang Bohemian Rhapsody",
    "recommend a good laptop for under 1000 dollars",
    "how many calories are in a banana",
    "book me a flight to New York",
    "what time is it in Tokyo",
    "explain quantum entanglement",
    "when is Taylor Swift's next concert",
]


@pytest.mark.slow  # the first one builds the shared index (about 10 s of CPU)
def test_shipped_threshold_is_the_calibrated_one(kb):
    top_in = [r[0] for r in kb.search_many([q for q, _ in CALIBRATION_IN], k=1)]
    top_off = [r[0] for r in kb.search_many(CALIBRATION_OFF, k=1)]
    right = [p.score for p, (_, slug) in zip(top_in, CALIBRATION_IN, strict=True) if p.slug == slug]
    off = [p.score for p in top_off]
    calibrated = calibrate_min_score(right, off)
    print(
        f"calibration split: top-1 {len(right)}/{len(CALIBRATION_IN)}, lowest right {min(right):.3f}, "
        f"highest off-topic {max(off):.3f}, calibrated threshold {calibrated:.3f} (shipped {DEFAULT_MIN_SCORE})"
    )
    assert len(right) / len(CALIBRATION_IN) >= 0.85
    assert abs(calibrated - DEFAULT_MIN_SCORE) <= 0.03
    assert max(off) < DEFAULT_MIN_SCORE <= min(right)
    assert np.mean([s >= DEFAULT_MIN_SCORE for s in right]) == 1.0
