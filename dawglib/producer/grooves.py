"""Genre grooves as data: drum patterns per complexity, swing, tempo range, kit, fill style.

A pattern is a 16-character string per 4/4 bar, one character per sixteenth note (step 0 is beat 1,
step 4 beat 2, step 8 beat 3, step 12 beat 4):

=====  ==========================================================
char   meaning
=====  ==========================================================
``.``  rest
``X``  accent (velocity about 115)
``x``  normal hit (about 98)
``o``  medium hit (about 78)
``g``  ghost note (about 42)
``r``  roll: two thirty-second notes in the step (trap hi-hat rolls)
``R``  fast roll: three notes in the step (sixteenth-note-triplet-of-32nds ratchet)
=====  ==========================================================

Each instrument has a list of variants; the generator picks one per bar (seeded), so bars vary
while staying in the style. Instruments map to General MIDI drum notes (:data:`DRUM_NOTES`).

Examples
--------
>>> get_groove("boom-bap").name, get_groove("house").name
('hip-hop', 'edm')
>>> get_groove("trap").half_time
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..exceptions import ParameterError

__all__ = [
    "DRUM_NOTES",
    "BACKBEAT_PARTS",
    "COMPLEXITIES",
    "CLAVES",
    "Groove",
    "GROOVES",
    "GENRE_ALIASES",
    "get_groove",
    "genre_names",
    "resolve_genre",
]

#: Drum instrument -> General MIDI percussion note (channel 10).
DRUM_NOTES: dict[str, int] = {
    "kick": 36,
    "snare": 38,
    "rim": 37,
    "clap": 39,
    "hat": 42,
    "pedal": 44,
    "open": 46,
    "crash": 49,
    "ride": 51,
    "bell": 53,
    "tamb": 54,
    "cowbell": 56,
    "tom_hi": 50,
    "tom_mid": 47,
    "tom_lo": 43,
    "conga_hi": 62,
    "conga_open": 63,
    "conga_lo": 64,
    "timbale": 65,
    "shaker": 70,
    "claves": 75,
}

#: Parts that carry the backbeat (counted as "snare" by the metrics).
BACKBEAT_PARTS = ("snare", "clap", "rim")

COMPLEXITIES = ("simple", "medium", "complex")

#: Clave patterns on 16 steps (the two-bar clave written in one 4/4 bar of sixteenths).
CLAVES: dict[str, str] = {
    "son 3-2": "x..x..x...x.x...",
    "son 2-3": "..x.x...x..x..x.",
    "rumba 3-2": "x..x...x..x.x...",
    "bossa": "x..x..x...x..x..",
}

STEP_VELOCITY = {"X": 115, "x": 98, "o": 78, "g": 38, "r": 88, "R": 84}


@dataclass(frozen=True)
class Groove:
    """A genre's groove definition.

    Attributes
    ----------
    name : str
        Canonical genre name.
    aliases : tuple of str
        Other names accepted for it.
    bpm_default : int
        Tempo used when none is asked for.
    bpm_typical : tuple of int
        The genre's usual tempo range (informative; any 60-200 BPM is accepted).
    half_time : bool
        Snare on beat 3 (trap, one-drop) instead of 2 and 4.
    swing : float
        Default swing ratio (0.5 straight; the first sixteenth's share of an eighth, or the first
        eighth's share of a beat when ``swing_unit_beats`` is 0.5).
    swing_unit_beats : float
        0.25 (sixteenth swing) or 0.5 (eighth swing, jazz).
    kit : int
        General MIDI drum kit program (0 standard, 8 room, 16 power, 24 electronic, 25 TR-808,
        32 jazz, 40 brush).
    fill : str
        Fill style: ``toms``, ``snare_roll``, ``trap``, ``chops``, ``jazz``, ``swell``.
    timing_ms : float
        Standard deviation of the humanised timing (ms).
    velocity_sd : float
        Standard deviation of the humanised velocity.
    patterns : dict
        complexity -> instrument -> list of 16-step pattern variants.
    """

    name: str
    aliases: tuple[str, ...]
    bpm_default: int
    bpm_typical: tuple[int, int]
    half_time: bool
    swing: float
    swing_unit_beats: float
    kit: int
    fill: str
    patterns: dict[str, dict[str, list[str]]]
    timing_ms: float = 4.5
    velocity_sd: float = 5.0
    description: str = ""
    instruments: dict[str, int] = field(default_factory=dict)


GROOVES: dict[str, Groove] = {}


def _add(g: Groove) -> None:
    for cx, parts in g.patterns.items():
        if cx not in COMPLEXITIES:
            raise AssertionError(f"{g.name}: bad complexity {cx}")
        for part, variants in parts.items():
            if part not in DRUM_NOTES:
                raise AssertionError(f"{g.name}: unknown drum part {part}")
            for v in variants:
                if len(v) != 16 or set(v) - set(".XxogrR"):
                    raise AssertionError(f"{g.name}/{cx}/{part}: bad pattern {v!r}")
    GROOVES[g.name] = g


_add(
    Groove(
        name="trap",
        aliases=("808", "drill"),
        bpm_default=140,
        bpm_typical=(130, 170),
        half_time=True,
        swing=0.5,
        swing_unit_beats=0.25,
        kit=25,
        fill="trap",
        description="half-time clap/snare on 3, syncopated 808 kicks, 16th hats with 32nd/triplet rolls",
        patterns={
            "simple": {
                "kick": ["x......x..x.....", "x.....x...x.....", "x......x..x..x.."],
                "clap": ["........X......."],
                "hat": ["x.x.x.x.x.x.x.x.", "x.x.x.x.x.x.x.xr"],
            },
            "medium": {
                "kick": ["x..x......x..x..", "x..x...x..x.....", "x......x..x..x.."],
                "clap": ["........X......."],
                "hat": ["xoxoxoxoxoxrxoxo", "xoxoxoxrxoxoxoRo", "xoxoxrxoxoxoxrxo"],
                "open": ["................", "..............o."],
            },
            "complex": {
                "kick": ["x..x...x..x..x..", "x..x..x...xx...x", "x.x..x.x..x..x.."],
                "clap": ["........X......g", "........X...g..."],
                "hat": ["xoxrxoRoxoxrxoRr", "xrxoxoxRxoxrxoxR", "xoRoxoxrxoRoxrxo"],
                "open": ["......o.......o.", "..............o."],
            },
        },
    )
)

_add(
    Groove(
        name="hip-hop",
        aliases=("boom-bap", "boombap", "boom bap", "hiphop", "hip hop", "rap"),
        bpm_default=90,
        bpm_typical=(80, 100),
        half_time=False,
        swing=0.62,
        swing_unit_beats=0.25,
        kit=8,
        fill="chops",
        description="boom-bap: kick on 1 and the 'and' of 3, snare on 2 and 4, swung sixteenths (~62 %)",
        patterns={
            "simple": {
                "kick": ["x......x..x.....", "x.x....x..x.....", "x......x.x......"],
                "snare": ["....X.......X..."],
                "hat": ["x.x.x.x.x.x.x.xg", "x.x.x.x.x.x.x.x."],
            },
            "medium": {
                "kick": ["x......x..x.....", "x......x.x......", "x.x....x..x..x.."],
                "snare": ["....X.......X...", "....X.......X..g", "....X..g....X..."],
                "hat": ["xgxgxgxgxgxgxgxg", "xgxgxgxgxgxgxgxo"],
            },
            "complex": {
                "kick": ["x.x....x.x....x.", "x......x..x..x.x", "x..x...x..x..x.."],
                "snare": ["....X..g.g..X..g", ".g..X..g....X.g.", "....X.g.....X..g"],
                "hat": ["xgxgxgxgxgxgxgxg", "xgxgxgxoxgxgxgxg"],
                "open": ["..............o.", "......o........."],
            },
        },
    )
)

_add(
    Groove(
        name="edm",
        aliases=("house", "techno", "dance", "edm/house", "four-on-the-floor", "disco"),
        bpm_default=124,
        bpm_typical=(118, 132),
        half_time=False,
        swing=0.5,
        swing_unit_beats=0.25,
        kit=24,
        fill="snare_roll",
        timing_ms=3.5,
        description="four-on-the-floor kick, clap on 2 and 4, open hats on the off-beats",
        patterns={
            "simple": {
                "kick": ["X...X...X...X..."],
                "clap": ["....X.......X..."],
                "open": ["..x...x...x...x."],
            },
            "medium": {
                "kick": ["X...X...X...X..."],
                "clap": ["....X.......X..."],
                "open": ["..x...x...x...x."],
                "hat": ["x.g.x.g.x.g.x.g.", "xgg.xgg.xgg.xgg."],
            },
            "complex": {
                "kick": ["X...X...X...X..."],
                "clap": ["....X.......X...", "....X.......X..."],
                "open": ["..x...x...x...x."],
                "hat": ["xgxgxgxgxgxgxgxg", "xgxoxgxoxgxoxgxo"],
                "shaker": ["goxogoxogoxogoxo"],
                "tamb": ["....o.......o...", "................"],
            },
        },
    )
)

_add(
    Groove(
        name="pop",
        aliases=("pop-rock", "dance-pop"),
        bpm_default=110,
        bpm_typical=(95, 125),
        half_time=False,
        swing=0.5,
        swing_unit_beats=0.25,
        kit=0,
        fill="toms",
        description="kick on 1 and 3 with pushes, snare/clap on 2 and 4, eighth or sixteenth hats",
        patterns={
            "simple": {
                "kick": ["x.......x.......", "x.......x.x....."],
                "snare": ["....X.......X..."],
                "hat": ["x.o.x.o.x.o.x.o."],
            },
            "medium": {
                "kick": ["x.....x.x.......", "x.......x.x.....", "x.....x.x.x....."],
                "snare": ["....X.......X..."],
                "clap": ["....o.......o...", "................"],
                "hat": ["xgogxgogxgogxgog", "x.o.x.o.x.o.x.og"],
            },
            "complex": {
                "kick": ["x..x..x.x.x.....", "x.....x.x..x..x.", "x.x...x.x.x....."],
                "snare": ["....X..g....X.g.", "....X.......X..g"],
                "clap": ["....o.......o..."],
                "hat": ["xgogxgogxgogxgog"],
                "open": ["......o.......o.", "..............o."],
            },
        },
    )
)

_add(
    Groove(
        name="rock",
        aliases=("hard-rock", "punk", "alt-rock"),
        bpm_default=120,
        bpm_typical=(100, 160),
        half_time=False,
        swing=0.5,
        swing_unit_beats=0.25,
        kit=16,
        fill="toms",
        description="kick on 1 and 3, hard snare on 2 and 4, straight eighth hats accented on the beat",
        patterns={
            "simple": {
                "kick": ["x.......x.......", "x.......xx......"],
                "snare": ["....X.......X..."],
                "hat": ["x.o.x.o.x.o.x.o."],
            },
            "medium": {
                "kick": ["x.......xx......", "x.x.....x.......", "x......xx.x....."],
                "snare": ["....X.......X...", "....X.......X..g"],
                "hat": ["x.o.x.o.x.o.x.o.", "x.x.x.x.x.x.x.x."],
            },
            "complex": {
                "kick": ["x.x....xx.x.....", "x..x..x.x.x..x..", "x.x...xxx.x....."],
                "snare": ["....X..g....X.g.", "....X.......X.gg"],
                "hat": ["xgoxxgoxxgoxxgox", "x.o.x.o.x.o.x.o."],
                "ride": ["................", "x.o.x.o.x.o.x.o."],
                "open": ["..............x.", "......x........."],
            },
        },
    )
)

_add(
    Groove(
        name="jazz",
        aliases=("bebop", "jazz-swing", "swing-jazz"),
        bpm_default=140,
        bpm_typical=(100, 200),
        half_time=False,
        swing=0.66,
        swing_unit_beats=0.5,
        kit=32,
        fill="jazz",
        velocity_sd=6.0,
        description="spang-a-lang ride with swung eighths (~2:1), hi-hat foot on 2 and 4, feathered kick",
        patterns={
            "simple": {
                "ride": ["x...X.o.x...X.o."],
                "pedal": ["....x.......x..."],
                "kick": ["g...g...g...g..."],
            },
            "medium": {
                "ride": ["x...X.o.x...X.o.", "x...X.o.x.o.X.o."],
                "pedal": ["....x.......x..."],
                "kick": ["g...g...g...g...", "g...g...g...g.o."],
                "snare": ["..........g.....", "......g.......g.", "..g.......g....."],
            },
            "complex": {
                "ride": ["x...X.o.x...X.o.", "x.o.X.o.x...X.o.", "x...X.o.x.o.X.o."],
                "pedal": ["....x.......x..."],
                "kick": ["g...g...g.o.g...", "g...g.....o.g...", "g...g...g...g..."],
                "snare": ["..g...g...o...g.", "......o.g.....g.", "..g.......g.o..."],
            },
        },
    )
)

_add(
    Groove(
        name="lo-fi",
        aliases=("lofi", "lo fi", "lofi-hip-hop", "chillhop"),
        bpm_default=80,
        bpm_typical=(70, 90),
        half_time=False,
        swing=0.58,
        swing_unit_beats=0.25,
        kit=8,
        fill="chops",
        timing_ms=5.0,
        velocity_sd=7.0,
        description="laid-back boom-bap: soft swung hats, lazy kick/snare, rim clicks",
        patterns={
            "simple": {
                "kick": ["x......x..x.....", "x.........x....."],
                "snare": ["....o.......o..."],
                "hat": ["o.g.o.g.o.g.o.gg", "o.g.o.g.o.g.o.g."],
            },
            "medium": {
                "kick": ["x......x..x.....", "x.x.......x..g..", "x......x..x...g."],
                "snare": ["....o.......o...", "....o.......o..g"],
                "hat": ["ogggogggogggoggg", "o.ggo.g.o.ggo.g."],
            },
            "complex": {
                "kick": ["x.x....x..x..g..", "x......xx.x.....", "x..g...x..x..x.."],
                "snare": ["....o..g.g..o..g", ".g..o.......o.g."],
                "rim": ["..........g.....", "......g........."],
                "hat": ["ogggogggogggoggg", "oggoogggoggooggg"],
            },
        },
    )
)

_add(
    Groove(
        name="ambient",
        aliases=("downtempo", "ambient-chill", "atmospheric"),
        bpm_default=70,
        bpm_typical=(60, 90),
        half_time=False,
        swing=0.5,
        swing_unit_beats=0.25,
        kit=40,
        fill="swell",
        velocity_sd=4.0,
        description="sparse, soft: a kick on 1, brushed rim on 3, shaker and ride colours",
        patterns={
            "simple": {
                "kick": ["o...............", "o.......o......."],
                "rim": ["........g......."],
            },
            "medium": {
                "kick": ["o...............", "o.......o......."],
                "rim": ["........g......."],
                "shaker": ["g...g...g...g...", "g.g.g.g.g.g.g.g."],
            },
            "complex": {
                "kick": ["o.......o.......", "o.....g.........", "o..............."],
                "rim": ["........g.......", "........g.....g."],
                "shaker": ["g.g.g.g.g.g.g.g.", "g.ggg.g.g.ggg.g."],
                "bell": ["..............g.", "......g........."],
            },
        },
    )
)

_add(
    Groove(
        name="reggae",
        aliases=("one-drop", "one drop", "onedrop", "roots", "dub"),
        bpm_default=76,
        bpm_typical=(65, 85),
        half_time=True,
        swing=0.56,
        swing_unit_beats=0.25,
        kit=0,
        fill="toms",
        description="one-drop: kick and cross-stick together on beat 3, nothing on 1, off-beat hats",
        patterns={
            "simple": {
                "kick": ["........X......."],
                "rim": ["........X......."],
                "hat": ["x.o.x.o.x.o.x.o."],
            },
            "medium": {
                "kick": ["........X......."],
                "rim": ["........X......."],
                "hat": ["x.ogx.ogx.ogx.og", "x.o.x.o.x.o.x.o."],
                "open": ["..............o.", "................"],
            },
            "complex": {
                "kick": ["........X......."],
                "rim": ["........X......g", "........X..g...."],
                "hat": ["x.ogx.ogx.ogx.og", "xgoxxgoxx.ogxgox"],
                "open": ["......o.......o.", "..o............."],
                "tom_hi": ["................", "..............g."],
            },
        },
    )
)

_add(
    Groove(
        name="latin",
        aliases=("bossa", "bossa-nova", "bossa nova", "salsa", "clave", "samba", "afro-cuban"),
        bpm_default=120,
        bpm_typical=(100, 140),
        half_time=False,
        swing=0.5,
        swing_unit_beats=0.25,
        kit=0,
        fill="toms",
        description="bossa/son clave on claves or cross-stick, surdo-like kick on 1 and 3 with pickups",
        patterns={
            "simple": {
                "claves": ["x..x..x...x..x.."],
                "kick": ["x..xx...x..xx...", "x.......x......."],
                "hat": ["x.o.x.o.x.o.x.o."],
            },
            "medium": {
                "claves": ["x..x..x...x..x..", "x..x..x...x.x..."],
                "kick": ["x..xx..xx..xx..x", "x..xx...x..xx..."],
                "shaker": ["xgogxgogxgogxgog"],
                "conga_lo": ["......o.......o."],
            },
            "complex": {
                "claves": ["x..x..x...x.x...", "x..x..x...x..x.."],
                "kick": ["x..xx..xx..xx..x"],
                "shaker": ["xgogxgogxgogxgog"],
                "conga_hi": ["..g.o.....g.o...", "..g.o.g...g.o..g"],
                "conga_lo": ["......o.......oo"],
                "cowbell": ["x...x...x...x...", "x.o.x.o.x.o.x.o."],
            },
        },
    )
)

GENRE_ALIASES: dict[str, str] = {a: g.name for g in GROOVES.values() for a in (g.name, *g.aliases)}


def genre_names() -> list[str]:
    """The canonical genre names, in a stable order."""
    return list(GROOVES)


def resolve_genre(genre: str) -> str:
    """Canonical name of ``genre`` (aliases and case/spacing variants accepted).

    Raises
    ------
    ParameterError
        If the genre is unknown; the message lists the known genres and aliases.
    """
    if not isinstance(genre, str):
        raise ParameterError(f"genre must be a string, given {genre!r}; known genres: {', '.join(GROOVES)}")
    g = genre.strip().lower().replace("_", "-")
    for cand in (g, g.replace(" ", "-"), g.replace("-", " "), g.replace("-", "").replace(" ", "")):
        if cand in GENRE_ALIASES:
            return GENRE_ALIASES[cand]
    aliases = ", ".join(f"{a} -> {n}" for a, n in GENRE_ALIASES.items() if a != n)
    raise ParameterError(f"unknown genre {genre!r}; known genres: {', '.join(GROOVES)} (aliases: {aliases})")


def get_groove(genre: str) -> Groove:
    """The :class:`Groove` of a genre name or alias."""
    return GROOVES[resolve_genre(genre)]
