from __future__ import annotations

import mido
import numpy as np
import pretty_midi
import pytest

from dawglib.exceptions import ParameterError
from dawglib.producer import arrange_song, genre_names
from dawglib.producer.bass import bassline
from dawglib.producer.harmony import chord_in_key, parse_key, progression
from dawglib.producer.melody import harmonize, melody
from dawglib.producer.metrics import strong_beat_chord_tone_rate
from dawglib.producer.notes import NoteEvent

GENRES = genre_names()
#: Stated rate: melody notes on beats 1 and 3 are chord tones at least this often.
STRONG_BEAT_CHORD_TONE_RATE = 0.95


def _timeline(numerals, key, bars=8):
    chs = progression(numerals, key)
    return [(4.0 * i, 4.0 * i + 4, chs[i % len(chs)]) for i in range(bars)]


@pytest.mark.parametrize("key", ["C", "A minor", "Eb major", "F# minor", "D dorian", "E minor pentatonic"])
@pytest.mark.parametrize("seed", range(5))
def test_melody_fits_chords_and_scale(key, seed):
    k = parse_key(key)
    chords = _timeline(["i", "VI", "III", "VII"] if k.is_minor else ["I", "V", "vi", "IV"], k)
    mel = melody(chords, key=k, rng=np.random.default_rng(seed))
    assert strong_beat_chord_tone_rate(mel, chords) >= STRONG_BEAT_CHORD_TONE_RATE
    for n in mel:
        ch = next(c for s, e, c in chords if s <= n.grid_beats < e)
        assert n.pitch % 12 in set(k.parent.pitch_classes) | set(ch.pitch_classes)
    leaps = np.abs(np.diff([n.pitch for n in mel]))
    assert leaps.max() <= 12 and np.median(leaps) <= 3  # singable: mostly steps
    last = chords[-1][2]  # ends on the tonic where the last chord has it, else on a chord tone
    assert mel[-1].pitch % 12 == (k.tonic if k.tonic in last.pitch_classes else mel[-1].pitch % 12)
    assert mel[-1].pitch % 12 in last.pitch_classes


def test_melody_phrase_structure_repeats_the_motif():
    k = parse_key("C")
    chords = _timeline(["I", "V", "vi", "IV"], k, bars=8)
    mel = melody(chords, key=k, rng=np.random.default_rng(1))
    rhythm = [tuple(round(n.grid_beats - 4 * b, 3) for n in mel if 4 * b <= n.grid_beats < 4 * b + 4) for b in range(8)]
    assert rhythm[0] == rhythm[1] == rhythm[4]  # A A' ... A: same rhythm cell


@pytest.mark.parametrize(("interval", "semis"), [("third", {3, 4}), ("sixth", {8, 9})])
def test_harmony_voice(interval, semis):
    k = parse_key("G")
    mel = [NoteEvent(float(i), 1.0, p, 90) for i, p in enumerate(k.scale_midi(low_midi=67, high_midi=84))]
    for above in (True, False):
        h = harmonize(mel, key=k, interval=interval, above=above)
        assert len(h) == len(mel)
        assert {abs(a.pitch - b.pitch) for a, b in zip(h, mel)} <= semis
        assert all(k.contains(n.pitch % 12) for n in h)
    with pytest.raises(ParameterError, match="interval"):
        harmonize(mel, key=k, interval="fifth")


@pytest.mark.parametrize("genre", GENRES)
def test_bass_follows_chords_and_kick(genre):
    chords = _timeline(["I", "IV", "V", "vi"], parse_key("C"), bars=8)
    kicks = [4.0 * b + x for b in range(8) for x in (0.0, 1.75, 2.5)]
    notes = bassline(chords, genre=genre, kick_beats=kicks, rng=np.random.default_rng(0))
    downbeat = [n for n in notes if abs(n.grid_beats % 4) < 1e-9]
    roots = [n.pitch % 12 == next(c for s, e, c in chords if s <= n.grid_beats < e).root for n in downbeat]
    if genre != "edm":  # house bass sits on the off-beats
        assert len(downbeat) == 8 and np.mean(roots) >= 0.9
    else:
        assert all(abs(n.grid_beats % 1 - 0.5) < 1e-9 for n in notes)
    if genre in ("trap", "hip-hop", "lo-fi", "pop", "rock"):
        starts = {round(n.grid_beats, 6) for n in notes}
        assert all(round(k, 6) in starts for k in kicks)  # a bass note on every kick
    assert all(24 <= n.pitch <= 60 for n in notes)


