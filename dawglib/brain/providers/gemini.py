"""Google Gemini through ``google-genai`` (imported on first call, SDK retries off).

``google-generativeai`` (the older SDK) is end-of-life (support ended 2025-11-30) and is not used.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from ..base import Completion, Message, ProviderError, StreamPiece, ToolCall, ToolSpec, Usage
from ._common import SDKProvider, to_provider_error

__all__ = ["GeminiProvider"]


class GeminiProvider(SDKProvider):
    """Gemini behind the brain's provider interface.

    Parameters
    ----------
    api_key : Secret or str
    base_url : str, optional
        Default: the SDK's; the fake wants ``http://127.0.0.1:PORT/``.
    timeout_s : float
        Per-request timeout (the SDK takes milliseconds; converted here).

    Notes
    -----
    Retries are off: ``HttpRetryOptions(attempts=1)``. In a stream ``usage_metadata`` holds running
    totals: the last one counts. The client is kept (a temporary client closes itself).

    Examples
    --------
    >>> GeminiProvider(api_key="AIza-test").name
    'gemini'
    """

    name = "gemini"

    def _make_client(self, api_key: str | None) -> Any:
        from google import genai
        from google.genai import types

        opts = types.HttpOptions(
            base_url=self.base_url,
            timeout=int(round(self.timeout_s * 1000)),
            retry_options=types.HttpRetryOptions(attempts=1),
        )
        return genai.Client(api_key=api_key, http_options=opts)

    @staticmethod
    def _args(
        messages: Sequence[Message],
        system: str | None,
        max_tokens: int,
        temperature: float | None,
        tools: Sequence[ToolSpec] | None = None,
    ) -> tuple[list[Any], Any]:
        from google.genai import types

        contents: list[Any] = []
        for m in messages:
            if m.role == "tool":
                try:
                    result = json.loads(m.content)
                except json.JSONDecodeError:
                    result = m.content
                part = types.Part(function_response=types.FunctionResponse(name=m.name, response={"result": result}))
                last = contents[-1] if contents else None
                if last is not None and last.role == "user" and last.parts and last.parts[0].function_response:
                    last.parts.append(part)
                else:
                    contents.append(types.Content(role="user", parts=[part]))
            elif m.tool_calls:
                parts = [types.Part(text=m.content)] if m.content else []
                parts += [types.Part(function_call=types.FunctionCall(name=tc.name, args=dict(tc.arguments)))
                          for tc in m.tool_calls]  # fmt: skip
                contents.append(types.Content(role="model", parts=parts))
            else:
                role = "model" if m.role == "assistant" else "user"
                contents.append(types.Content(role=role, parts=[types.Part(text=m.content)]))
        extra: dict[str, Any] = {}
        if tools:
            decls = [
                types.FunctionDeclaration(
                    name=t.name, description=t.description, parameters_json_schema=dict(t.parameters)
                )
                for t in tools
            ]
            extra["tools"] = [types.Tool(function_declarations=decls)]
            extra["automatic_function_calling"] = types.AutomaticFunctionCallingConfig(disable=True)
        cfg = types.GenerateContentConfig(
            system_instruction=system or None, max_output_tokens=max_tokens, temperature=temperature, **extra
        )
        return contents, cfg

    @staticmethod
    def _usage(um: Any) -> Usage | None:
        if um is None:
            return None
        tin = int(um.prompt_token_count or 0)
        tout = int(um.candidates_token_count or 0) + int(getattr(um, "thoughts_token_count", None) or 0)
        return Usage(tin, tout)

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
        """One non-streamed ``generateContent`` (function declarations when given); raises :class:`ProviderError`."""
        try:
            contents, cfg = self._args(messages, system, max_tokens, temperature, tools)
            r = self.client().models.generate_content(model=model, contents=contents, config=cfg)
            if not r.candidates:
                raise ProviderError("response has no candidates", provider=self.name, kind="malformed")
            parts = r.candidates[0].content.parts or []
            text = "".join(p.text or "" for p in parts if p.text)
            calls = tuple(
                ToolCall(p.function_call.id or f"{p.function_call.name}-{i}", str(p.function_call.name),
                         dict(p.function_call.args or {}))
                for i, p in enumerate(parts)
                if p.function_call is not None
            )  # fmt: skip
            return Completion(
                text=text, model=str(r.model_version or model), usage=self._usage(r.usage_metadata), tool_calls=calls
            )
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
        """Streamed ``streamGenerateContent``: text deltas, then one piece with the (last) usage."""
        usage = None
        served = model
        finished = False
        try:
            contents, cfg = self._args(messages, system, max_tokens, temperature)
            for chunk in self.client().models.generate_content_stream(model=model, contents=contents, config=cfg):
                for cand in chunk.candidates or []:
                    for part in (cand.content.parts if cand.content else None) or []:
                        if part.text:
                            yield StreamPiece(text=part.text)
                    if cand.finish_reason:
                        finished = True
                if chunk.usage_metadata is not None:
                    usage = self._usage(chunk.usage_metadata)
                served = str(chunk.model_version or served)
        except Exception as exc:  # noqa: BLE001
            raise to_provider_error(exc, provider=self.name) from None
        if not finished:
            raise ProviderError("stream ended before finishReason", provider=self.name, kind="connection")
        yield StreamPiece(usage=usage, model=served)
