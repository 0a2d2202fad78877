"""Note events, tracks and Standard MIDI File writing (mido) shared by beats and songs.

Times are in quarter-note beats from the start of the piece (the tempo is constant), so a MIDI
file is a direct translation: ``tick = round(start_beats * ticks_per_beat)``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..exceptions import MidiError, ParameterError

__all__ = ["NoteEvent", "Track", "Marker", "tracks_to_midi_bytes", "write_bytes", "TICKS_PER_BEAT", "DRUM_CHANNEL"]

#: MIDI resolution used for every file written here (0.5 ms per tick at 120 BPM).
TICKS_PER_BEAT = 960
#: Zero-based MIDI channel of General MIDI percussion ("channel 10").
DRUM_CHANNEL = 9


@dataclass(frozen=True)
class NoteEvent:
    """One note (or drum hit).

    Attributes
    ----------
    start_beats : float
        Onset in quarter-note beats from the start, as played (swung and humanised).
    duration_beats : float
        Length in beats (> 0).
    pitch : int
        MIDI note number 0-127 (a General MIDI drum note on the drum track).
    velocity : int
        MIDI velocity 1-127.
    part : str
        What plays it: a drum instrument (``"kick"``, ``"snare"``, ``"hat"``...) or a track role.
    grid_beats : float
        The straight metrical grid position the note stands for (before swing and humanising).
    """

    start_beats: float
    duration_beats: float
    pitch: int
    velocity: int
    part: str = ""
    grid_beats: float = float("nan")

    def __post_init__(self) -> None:
        if not 0 <= int(self.pitch) <= 127:
            raise ParameterError(f"pitch must be a MIDI note 0-127, given pitch={self.pitch!r}")
        if not 1 <= int(self.velocity) <= 127:
            raise ParameterError(f"velocity must be 1-127, given velocity={self.velocity!r}")
        if not self.duration_beats > 0:
            raise ParameterError(f"duration_beats must be > 0, given duration_beats={self.duration_beats!r}")

    @property
    def end_beats(self) -> float:
        """Offset in beats."""
        return self.start_beats + self.duration_beats


@dataclass(frozen=True)
class Marker:
    """A named position (a section start) in beats."""

    start_beats: float
    name: str


@dataclass(frozen=True)
class Track:
    """A MIDI track: a name, a General MIDI program, a channel and its notes.

    Attributes
    ----------
    name : str
        Track name (written as the MIDI track name).
    program : int
        General MIDI program 0-127 (for the drum channel: the drum kit, e.g. 25 = TR-808).
    channel : int
        Zero-based MIDI channel; 9 is the GM drum channel.
    notes : tuple of NoteEvent
        The notes, sorted by onset.
    """

    name: str
    program: int
    channel: int
    notes: tuple[NoteEvent, ...] = field(default_factory=tuple)

    @property
    def is_drum(self) -> bool:
        """Whether the track plays on the GM drum channel."""
        return self.channel == DRUM_CHANNEL


def _meta_track(*, bpm: float, beats_per_bar: int, markers: Sequence[Marker], end_tick: int, title: str) -> Any:
    import mido

    tr = mido.MidiTrack()
    tr.append(mido.MetaMessage("track_name", name=title, time=0))
    tr.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0))
    tr.append(mido.MetaMessage("time_signature", numerator=beats_per_bar, denominator=4, time=0))
    events: list[tuple[int, Any]] = []
    for m in markers:
        events.append((round(m.start_beats * TICKS_PER_BEAT), mido.MetaMessage("marker", text=m.name)))
    # A text event at the very end makes readers (pretty_midi) see the full length of the last bar.
    events.append((end_tick, mido.MetaMessage("text", text="end")))
    now = 0
    for tick, msg in sorted(events, key=lambda e: e[0]):
        tr.append(msg.copy(time=tick - now))
        now = tick
    tr.append(mido.MetaMessage("end_of_track", time=0))
    return tr


def _note_track(track: Track, *, end_tick: int) -> Any:
    import mido

    tr = mido.MidiTrack()
    tr.append(mido.MetaMessage("track_name", name=track.name, time=0))
    tr.append(mido.Message("program_change", channel=track.channel, program=int(track.program), time=0))
    events: list[tuple[int, int, Any]] = []
    for n in track.notes:
        on = min(max(0, round(n.start_beats * TICKS_PER_BEAT)), end_tick - 1)
        off = min(max(on + 1, round(n.end_beats * TICKS_PER_BEAT)), end_tick)
        ch = track.channel
        # note-offs sort before note-ons at the same tick so repeated notes retrigger cleanly
        events.append((off, 0, mido.Message("note_off", channel=ch, note=int(n.pitch), velocity=0)))
        events.append((on, 1, mido.Message("note_on", channel=ch, note=int(n.pitch), velocity=int(n.velocity))))
    now = 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        tr.append(msg.copy(time=tick - now))
        now = tick
    tr.append(mido.MetaMessage("end_of_track", time=end_tick - now))
    return tr


def tracks_to_midi_bytes(
    tracks: Sequence[Track],
    *,
    bpm: float,
    length_beats: float,
    beats_per_bar: int = 4,
    markers: Sequence[Marker] = (),
    title: str = "dawglib producer",
) -> bytes:
    """A type-1 Standard MIDI File (tempo, time signature, markers, one track per part) as bytes.

    The file lasts exactly ``length_beats`` beats: notes are clipped there and every track ends
    there, so ``mido.MidiFile.length`` and ``pretty_midi.PrettyMIDI.get_end_time()`` equal
    ``length_beats * 60 / bpm``.
    """
    import mido

    end_tick = round(length_beats * TICKS_PER_BEAT)
    mid = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    mid.tracks.append(
        _meta_track(bpm=bpm, beats_per_bar=beats_per_bar, markers=markers, end_tick=end_tick, title=title)
    )
    for t in tracks:
        mid.tracks.append(_note_track(t, end_tick=end_tick))
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue()


def write_bytes(path: str | os.PathLike[str], data: bytes, *, what: str = "MIDI") -> Path:
    """Write ``data`` to ``path``, turning unwritable paths into a clear :class:`MidiError`."""
    p = Path(path)
    if p.is_dir():
        raise MidiError(f"cannot write {what} to {str(p)!r}: it is a directory; give a file name")
    if not p.parent.exists():
        raise MidiError(f"cannot write {what} to {str(p)!r}: the folder {str(p.parent)!r} does not exist")
    try:
        p.write_bytes(data)
    except OSError as exc:
        raise MidiError(f"cannot write {what} to {str(p)!r}: {exc.strerror or exc}") from exc
    return p
