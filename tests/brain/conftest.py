"""Fixtures of the brain tests: loopback-only network, no user keys, fake servers, a fake clock."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator

import pytest

from dawglib.brain.fakes import FakeLLMServer

MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5", "gemini": "gemini-2.5-flash"}
PROTOCOLS = tuple(MODELS)


class NonLoopbackError(OSError):
    """Raised by the guard for any connection or DNS look-up that is not loopback."""


def _is_loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        return False
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Forbid any non-loopback connection (and DNS look-up); fail the test if one was tried.

    A test that tries one on purpose clears the yielded list after checking it.
    """
    blocked: list[str] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(sock: socket.socket, address: object) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0] if isinstance(address, tuple) else address
            if not _is_loopback(host):
                blocked.append(str(host))
                raise NonLoopbackError(f"non-loopback connection to {host!r} blocked by the test guard")

    def connect(self: socket.socket, address: object) -> None:
        check(self, address)
        return real_connect(self, address)  # type: ignore[arg-type]

    def connect_ex(self: socket.socket, address: object) -> int:
        check(self, address)
        return real_connect_ex(self, address)  # type: ignore[arg-type]

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
        if host is not None and not _is_loopback(host):
            blocked.append(str(host))
            raise NonLoopbackError(f"DNS look-up of {host!r} blocked by the test guard")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield blocked
    assert not blocked, f"the test tried non-loopback connections: {blocked}"


@pytest.fixture(autouse=True)
def no_user_keys(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never see the developer's keys or config file."""
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DAWG_BRAIN_CONFIG", str(tmp_path_factory.getbasetemp() / "no-such-brain.toml"))


@pytest.fixture(scope="session")
def _servers() -> Iterator[dict[str, FakeLLMServer]]:
    servers = {p: FakeLLMServer(p).start() for p in PROTOCOLS}
    yield servers
    for s in servers.values():
        s.stop()


@pytest.fixture
def servers(_servers: dict[str, FakeLLMServer]) -> Iterator[dict[str, FakeLLMServer]]:
    """The three fake servers, with empty scripts and request logs."""
    for s in _servers.values():
        s.reset()
    yield _servers
    for s in _servers.values():
        s.reset()


class FakeClock:
    """Monotonic clock + sleep: sleeping advances time instantly and is recorded."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.t += s

    def advance(self, s: float) -> None:
        self.t += s


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_providers(servers: dict[str, FakeLLMServer], *, timeout_s: float = 0.5) -> dict:
    from dawglib.brain.factory import make_provider

    return {
        name: make_provider(name, api_key=f"test-key-{name}", base_url=srv.base_url, timeout_s=timeout_s)
        for name, srv in servers.items()
    }


@pytest.fixture(scope="session")
def _providers(_servers: dict[str, FakeLLMServer]) -> dict:
    return make_providers(_servers)


@pytest.fixture
def providers(_providers: dict, servers: dict[str, FakeLLMServer]) -> dict:
    """SDK providers pointed at the fake servers (0.5 s timeout, SDK retries off)."""
    return _providers


@pytest.fixture(scope="module")
def kb(kb_index):
    """The shipped knowledge base; the index is built once per session (the root conftest's ``kb_index``)."""
    from dawglib.brain.kb import KnowledgeBase

    with KnowledgeBase(kb_index) as k:
        k.ensure_index()
        yield k
