"""Full arrangements: drums, bass, chords, melody, harmony and FX, section by section.

:func:`arrange_song` adds section markers, variations between repeats, fills, risers and drops.

Section plan (bars, drum complexity, what plays):

==========  ====  ========================================================================
section     bars  content
==========  ====  ========================================================================
intro       4     chords, sparse drums from bar 2, riser into the next section
verse       8     drums, bass, chords, melody A (each verse varies drums and melody pitches)
pre-chorus  4     as verse, busier drums, riser
chorus      8     busier drums, crash, the hook melody (same in every chorus), harmony in the last
bridge      8     a bridge progression (often with a borrowed chord), half-busy drums
breakdown   4     chords and bass only
drop        8     EDM drop: full drums and bass after a one-beat silence
solo        8     drums, bass, chords, a denser melody
outro       4     chords and simple drums, fading, final chord held
==========  ====  ========================================================================
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..exceptions import ParameterError
from .bass import bassline
from .beat import _seed, drum_grid, perform, swing_warp, valid_bpm, valid_complexity
from .grooves import COMPLEXITIES, get_groove
from .harmony import BRIDGE_PROGRESSIONS, Chord, Key, genre_progressions, parse_key, progression, voice_lead
from .melody import COMP_STYLES, comping, harmonize, make_motif, melody
from .notes import DRUM_CHANNEL, Marker, NoteEvent, Track, tracks_to_midi_bytes, write_bytes

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Section", "Song", "arrange_song", "SECTION_TYPES", "DEFAULT_STRUCTURE", "INSTRUMENTS"]

DEFAULT_STRUCTURE = ("intro", "verse", "chorus", "verse", "chorus", "bridge", "chorus", "outro")

#: section -> (bars, drum complexity shift, has melody, has bass)
SECTION_TYPES: dict[str, tuple[int, int, bool, bool]] = {
    "intro": (4, -1, False, False),
    "verse": (8, 0, True, True),
    "pre-chorus": (4, 0, True, True),
    "chorus": (8, 1, True, True),
    "bridge": (8, -1, True, True),
    "breakdown": (4, -2, False, True),
    "drop": (8, 1, False, True),
    "solo": (8, 0, True, True),
    "outro": (4, -1, False, True),
}
_SECTION_ALIASES = {"hook": "chorus", "prechorus": "pre-chorus", "pre chorus": "pre-chorus", "build": "pre-chorus"}

#: Genre -> GM programs (bass, chords, melody).
INSTRUMENTS: dict[str, tuple[int, int, int]] = {
    "trap": (38, 89, 11),  # synth bass 1, warm pad, vibraphone (bell-like)
    "hip-hop": (33, 4, 11),  # finger bass, electric piano, vibraphone
    "lo-fi": (33, 4, 24),  # finger bass, Rhodes, nylon guitar
    "pop": (34, 0, 80),  # picked bass, piano, square lead
    "rock": (34, 29, 30),  # picked bass, overdriven guitar, distortion guitar
    "edm": (38, 90, 81),  # synth bass, polysynth pad, saw lead
    "jazz": (32, 0, 65),  # acoustic bass, piano, alto sax
    "reggae": (33, 16, 27),  # finger bass, organ, clean guitar
    "latin": (32, 24, 73),  # acoustic bass, nylon guitar, flute
    "ambient": (38, 88, 92),  # synth bass, new-age pad, bowed pad
}
_FX_PROGRAM = 119  # GM "Reverse Cymbal": a riser


@dataclass(frozen=True)
class Section:
    """A section of a song: ``name`` (e.g. ``"chorus"``), its ``label`` (``"chorus 2"``), start and length in bars."""

    name: str
    label: str
    start_bar: int
    bars: int


@dataclass(frozen=True)
class Song:
    """A multi-track arrangement.

    Attributes
    ----------
    genre : str
        Canonical genre name.
    key : Key
        The song's key.
    bpm : float
        Tempo.
    seed : int
        Seed that reproduces the song.
    sections : tuple of Section
        In order; markers in the MIDI file.
    tracks : tuple of Track
        ``drums``, ``bass``, ``chords``, ``melody`` (+ ``harmony``, ``fx`` when used).
    chords : tuple of (start_beats, end_beats, Chord)
        The chord timeline.

    Examples
    --------
    >>> song = arrange_song(genre="pop", key="C", bpm=110, structure=("verse", "chorus"), seed=1)
    >>> [s.label for s in song.sections], song.bars
    (['verse 1', 'chorus 1'], 16)
    """

    genre: str
    key: Key
    bpm: float
    seed: int
    sections: tuple[Section, ...]
    tracks: tuple[Track, ...]
    chords: tuple[tuple[float, float, Chord], ...] = field(default_factory=tuple)

    @property
    def bars(self) -> int:
        """Total length in 4/4 bars."""
        return sum(s.bars for s in self.sections)

    @property
    def length_beats(self) -> float:
        """Total length in beats."""
        return 4.0 * self.bars

    @property
    def duration_s(self) -> float:
        """Total length in seconds."""
        return self.length_beats * 60.0 / self.bpm

    def track(self, name: str) -> Track:
        """The track called ``name``."""
        for t in self.tracks:
            if t.name == name:
                return t
        raise ParameterError(f"no track {name!r}; tracks: {', '.join(t.name for t in self.tracks)}")

    def midi_bytes(self) -> bytes:
        """The song as a type-1 Standard MIDI File with section markers."""
        markers = [Marker(s.start_bar * 4.0, s.label) for s in self.sections]
        return tracks_to_midi_bytes(
            self.tracks,
            bpm=self.bpm,
            length_beats=self.length_beats,
            markers=markers,
            title=f"{self.genre} song in {self.key.name}",
        )

    def to_midi(self, path: str | os.PathLike[str]) -> Path:
        """Write the song as a MIDI file (raises MidiError if the path cannot be written)."""
        return write_bytes(path, self.midi_bytes())

    def render(self, *, sr: int, tail_s: float = 1.0, soundfont: str | os.PathLike[str] | None = None) -> np.ndarray:
        """Render with FluidSynth + GM to mono float32 of ``round((duration_s + tail_s) * sr)`` samples."""
        from .render import render_notes

        return render_notes(self.midi_bytes(), sr=sr, duration_s=self.duration_s + tail_s, soundfont=soundfont)

    def to_wav(self, path: str | os.PathLike[str], *, sr: int = 44100, tail_s: float = 1.0) -> Path:
        """Render and write a 16-bit WAV file."""
        from .render import write_wav

        return write_wav(path, self.render(sr=sr, tail_s=tail_s), sr=sr)

    def to_frame(self) -> pd.DataFrame:
        """One row per note: track, section, start_s, start_beats, duration_beats, pitch, velocity."""
        import pandas as pd

        rows = []
        for t in self.tracks:
            for n in t.notes:
                bar = int(n.grid_beats // 4) if np.isfinite(n.grid_beats) else int(n.start_beats // 4)
                sec = next((s.label for s in self.sections if s.start_bar <= bar < s.start_bar + s.bars), "")
                rows.append(
                    {
                        "track": t.name,
                        "section": sec,
                        "start_s": n.start_beats * 60.0 / self.bpm,
                        "start_beats": n.start_beats,
                        "duration_beats": n.duration_beats,
                        "pitch": n.pitch,
                        "velocity": n.velocity,
                    }
                )
        return pd.DataFrame(rows)


def _valid_structure(structure: Sequence[str]) -> list[str]:
    if isinstance(structure, str):
        structure = [s for s in structure.replace(",", " ").split() if s]
    out = []
    for s in structure:
        name = str(s).strip().lower()
        name = _SECTION_ALIASES.get(name, name)
        if name not in SECTION_TYPES:
            raise ParameterError(
                f"unknown section {s!r}; known sections: {', '.join(SECTION_TYPES)} (aliases: hook, build)"
            )
        out.append(name)
    if not out:
        raise ParameterError("structure is empty; expected e.g. ('intro', 'verse', 'chorus', 'outro')")
    if len(out) > 24:
        raise ParameterError(f"structure has {len(out)} sections; at most 24 are supported")
    return out


def _shift(complexity: str, by: int) -> str:
    i = int(np.clip(COMPLEXITIES.index(complexity) + by, 0, len(COMPLEXITIES) - 1))
    return COMPLEXITIES[i]


def _perform_pitched(
    notes: Sequence[NoteEvent],
    *,
    bpm: float,
    swing: float,
    unit: float,
    humanize: bool,
    rng: np.random.Generator,
    timing_ms: float = 5.0,
    velocity_sd: float = 4.0,
    velocity_scale: float = 1.0,
) -> list[NoteEvent]:
    out = []
    for n in notes:
        bar_start = np.floor(n.start_beats / 4.0) * 4.0
        pos = n.start_beats - bar_start
        t = bar_start + float(swing_warp(pos, ratio=swing, unit_beats=unit))
        vel = n.velocity * velocity_scale
        if humanize:
            t += float(np.clip(rng.normal(0, timing_ms), -3 * timing_ms, 3 * timing_ms)) * bpm / 60_000.0
            vel += rng.normal(0, velocity_sd)
        out.append(
            NoteEvent(max(0.0, t), n.duration_beats, n.pitch, int(np.clip(round(vel), 1, 127)), n.part, n.grid_beats)
        )
    return out


def arrange_song(
    *,
    genre: str,
    key: str | Key = "C major",
    bpm: float | None = None,
    structure: Sequence[str] = DEFAULT_STRUCTURE,
    seed: int | None = None,
    complexity: str = "medium",
    humanize: bool = True,
) -> Song:
    """Arrange a full song: drums, bass, chords, melody, harmony and FX over the given structure.

    Parameters
    ----------
    genre : str
        A genre name or alias (see :func:`dawglib.producer.genre_names`).
    key : str or Key
        E.g. ``"A minor"``, ``"F#m"``, ``"Eb major"``; minor keys get minor progressions.
    bpm : float or None
        60-200 BPM; default the genre's usual tempo.
    structure : sequence of str
        Section names (see :data:`SECTION_TYPES`; ``hook`` = chorus); a comma-separated string works.
    seed : int or None
        Same seed, same song.
    complexity : str
        Base drum complexity; choruses and drops go one step busier, intros/bridges one calmer.
    humanize : bool
        Humanise timing and velocities of every part.

    Returns
    -------
    Song

    Raises
    ------
    ParameterError
        Unknown genre, key, section or complexity; bpm out of range.

    Examples
    --------
    >>> song = arrange_song(genre="lo-fi", key="F minor", bpm=80, seed=3)
    >>> [t.name for t in song.tracks]
    ['drums', 'bass', 'chords', 'melody', 'harmony', 'fx']
    """
    groove = get_groove(genre)
    g = groove.name
    k = parse_key(key)
    bpm_v = float(groove.bpm_default) if bpm is None else valid_bpm(bpm)
    secs = _valid_structure(structure)
    complexity = valid_complexity(complexity)
    seed_v = _seed(seed)
    rng = np.random.default_rng(seed_v)
    minor = k.is_minor

    progs = genre_progressions(g, minor=minor)
    verse_prog = progs[int(rng.integers(len(progs)))]
    chorus_prog = progs[int(rng.integers(len(progs)))]
    bridge_set = BRIDGE_PROGRESSIONS["minor" if minor else "major"]
    bridge_prog = bridge_set[int(rng.integers(len(bridge_set)))]
    density, comp_style = COMP_STYLES[g]
    hook = make_motif(rng, density="dense" if density == "dense" else "medium")
    verse_motif = make_motif(rng, density=density)
    swing, unit = groove.swing, groove.swing_unit_beats

    sections: list[Section] = []
    counts: dict[str, int] = {}
    bar = 0
    for name in secs:
        counts[name] = counts.get(name, 0) + 1
        bars = SECTION_TYPES[name][0]
        sections.append(Section(name, f"{name} {counts[name]}", bar, bars))
        bar += bars
    n_choruses = counts.get("chorus", 0)

    drums: list[NoteEvent] = []
    bass: list[NoteEvent] = []
    chords_notes: list[NoteEvent] = []
    mel: list[NoteEvent] = []
    harm: list[NoteEvent] = []
    fx: list[NoteEvent] = []
    timeline: list[tuple[float, float, Chord]] = []
    prev_voicing: int | None = None
    chorus_i = 0

    for si, sec in enumerate(sections):
        _bars, cshift, has_mel, has_bass = SECTION_TYPES[sec.name]
        s_rng = np.random.default_rng([seed_v, si])
        numerals = {"chorus": chorus_prog, "drop": chorus_prog, "bridge": bridge_prog}.get(sec.name, verse_prog)
        chs = progression(numerals, k)
        sec_chords = [
            ((sec.start_bar + b) * 4.0, (sec.start_bar + b + 1) * 4.0, chs[b % len(chs)]) for b in range(sec.bars)
        ]
        if sec.name == "outro":  # end on the tonic
            tonic = progression(["i" if minor else "I"], k)[0]
            sec_chords[-1] = (sec_chords[-1][0], sec_chords[-1][1], tonic)
        timeline.extend(sec_chords)
        nxt = sections[si + 1].name if si + 1 < len(sections) else None

        # drums: fills at the section end (unless the song ends), crash on the downbeat
        cx = _shift(complexity, cshift)
        fills = {b: ("small" if (b + 1) % 4 == 0 else "") for b in range(sec.bars - 1)}
        fills = {b: v for b, v in fills.items() if v}
        if nxt is not None:
            fills[sec.bars - 1] = "big"
        crashes = {0} if sec.name not in ("intro", "breakdown") else set()
        dyn = {"chorus": 6.0, "drop": 8.0, "outro": -10.0, "intro": -8.0, "bridge": -4.0}.get(sec.name, 0.0)
        if sec.name != "breakdown":
            hits = drum_grid(
                groove, bars=sec.bars, complexity=cx, rng=s_rng, fills=fills, crashes=crashes, dynamics=dyn
            )
            if sec.name == "intro":
                hits = [h for h in hits if h.bar >= min(1, sec.bars - 1)]
            if nxt in ("drop", "chorus") and g == "edm":  # the drop: one beat of silence before it
                hits = [h for h in hits if not (h.bar == sec.bars - 1 and h.pos_beats >= 3.0)]
            played = perform(
                hits,
                bpm=bpm_v,
                swing=swing,
                unit_beats=unit,
                humanize=humanize,
                timing_ms=groove.timing_ms,
                velocity_sd=groove.velocity_sd,
                rng=s_rng,
                bar_offset=sec.start_bar,
            )
            drums.extend(played)
            kick_grid = [h.grid_beats for h in played if h.part == "kick"]
        else:
            kick_grid = []

        if has_bass:
            b_notes = bassline(sec_chords, genre=g, kick_beats=kick_grid, rng=s_rng, complexity=cx)
            bass.extend(
                _perform_pitched(
                    b_notes, bpm=bpm_v, swing=swing, unit=unit, humanize=humanize, rng=s_rng, timing_ms=3.0
                )
            )

        voicings = voice_lead(
            [c for _, _, c in sec_chords], n_voices=4, low_midi=50, high_midi=74, start_midi=prev_voicing
        )
        prev_voicing = int(np.mean(voicings[-1]))
        style = "pad" if sec.name in ("intro", "outro", "breakdown") and comp_style != "skank" else comp_style
        c_notes = comping(sec_chords, voicings, style=style, rng=s_rng, velocity=70 + int(dyn))
        chords_notes.extend(
            _perform_pitched(c_notes, bpm=bpm_v, swing=swing, unit=unit, humanize=humanize, rng=s_rng, timing_ms=4.0)
        )

        if has_mel:
            if sec.name == "chorus":
                chorus_i += 1
                m_rng = np.random.default_rng([seed_v, 1000])  # the hook: the same in every chorus
                m_notes = melody(sec_chords, key=k, rng=m_rng, motif=hook, low_midi=65, high_midi=84, velocity=96)
                if chorus_i == n_choruses and n_choruses > 1 or n_choruses == 1:
                    harm.extend(
                        _perform_pitched(
                            harmonize(m_notes, key=k, interval="third", above=False),
                            bpm=bpm_v,
                            swing=swing,
                            unit=unit,
                            humanize=humanize,
                            rng=s_rng,
                        )
                    )
            else:
                dens = "dense" if sec.name == "solo" else density
                motif = verse_motif if sec.name in ("verse", "pre-chorus") else make_motif(s_rng, density=dens)
                m_notes = melody(sec_chords, key=k, rng=s_rng, motif=motif, density=dens, velocity=86)
            mel.extend(_perform_pitched(m_notes, bpm=bpm_v, swing=swing, unit=unit, humanize=humanize, rng=s_rng))

        # transitions: a riser (GM reverse cymbal) over the last bar before a chorus or drop
        if nxt in ("chorus", "drop") or (sec.name == "intro" and nxt is not None):
            start = (sec.start_bar + sec.bars - 1) * 4.0
            fx.append(NoteEvent(start, 4.0, 60, 100, "riser", start))

    tracks = [
        Track("drums", groove.kit, DRUM_CHANNEL, tuple(sorted(drums, key=lambda n: n.start_beats))),
        Track("bass", INSTRUMENTS[g][0], 0, tuple(bass)),
        Track("chords", INSTRUMENTS[g][1], 1, tuple(chords_notes)),
        Track("melody", INSTRUMENTS[g][2], 2, tuple(mel)),
    ]
    if harm:
        tracks.append(Track("harmony", INSTRUMENTS[g][2], 3, tuple(harm)))
    if fx:
        tracks.append(Track("fx", _FX_PROGRAM, 4, tuple(fx)))
    return Song(
        genre=g, key=k, bpm=bpm_v, seed=seed_v, sections=tuple(sections), tracks=tuple(tracks), chords=tuple(timeline)
    )
