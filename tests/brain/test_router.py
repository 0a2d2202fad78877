"""The router against the real SDKs and the loopback fakes: retries, fallback, cooldowns, budgets, ledger."""

from __future__ import annotations

import random
import warnings

import pytest

from dawglib.brain import (
    AllProvidersFailedError,
    BrainWarning,
    Budget,
    BudgetExceededError,
    CooldownPolicy,
    PriceBook,
    RetryPolicy,
    Route,
    Router,
    StreamInterruptedError,
)
from dawglib.brain.fakes import Fault
from dawglib.brain.providers.offline import NEEDS_KEY, OfflineProvider
from dawglib.events import ListSink

from .conftest import MODELS

ROUTES = {
    "standard": ["openai/gpt-4o-mini", "anthropic/claude-haiku-4-5", "gemini/gemini-2.5-flash"],
    "cheap": ["gemini/gemini-2.5-flash", "openai/gpt-4o-mini", "openai/gpt-4o-mini", "anthropic/claude-haiku-4-5"],
}
EVENT_FIELDS = {
    "ts",
    "provider",
    "model",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "latency_ms",
    "ok",
    "user_id",
    "persona",
    "feature",
}


@pytest.fixture
def sink():
    return ListSink()


@pytest.fixture
def make_router(providers, clock, sink):
    def make(**kw):
        kw.setdefault("routes", ROUTES)
        kw.setdefault("retry", RetryPolicy(max_attempts=3, base_delay_s=0.5, max_delay_s=8.0, jitter=0.5))
        return Router(providers, sink=sink, clock=clock, sleep=clock.sleep, rng=random.Random(7), **kw)

    return make


def calls(servers):
    return {k: s.n_calls for k, s in servers.items()}


def test_first_route_answers_and_is_tracked(make_router, servers, sink):
    r = make_router().complete("spell C major", persona="jarvis", user_id="u1", feature="chat")
    assert (r.provider, r.model) == ("openai", "gpt-4o-mini")
    assert r.text.startswith("Hello from the fake openai")
    assert calls(servers) == {"openai": 1, "anthropic": 0, "gemini": 0}
    # JARVIS persona's system prompt went to the server
    assert "JARVIS" in servers["openai"].requests[0].body["messages"][0]["content"]
    ev = sink.of_type("llm_call")
    assert len(ev) == 1 and set(ev[0]) == EVENT_FIELDS
    assert ev[0]["ok"] is True and ev[0]["persona"] == "jarvis" and ev[0]["user_id"] == "u1"
    assert ev[0]["feature"] == "chat"
    assert ev[0]["cost_usd"] == pytest.approx(r.cost_usd) and r.cost_usd > 0
    # cost = usage x genai-prices for gpt-4o-mini (0.15 / 0.60 USD per million tokens)
    expected = (r.usage.tokens_in * 0.15 + r.usage.tokens_out * 0.60) / 1e6
    assert r.cost_usd == pytest.approx(expected, rel=1e-9)
    assert r.to_dict()["provider"] == "openai"


def test_429_retry_after_is_honoured_then_success(make_router, servers, clock, sink):
    servers["openai"].script(Fault("rate_limit", retry_after_s=2))
    r = make_router().complete("hello")
    assert r.provider == "openai"
    assert calls(servers)["openai"] == 2
    assert len(clock.sleeps) == 1 and clock.sleeps[0] >= 2.0
    assert [a.outcome for a in r.attempts] == ["rate_limit", "ok"]
    assert r.attempts[0].retry_after_s == 2.0 and r.attempts[0].wait_s == clock.sleeps[0]
    assert [e["ok"] for e in sink.of_type("llm_call")] == [False, True]


