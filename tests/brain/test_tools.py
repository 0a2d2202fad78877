"""Tool calling through each provider's wire protocol, with persona rules and fallback mid-conversation."""

from __future__ import annotations

import json
import random

import pytest

from dawglib.brain import Router
from dawglib.brain.base import BrainError
from dawglib.brain.fakes import Fault
from dawglib.brain.tools import OPS_TOOL_SPECS, bind_tools, music_tools
from dawglib.events import ListSink

from .conftest import MODELS

ASK = Fault("tool_call", tool="music_theory", args={"question": "spell G major"})


def _router(providers, clock, chain, sink=None):
    return Router(providers, routes={"standard": chain}, clock=clock, sleep=clock.sleep, rng=random.Random(1),
                  sink=sink or ListSink())  # fmt: skip


@pytest.mark.parametrize("proto", ["openai", "anthropic", "gemini"])
def test_tool_round_trip(proto, providers, servers, clock):
    sink = ListSink()
    router = _router(providers, clock, [f"{proto}/{MODELS[proto]}"], sink)
    servers[proto].script(ASK)
    r = router.complete("what notes are in G major?", persona="musician", tools=music_tools())
    assert "G major: G B D" in r.text
    assert [t.call.name for t in r.tool_results] == ["music_theory"] and r.tool_results[0].ok
    assert r.tool_results[0].result == "G major: G B D"
    reqs = servers[proto].requests
    assert len(reqs) == 2
    first = json.dumps(reqs[0].body)
    assert "music_theory" in first and "hz_to_note" in first  # the tool specs went out
    # two successful calls: both in the ledger and the events, cost is their sum
    assert [a.outcome for a in r.attempts] == ["ok", "ok"]
    assert len(sink.of_type("llm_call")) == 2
    assert r.cost_usd == pytest.approx(sum(a.cost_usd for a in r.attempts))
    assert r.usage.tokens_in == sum(a.tokens_in for a in r.attempts)


def test_persona_decides_which_tools_exist(providers, servers, clock):
    router = _router(providers, clock, ["openai/gpt-4o-mini"])
    calls = []
    ops = bind_tools({"query_costs": lambda days=1, group_by="provider": calls.append(days) or {"openai": 1.25}})
    # JARVIS gets ops tools, not music tools
    router.complete("spend?", persona="jarvis", tools=[*music_tools(), *ops])
    sent = [t["function"]["name"] for t in servers["openai"].requests[0].body["tools"]]
    assert sent == ["query_costs"]
    # a model asking for a tool its persona does not have gets an error result; nothing runs
    servers["openai"].script(ASK)
    r = router.complete("spend?", persona="jarvis", tools=[*music_tools(), *ops])
    assert not r.tool_results[0].ok and "not available" in r.tool_results[0].error
    # the allowed one runs
    servers["openai"].script(Fault("tool_call", tool="query_costs", args={"days": 7}))
    r = router.complete("spend this week?", persona="jarvis", tools=ops)
    assert calls == [7] and r.tool_results[0].result == {"openai": 1.25}
    assert '"openai": 1.25' in r.text


@pytest.mark.parametrize("second", ["anthropic", "gemini"])
def test_fallback_after_a_tool_round_hands_over_the_conversation(second, providers, servers, clock):
    router = _router(providers, clock, ["openai/gpt-4o-mini", f"{second}/{MODELS[second]}"])
    servers["openai"].script(ASK, "server_error", "server_error", "server_error")
    r = router.complete("what notes are in G major?", tools=music_tools())
    assert r.provider == second and "G major: G B D" in r.text
    assert [a.outcome for a in r.attempts] == ["ok", "server", "server", "server", "ok"]
    assert servers[second].n_calls == 1


def test_tool_errors_go_back_to_the_model(providers, servers, clock):
    router = _router(providers, clock, ["anthropic/claude-haiku-4-5"])
    servers["anthropic"].script(Fault("tool_call", tool="hz_to_note", args={"frequency_hz": "not a number"}))
    r = router.complete("which note is this?", tools=music_tools())
    assert not r.tool_results[0].ok and "ValueError" in r.tool_results[0].error
    assert "error" in r.text


def test_tool_rounds_are_bounded(providers, servers, clock):
    router = _router(providers, clock, ["openai/gpt-4o-mini"])
    servers["openai"].script(*[ASK] * 5)
    with pytest.raises(BrainError, match="after 2 rounds"):
        router.complete("loop", tools=music_tools(), max_tool_rounds=2)
    assert servers["openai"].n_calls == 3


def test_specs_and_binding():
    assert set(OPS_TOOL_SPECS) == {"query_uptime", "query_costs", "query_errors", "list_alerts"}
    with pytest.raises(ValueError, match="no tool spec"):
        bind_tools({"reboot_everything": lambda: None})
    assert music_tools()[1].run({"frequency_hz": 440.0}).result == "A4"
