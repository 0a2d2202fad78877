"""Provider adapters: OpenAI, Anthropic, Gemini (each SDK imported lazily) and the offline provider."""

from __future__ import annotations

from typing import Any

__all__ = ["OpenAIProvider", "AnthropicProvider", "GeminiProvider", "OfflineProvider", "PROVIDER_CLASSES"]

#: provider name -> "module:Class" (loaded on demand so that no SDK is imported with the package)
PROVIDER_CLASSES = {
    "openai": "dawglib.brain.providers.openai_:OpenAIProvider",
    "anthropic": "dawglib.brain.providers.anthropic_:AnthropicProvider",
    "gemini": "dawglib.brain.providers.gemini:GeminiProvider",
    "offline": "dawglib.brain.providers.offline:OfflineProvider",
}
_BY_CLASS = {v.split(":")[1]: v for v in PROVIDER_CLASSES.values()}


def __getattr__(name: str) -> Any:
    if name in _BY_CLASS:
        import importlib

        mod, cls = _BY_CLASS[name].split(":")
        return getattr(importlib.import_module(mod), cls)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
