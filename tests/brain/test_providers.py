"""Each SDK provider against its loopback fake: text, streaming with usage, every failure kind."""

from __future__ import annotations

import pytest

from dawglib.brain.base import Message, ProviderError, Usage
from dawglib.brain.fakes import Fault

from .conftest import MODELS, PROTOCOLS

MSGS = [Message("user", "what notes are in a C major chord")]


@pytest.mark.parametrize("proto", PROTOCOLS)
def test_complete_text_and_usage(proto, providers, servers):
    c = providers[proto].complete(MSGS, model=MODELS[proto], system="be brief", max_tokens=64)
    assert c.text == f"Hello from the fake {proto} server ({MODELS[proto]})."
    assert c.usage == Usage(tokens_in=2 + 8, tokens_out=7)  # system 2 words + question 8 words
    assert servers[proto].n_calls == 1
    assert servers[proto].requests[0].had_key


@pytest.mark.parametrize("proto", PROTOCOLS)
def test_stream_text_then_usage(proto, providers, servers):
    pieces = list(providers[proto].stream(MSGS, model=MODELS[proto], system="be brief", max_tokens=64))
    text = "".join(p.text for p in pieces)
    assert text == f"Hello from the fake {proto} server ({MODELS[proto]})."
    assert len([p for p in pieces if p.text]) == 7
    assert pieces[-1].usage == Usage(tokens_in=10, tokens_out=7)
    assert servers[proto].requests[0].stream


@pytest.mark.parametrize("proto", PROTOCOLS)
@pytest.mark.parametrize(
    ("fault", "kind", "status"),
    [
        (Fault("rate_limit", retry_after_s=3), "rate_limit", 429),
        (Fault("server_error"), "server", 500),
        (Fault("overloaded"), "overloaded", None),
        (Fault("auth"), "auth", 401),
        (Fault("bad_request"), "bad_request", 400),
        (Fault("malformed"), "malformed", None),
        (Fault("timeout", delay_s=1.5), "timeout", None),
    ],
)
def test_failures_map_to_kinds(proto, fault, kind, status, providers, servers):
    servers[proto].script(fault)
    with pytest.raises(ProviderError) as ei:
        providers[proto].complete(MSGS, model=MODELS[proto])
    e = ei.value
    assert e.kind == kind
    assert e.provider == proto
    if status is not None:
        assert e.status_code == status
    if fault.kind == "overloaded":
        assert e.status_code == (529 if proto == "anthropic" else 503)
    if fault.kind == "rate_limit":
        assert e.retry_after_s == 3.0
    assert e.retryable == (kind in {"rate_limit", "server", "overloaded", "timeout"})
    assert servers[proto].n_calls == 1  # SDK retries are off
    assert "test-key" not in str(e)


@pytest.mark.parametrize("proto", PROTOCOLS)
@pytest.mark.parametrize(
    ("fault", "kind"), [("rate_limit", "rate_limit"), ("malformed", "malformed"), ("cut_stream", "connection")]
)
def test_stream_failures(proto, fault, kind, providers, servers):
    servers[proto].script(fault)
    with pytest.raises(ProviderError) as ei:
        list(providers[proto].stream(MSGS, model=MODELS[proto]))
    assert ei.value.kind == kind
    assert servers[proto].n_calls == 1


def test_connection_refused_is_connection_kind():
    import socket

    from dawglib.brain.factory import make_provider

    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for name, url in [
        ("openai", f"http://127.0.0.1:{port}/v1"),
        ("anthropic", f"http://127.0.0.1:{port}"),
        ("gemini", f"http://127.0.0.1:{port}/"),
    ]:
        p = make_provider(name, api_key="k", base_url=url, timeout_s=0.5)
        with pytest.raises(ProviderError) as ei:
            p.complete(MSGS, model="m")
        assert ei.value.kind == "connection", (name, ei.value)


def test_guard_blocks_the_real_endpoints(loopback_only):
    """With no base_url the SDKs aim at the real APIs: the guard stops them, the provider reports it."""
    from dawglib.brain.factory import make_provider

    p = make_provider("openai", api_key="k", timeout_s=0.5)
    with pytest.raises(ProviderError) as ei:
        p.complete(MSGS, model="gpt-4o-mini")
    assert ei.value.kind == "connection"
    assert loopback_only == ["api.openai.com"]
    loopback_only.clear()


def test_provider_repr_hides_key():
    from dawglib.brain.factory import make_provider

    for name in PROTOCOLS:
        p = make_provider(name, api_key="sk-very-secret", base_url="http://127.0.0.1:1/")
        assert "secret" not in repr(p) and "secret" not in str(vars(p))
