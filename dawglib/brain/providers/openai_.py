"""OpenAI chat completions through the ``openai`` SDK (imported on first call, SDK retries off)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from ..base import Completion, Message, ProviderError, StreamPiece, ToolCall, ToolSpec, Usage
from ._common import SDKProvider, to_provider_error

__all__ = ["OpenAIProvider"]


class OpenAIProvider(SDKProvider):
    """OpenAI (or any OpenAI-compatible endpoint) behind the brain's provider interface.

    Parameters
    ----------
    api_key : Secret or str
    base_url : str, optional
        Default: the SDK's (``https://api.openai.com/v1``); tests pass a loopback fake.
    timeout_s : float
        Per-request timeout given to the SDK.

    Notes
    -----
    The client is built with ``max_retries=0``: the router owns the only retry loop. Streaming asks for
    ``stream_options={"include_usage": True}`` so that the final chunk carries the usage.

    Examples
    --------
    >>> p = OpenAIProvider(api_key="sk-test", base_url="http://127.0.0.1:9/v1")
    >>> p.name
    'openai'
    """

    name = "openai"

    def _make_client(self, api_key: str | None) -> Any:
        import openai

        return openai.OpenAI(api_key=api_key, base_url=self.base_url, max_retries=0, timeout=self.timeout_s)

    @staticmethod
    def _messages(messages: Sequence[Message], system: str | None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
        for m in messages:
            if m.role == "tool":
                out.append({"role": "tool", "tool_call_id": m.tool_call_id, "content": m.content})
            elif m.tool_calls:
                calls = [
                    {"id": tc.id, "type": "function",
                     "function": {"name": tc.name, "arguments": json.dumps(dict(tc.arguments))}}
                    for tc in m.tool_calls
                ]  # fmt: skip
                out.append({"role": "assistant", "content": m.content or None, "tool_calls": calls})
            else:
                out.append({"role": m.role, "content": m.content})
        return out

    def complete(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        system: str | None = None,
        max_tokens: int = 512,
        temperature: float | None = None,
        tools: Sequence[ToolSpec] | None = None,
    ) -> Completion:
        """One non-streamed chat completion (function tools when given); raises :class:`ProviderError`."""
        kwargs: dict[str, Any] = {
            "model": model,
            "messages": self._messages(messages, system),
            "max_tokens": max_tokens,
        }
        if temperature is not None:
            kwargs["temperature"] = temperature
        if tools:
            kwargs["tools"] = [
                {"type": "function",
                 "function": {"name": t.name, "description": t.description, "parameters": dict(t.parameters)}}
                for t in tools
            ]  # fmt: skip
        try:
            r = self.client().chat.completions.create(**kwargs)
            msg = r.choices[0].message
            text = msg.content or ""
            calls = tuple(
                ToolCall(tc.id, tc.function.name, json.loads(tc.function.arguments or "{}"))
                for tc in (msg.tool_calls or [])
            )
            u = r.usage
            usage = Usage(int(u.prompt_tokens), int(u.completion_tokens)) if u is not None else None
            return Completion(text=text, model=str(r.model or model), usage=usage, tool_calls=calls)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a ProviderError with a kind
            raise to_provider_error(exc, provider=self.name) from None

    def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        system: str | None = None,
        max_tokens: int = 512,
        temperature: float | None = None,
    ) -> Iterator[StreamPiece]:
        """Streamed chat completion: text deltas, then one piece with the usage."""
        kwargs: dict[str, Any] = {
            "model": model,
            "messages": self._messages(messages, system),
            "max_tokens": max_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if temperature is not None:
            kwargs["temperature"] = temperature
        finished = False
        try:
            for chunk in self.client().chat.completions.create(**kwargs):
                for choice in chunk.choices or []:
                    delta = choice.delta.content if choice.delta is not None else None
                    if delta:
                        yield StreamPiece(text=delta)
                    if choice.finish_reason:
                        finished = True
                if chunk.usage is not None:
                    u = chunk.usage
                    yield StreamPiece(
                        usage=Usage(int(u.prompt_tokens), int(u.completion_tokens)), model=str(chunk.model or model)
                    )
        except Exception as exc:  # noqa: BLE001
            raise to_provider_error(exc, provider=self.name) from None
        if not finished:
            raise ProviderError("stream ended before finish_reason", provider=self.name, kind="connection")
