"""Offline answerers beyond exact music theory: beat requests, the user's own takes, the knowledge base.

Each factory returns a function ``question -> answer or None`` for
:class:`~dawglib.brain.providers.offline.OfflineProvider` (None: not mine). They only do what they can
do honestly: the producer makes the beat that was asked for; the coach store is read for the
singer's real scores; the knowledge base quotes the shipped article that matches the question, with
its source, or says nothing below its similarity threshold. Anything they cannot do is left to the
next answerer (and finally to the honest "needs an API key" answer).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .kb import KnowledgeBase

__all__ = ["beat_answerer", "takes_answerer", "knowledge_base_answerer", "default_answerers"]

Answerer = Callable[[str], "str | None"]

_MAKE = re.compile(r"\b(make|generate|create|give|produce|build|write|compose|program)\b", re.I)
_WHAT = re.compile(r"\b(beat|groove|drums?|song|track|arrangement)\b", re.I)
# "am I improving" is about the takes; "how do I improve my vibrato" is a knowledge question
_TAKE_Q = re.compile(r"\b(take|takes|score|scores|scored|progress\w*|improving|improved|improvement)\b", re.I)
# requests to create something are not knowledge questions (the knowledge base would only quote an article)
_CREATE = re.compile(
    r"^\W*(?:(?:please|hey|ok|now)\W+)*(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?)?"
    r"(?:write|compose|draft|rewrite|generate|create|invent|make\s+(?:me|up|a|an|some)|sing\s+me|"
    r"give\s+me\s+(?:a|an|some)\s+(?:poem|song|lyric|lyrics|story|joke|verse|chorus|hook|melody))\b",
    re.I,
)


def beat_answerer(out_dir: str | os.PathLike[str] = Path("data") / "generated") -> Answerer:
    """Answer "make a trap beat at 140 bpm, 8 bars, complex" by generating it (MIDI written to ``out_dir``).

    Examples
    --------
    >>> import tempfile
    >>> answer = beat_answerer(tempfile.mkdtemp())
    >>> answer("make me a boom-bap beat at 92 bpm, 4 bars").split(",")[0]
    'Made a beat: hip-hop'
    >>> answer("what is a beat?") is None
    True
    """
    out = Path(out_dir)

    def answer(question: str) -> str | None:
        if not (_MAKE.search(question) and _WHAT.search(question)):
            return None
        from ..exceptions import DawglibError
        from ..producer import arrange_song, generate_beat
        from ..producer.nl import parse_request

        try:
            req = parse_request(question, require_genre=True)
        except DawglibError:
            return None
        if req.genre is None:
            return None
        seed = 0 if req.seed is None else req.seed
        out.mkdir(parents=True, exist_ok=True)
        is_song = bool(re.search(r"\b(song|track|arrangement)\b", question, re.I))
        try:
            if is_song:
                song = arrange_song(
                    genre=req.genre,
                    key=req.key or "C major",
                    bpm=req.bpm,
                    seed=seed,
                    complexity=req.complexity or "medium",
                )
                path = out / f"song_{req.genre}_{seed}.mid"
                song.to_midi(path)
                sections = ", ".join(s.name for s in song.sections)
                return (
                    f"Made a song: {req.genre} in {req.key or 'C major'}, {sections} (seed {seed}). MIDI: {path}. "
                    f'Render it with `dawg song "{question.strip()}" --wav song.wav`.'
                )
            beat = generate_beat(
                genre=req.genre,
                bpm=req.bpm,
                bars=req.bars or 8,
                complexity=req.complexity or "medium",
                seed=seed,
                swing=req.swing,
            )
            path = out / f"beat_{req.genre}_{seed}.mid"
            beat.to_midi(path)
            m = beat.metrics()
        except DawglibError as exc:
            return f"I could not make that beat: {exc}"
        swing = f"swing ratio {m.swing_ratio:.2f}" if m.swing_ratio == m.swing_ratio else "no swing"
        return (
            f"Made a beat: {req.genre}, {beat.bpm:g} BPM, {beat.bars} bars, {beat.complexity} (seed {seed}). "
            f"MIDI: {path}. Groove: syncopation {m.syncopation_per_bar:.1f} per bar, {swing}, "
            f"timing spread {m.timing_spread_ms:.1f} ms. "
            f'Render it with `dawg beat "{question.strip()}" --wav beat.wav`.'
        )

    return answer


def takes_answerer(store_path: str | os.PathLike[str], *, singer: str) -> Answerer:
    """Answer "what did my last take score?" / "how am I progressing?" from the coach store.

    Parameters
    ----------
    store_path : path
        The coach store (:class:`dawglib.takes.CoachStore`); a missing file means no takes.
    singer : str
        Whose takes "my" refers to (the caller's user id).
    """
    path = Path(store_path)

    def answer(question: str) -> str | None:
        if not (_TAKE_Q.search(question) and re.search(r"\b(my|i|me|last|latest)\b", question, re.I)):
            return None
        if not path.exists():
            return f'I have no takes for {singer} yet: analyse one with `dawg analyze FILE --save "{singer}"`.'
        from ..exceptions import DawglibError
        from ..takes import CoachStore

        try:
            with CoachStore(path) as store:
                prog = store.progress(singer)
                last_report = store.report(int(prog.iloc[-1]["take_id"])) if len(prog) else None
        except DawglibError as exc:
            return f"I could not read the coach store right now ({exc}); try again in a moment."
        if last_report is None:
            return f'I have no takes for {singer} yet: analyse one with `dawg analyze FILE --save "{singer}"`.'
        last = prog.iloc[-1]
        s = last_report["scores"]
        text = (
            f"{singer}'s last take ({last['name']}) scored {s['overall']:.0f} overall — pitch {s['pitch']:.0f}, "
            f"rhythm {s['rhythm']:.0f}, consistency {s['consistency']:.0f}, confidence {s['confidence']:.0f}."
        )
        warnings = [f["message"] for f in last_report["feedback"] if f["severity"] == "warning"]
        if warnings:
            text += f" Top thing to work on: {warnings[0]}"
        if len(prog) >= 2:
            first = prog.iloc[0]
            text += (
                f" Over {len(prog)} takes the overall score went from {first['overall']:.0f} to {last['overall']:.0f} "
                f"(best {prog['overall'].max():.0f})."
            )
        return text

    return answer


def knowledge_base_answerer(kb: KnowledgeBase | None = None) -> Answerer:
    """Answer questions the shipped music knowledge base covers, quoting the article and naming its source.

    Requests to create something ("write me a chorus", "compose a melody") are left alone, and a
    question whose best passage scores below the knowledge base's threshold gets None (so the offline
    provider says plainly that it needs an API key). The index is opened on the first question.

    Parameters
    ----------
    kb : KnowledgeBase, optional
        Default: :func:`dawglib.brain.kb.default_knowledge_base` (the shipped articles, cached index).

    Examples
    --------
    >>> answer = knowledge_base_answerer()
    >>> answer("write me a chorus about rain") is None  # a request, not a question: no index needed
    True
    >>> answer("what is a tritone substitution?").split(":")[0]  # doctest: +SKIP
    'From the knowledge base, "Tritone substitution" (source'
    """
    from .kb import knowledge_answerer

    inner = knowledge_answerer(kb)

    def answer(question: str) -> str | None:
        if not isinstance(question, str) or not question.strip() or _CREATE.search(question):
            return None
        return inner(question)

    return answer


def default_answerers(
    *,
    singer: str | None = None,
    coach_db: str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    knowledge: bool | KnowledgeBase = True,
) -> list[Answerer]:
    """The offline provider's answerers, in priority order.

    Exact music theory first, then beat requests, then (with a singer) their takes, then (unless
    ``knowledge`` is False) retrieval over the shipped knowledge base.

    Parameters
    ----------
    singer : str, optional
        Whose takes "my" refers to.
    coach_db : path, optional
        The coach store (default ``data/coach.duckdb``).
    out_dir : path, optional
        Where beat requests write MIDI (default ``data/generated``).
    knowledge : bool or KnowledgeBase
        True: the default knowledge base; a :class:`~dawglib.brain.kb.KnowledgeBase`: that one; False: none.
    """
    from .theory_qa import answer as theory

    out: list[Answerer] = [theory, beat_answerer(out_dir or Path("data") / "generated")]
    if singer:
        out.append(takes_answerer(coach_db or Path("data") / "coach.duckdb", singer=singer))
    if knowledge is not False:
        out.append(knowledge_base_answerer(None if knowledge is True else knowledge))
    return out
