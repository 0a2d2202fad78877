"""Drum beats: :func:`generate_beat` turns a genre groove into a humanised, swung drum part.

The generator works in two stages. First it lays out *grid hits* bar by bar: the groove's
pattern variants for the asked complexity (one variant per bar, repeated in phrase shapes), fills
in the last beats of phrase-ending bars, crashes on section downbeats. Then it *performs* them:
swing moves the off-beat sixteenths (or eighths, for jazz) later, humanising adds Gaussian timing
offsets (milliseconds, per genre about 4-5 ms) and velocity variation on top of the pattern's
accents, ghost notes and the phrase's dynamics. Everything random comes from one seeded
``numpy.random.Generator``: the same seed gives the same beat.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..exceptions import ParameterError
from .grooves import COMPLEXITIES, DRUM_NOTES, STEP_VELOCITY, Groove, get_groove
from .notes import DRUM_CHANNEL, NoteEvent, Track, tracks_to_midi_bytes, write_bytes

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .metrics import GrooveMetrics

__all__ = ["Beat", "generate_beat", "BPM_RANGE", "BARS_ALLOWED", "valid_bpm", "valid_bars", "valid_complexity"]

BPM_RANGE = (60.0, 200.0)
BARS_ALLOWED = (4, 8, 16, 32)
STEPS_PER_BAR = 16
#: Ghost notes never exceed this velocity (the metrics treat < 50 as ghost).
GHOST_MAX_VELOCITY = 46
CYMBALS = ("hat", "open", "ride", "shaker", "bell", "pedal", "tamb", "cowbell")


def valid_bpm(bpm: Any) -> float:
    """Check a tempo: a number within 60-200 BPM."""
    if isinstance(bpm, bool) or not isinstance(bpm, numbers.Real) or not np.isfinite(float(bpm)):
        raise ParameterError(f"bpm must be a number of beats per minute, given bpm={bpm!r}")
    if not BPM_RANGE[0] <= float(bpm) <= BPM_RANGE[1]:
        raise ParameterError(f"bpm must be within {BPM_RANGE[0]:g}-{BPM_RANGE[1]:g}, given bpm={bpm!r}")
    return float(bpm)


def valid_bars(bars: Any) -> int:
    """Check a length in bars: one of 4, 8, 16, 32."""
    if isinstance(bars, bool) or not isinstance(bars, numbers.Integral) or int(bars) not in BARS_ALLOWED:
        raise ParameterError(f"bars must be one of {', '.join(map(str, BARS_ALLOWED))}, given bars={bars!r}")
    return int(bars)


def valid_complexity(complexity: Any) -> str:
    """Check a complexity: ``simple``, ``medium`` or ``complex``."""
    c = str(complexity).strip().lower() if isinstance(complexity, str) else complexity
    if c not in COMPLEXITIES:
        raise ParameterError(f"complexity must be one of {', '.join(COMPLEXITIES)}, given complexity={complexity!r}")
    return str(c)


def _valid_swing(swing: Any) -> float:
    if isinstance(swing, bool) or not isinstance(swing, numbers.Real) or not np.isfinite(float(swing)):
        raise ParameterError(f"swing must be a ratio in [0.5, 0.75], given swing={swing!r}")
    s = float(swing)
    if s > 1.0:  # accept percent, e.g. 62
        s /= 100.0
    if not 0.5 <= s <= 0.75:
        raise ParameterError(
            f"swing must be a ratio in [0.5, 0.75] (0.5 straight, 0.62 boom-bap, 0.67 triplet; "
            f"percent 50-75 also accepted), given swing={swing!r}"
        )
    return s


def _seed(seed: Any) -> int:
    if seed is None:
        return int(np.random.SeedSequence().entropy % (2**32))  # type: ignore[operator]
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or int(seed) < 0:
        raise ParameterError(f"seed must be a non-negative integer or None, given seed={seed!r}")
    return int(seed)


def swing_warp(pos_beats: np.ndarray | float, *, ratio: float, unit_beats: float) -> np.ndarray:
    """Map straight grid positions (beats) to swung positions.

    Within every pair of swing units (``2 * unit_beats`` long) the first unit is stretched to
    ``ratio`` of the pair and the second squeezed into the rest; positions on the pair boundaries
    do not move. ``ratio=0.5`` is the identity.

    Examples
    --------
    >>> float(swing_warp(0.25, ratio=0.62, unit_beats=0.25))
    0.31
    """
    p = np.asarray(pos_beats, dtype=float)
    cell = 2.0 * unit_beats
    base = np.floor(p / cell + 1e-9) * cell
    x = p - base
    first = x < unit_beats
    out = np.where(
        first, x * ratio * cell / unit_beats, ratio * cell + (x - unit_beats) * (1 - ratio) * cell / unit_beats
    )
    return base + out


def swing_unwarp(pos_beats: np.ndarray | float, *, ratio: float, unit_beats: float) -> np.ndarray:
    """Inverse of :func:`swing_warp`."""
    p = np.asarray(pos_beats, dtype=float)
    cell = 2.0 * unit_beats
    base = np.floor(p / cell + 1e-9) * cell
    x = p - base
    split = ratio * cell
    out = np.where(
        x < split, x * unit_beats / (ratio * cell), unit_beats + (x - split) * unit_beats / ((1 - ratio) * cell)
    )
    return base + out


@dataclass(frozen=True)
class _GridHit:
    bar: int
    pos_beats: float  # position in the bar (beats), straight grid
    part: str
    velocity: float
    swingable: bool = True
    sub_beats: float = 0.0  # offset after swing (roll members)
    duration_beats: float = 0.25
    ghost: bool = False

    def louder(self, db: float) -> _GridHit:
        """The same hit with ``db`` velocity added (ghost notes stay ghosts)."""
        if self.ghost:
            return self
        return _GridHit(
            self.bar, self.pos_beats, self.part, self.velocity + db, self.swingable, self.sub_beats, self.duration_beats
        )


def _choose_variants(rng: np.random.Generator, variants: list[str], bars: int) -> list[str]:
    """A variant per bar in phrase shapes: main, main, alt-or-main, main."""
    main = variants[int(rng.integers(len(variants)))]
    alt = variants[int(rng.integers(len(variants)))]
    out = []
    for b in range(bars):
        pick = alt if (b % 4 in (1, 3) and rng.random() < 0.5) else main
        out.append(pick)
    return out


def _step_hits(bar: int, step: int, part: str, ch: str, *, accent: float) -> list[_GridHit]:
    v = STEP_VELOCITY[ch] + (accent if ch in "xo" else 0.0)
    pos = step * 0.25
    if ch == "r":
        return [_GridHit(bar, pos, part, v + k * 6, sub_beats=k * 0.125, duration_beats=0.125) for k in range(2)]
    if ch == "R":
        return [_GridHit(bar, pos, part, v + k * 6, sub_beats=k / 12, duration_beats=1 / 12) for k in range(3)]
    return [_GridHit(bar, pos, part, v, ghost=ch == "g")]


def _accent(part: str, step: int) -> float:
    if part in CYMBALS:
        return 6.0 if step % 4 == 0 else (0.0 if step % 2 == 0 else -8.0)
    return 3.0 if step % 8 == 0 else 0.0


_TOM_ORDER = ("snare", "tom_hi", "tom_mid", "tom_lo")


def _fill(style: str, *, bar: int, n_beats: int, complexity: str, rng: np.random.Generator) -> list[_GridHit]:
    """Hits of a fill over the last ``n_beats`` beats of ``bar``."""
    start = 4.0 - n_beats
    hits: list[_GridHit] = []
    dense = complexity != "simple"
    if style in ("toms", "snare_roll", "swell"):
        step = 0.25 if dense else 0.5
        n = int(round(n_beats / step))
        for i in range(n):
            pos = start + i * step
            ramp = i / max(1, n - 1)
            if style == "toms":
                part = _TOM_ORDER[min(3, int(ramp * 4))]
                if complexity == "complex" and part == "snare" and rng.random() < 0.5:
                    hits.extend(_GridHit(bar, pos, part, 70 + 30 * ramp + k * 8, sub_beats=k * 0.125) for k in range(2))
                    continue
                hits.append(_GridHit(bar, pos, part, 88 + 24 * ramp))
            elif style == "snare_roll":
                sub = 2 if (complexity == "complex" and pos >= 3.0) else 1
                for k in range(sub):
                    hits.append(_GridHit(bar, pos, "snare", 50 + 70 * ramp, sub_beats=k * 0.125))
            else:  # swell: soft ride crescendo
                hits.append(_GridHit(bar, pos, "ride", 36 + 50 * ramp))
        if style == "toms":
            hits.append(_GridHit(bar, start, "kick", 96))
    elif style == "trap":
        n = int(n_beats * 4)
        for i in range(n):
            pos = start + i * 0.25
            k_sub = 3 if (i % 2 == 1 and complexity == "complex") else 2
            hits.extend(
                _GridHit(bar, pos, "hat", 70 + 40 * i / max(1, n - 1), sub_beats=k / (k_sub * 4), duration_beats=0.08)
                for k in range(k_sub)
            )
        hits.extend(_GridHit(bar, 3.0 + 0.25 * i, "snare", 80 + 10 * i) for i in range(4) if dense or i % 2 == 0)
    elif style == "chops":
        n = int(n_beats * 4)
        for i in range(n):
            pos = start + i * 0.25
            u = rng.random()
            if i == 0 or u < 0.45:
                hits.append(_GridHit(bar, pos, "snare", 70 + 40 * rng.random()))
            elif u < 0.7:
                hits.append(_GridHit(bar, pos, "kick", 90))
    elif style == "jazz":
        n = int(n_beats * 3)
        for i in range(n):
            pos = start + i / 3.0
            part = "snare" if (i % 3 != 2 or not dense) else ("tom_mid" if rng.random() < 0.5 else "tom_lo")
            if i == n - 1:
                hits.append(_GridHit(bar, pos, "kick", 100, swingable=False))
            if rng.random() < (0.8 if dense else 0.6) or i == n - 1:
                hits.append(_GridHit(bar, pos, part, 60 + 40 * i / max(1, n - 1), swingable=False))
    else:  # pragma: no cover - data error
        raise AssertionError(f"unknown fill style {style!r}")
    return hits


def _plan(bars: int) -> tuple[dict[int, str], set[int]]:
    """Which bars end with a fill ('big' or 'small') and which bars start with a crash."""
    fills: dict[int, str] = {}
    for b in range(bars):
        if (b + 1) % 8 == 0 or b == bars - 1:
            fills[b] = "big"
        elif (b + 1) % 4 == 0:
            fills[b] = "small"
    crashes = {0} | {b for b in range(8, bars, 8)}
    return fills, crashes


def drum_grid(
    groove: Groove,
    *,
    bars: int,
    complexity: str,
    rng: np.random.Generator,
    fills: dict[int, str] | None = None,
    crashes: set[int] | None = None,
    dynamics: float = 0.0,
) -> list[_GridHit]:
    """Lay out the straight-grid hits of ``bars`` bars (internal; used by beats and songs)."""
    if fills is None or crashes is None:
        f, c = _plan(bars)
        fills = f if fills is None else fills
        crashes = c if crashes is None else crashes
    parts = groove.patterns[complexity]
    per_part = {part: _choose_variants(rng, variants, bars) for part, variants in parts.items()}
    fill_beats = {"simple": 1, "medium": 2, "complex": 2}[complexity]
    keep_in_fill = {"kick"} if groove.fill == "snare_roll" else ({"kick", "clap"} if groove.fill == "trap" else set())
    hits: list[_GridHit] = []
    for b in range(bars):
        phrase_pos = b % 4
        dyn = dynamics + 2.0 * phrase_pos
        kind = fills.get(b)
        n_fill = 0 if kind is None else (1 if kind == "small" else fill_beats)
        fill_from = 4.0 - n_fill
        open_steps = {i for i, ch in enumerate(per_part["open"][b]) if ch != "."} if "open" in per_part else set()
        for part, pats in per_part.items():
            pat = pats[b]
            for step, ch in enumerate(pat):
                if ch == ".":
                    continue
                pos = step * 0.25
                if n_fill and pos >= fill_from and part not in keep_in_fill:
                    continue
                if part == "hat" and step in open_steps:
                    continue  # the open hat chokes the closed one
                if b in crashes and step == 0 and part in ("hat", "ride", "open"):
                    continue
                hits.extend(h.louder(dyn) for h in _step_hits(b, step, part, ch, accent=_accent(part, step)))
        if n_fill:
            hits.extend(
                h.louder(dyn) for h in _fill(groove.fill, bar=b, n_beats=n_fill, complexity=complexity, rng=rng)
            )
        if b in crashes and groove.name != "ambient":
            hits.append(_GridHit(b, 0.0, "crash", 112 + dynamics, duration_beats=2.0))
    return hits


def perform(
    hits: Sequence[_GridHit],
    *,
    bpm: float,
    swing: float,
    unit_beats: float,
    humanize: bool,
    timing_ms: float,
    velocity_sd: float,
    rng: np.random.Generator,
    bar_offset: int = 0,
    beats_per_bar: int = 4,
) -> list[NoteEvent]:
    """Swing and humanise grid hits into note events (internal)."""
    out = []
    beats_per_ms = bpm / 60_000.0
    for h in hits:
        grid = (h.bar + bar_offset) * beats_per_bar + h.pos_beats
        pos = float(swing_warp(h.pos_beats, ratio=swing, unit_beats=unit_beats)) if h.swingable else h.pos_beats
        t = (h.bar + bar_offset) * beats_per_bar + pos + h.sub_beats
        vel = h.velocity
        if humanize:
            dt_ms = float(np.clip(rng.normal(0.0, timing_ms), -3 * timing_ms, 3 * timing_ms))
            t += dt_ms * beats_per_ms
            vel += float(rng.normal(0.0, velocity_sd))
        t = max(0.0, t)
        v = int(np.clip(round(vel), 20, GHOST_MAX_VELOCITY) if h.ghost else np.clip(round(vel), 1, 127))
        out.append(NoteEvent(t, h.duration_beats, DRUM_NOTES[h.part], v, h.part, grid + h.sub_beats))
    out.sort(key=lambda n: (n.start_beats, n.pitch))
    return out


@dataclass(frozen=True)
class Beat:
    """A generated drum beat.

    Attributes
    ----------
    genre : str
        Canonical genre name.
    bpm : float
        Tempo (quarter notes per minute).
    bars : int
        Length in 4/4 bars.
    complexity : str
        ``simple``, ``medium`` or ``complex``.
    seed : int
        The seed that reproduces this beat.
    swing : float
        Swing ratio used (0.5 straight).
    swing_unit_beats : float
        0.25 (sixteenth swing) or 0.5 (eighth swing).
    humanize : bool
        Whether timing and velocity were humanised.
    kit : int
        General MIDI drum kit program.
    notes : tuple of NoteEvent
        The drum hits, sorted by onset (``pitch`` is the GM drum note).
    fill_bars : tuple of int
        Bars (0-based) that end with a fill.

    Examples
    --------
    >>> b = generate_beat(genre="house", bpm=124, bars=4, seed=1)
    >>> b.duration_s == 4 * 4 * 60 / 124, b.metrics().kick_on_beat_share
    (True, 1.0)
    """

    genre: str
    bpm: float
    bars: int
    complexity: str
    seed: int
    swing: float
    swing_unit_beats: float
    humanize: bool
    kit: int
    notes: tuple[NoteEvent, ...]
    fill_bars: tuple[int, ...]
    beats_per_bar: int = 4

    @property
    def length_beats(self) -> float:
        """Length in beats (bars x 4)."""
        return float(self.bars * self.beats_per_bar)

    @property
    def duration_s(self) -> float:
        """Length in seconds: bars x beats per bar x 60 / bpm."""
        return self.length_beats * 60.0 / self.bpm

    @property
    def track(self) -> Track:
        """The drum track (GM channel 10, program = the kit)."""
        return Track(f"drums ({self.genre})", self.kit, DRUM_CHANNEL, self.notes)

    def midi_bytes(self) -> bytes:
        """The beat as a Standard MIDI File (bytes)."""
        return tracks_to_midi_bytes(
            [self.track], bpm=self.bpm, length_beats=self.length_beats, title=f"{self.genre} beat {self.bpm:g} BPM"
        )

    def to_midi(self, path: str | os.PathLike[str]) -> Path:
        """Write the beat as a MIDI file (tempo and 4/4 time signature meta events, drums on channel 10).

        Raises
        ------
        MidiError
            If the path cannot be written.
        """
        return write_bytes(path, self.midi_bytes())

    def render(self, *, sr: int, tail_s: float = 0.0, soundfont: str | os.PathLike[str] | None = None) -> np.ndarray:
        """Render with FluidSynth and the GM soundfont.

        Parameters
        ----------
        sr : int
            Sample rate in Hz.
        tail_s : float
            Seconds kept after the last bar (cymbal decay); 0 gives an exact loop.
        soundfont : path or None
            An .sf2 file (default: the Debian GM soundfont).

        Returns
        -------
        y : np.ndarray, float32, shape (round((duration_s + tail_s) * sr),)
        """
        from .render import render_notes

        return render_notes(self.midi_bytes(), sr=sr, duration_s=self.duration_s + tail_s, soundfont=soundfont)

    def to_wav(self, path: str | os.PathLike[str], *, sr: int = 44100, tail_s: float = 0.0) -> Path:
        """Render and write a 16-bit WAV file."""
        from .render import write_wav

        return write_wav(path, self.render(sr=sr, tail_s=tail_s), sr=sr)

    def to_frame(self) -> pd.DataFrame:
        """One row per hit: start_s, start_beats, grid_beats, bar, part, pitch, velocity, duration_beats."""
        import pandas as pd

        rows = [
            {
                "start_s": n.start_beats * 60.0 / self.bpm,
                "start_beats": n.start_beats,
                "grid_beats": n.grid_beats,
                "bar": int(n.grid_beats // self.beats_per_bar),
                "part": n.part,
                "pitch": n.pitch,
                "velocity": n.velocity,
                "duration_beats": n.duration_beats,
            }
            for n in self.notes
        ]
        return pd.DataFrame(rows)

    def metrics(self, *, include_fills: bool = False) -> GrooveMetrics:
        """Groove metrics of this beat (see :func:`dawglib.producer.metrics.groove_metrics`).

        Fill bars are left out unless ``include_fills``.
        """
        from .metrics import groove_metrics

        return groove_metrics(
            self.notes,
            bpm=self.bpm,
            swing_unit_beats=self.swing_unit_beats,
            length_beats=self.length_beats,
            exclude_bars=() if include_fills else self.fill_bars,
        )


def generate_beat(
    *,
    genre: str,
    bpm: float | None = None,
    bars: int = 8,
    complexity: str = "medium",
    seed: int | None = None,
    swing: float | None = None,
    humanize: bool = True,
) -> Beat:
    """Generate a genre-typical drum beat.

    Parameters
    ----------
    genre : str
        ``trap``, ``hip-hop`` (``boom-bap``), ``edm`` (``house``), ``pop``, ``rock``, ``jazz``,
        ``lo-fi``, ``ambient``, ``reggae`` (``one-drop``), ``latin`` (``bossa``); see
        :func:`dawglib.producer.grooves.genre_names`.
    bpm : float or None
        Tempo, 60-200 BPM; default the genre's usual tempo.
    bars : int
        4, 8, 16 or 32 bars of 4/4.
    complexity : str
        ``simple``, ``medium`` or ``complex``: density, syncopation, ghost notes, fill length.
    seed : int or None
        Seed of the random choices; the same seed gives the same beat (``None``: a fresh seed,
        stored in :attr:`Beat.seed`).
    swing : float or None
        Swing ratio in [0.5, 0.75] (or percent 50-75); default the genre's (0.62 boom-bap, 0.66
        jazz eighths, 0.5 house/trap).
    humanize : bool
        Add timing (≈4-5 ms standard deviation) and velocity variation.

    Returns
    -------
    Beat

    Raises
    ------
    ParameterError
        Unknown genre (the message lists the known ones), bpm outside 60-200, bars not in
        4/8/16/32, unknown complexity, swing out of range, bad seed.

    Examples
    --------
    >>> beat = generate_beat(genre="boom-bap", bpm=90, bars=8, seed=7)
    >>> beat.genre, len(beat.notes) > 100
    ('hip-hop', True)
    >>> 0.58 <= beat.metrics().swing_ratio <= 0.66
    True
    """
    groove = get_groove(genre)
    bpm_v = float(groove.bpm_default) if bpm is None else valid_bpm(bpm)
    bars = valid_bars(bars)
    complexity = valid_complexity(complexity)
    swing_v = groove.swing if swing is None else _valid_swing(swing)
    seed_v = _seed(seed)
    rng = np.random.default_rng(seed_v)
    fills, crashes = _plan(bars)
    hits = drum_grid(groove, bars=bars, complexity=complexity, rng=rng, fills=fills, crashes=crashes)
    notes = perform(
        hits,
        bpm=bpm_v,
        swing=swing_v,
        unit_beats=groove.swing_unit_beats,
        humanize=bool(humanize),
        timing_ms=groove.timing_ms,
        velocity_sd=groove.velocity_sd,
        rng=rng,
    )
    return Beat(
        genre=groove.name,
        bpm=bpm_v,
        bars=bars,
        complexity=complexity,
        seed=seed_v,
        swing=swing_v,
        swing_unit_beats=groove.swing_unit_beats,
        humanize=bool(humanize),
        kit=groove.kit,
        notes=tuple(notes),
        fill_bars=tuple(sorted(fills)),
    )
