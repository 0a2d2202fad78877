"""Tools the brain can call through the providers' tool calling (function calling).

A :class:`Tool` is a name, a description, a JSON schema of its arguments and a Python function. The
router sends the *specs* of the tools the persona allows (``Persona.allowed_tools``), runs the calls
the model asks for, sends the results back and repeats until the model answers in text — each call
going through the same retry / fallback / cost / ledger path as any other.

dawglib never imports the ops package (JARVIS analytics): the ops tools are declared here as specs
(:data:`OPS_TOOL_SPECS`) and the app binds them to its functions with :func:`bind_tools`.

Examples
--------
>>> tools = music_tools()
>>> sorted(t.name for t in tools)
['hz_to_note', 'music_theory']
>>> tools[0].run({"question": "spell G major"}).result
'G major: G B D'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import ParameterError
from .base import ToolCall, ToolResult, ToolSpec

__all__ = ["Tool", "music_tools", "bind_tools", "OPS_TOOL_SPECS", "run_tool_calls"]


@dataclass(frozen=True)
class Tool:
    """A callable tool.

    Attributes
    ----------
    name, description : str
    parameters : dict
        JSON schema (``{"type": "object", "properties": {...}, "required": [...]}``).
    function : callable
        Called with the arguments as keywords; its result must be JSON-serialisable (or str()-able).
    """

    name: str
    description: str
    parameters: Mapping[str, Any]
    function: Callable[..., Any] = field(repr=False)

    @property
    def spec(self) -> ToolSpec:
        """What the provider sees."""
        return ToolSpec(self.name, self.description, self.parameters)

    def run(self, arguments: Mapping[str, Any], *, call_id: str = "") -> ToolResult:
        """Run with the model's arguments; errors become ``ok=False`` results (never raised)."""
        call = ToolCall(call_id or self.name, self.name, dict(arguments))
        try:
            return ToolResult(call, True, self.function(**dict(arguments)))
        except Exception as exc:  # noqa: BLE001 - the model gets the error text, the app keeps running
            return ToolResult(call, False, None, f"{type(exc).__name__}: {exc}"[:300])


def result_text(r: ToolResult) -> str:
    """The JSON text sent back to the model."""
    payload = {"result": r.result} if r.ok else {"error": r.error}
    return json.dumps(payload, default=str, ensure_ascii=False)


def run_tool_calls(
    calls: Sequence[ToolCall], tools: Sequence[Tool], *, allowed: Callable[[str], bool]
) -> list[ToolResult]:
    """Run the calls a model asked for; unknown or not-allowed tools give an error result, never a call."""
    by_name = {t.name: t for t in tools}
    out = []
    for c in calls:
        tool = by_name.get(c.name)
        if tool is None or not allowed(c.name):
            out.append(ToolResult(c, False, None, f"tool {c.name!r} is not available to this persona"))
            continue
        r = tool.run(c.arguments, call_id=c.id)
        out.append(ToolResult(c, r.ok, r.result, r.error))
    return out


def _music_theory(question: str) -> str:
    from .theory_qa import answer

    out = answer(question)
    return out if out is not None else "not an exact theory question this tool knows"


def _hz_to_note(frequency_hz: float) -> str:
    from ..convert import hz_to_note_name

    return str(hz_to_note_name(float(frequency_hz)))


def music_tools() -> list[Tool]:
    """Dawglib tools for the music assistant: exact theory answers and Hz -> note name."""
    return [
        Tool(
            "music_theory",
            "Exact music theory: chord spelling, scales, relative keys, key signatures, roman numerals, "
            "transposition, intervals, note lengths at a tempo. Pass the question in English.",
            {"type": "object", "properties": {"question": {"type": "string"}}, "required": ["question"]},
            _music_theory,
        ),
        Tool(
            "hz_to_note",
            "The note name (scientific pitch, A4 = 440 Hz) nearest to a frequency in Hz.",
            {"type": "object", "properties": {"frequency_hz": {"type": "number"}}, "required": ["frequency_hz"]},
            _hz_to_note,
        ),
    ]


#: Ops tools for JARVIS, declared here and bound by the app to the JARVIS analytics functions.
OPS_TOOL_SPECS: dict[str, ToolSpec] = {
    "query_uptime": ToolSpec(
        "query_uptime",
        "Uptime percentage and p95 latency of a service over the last hours.",
        {
            "type": "object",
            "properties": {"service": {"type": "string"}, "window_h": {"type": "integer"}},
            "required": ["service"],
        },
    ),  # fmt: skip
    "query_costs": ToolSpec(
        "query_costs",
        "LLM spend in USD over the last days, grouped by provider, model or user.",
        {
            "type": "object",
            "properties": {
                "days": {"type": "integer"},
                "group_by": {"type": "string", "enum": ["provider", "model", "user"]},
            },
        },
    ),  # fmt: skip
    "query_errors": ToolSpec(
        "query_errors",
        "Error rate and the most frequent errors of a service over the last hours.",
        {"type": "object", "properties": {"service": {"type": "string"}, "window_h": {"type": "integer"}}},
    ),
    "list_alerts": ToolSpec("list_alerts", "Alerts that are firing now.", {"type": "object", "properties": {}}),
}


def bind_tools(
    functions: Mapping[str, Callable[..., Any]], *, specs: Mapping[str, ToolSpec] = OPS_TOOL_SPECS
) -> list[Tool]:
    """Tools from specs and the app's functions (``{"query_uptime": store_uptime_fn, ...}``)."""
    out = []
    for name, fn in functions.items():
        if name not in specs:
            raise ParameterError(f"no tool spec named {name!r}; expected one of {sorted(specs)}")
        s = specs[name]
        out.append(Tool(s.name, s.description, s.parameters, fn))
    return out