def test_5xx_retried_with_backoff_then_fallback(make_router, servers, clock):
    servers["openai"].script("server_error", "server_error", "server_error")
    router = make_router()
    r = router.complete("hello")
    assert r.provider == "anthropic"
    assert calls(servers) == {"openai": 3, "anthropic": 1, "gemini": 0}
    # exponential backoff with jitter: k-th wait in [base*2^k*(1-jitter), base*2^k]
    assert len(clock.sleeps) == 2
    for k, s in enumerate(clock.sleeps):
        assert 0.5 * 2**k * 0.5 <= s <= 0.5 * 2**k
    assert [a.outcome for a in r.attempts] == ["server", "server", "server", "ok"]
    st = {s.provider: s for s in router.cooldown_state()}
    assert st["openai"].active and st["openai"].last_error == "server" and st["openai"].consecutive_failures == 1


def test_overload_529_and_timeout_are_retried(make_router, servers):
    servers["openai"].script("auth")
    servers["anthropic"].script("overloaded", Fault("timeout", delay_s=1.5))
    r = make_router().complete("hello")
    assert r.provider == "anthropic"
    assert [a.outcome for a in r.attempts] == ["auth", "overloaded", "timeout", "ok"]
    assert r.attempts[1].status_code == 529


@pytest.mark.parametrize("fault", ["auth", "bad_request", "malformed"])
def test_no_retry_on_auth_bad_request_malformed(fault, make_router, servers, clock):
    servers["openai"].script(fault)
    router = make_router()
    r = router.complete("hello")
    assert calls(servers) == {"openai": 1, "anthropic": 1, "gemini": 0}
    assert clock.sleeps == []
    assert r.provider == "anthropic"
    st = {s.provider: s for s in router.cooldown_state()}
    assert st["openai"].active == (fault != "bad_request")
    if fault == "auth":
        assert st["openai"].remaining_s == pytest.approx(3600.0)


def test_chain_never_loops_and_all_failures_are_in_the_ledger(make_router, servers, sink):
    for s in servers.values():
        s.script(*["server_error"] * 10)
    router = make_router()
    with pytest.raises(AllProvidersFailedError) as ei:
        router.complete("hello")
    assert calls(servers) == {"openai": 3, "anthropic": 3, "gemini": 3}
    assert len(ei.value.attempts) == 9 and len(sink.of_type("llm_call")) == 9
    assert all(not e["ok"] and e["cost_usd"] == 0.0 for e in sink.of_type("llm_call"))
    assert len(router.ledger) == 9


def test_duplicate_routes_are_walked_once(make_router, servers):
    for s in servers.values():
        s.script(*["auth"] * 3)
    router = make_router()
    assert router.chain("cheap") == [
        Route("gemini", "gemini-2.5-flash"),
        Route("openai", "gpt-4o-mini"),
        Route("anthropic", "claude-haiku-4-5"),
    ]
    with pytest.raises(AllProvidersFailedError):
        router.complete("hello", tier="cheap")
    assert calls(servers) == {"openai": 1, "anthropic": 1, "gemini": 1}


def test_total_attempt_cap(make_router, servers):
    for s in servers.values():
        s.script(*["server_error"] * 10)
    router = make_router(retry=RetryPolicy(max_attempts=3, max_total_attempts=4, base_delay_s=0.01))
    with pytest.raises(AllProvidersFailedError):
        router.complete("hello")
    assert sum(calls(servers).values()) == 4


def test_long_retry_after_falls_back_and_cools_down(make_router, servers, clock):
    servers["openai"].script(Fault("rate_limit", retry_after_s=120))
    router = make_router()
    r = router.complete("hello")
    assert r.provider == "anthropic" and clock.sleeps == []
    st = {s.provider: s for s in router.cooldown_state()}
    assert st["openai"].remaining_s == pytest.approx(120.0)


