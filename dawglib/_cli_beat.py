"""``dawg beat``: generate a drum beat from a sentence or flags, write MIDI/WAV, print its groove metrics."""

from __future__ import annotations

import argparse

HELP = 'generate a genre drum beat (MIDI/WAV) from text or flags, e.g. dawg beat "trap beat at 140 bpm, 8 bars"'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``dawg beat``."""
    parser.add_argument("text", nargs="?", help='free text, e.g. "boom bap at 90 bpm, 16 bars, complex"')
    parser.add_argument("--genre", help="genre or alias (see --list-genres)")
    parser.add_argument("--bpm", type=float, help="tempo, 60-200 BPM (default: the genre's usual tempo)")
    parser.add_argument("--bars", type=int, help="4, 8, 16 or 32 (default 8)")
    parser.add_argument("--complexity", help="simple, medium (default) or complex")
    parser.add_argument("--seed", type=int, help="same seed, same beat")
    parser.add_argument("--swing", type=float, help="swing ratio 0.5-0.75 (or percent 50-75)")
    parser.add_argument("--no-humanize", action="store_true", help="exact grid timing, no velocity variation")
    parser.add_argument("--midi", help="write the beat as a MIDI file here")
    parser.add_argument("--wav", help="render with FluidSynth and write a WAV file here")
    parser.add_argument("--sr", type=int, default=44100, help="WAV sample rate in Hz (default 44100)")
    parser.add_argument("--list-genres", action="store_true", help="list the genres and their aliases, then exit")


def list_genres() -> str:
    """One line per genre: name, usual tempo, aliases, description."""
    from .producer.grooves import GROOVES

    lines = []
    for g in GROOVES.values():
        lines.append(
            f"{g.name:8s} {g.bpm_typical[0]}-{g.bpm_typical[1]} BPM  aliases: {', '.join(g.aliases)}\n"
            f"         {g.description}"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run ``dawg beat``."""
    if args.list_genres:
        print(list_genres())
        return 0
    from .exceptions import ParameterError
    from .producer import generate_beat
    from .producer.nl import parse_request

    req = parse_request(args.text, require_genre=args.genre is None) if args.text else None
    genre = args.genre or (req.genre if req else None)
    if genre is None:
        raise ParameterError("no genre given; pass --genre or a sentence naming one (see 'dawg beat --list-genres')")

    def pick(flag: object, name: str, default: object = None) -> object:
        if flag is not None:
            return flag
        v = getattr(req, name) if req else None
        return default if v is None else v

    beat = generate_beat(
        genre=genre,
        bpm=pick(args.bpm, "bpm"),  # type: ignore[arg-type]
        bars=pick(args.bars, "bars", 8),  # type: ignore[arg-type]
        complexity=pick(args.complexity, "complexity", "medium"),  # type: ignore[arg-type]
        seed=pick(args.seed, "seed"),  # type: ignore[arg-type]
        swing=pick(args.swing, "swing"),  # type: ignore[arg-type]
        humanize=not args.no_humanize,
    )
    m = beat.metrics()
    print(
        f"{beat.genre} beat: {beat.bpm:g} BPM, {beat.bars} bars ({beat.duration_s:.2f} s), {beat.complexity}, "
        f"swing {beat.swing:.2f}, seed {beat.seed}, {len(beat.notes)} hits"
    )
    print(
        f"  syncopation/bar {m.syncopation_per_bar:.2f}  swing ratio {m.swing_ratio:.3f}  "
        f"kick on beat {m.kick_on_beat_share:.2f}  snare on 2&4 {m.snare_on_backbeat_share:.2f}  "
        f"snare on 3 {m.snare_on_3_share:.2f}  timing spread {m.timing_spread_ms:.1f} ms  "
        f"velocity spread {m.velocity_spread:.1f}  notes/bar {m.notes_per_bar:.1f}"
    )
    if args.midi:
        print(f"  MIDI -> {beat.to_midi(args.midi)}")
    if args.wav:
        print(f"  WAV  -> {beat.to_wav(args.wav, sr=args.sr)}")
    return 0
