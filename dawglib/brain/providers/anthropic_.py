"""Anthropic messages through the ``anthropic`` SDK (imported on first call, SDK retries off)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..base import Completion, Message, ProviderError, StreamPiece, ToolCall, ToolSpec, Usage
from ._common import SDKProvider, to_provider_error

__all__ = ["AnthropicProvider"]


class AnthropicProvider(SDKProvider):
    """Anthropic (Claude) behind the brain's provider interface.

    Parameters
    ----------
    api_key : Secret or str
    base_url : str, optional
        Default: the SDK's; the fake wants ``http://127.0.0.1:PORT`` (no ``/v1``).
    timeout_s : float
        Per-request timeout given to the SDK.

    Notes
    -----
    ``max_retries=0`` (the router owns retries). In a stream the input tokens arrive in
    ``message_start`` and the output tokens in the final ``message_delta`` (cumulative).

    Examples
    --------
    >>> AnthropicProvider(api_key="sk-ant-test").name
    'anthropic'
    """

    name = "anthropic"

    def _make_client(self, api_key: str | None) -> Any:
        import anthropic

        return anthropic.Anthropic(api_key=api_key, base_url=self.base_url, max_retries=0, timeout=self.timeout_s)

    @staticmethod
    def _messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for m in messages:
            if m.role == "tool":
                block = {"type": "tool_result", "tool_use_id": m.tool_call_id, "content": m.content}
                last = out[-1] if out else None
                if last and last["role"] == "user" and isinstance(last["content"], list):
                    last["content"].append(block)  # all results of one turn go in one user message
                else:
                    out.append({"role": "user", "content": [block]})
            elif m.tool_calls:
                blocks: list[dict[str, Any]] = [{"type": "text", "text": m.content}] if m.content else []
                blocks += [{"type": "tool_use", "id": tc.id, "name": tc.name, "input": dict(tc.arguments)}
                           for tc in m.tool_calls]  # fmt: skip
                out.append({"role": "assistant", "content": blocks})
            else:
                out.append({"role": m.role, "content": m.content})
        return out

    @classmethod
    def _kwargs(
        cls, messages: Sequence[Message], model: str, system: str | None, max_tokens: int, temperature: float | None
    ) -> dict[str, Any]:
        kw: dict[str, Any] = {"model": model, "max_tokens": max_tokens, "messages": cls._messages(messages)}
        if system:
            kw["system"] = system
        if temperature is not None:
            kw["temperature"] = temperature
        return kw

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
        """One non-streamed message (tools when given); raises :class:`ProviderError`."""
        kw = self._kwargs(messages, model, system, max_tokens, temperature)
        if tools:
            kw["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": dict(t.parameters)} for t in tools
            ]
        try:
            r = self.client().messages.create(**kw)
            text = "".join(getattr(b, "text", "") for b in r.content if getattr(b, "type", "") == "text")
            calls = tuple(
                ToolCall(str(b.id), str(b.name), dict(b.input or {}))
                for b in r.content
                if getattr(b, "type", "") == "tool_use"
            )
            usage = Usage(int(r.usage.input_tokens), int(r.usage.output_tokens))
            return Completion(text=text, model=str(r.model or model), usage=usage, tool_calls=calls)
        except Exception as exc:  # noqa: BLE001
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
        """Streamed message: text deltas, then one piece with the usage."""
        kw = self._kwargs(messages, model, system, max_tokens, temperature)
        tokens_in = tokens_out = 0
        served = model
        done = False
        try:
            for ev in self.client().messages.create(stream=True, **kw):
                t = getattr(ev, "type", "")
                if t == "message_start":
                    served = str(ev.message.model or model)
                    tokens_in = int(ev.message.usage.input_tokens or 0)
                    tokens_out = int(ev.message.usage.output_tokens or 0)
                elif t == "content_block_delta" and getattr(ev.delta, "type", "") == "text_delta":
                    if ev.delta.text:
                        yield StreamPiece(text=ev.delta.text)
                elif t == "message_delta":
                    u = ev.usage
                    tokens_out = int(u.output_tokens or tokens_out)
                    if getattr(u, "input_tokens", None):
                        tokens_in = int(u.input_tokens)
                elif t == "message_stop":
                    done = True
        except Exception as exc:  # noqa: BLE001
            raise to_provider_error(exc, provider=self.name) from None
        if not done:
            raise ProviderError("stream ended before message_stop", provider=self.name, kind="connection")
        yield StreamPiece(usage=Usage(tokens_in, tokens_out), model=served)