def test_cooldown_skips_and_extends_on_repeated_failure(make_router, servers, clock, sink):
    router = make_router(cooldown=CooldownPolicy(base_s=10.0, factor=2.0, max_s=600.0))
    servers["openai"].script(*["server_error"] * 3)
    router.complete("one")
    first = {s.provider: s for s in router.cooldown_state()}["openai"]
    assert first.cooldown_s == 10.0 and first.consecutive_failures == 1
    # while cooling down: skipped, zero calls to openai, the skip is in the ledger but is not an llm_call
    n_events = len(sink.of_type("llm_call"))
    r2 = router.complete("two")
    assert calls(servers)["openai"] == 3 and r2.provider == "anthropic"
    assert r2.attempts[0].outcome == "cooldown" and not r2.attempts[0].called
    assert len(sink.of_type("llm_call")) == n_events + 1
    # after the cooldown it is tried again; failing again doubles the cooldown
    clock.advance(11.0)
    servers["openai"].script(*["server_error"] * 3)
    router.complete("three")
    second = {s.provider: s for s in router.cooldown_state()}["openai"]
    assert second.consecutive_failures == 2 and second.cooldown_s == 20.0 and second.active
    assert router.cooldown_frame().set_index("provider").loc["openai", "cooldown_s"] == 20.0
    # a success resets it
    clock.advance(21.0)
    router.complete("four")
    again = {s.provider: s for s in router.cooldown_state()}["openai"]
    assert not again.active and again.consecutive_failures == 0


def test_budget_stop_makes_zero_server_calls(make_router, servers):
    router = make_router(budget=Budget(per_user_day_usd=1e-3, per_day_usd=1.0))
    r = router.complete("hello", user_id="alice")
    day = r.attempts[-1].ts.date()
    assert router.budget.spent_usd(day=day, user_id="alice") == pytest.approx(r.cost_usd)
    router.budget.add_spent(1e-3 - r.cost_usd, day=day, user_id="alice")  # e.g. seeded from the JARVIS store
    before = calls(servers)
    with pytest.raises(BudgetExceededError) as ei:
        router.complete("hello again", user_id="alice")
    assert calls(servers) == before
    assert ei.value.scope == "user_day" and "no call was made" in str(ei.value)
    with pytest.raises(BudgetExceededError):
        router.stream("hello again", user_id="alice")
    assert calls(servers) == before
    router.complete("hello", user_id="bob")  # another user still has budget
    assert calls(servers)["openai"] == before["openai"] + 1


def test_budget_per_day_and_soft_warning(make_router, servers):
    router = make_router(budget=Budget(per_day_usd=1e-4, soft_fraction=0.2))
    router.complete("hello", user_id="a")
    with pytest.warns(BrainWarning, match="budget warning"):
        r = router.complete("hello", user_id="b")
    assert any("budget warning" in w for w in r.warnings)
    router.budget.add_spent(1.0, day=r.attempts[-1].ts.date(), user_id="c")
    with pytest.raises(BudgetExceededError) as ei:
        router.complete("hello", user_id="d")
    assert ei.value.scope == "day"


def test_prefer_cost_and_quality(make_router):
    router = make_router(
        routes={"standard": ["openai/gpt-4o", "anthropic/claude-haiku-4-5", "gemini/gemini-2.5-flash-lite"]}
    )
    assert [r.model for r in router.chain("standard", prefer="cost")] == [
        "gemini-2.5-flash-lite",
        "anthropic/claude-haiku-4-5".split("/")[1],
        "gpt-4o",
    ]
    assert [r.model for r in router.chain("standard", prefer="quality")][0] == "gpt-4o"
    table = router.routing_table()
    assert set(table.columns) >= {"tier", "provider", "model", "input_per_mtok_usd", "output_per_mtok_usd"}


def test_unknown_model_costs_none_with_warning(make_router, servers, sink):
    router = make_router(routes={"standard": ["openai/fake-model-x"]})
    with pytest.warns(BrainWarning, match="no price for openai/fake-model-x"):
        r = router.complete("hello")
    assert r.cost_usd is None and r.total_cost_usd is None
    assert sink.of_type("llm_call")[-1]["cost_usd"] is None