@pytest.mark.parametrize("genre", GENRES)
def test_arrange_song_every_genre(genre, tmp_path):
    song = arrange_song(genre=genre, key="A minor", bpm=100, seed=3)
    names = [t.name for t in song.tracks]
    assert names[:4] == ["drums", "bass", "chords", "melody"]
    assert song.bars == 4 + 8 + 8 + 8 + 8 + 8 + 8 + 4
    assert all(chord_in_key(c, song.key) for _, _, c in song.chords)
    assert strong_beat_chord_tone_rate(song.track("melody").notes, song.chords) >= STRONG_BEAT_CHORD_TONE_RATE
    path = song.to_midi(tmp_path / "song.mid")
    mf = mido.MidiFile(path)
    markers = [m.text for m in mf.tracks[0] if m.type == "marker"]
    assert markers == [s.label for s in song.sections]
    assert abs(mf.length - song.duration_s) < 1e-3
    assert abs(pretty_midi.PrettyMIDI(str(path)).get_end_time() - song.duration_s) < 1e-3


def test_song_variation_hook_and_transitions():
    song = arrange_song(genre="pop", key="C", bpm=110, seed=5)
    df = song.to_frame()
    sec = {s.label: s for s in song.sections}

    def rel(track, label):
        s = sec[label]
        d = df[(df.track == track) & (df.section == label)]
        return list(zip(np.round(d.start_beats - s.start_bar * 4, 0), d.pitch))

    # the hook repeats in every chorus (pitches and rhythm, up to humanising)
    assert [p for _, p in rel("melody", "chorus 1")] == [p for _, p in rel("melody", "chorus 3")]
    # the verses vary: drums and melody pitches differ between verse 1 and verse 2
    assert rel("drums", "verse 1") != rel("drums", "verse 2")
    assert [p for _, p in rel("melody", "verse 1")] != [p for _, p in rel("melody", "verse 2")]
    # harmony joins in the last chorus; risers lead into choruses; crash on each chorus downbeat
    assert set(df[df.track == "harmony"].section) == {"chorus 3"}
    fx_bars = sorted(int(b // 4) for b in df[df.track == "fx"].start_beats)
    assert [b + 1 for b in fx_bars if b + 1 in {s.start_bar for s in song.sections if s.name == "chorus"}]
    crash = df[(df.track == "drums") & (df.pitch == 49)]
    for s in song.sections:
        if s.name == "chorus":
            assert (np.abs(crash.start_beats - s.start_bar * 4) < 0.05).any()


def test_song_is_reproducible_and_validates():
    a = arrange_song(genre="jazz", key="Bb", bpm=150, structure="verse, chorus", seed=9)
    assert (
        a.midi_bytes()
        == arrange_song(genre="jazz", key="Bb", bpm=150, structure=("verse", "chorus"), seed=9).midi_bytes()
    )
    with pytest.raises(ParameterError, match="unknown section 'coda'; known sections: intro, verse"):
        arrange_song(genre="pop", key="C", structure=("verse", "coda"))
    with pytest.raises(ParameterError, match="bad key"):
        arrange_song(genre="pop", key="X minor")
    with pytest.raises(ParameterError, match="unknown genre"):
        arrange_song(genre="polka", key="C")
    with pytest.raises(ParameterError, match="bpm"):
        arrange_song(genre="pop", key="C", bpm=20)
