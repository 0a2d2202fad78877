"""A natural-language front end that needs no API key: ``"trap beat at 140 bpm, 8 bars, complex"``.

:func:`parse_request` finds the genre (names and aliases), tempo, bars, complexity, key, swing,
seed and song structure with regular expressions; anything it does not find stays ``None`` so the
caller's defaults (or explicit flags) apply.

Examples
--------
>>> r = parse_request("trap beat at 140 bpm, 8 bars, complex, in F minor")
>>> r.genre, r.bpm, r.bars, r.complexity, r.key
('trap', 140.0, 8, 'complex', 'F minor')
>>> parse_request("a chill lofi groove, 16 bars, swing 58%").swing
0.58
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from ..exceptions import ParameterError
from .grooves import GENRE_ALIASES, GROOVES

__all__ = ["BeatRequest", "parse_request"]

_COMPLEXITY_WORDS = {
    "simple": ("simple", "basic", "minimal", "easy", "sparse", "stripped"),
    "medium": ("medium", "moderate", "normal", "standard", "regular"),
    "complex": ("complex", "busy", "intricate", "advanced", "hard", "dense", "crazy", "complicated"),
}
_SCALE_WORDS = (
    r"major pentatonic|minor pentatonic|harmonic minor|melodic minor|pentatonic|blues|"
    r"major|minor|maj|min|dorian|phrygian|lydian|mixolydian|locrian|aeolian|ionian|m"
)
_KEY_RE = re.compile(
    rf"\b(?:in|key(?:\s+of)?)\s+([A-Ga-g](?:#|b|♯|♭|-flat|-sharp| flat| sharp)?)\s*({_SCALE_WORDS})?\b"
)
_KEY_BARE_RE = re.compile(rf"\b([A-G](?:#|b|♯|♭)?)\s*({_SCALE_WORDS})\b")
_SECTION_WORDS = ("intro", "verse", "pre-chorus", "chorus", "hook", "bridge", "breakdown", "drop", "solo", "outro")


@dataclass(frozen=True)
class BeatRequest:
    """What a sentence asked for; ``None`` where it said nothing."""

    genre: str | None = None
    bpm: float | None = None
    bars: int | None = None
    complexity: str | None = None
    key: str | None = None
    swing: float | None = None
    seed: int | None = None
    structure: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (``None`` where not given)."""
        return asdict(self)


def _find_genre(text: str) -> str | None:
    low = " " + re.sub(r"[_/,.;:!?]", " ", text.lower()) + " "
    best: tuple[int, int, str] | None = None
    for alias, name in GENRE_ALIASES.items():
        for variant in {alias, alias.replace("-", " "), alias.replace("-", "")}:
            m = re.search(rf"(?<![a-z0-9]){re.escape(variant)}(?![a-z0-9])", low)
            if m:
                cand = (m.start(), -len(variant), name)
                if best is None or cand < best:
                    best = cand
    return None if best is None else best[2]


def parse_request(text: str, *, require_genre: bool = True) -> BeatRequest:
    """Parse a free-text request for a beat or a song.

    Parameters
    ----------
    text : str
        E.g. ``"boom bap at 92 bpm, 16 bars, busy, swing 60%"`` or
        ``"pop song in A minor at 100 bpm: intro verse chorus verse chorus outro"``.
    require_genre : bool
        Raise when no genre is named.

    Returns
    -------
    BeatRequest

    Raises
    ------
    ParameterError
        If no genre is recognised (the message lists the known genres), or a number is out of
        range for what it names.
    """
    if not isinstance(text, str) or not text.strip():
        raise ParameterError(f"expected a request such as 'trap beat at 140 bpm, 8 bars', given {text!r}")
    low = text.lower()
    genre = _find_genre(text)
    if genre is None and require_genre:
        raise ParameterError(
            f"no genre found in {text!r}; known genres: {', '.join(GROOVES)} "
            "(aliases such as boom-bap, house, lofi, one-drop, bossa also work)"
        )
    bpm = None
    m = re.search(r"(\d{2,3}(?:\.\d+)?)\s*(?:bpm|beats per minute)\b", low) or re.search(
        r"\b(?:at|tempo|@)\s*(\d{2,3}(?:\.\d+)?)\b(?!\s*(?:bars?|%))", low
    )
    if m:
        bpm = float(m.group(1))
    elif re.search(r"\b(slow|laid[- ]back)\b", low) and genre:
        bpm = float(max(60, GROOVES[genre].bpm_typical[0]))
    elif re.search(r"\b(fast|uptempo|up-tempo)\b", low) and genre:
        bpm = float(min(200, GROOVES[genre].bpm_typical[1]))
    bars = None
    m = re.search(r"(\d+)\s*(?:-\s*)?bars?\b", low)
    if m:
        bars = int(m.group(1))
    complexity = None
    for level, words in _COMPLEXITY_WORDS.items():
        if re.search(r"\b(" + "|".join(words) + r")\b", low):
            complexity = level
            break
    key = None
    m = _KEY_RE.search(text) or _KEY_BARE_RE.search(text)
    if m:
        tonic = m.group(1)
        tonic = tonic[0].upper() + tonic[1:].replace("-flat", "b").replace(" flat", "b")
        tonic = tonic.replace("-sharp", "#").replace(" sharp", "#")
        scale = (m.group(2) or "major").strip()
        key = f"{tonic} {'minor' if scale == 'm' else scale}"
    swing = None
    m = re.search(r"swing(?:ing)?\s*(?:of\s*)?(\d+(?:\.\d+)?)\s*(%)?", low)
    if m:
        v = float(m.group(1))
        swing = v / 100.0 if (m.group(2) or v > 1) else v
    elif re.search(r"\bstraight\b", low):
        swing = 0.5
    elif re.search(r"\b(swung|swingy|shuffle)\b", low):
        swing = 0.62
    seed = None
    m = re.search(r"\bseed\s*(\d+)\b", low)
    if m:
        seed = int(m.group(1))
    structure = None
    found = re.findall(r"\b(" + "|".join(re.escape(w) for w in _SECTION_WORDS) + r")\b", low)
    if len(found) >= 2:
        structure = tuple(found)
    return BeatRequest(genre, bpm, bars, complexity, key, swing, seed, structure)
