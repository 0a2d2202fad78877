"""Personas as data: who the brain is depends on who is asking.

A :class:`Persona` is a record (name, display name, system prompt, tone, allowed tools, audiences).
The table :data:`PERSONAS` holds the two the product ships: **JARVIS**, "your AI business operator",
for ops users, and the **music assistant**, "your AI music assistant", for musicians. Callers are
mapped to a persona by their role (:func:`persona_for`); a user file (TOML) may add or replace
personas (:func:`load_personas`).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..exceptions import ParameterError

__all__ = ["Persona", "PERSONAS", "ROLE_TO_PERSONA", "get_persona", "persona_for", "load_personas"]


@dataclass(frozen=True)
class Persona:
    """One identity of the brain.

    Attributes
    ----------
    name : str
        Key (``'jarvis'``, ``'musician'``).
    display_name : str
        How it introduces itself.
    system_prompt : str
        Sent as the system prompt of every call made for it.
    tone : str
    allowed_tools : tuple of str
        Names of the tools it may call.
    audiences : tuple of str
        Caller roles it serves.
    """

    name: str
    display_name: str
    system_prompt: str
    tone: str
    allowed_tools: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()

    def allows(self, tool: str) -> bool:
        """Whether this persona may call a tool."""
        return tool in self.allowed_tools


#: The shipped personas (data, not code paths).
PERSONAS: dict[str, Persona] = {
    "jarvis": Persona(
        name="jarvis",
        display_name="JARVIS, your AI business operator",
        system_prompt=(
            "You are JARVIS, the AI business operator of the AI DAWG platform. You talk to the operations "
            "team. Be concise and factual: uptime, latency, error rates, LLM spend, budgets, incidents. "
            "Quote numbers with their units and time window, say when data is missing, and never invent "
            "figures. Propose one concrete next action when something is wrong."
        ),
        tone="concise, factual, calm",
        allowed_tools=("query_uptime", "query_costs", "query_errors", "list_alerts"),
        audiences=("ops", "operator", "admin", "engineer"),
    ),
    "musician": Persona(
        name="musician",
        display_name="your AI music assistant",
        system_prompt=(
            "You are the AI music assistant of AI DAWG, talking to a musician. Be warm, encouraging and "
            "precise about music: name notes, keys, chords and intervals exactly, give tempo in BPM and "
            "pitch deviations in cents. When you are not sure, say so; never invent a measurement."
        ),
        tone="warm, encouraging, precise",
        allowed_tools=("generate_beat", "analyse_take", "music_theory", "hz_to_note", "last_take_score"),
        audiences=("musician", "singer", "producer", "student", "coach"),
    ),
}

#: caller role -> persona name
ROLE_TO_PERSONA: dict[str, str] = {role: p.name for p in PERSONAS.values() for role in p.audiences}


def get_persona(persona: Persona | str | None, *, personas: Mapping[str, Persona] | None = None) -> Persona:
    """A persona by name (or the object itself); None gives the music assistant.

    Examples
    --------
    >>> get_persona("jarvis").display_name
    'JARVIS, your AI business operator'
    """
    if isinstance(persona, Persona):
        return persona
    table = PERSONAS if personas is None else personas
    name = "musician" if persona is None else str(persona).lower()
    if name not in table:
        raise ParameterError(f"unknown persona {persona!r}; expected one of {sorted(table)}")
    return table[name]


def persona_for(role: str, *, personas: Mapping[str, Persona] | None = None) -> Persona:
    """The persona that answers a caller with this role (identity depends on the caller).

    Examples
    --------
    >>> persona_for("ops").name, persona_for("singer").name
    ('jarvis', 'musician')
    """
    table = PERSONAS if personas is None else personas
    role = str(role).lower()
    for p in table.values():
        if role in p.audiences:
            return p
    roles = sorted({r for p in table.values() for r in p.audiences})
    raise ParameterError(f"unknown caller role {role!r}; expected one of {roles}")


def load_personas(path: str | os.PathLike[str]) -> dict[str, Persona]:
    """The shipped personas updated with those of a TOML file (``[persona.NAME]`` tables).

    Example file::

        [persona.jarvis]
        display_name = "JARVIS"
        system_prompt = "..."
        tone = "dry"
        allowed_tools = ["query_uptime"]
        audiences = ["ops"]
    """
    p = Path(path)
    try:
        data: dict[str, Any] = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ParameterError(f"cannot read personas from {p}: {exc}") from None
    out = dict(PERSONAS)
    for name, d in data.get("persona", {}).items():
        base = out.get(name)
        fields: dict[str, Any] = {
            "name": name,
            "display_name": d.get("display_name", base.display_name if base else name),
            "system_prompt": d.get("system_prompt", base.system_prompt if base else ""),
            "tone": d.get("tone", base.tone if base else ""),
            "allowed_tools": tuple(d.get("allowed_tools", base.allowed_tools if base else ())),
            "audiences": tuple(d.get("audiences", base.audiences if base else ())),
        }
        if not fields["system_prompt"]:
            raise ParameterError(f"persona {name!r} in {p} has no system_prompt")
        out[name] = Persona(**fields)
    return out
