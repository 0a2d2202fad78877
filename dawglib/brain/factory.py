"""Build a router from the keys that are set; the one-call ``ask`` used by the CLI."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..events import EventSink
from .base import BrainResponse, Provider
from .budget import Budget, BudgetTracker
from .keys import Secret, load_api_keys, load_base_urls
from .pricing import PriceBook
from .router import Router

__all__ = ["build_router", "ask", "make_provider", "converse"]


def make_provider(
    name: str, *, api_key: Secret | str, base_url: str | None = None, timeout_s: float = 30.0
) -> Provider:
    """One SDK provider by name (``'openai'``, ``'anthropic'``, ``'gemini'``); the SDK loads on first call."""
    from .providers import PROVIDER_CLASSES

    if name not in PROVIDER_CLASSES or name == "offline":
        from ..exceptions import ParameterError

        raise ParameterError(f"unknown provider {name!r}; expected one of openai, anthropic, gemini")
    import importlib

    mod, cls = PROVIDER_CLASSES[name].split(":")
    provider: Provider = getattr(importlib.import_module(mod), cls)(
        api_key=api_key, base_url=base_url, timeout_s=timeout_s
    )
    return provider


def build_router(
    *,
    keys: Mapping[str, Secret | str] | None = None,
    base_urls: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    config_path: str | os.PathLike[str] | None = None,
    offline: bool = True,
    timeout_s: float = 30.0,
    answerers: Any = None,
    **router_kwargs: Any,
) -> Router:
    """A :class:`Router` over every provider that has a key, plus the offline provider.

    Parameters
    ----------
    keys : mapping, optional
        ``provider -> key``; default: :func:`~dawglib.brain.keys.load_api_keys` (environment, then config file).
    base_urls : mapping, optional
        ``provider -> base_url`` (proxies, gateways, the loopback fakes); default: the config file's.
    env, config_path
        Passed to the key loader.
    offline : bool
        Add the offline provider (the only one when no key is set).
    answerers : sequence of callable, optional
        The offline provider's exact answerers (default: music theory only; see
        :func:`dawglib.brain.answerers.default_answerers` for beats and the user's takes).
    timeout_s : float
        Per-request timeout of every SDK provider.
    **router_kwargs
        Passed to :class:`Router` (``sink``, ``budget``, ``retry``, ``routes``, ``pricebook``...).

    Examples
    --------
    >>> r = build_router(keys={}, base_urls={})
    >>> r.chain("standard")
    [Route(provider='offline', model='offline-exact')]
    """
    if keys is None:
        keys = load_api_keys(env=env, config_path=config_path)
    if base_urls is None:
        base_urls = load_base_urls(env=env, config_path=config_path)
    providers = {
        name: make_provider(name, api_key=key, base_url=base_urls.get(name), timeout_s=timeout_s)
        for name, key in keys.items()
    }
    off = None
    if offline:
        from .providers.offline import OfflineProvider

        off = OfflineProvider(answerers=answerers)
    return Router(providers, offline=off, **router_kwargs)


def ask(
    question: str,
    *,
    persona: str = "musician",
    user_id: str = "cli",
    tier: str = "standard",
    prefer: str | None = None,
    sink: EventSink | None = None,
    budget: Budget | BudgetTracker | None = None,
    pricebook: PriceBook | None = None,
    router: Router | None = None,
) -> BrainResponse:
    """Ask one question through a router built from the environment (what ``dawg ask`` runs)."""
    router = router or build_router(sink=sink, budget=budget, pricebook=pricebook)
    return router.complete(question, persona=persona, user_id=user_id, tier=tier, prefer=prefer, feature="ask")


def converse(
    router: Router,
    memory: Any,
    conversation_id: str,
    text: str,
    *,
    persona: str = "musician",
    user_id: str = "anonymous",
    tier: str = "standard",
    last_n: int = 20,
    recall_k: int = 3,
    feature: str = "chat",
) -> BrainResponse:
    """One turn of a remembered conversation.

    Loads the conversation's last ``last_n`` turns from ``memory`` (a :class:`~dawglib.brain.memory.Memory`),
    adds the user's most relevant remembered facts to the system prompt, asks the router, and stores
    the user's turn and the answer.

    Examples
    --------
    >>> from dawglib.brain.memory import Memory
    >>> with Memory(":memory:") as mem:  # doctest: +SKIP
    ...     converse(build_router(), mem, "c1", "spell G major", user_id="ana").text
    'G major: G B D'
    """
    history = memory.history(conversation_id, last_n=last_n)
    n_facts = int(memory.facts().shape[0]) if recall_k else 0
    context = memory.context_for(text, k=recall_k, user_id=user_id) if n_facts else ""
    r = router.complete(
        text, persona=persona, user_id=user_id, tier=tier, feature=feature, system=context or None, history=history
    )
    memory.add_turn(conversation_id, "user", text, user_id=user_id, persona=persona)
    memory.add_turn(
        conversation_id, "assistant", r.text, user_id=user_id, persona=persona, provider=r.provider, model=r.model
    )
    return r
