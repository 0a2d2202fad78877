"""The brain: OpenAI, Anthropic and Gemini behind one router, with an honest offline mode.

Importing :mod:`dawglib.brain` is cheap: no SDK is imported until a provider makes its first call,
and the price table and the embedding model load on first use.

Quick start
-----------
>>> from dawglib.brain import build_router
>>> router = build_router()          # keys from the environment / ~/.config/dawg/brain.toml
>>> r = router.complete("spell the chord E minor", persona="musician")  # doctest: +SKIP
>>> r.text, r.provider, r.cost_usd  # doctest: +SKIP
('E minor: E G B', 'offline', 0.0)

Main names: :class:`Router` (tiers, fallback, retries, cooldowns, budgets, ledger),
:func:`build_router`, :class:`PriceBook`, :class:`Budget`, :class:`Memory`, :data:`PERSONAS`,
:class:`BrainResponse`, the providers (:class:`OpenAIProvider`, :class:`AnthropicProvider`,
:class:`GeminiProvider`, :class:`OfflineProvider`) and the loopback fakes in :mod:`dawglib.brain.fakes`.
"""

from __future__ import annotations

import importlib
from typing import Any

from .base import (
    AllProvidersFailedError,
    Attempt,
    BrainError,
    BrainResponse,
    BrainWarning,
    BudgetExceededError,
    Completion,
    Message,
    Provider,
    ProviderError,
    StreamInterruptedError,
    StreamPiece,
    Usage,
)
from .budget import Budget, BudgetTracker
from .keys import Secret, load_api_keys
from .personas import PERSONAS, Persona, get_persona, persona_for
from .pricing import Price, PriceBook
from .router import DEFAULT_ROUTES, BrainStream, CooldownPolicy, RetryPolicy, Route, Router

_LAZY = {
    "OpenAIProvider": "dawglib.brain.providers.openai_",
    "AnthropicProvider": "dawglib.brain.providers.anthropic_",
    "GeminiProvider": "dawglib.brain.providers.gemini",
    "OfflineProvider": "dawglib.brain.providers.offline",
    "Memory": "dawglib.brain.memory",
    "MiniLMEmbedder": "dawglib.brain.embed",
    "KnowledgeBase": "dawglib.brain.kb",
    "FakeLLMServer": "dawglib.brain.fakes",
    "build_router": "dawglib.brain.factory",
    "ask": "dawglib.brain.factory",
    "converse": "dawglib.brain.factory",
}

__all__ = [
    "AllProvidersFailedError",
    "Attempt",
    "BrainError",
    "BrainResponse",
    "BrainStream",
    "BrainWarning",
    "Budget",
    "BudgetExceededError",
    "BudgetTracker",
    "Completion",
    "CooldownPolicy",
    "DEFAULT_ROUTES",
    "Message",
    "PERSONAS",
    "Persona",
    "Price",
    "PriceBook",
    "Provider",
    "ProviderError",
    "RetryPolicy",
    "Route",
    "Router",
    "Secret",
    "StreamInterruptedError",
    "StreamPiece",
    "Usage",
    "get_persona",
    "load_api_keys",
    "persona_for",
    *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'dawglib.brain' has no attribute {name!r}")
