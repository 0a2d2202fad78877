"""`dawg ask`, keys, personas, prices and budgets (units)."""

from __future__ import annotations

import json
import os
import warnings

import pytest

from dawglib.brain import Budget, BudgetExceededError, BudgetTracker, Price, PriceBook, Secret, Usage
from dawglib.brain.base import BrainWarning, kind_for_status, parse_retry_after
from dawglib.brain.keys import load_api_keys, load_base_urls
from dawglib.brain.personas import PERSONAS, get_persona, load_personas, persona_for
from dawglib.brain.providers.offline import NEEDS_KEY
from dawglib.cli import main
from dawglib.exceptions import ParameterError


def _config(tmp_path, servers, *, keys=True):
    cfg = tmp_path / "brain.toml"
    lines = []
    if keys:
        lines += ["[keys]"] + [f'{n} = "test-key-{n}"' for n in servers]
    lines += ["[base_urls]"] + [f'{n} = "{s.base_url}"' for n, s in servers.items()]
    cfg.write_text("\n".join(lines) + "\n")
    os.chmod(cfg, 0o600)
    return cfg


def test_dawg_ask_json_against_the_fakes(tmp_path, servers, monkeypatch, capsys):
    monkeypatch.setenv("DAWG_BRAIN_CONFIG", str(_config(tmp_path, servers)))
    spool = tmp_path / "spool"
    assert main(["ask", "what is a perfect fifth?", "--json", "--persona", "jarvis", "--spool", str(spool)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["provider"] == "openai" and out["model"] == "gpt-5.4" and out["cost_usd"] > 0
    assert out["text"].startswith("Hello from the fake openai") and out["persona"] == "jarvis"
    assert "test-key" not in json.dumps(out)
    lines = [json.loads(x) for f in spool.glob("*.jsonl") for x in f.read_text().splitlines()]
    assert len(lines) == 1 and lines[0]["type"] == "llm_call" and lines[0]["cost_usd"] == out["cost_usd"]
    assert "JARVIS" in servers["openai"].requests[0].body["messages"][0]["content"]


def test_dawg_ask_stream_and_fallback(tmp_path, servers, monkeypatch, capsys):
    monkeypatch.setenv("DAWG_BRAIN_CONFIG", str(_config(tmp_path, servers)))
    servers["openai"].script("auth")
    assert main(["ask", "hi", "--stream"]) == 0
    cap = capsys.readouterr()
    assert "fake anthropic" in cap.out and "anthropic/claude-sonnet-4-6" in cap.err


def test_dawg_ask_offline_is_honest(tmp_path, servers, monkeypatch, capsys):
    monkeypatch.setenv("DAWG_BRAIN_CONFIG", str(_config(tmp_path, servers, keys=False)))
    assert main(["ask", "write me a chorus about rain", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["provider"] == "offline" and out["text"] == NEEDS_KEY and out["answered"] is False
    assert out["cost_usd"] == 0.0
    assert sum(s.n_calls for s in servers.values()) == 0


def test_dawg_ask_budget_error_is_one_line(tmp_path, servers, monkeypatch, capsys):
    from dawglib.brain import AllProvidersFailedError  # noqa: F401 - the error family the CLI prints

    monkeypatch.setenv("DAWG_BRAIN_CONFIG", str(_config(tmp_path, servers)))
    for s in servers.values():
        s.script(*["auth"] * 3)
    assert main(["ask", "write me a chorus"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dawg ask: error: every route failed") and err.count("\n") == 1


def test_keys_from_env_win_over_file_and_never_show(tmp_path):
    cfg = tmp_path / "k.toml"
    cfg.write_text(
        '[keys]\nopenai = "sk-file"\nanthropic = "sk-ant-file"\n[base_urls]\nopenai = "http://127.0.0.1:1/v1"\n'
    )
    os.chmod(cfg, 0o600)
    keys = load_api_keys(env={"OPENAI_API_KEY": "sk-env", "GOOGLE_API_KEY": "AIza-env"}, config_path=cfg)
    assert {k: v.reveal() for k, v in keys.items()} == {
        "openai": "sk-env",
        "anthropic": "sk-ant-file",
        "gemini": "AIza-env",
    }
    assert "sk-" not in repr(keys) and "sk-" not in str(keys)
    assert load_base_urls(env={}, config_path=cfg) == {"openai": "http://127.0.0.1:1/v1"}
    assert load_api_keys(env={}, config_path=tmp_path / "none.toml") == {}
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(Secret("x"))


def test_world_readable_key_file_warns(tmp_path):
    cfg = tmp_path / "k.toml"
    cfg.write_text('[keys]\nopenai = "sk-file"\n')
    os.chmod(cfg, 0o644)
    with pytest.warns(BrainWarning, match="chmod 600"):
        load_api_keys(env={}, config_path=cfg)


def test_personas_depend_on_the_caller(tmp_path):
    assert persona_for("ops").display_name == "JARVIS, your AI business operator"
    assert persona_for("singer").display_name == "your AI music assistant"
    assert get_persona(None).name == "musician"
    assert PERSONAS["jarvis"].allows("query_costs") and not PERSONAS["jarvis"].allows("generate_beat")
    with pytest.raises(ParameterError):
        persona_for("stranger")
    with pytest.raises(ParameterError):
        get_persona("pirate")
    f = tmp_path / "p.toml"
    f.write_text(
        '[persona.jarvis]\ntone = "dry"\n[persona.tutor]\nsystem_prompt = "You teach."\naudiences = ["pupil"]\n'
    )
    table = load_personas(f)
    assert table["jarvis"].tone == "dry" and table["jarvis"].system_prompt == PERSONAS["jarvis"].system_prompt
    assert persona_for("pupil", personas=table).name == "tutor"


def test_prices_come_from_the_snapshot_and_overrides_win():
    book = PriceBook(overrides={"gpt-4o": {"input_per_mtok_usd": 1.0, "output_per_mtok_usd": 1.0}})
    assert book.cost_usd("openai", "gpt-4o", Usage(1_000_000, 0)) == pytest.approx(1.0)
    assert PriceBook().cost_usd("openai", "gpt-4o", Usage(1000, 500)) == pytest.approx(0.0075)
    assert PriceBook().cost_usd("anthropic", "claude-haiku-4-5", Usage(1000, 1000)) == pytest.approx(0.006)
    assert PriceBook().cost_usd("gemini", "gemini-2.5-flash", Usage(1000, 1000)) == pytest.approx(0.0028)
    assert PriceBook().cost_usd("offline", "offline-exact", Usage(10, 10)) == 0.0
    with pytest.warns(BrainWarning):
        assert PriceBook().cost_usd("openai", "gpt-4o", None) is None
    book2 = PriceBook()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        book2.cost_usd("openai", "no-such-model", Usage(1, 1))
        book2.cost_usd("openai", "no-such-model", Usage(1, 1))
    assert len([x for x in w if issubclass(x.category, BrainWarning)]) == 1  # once per model
    with pytest.raises(ParameterError):
        Price(-1.0, 0.0)


def test_budget_tracker_units():
    import datetime as dt

    d = dt.date(2026, 1, 1)
    t = BudgetTracker(Budget(per_user_day_usd=1.0, per_day_usd=1.5))
    t.add_spent(0.9, day=d, user_id="a")
    t.add_spent(None, day=d, user_id="a")  # unknown cost counts nothing
    assert t.spent_usd(day=d, user_id="a") == pytest.approx(0.9)
    with pytest.raises(BudgetExceededError):
        t.check(day=d, user_id="a", estimate_usd=0.2)
    with pytest.warns(BrainWarning):
        t.check(day=d, user_id="a", estimate_usd=0.0)
    assert t.check(day=dt.date(2026, 1, 2), user_id="a") == []
    with pytest.raises(ParameterError):
        Budget(soft_fraction=0.0)


def test_status_kinds_and_retry_after():
    assert [kind_for_status(s) for s in (429, 529, 503, 500, 401, 403, 400, 404, 408)] == [
        "rate_limit",
        "overloaded",
        "overloaded",
        "server",
        "auth",
        "auth",
        "bad_request",
        "bad_request",
        "timeout",
    ]
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # in the past
    assert parse_retry_after({"retry-after": "soon"}) is None


def test_import_is_light():
    import subprocess
    import sys

    code = (
        "import sys, dawglib, dawglib.brain; "
        "print(sorted(m for m in ('openai','anthropic','google.genai','genai_prices','duckdb','pandas') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
