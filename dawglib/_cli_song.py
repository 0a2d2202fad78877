"""``dawg song``: arrange a full song (drums, bass, chords, melody) from a sentence or flags."""

from __future__ import annotations

import argparse

HELP = 'arrange a multi-track song (MIDI/WAV), e.g. dawg song "lo-fi in F minor at 80 bpm"'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``dawg song``."""
    parser.add_argument("text", nargs="?", help='free text, e.g. "pop song in A minor at 100 bpm: verse chorus"')
    parser.add_argument("--genre", help="genre or alias (see 'dawg beat --list-genres')")
    parser.add_argument("--key", help="key, e.g. 'C', 'A minor', 'F#m', 'Bb dorian' (default C major)")
    parser.add_argument("--bpm", type=float, help="tempo, 60-200 BPM (default: the genre's usual tempo)")
    parser.add_argument(
        "--structure", help="comma-separated sections (default intro,verse,chorus,verse,chorus,bridge,chorus,outro)"
    )
    parser.add_argument("--complexity", help="simple, medium (default) or complex")
    parser.add_argument("--seed", type=int, help="same seed, same song")
    parser.add_argument("--midi", help="write the song as a MIDI file here")
    parser.add_argument("--wav", help="render with FluidSynth and write a WAV file here")
    parser.add_argument("--sr", type=int, default=44100, help="WAV sample rate in Hz (default 44100)")


def run(args: argparse.Namespace) -> int:
    """Run ``dawg song``."""
    from .exceptions import ParameterError
    from .producer.arrange import DEFAULT_STRUCTURE, arrange_song
    from .producer.nl import parse_request

    req = parse_request(args.text, require_genre=args.genre is None) if args.text else None
    genre = args.genre or (req.genre if req else None)
    if genre is None:
        raise ParameterError("no genre given; pass --genre or a sentence naming one (see 'dawg beat --list-genres')")
    structure = (
        args.structure.replace(",", " ").split()
        if args.structure
        else (req.structure if req and req.structure else DEFAULT_STRUCTURE)
    )
    song = arrange_song(
        genre=genre,
        key=args.key or (req.key if req and req.key else "C major"),
        bpm=args.bpm if args.bpm is not None else (req.bpm if req else None),
        structure=structure,
        seed=args.seed if args.seed is not None else (req.seed if req else None),
        complexity=args.complexity or (req.complexity if req and req.complexity else "medium"),
    )
    print(
        f"{song.genre} song in {song.key.name}: {song.bpm:g} BPM, {song.bars} bars ({song.duration_s:.1f} s), "
        f"seed {song.seed}"
    )
    print("  sections: " + ", ".join(f"{s.label} ({s.bars})" for s in song.sections))
    print("  tracks:   " + ", ".join(f"{t.name} ({len(t.notes)} notes)" for t in song.tracks))
    if args.midi:
        print(f"  MIDI -> {song.to_midi(args.midi)}")
    if args.wav:
        print(f"  WAV  -> {song.to_wav(args.wav, sr=args.sr)}")
    return 0