def test_price_override_is_used(make_router, servers):
    from dawglib.brain import Price

    book = PriceBook(overrides={"openai/fake-model-x": Price(input_per_mtok_usd=1.0, output_per_mtok_usd=2.0)})
    r = make_router(routes={"standard": ["openai/fake-model-x"]}, pricebook=book).complete("hello")
    assert r.cost_usd == pytest.approx((r.usage.tokens_in * 1.0 + r.usage.tokens_out * 2.0) / 1e6)


@pytest.mark.parametrize("proto", ["openai", "anthropic", "gemini"])
def test_streamed_cost_equals_non_streamed(proto, make_router, servers, sink):
    router = make_router(routes={"standard": [f"{proto}/{MODELS[proto]}"]})
    full = router.complete("what is a fifth", persona="musician")
    s = router.stream("what is a fifth", persona="musician")
    text = "".join(s)
    assert text == full.text == s.response.text
    assert s.response.usage == full.usage
    assert s.response.cost_usd == full.cost_usd and full.cost_usd is not None and full.cost_usd > 0
    assert s.response.streamed and s.response.attempts[-1].streamed
    ev = sink.of_type("llm_call")
    assert [e["cost_usd"] for e in ev] == [full.cost_usd, full.cost_usd]


def test_stream_falls_back_before_first_token(make_router, servers, clock):
    servers["openai"].script("server_error", "server_error", "server_error")
    s = make_router().stream("hello")
    text = "".join(s)
    assert s.response.provider == "anthropic" and "anthropic" in text
    assert [a.outcome for a in s.response.attempts] == ["server", "server", "server", "ok"]
    assert len(clock.sleeps) == 2


def test_stream_never_falls_back_after_first_token(make_router, servers, sink):
    servers["openai"].script("cut_stream")
    s = make_router().stream("hello")
    got = []
    with pytest.raises(StreamInterruptedError) as ei:
        for d in s:
            got.append(d)
    assert got == ["Hello "] and ei.value.partial_text == "Hello "
    assert calls(servers) == {"openai": 1, "anthropic": 0, "gemini": 0}
    assert [a.outcome for a in ei.value.attempts] == ["connection"]
    assert sink.of_type("llm_call")[-1]["ok"] is False


def test_no_keys_means_offline_and_an_honest_answer(sink):
    router = Router({}, offline=OfflineProvider(), sink=sink)
    r = router.complete("write me a love song about Tuesday")
    assert r.provider == "offline" and r.text == NEEDS_KEY and not r.answered
    assert r.cost_usd == 0.0
    assert sink.of_type("llm_call")[0]["provider"] == "offline"


def test_offline_does_not_pretend_after_provider_failures(providers, servers, clock):
    for s in servers.values():
        s.script(*["auth"] * 3)
    router = Router(providers, offline=OfflineProvider(), routes=ROUTES, clock=clock, sleep=clock.sleep)
    with pytest.raises(AllProvidersFailedError) as ei:
        router.complete("write me a love song")
    assert ei.value.attempts[-1].outcome == "unanswered"


def test_no_provider_at_all_is_an_error():
    with pytest.raises(AllProvidersFailedError, match="no API key"):
        Router({}).complete("hello")


def test_warnings_do_not_escape_as_errors(make_router, servers):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make_router().complete("hello")


def test_offline_answers_exact_questions_when_providers_fail(providers, servers, clock, sink):
    for s in servers.values():
        s.script(*["auth"] * 3)
    router = Router(providers, offline=OfflineProvider(), routes=ROUTES, clock=clock, sleep=clock.sleep, sink=sink)
    r = router.complete("spell the chord D major")
    assert (r.provider, r.text, r.cost_usd) == ("offline", "D major: D F# A", 0.0)
    assert [a.outcome for a in r.attempts] == ["auth", "auth", "auth", "ok"]
    assert len(sink.of_type("llm_call")) == 4
