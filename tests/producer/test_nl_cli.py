from __future__ import annotations

import mido
import pytest

from dawglib.exceptions import ParameterError
from dawglib.producer.nl import parse_request


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("trap beat at 140 bpm, 8 bars, complex", {"genre": "trap", "bpm": 140.0, "bars": 8, "complexity": "complex"}),
        ("boom bap at 92, busy, swing 60%", {"genre": "hip-hop", "bpm": 92.0, "complexity": "complex", "swing": 0.6}),
        ("chill lofi groove in F minor, 16 bars", {"genre": "lo-fi", "bars": 16, "key": "F minor"}),
        ("house 124bpm in Eb, simple", {"genre": "edm", "bpm": 124.0, "key": "Eb major", "complexity": "simple"}),
        ("one drop reggae riddim seed 4", {"genre": "reggae", "seed": 4}),
        ("bossa nova in D dorian", {"genre": "latin", "key": "D dorian"}),
        (
            "pop song in A minor: intro verse chorus outro",
            {"genre": "pop", "structure": ("intro", "verse", "chorus", "outro")},
        ),
    ],
)
def test_parse_request(text, expected):
    r = parse_request(text).to_dict()
    for k, v in expected.items():
        assert r[k] == v, (k, r)


def test_parse_request_without_genre():
    with pytest.raises(ParameterError, match="no genre found .* known genres: trap, hip-hop"):
        parse_request("something at 120 bpm")
    assert parse_request("at 120 bpm", require_genre=False).bpm == 120.0


def test_cli_beat_text_and_flags(tmp_path, capsys):
    from dawglib.cli import main

    out = tmp_path / "b.mid"
    rc = main(["beat", "trap beat at 140 bpm, 8 bars, complex", "--seed", "1", "--bars", "4", "--midi", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "trap beat: 140 BPM, 4 bars" in text and "snare on 3 1.00" in text
    assert abs(mido.MidiFile(out).length - 4 * 4 * 60 / 140) < 1e-3


def test_cli_beat_errors_and_list(capsys):
    from dawglib.cli import main

    assert main(["beat", "--list-genres"]) == 0
    listed = capsys.readouterr().out
    assert all(g in listed for g in ("trap", "hip-hop", "boom-bap", "edm", "house", "reggae", "latin"))
    assert main(["beat", "--genre", "polka"]) == 2
    assert "known genres" in capsys.readouterr().err
    assert main(["beat", "--genre", "trap", "--bpm", "250"]) == 2
    assert main(["beat", "--genre", "trap", "--bars", "5"]) == 2
    assert main(["beat", "--genre", "trap", "--midi", "/nonexistent-dir/x.mid"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_cli_song(tmp_path, capsys):
    from dawglib.cli import main

    out = tmp_path / "s.mid"
    rc = main(["song", "lo-fi in F minor at 80 bpm: verse chorus", "--seed", "2", "--midi", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "lo-fi song in F minor: 80 BPM, 16 bars" in text
    assert main(["song", "--genre", "pop", "--key", "Q major"]) == 2
    assert "bad key" in capsys.readouterr().err
