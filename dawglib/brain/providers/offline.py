"""The offline provider: answers only what it can answer exactly, and says plainly when it cannot.

It runs on this machine, costs nothing and needs no key. It is the only provider when no API key is
set and the last route of every chain otherwise. Its answerers are plain functions
``question -> str | None`` (None: not mine); the default set is the exact music-theory Q&A of
:mod:`dawglib.brain.theory_qa`. :func:`dawglib.brain.answerers.default_answerers` (what ``dawg ask``
and the coach app use) adds beat requests, the user's takes and retrieval over the shipped music
knowledge base (:mod:`dawglib.brain.kb`: quoted passages with their source, nothing below the
calibrated similarity threshold). Anything else gets :data:`NEEDS_KEY` — never invented text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from ..base import Completion, Message, StreamPiece, ToolSpec, Usage

__all__ = ["OfflineProvider", "NEEDS_KEY"]

#: The honest answer to anything the offline provider cannot do exactly.
NEEDS_KEY = (
    "I can't answer that offline: it needs a language model, and no API key is set. "
    "Set OPENAI_API_KEY, ANTHROPIC_API_KEY or GEMINI_API_KEY (or add keys to ~/.config/dawg/brain.toml) "
    "and ask again. Offline I answer exact music-theory questions, e.g. 'spell C major 7', "
    "'relative minor of E flat major', 'roman numeral of A minor in C major', 'transpose C E G up 2 semitones', "
    "and questions my music knowledge base covers (harmony, rhythm, song form, singing technique, mixing), "
    "e.g. 'what is a tritone substitution?'."
)

Answerer = Callable[[str], "str | None"]


def _default_answerers() -> list[Answerer]:
    from ..theory_qa import answer

    return [answer]


class OfflineProvider:
    """Exact answers without a network; :data:`NEEDS_KEY` otherwise.

    Parameters
    ----------
    answerers : sequence of callable, optional
        ``question -> answer or None``, tried in order; default: the music-theory Q&A.

    Examples
    --------
    >>> p = OfflineProvider()
    >>> p.complete([Message("user", "spell the chord D major")], model="offline-exact").text
    'D major: D F# A'
    >>> p.complete([Message("user", "write me a poem")], model="offline-exact").answered
    False
    """

    name = "offline"

    def __init__(self, *, answerers: Sequence[Answerer] | None = None) -> None:
        self.answerers = list(answerers) if answerers is not None else _default_answerers()

    def __repr__(self) -> str:
        return f"OfflineProvider(answerers={len(self.answerers)})"

    def answer(self, question: str) -> str | None:
        """The exact answer, or None when no answerer knows."""
        for f in self.answerers:
            out = f(question)
            if out is not None:
                return out
        return None

    def complete(
        self,
        messages: Sequence[Message],
        *,
        model: str = "offline-exact",
        system: str | None = None,
        max_tokens: int = 512,
        temperature: float | None = None,
        tools: Sequence[ToolSpec] | None = None,
    ) -> Completion:
        """Answer the last user message exactly, or say that it needs an API key (tools are not used)."""
        question = messages[-1].content if messages else ""
        out = self.answer(question)
        if out is None:
            return Completion(text=NEEDS_KEY, model=model, usage=Usage(0, 0), answered=False)
        return Completion(text=out, model=model, usage=Usage(0, 0), answered=True)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str = "offline-exact",
        system: str | None = None,
        max_tokens: int = 512,
        temperature: float | None = None,
    ) -> Iterator[StreamPiece]:
        """The same answer as one text piece, then zero usage."""
        c = self.complete(messages, model=model)
        yield StreamPiece(text=c.text)
        yield StreamPiece(usage=Usage(0, 0), model=model)
