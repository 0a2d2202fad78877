"""Loopback fake servers that speak the OpenAI, Anthropic and Gemini wire protocols.

They let tests and notebooks drive the *real* SDKs (their own HTTP stacks, parsers and error classes)
without a network or a key: a :class:`FakeLLMServer` listens on ``127.0.0.1`` in a thread, answers
chat requests (non-streamed and streamed with usage) and plays a script of faults — 429 with
``retry-after``, 500, overload (529 / 503), a hang longer than the client's timeout, 401, 400, a
malformed body, a stream cut after its first token.

Token counts are deterministic: ``tokens_in`` is the number of whitespace-separated words of the
system prompt and every message, ``tokens_out`` the number of words of the reply.

Examples
--------
>>> from dawglib.brain.fakes import FakeLLMServer
>>> with FakeLLMServer("openai") as srv:  # doctest: +SKIP
...     srv.script("rate_limit", "ok")
...     srv.base_url
'http://127.0.0.1:PORT/v1'
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..exceptions import ParameterError

__all__ = ["FakeLLMServer", "Fault", "RecordedRequest", "PROTOCOLS", "FAULT_KINDS"]

PROTOCOLS = ("openai", "anthropic", "gemini")
FAULT_KINDS = (
    "ok",
    "rate_limit",
    "server_error",
    "overloaded",
    "timeout",
    "auth",
    "bad_request",
    "malformed",
    "cut_stream",
    "tool_call",
)


@dataclass(frozen=True)
class Fault:
    """One scripted behaviour of the fake server for one request.

    Parameters
    ----------
    kind : str
        One of :data:`FAULT_KINDS`.
    retry_after_s : float, optional
        Sent as ``retry-after`` with ``rate_limit`` / ``overloaded``.
    delay_s : float
        How long ``timeout`` hangs before answering (make it longer than the client's timeout).
    text : str, optional
        Reply text for ``ok`` (default: the server's reply).
    tool, args : str, dict
        For ``tool_call``: the tool the fake model asks to call, and its arguments.
    """

    kind: str
    retry_after_s: float | None = None
    delay_s: float = 2.0
    text: str | None = None
    tool: str | None = None
    args: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ParameterError(f"fault kind must be one of {FAULT_KINDS}, given {self.kind!r}")


@dataclass(frozen=True)
class RecordedRequest:
    """A request the fake received (the API key itself is never kept)."""

    path: str
    body: dict[str, Any]
    stream: bool
    model: str
    had_key: bool
    fault: str


def _words(s: str) -> int:
    return len(s.split())


class FakeLLMServer:
    """A fake OpenAI / Anthropic / Gemini endpoint on 127.0.0.1.

    Parameters
    ----------
    protocol : {'openai', 'anthropic', 'gemini'}
    reply : str, optional
        Default reply text; ``{model}`` and ``{protocol}`` are filled in.
    port : int
        0 picks a free port.

    Attributes
    ----------
    requests : list of RecordedRequest
        Every request received, in order (``len(srv.requests)`` is the number of server calls).
    """

    def __init__(self, protocol: str, *, reply: str | None = None, port: int = 0) -> None:
        if protocol not in PROTOCOLS:
            raise ParameterError(f"protocol must be one of {PROTOCOLS}, given {protocol!r}")
        self.protocol = protocol
        self.reply = reply or "Hello from the fake {protocol} server ({model})."
        self.requests: list[RecordedRequest] = []
        self._script: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._port = int(port)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle -------------------------------------------------------------------------------
    def start(self) -> FakeLLMServer:
        """Start serving in a daemon thread; returns self."""
        server = self

        class Handler(_Handler):
            fake = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=f"fake-{self.protocol}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (hanging requests are released)."""
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeLLMServer:
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        if self._httpd is None:
            raise ParameterError("the fake server is not started; call start() first")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def base_url(self) -> str:
        """The ``base_url`` to give the provider's SDK (OpenAI wants ``/v1``, Anthropic none, Gemini ``/``)."""
        return {"openai": self.url + "/v1", "anthropic": self.url, "gemini": self.url + "/"}[self.protocol]

    # -- script -----------------------------------------------------------------------------------
    def script(self, *faults: str | Fault) -> FakeLLMServer:
        """Queue behaviours for the next requests (then ``ok`` forever); returns self."""
        with self._lock:
            for f in faults:
                self._script.append(f if isinstance(f, Fault) else Fault(str(f)))
        return self

    def reset(self) -> None:
        """Forget the script and the recorded requests."""
        with self._lock:
            self._script.clear()
            self.requests.clear()

    @property
    def n_calls(self) -> int:
        """Number of requests received."""
        return len(self.requests)

    def _next(self) -> Fault:
        with self._lock:
            return self._script.popleft() if self._script else Fault("ok")

    def _record(self, req: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(req)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeLLMServer
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        return

    # -- helpers ----------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, *, ctype: str = "application/json", headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, kind: str, *, retry_after_s: float | None = None) -> None:
        proto = self.fake.protocol
        msg = f"fake {kind}"
        if proto == "openai":
            body: dict[str, Any] = {"error": {"message": msg, "type": kind, "code": kind}}
        elif proto == "anthropic":
            atype = {
                429: "rate_limit_error",
                529: "overloaded_error",
                401: "authentication_error",
                400: "invalid_request_error",
            }.get(status, "api_error")
            body = {"type": "error", "error": {"type": atype, "message": msg}}
        else:
            gstatus = {429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE", 401: "UNAUTHENTICATED", 400: "INVALID_ARGUMENT"}
            body = {"error": {"code": status, "message": msg, "status": gstatus.get(status, "INTERNAL")}}
        headers = {"retry-after": f"{retry_after_s:g}"} if retry_after_s is not None else None
        self._send(status, json.dumps(body).encode(), headers=headers)

    def _sse_start(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.end_headers()

    def _sse(self, data: dict | str, *, event: str | None = None) -> None:
        payload = data if isinstance(data, str) else json.dumps(data)
        head = f"event: {event}\n" if event else ""
        self.wfile.write(f"{head}data: {payload}\n\n".encode())
        self.wfile.flush()

    # -- request ----------------------------------------------------------------------------------
    def do_POST(self) -> None:  # noqa: N802 - http.server API
        fake = self.fake
        n = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(n) if n else b"{}"
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {}
        path = self.path
        proto = fake.protocol
        if proto == "gemini":
            m = re.search(r"models/([^:/?]+):(\w+)", path)
            model = m.group(1) if m else "?"
            stream = bool(m and m.group(2) == "streamGenerateContent")
            had_key = bool(self.headers.get("x-goog-api-key") or "key=" in path)
        else:
            model = str(body.get("model", "?"))
            stream = bool(body.get("stream"))
            had_key = bool(self.headers.get("authorization") or self.headers.get("x-api-key"))
        fault = fake._next()
        fake._record(
            RecordedRequest(
                path=path.split("?")[0], body=body, stream=stream, model=model, had_key=had_key, fault=fault.kind
            )
        )
        try:
            self._answer(fault, body=body, model=model, stream=stream)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass

    def _answer(self, fault: Fault, *, body: dict, model: str, stream: bool) -> None:
        fake = self.fake
        kind = fault.kind
        overload_status = 529 if fake.protocol == "anthropic" else 503
        statuses = {
            "rate_limit": 429,
            "server_error": 500,
            "overloaded": overload_status,
            "auth": 401,
            "bad_request": 400,
        }
        if kind in statuses:
            self._error(statuses[kind], kind, retry_after_s=fault.retry_after_s)
            return
        if kind == "timeout":
            fake._stop.wait(fault.delay_s)
            kind = "ok"
        if kind == "malformed" and not stream:
            self._send(200, b'{"id": "x", "choices": [ this is not json')
            return
        tokens_in = _count_in(fake.protocol, body)
        if kind == "tool_call" and not stream:
            self._send(200, json.dumps(_tool_call(fake.protocol, model, fault, tokens_in)).encode())
            return
        result = _tool_result(fake.protocol, body)
        if result is not None and fault.text is None:
            text = f"Tool result: {result}"
        else:
            text = (fault.text or fake.reply).format(model=model, protocol=fake.protocol)
        words = text.split(" ")
        tokens_out = len(text.split())
        if not stream:
            self._send(200, json.dumps(_full(fake.protocol, model, text, tokens_in, tokens_out)).encode())
            return
        self._sse_start()
        if kind == "malformed":
            self._sse("{this is not json", event="content_block_delta" if fake.protocol == "anthropic" else None)
            return
        deltas = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
        _stream(self, fake.protocol, model, deltas, tokens_in, tokens_out, cut=(kind == "cut_stream"))


def _count_in(protocol: str, body: dict) -> int:
    n = 0
    if protocol == "openai":
        for m in body.get("messages", []):
            c = m.get("content")
            n += _words(c if isinstance(c, str) else " ".join(p.get("text", "") for p in c or []))
    elif protocol == "anthropic":
        sys_ = body.get("system")
        if isinstance(sys_, str):
            n += _words(sys_)
        elif isinstance(sys_, list):
            n += sum(_words(p.get("text", "")) for p in sys_)
        for m in body.get("messages", []):
            c = m.get("content")
            n += _words(c if isinstance(c, str) else " ".join(p.get("text", "") for p in c or []))
    else:
        si = body.get("systemInstruction") or body.get("system_instruction")
        if si:
            n += sum(_words(p.get("text", "")) for p in si.get("parts", []))
        for c in body.get("contents", []):
            n += sum(_words(p.get("text", "")) for p in c.get("parts", []))
    return n


def _tool_result(protocol: str, body: dict) -> str | None:
    """The text of the tool result(s) the request ends with, if it ends with one."""
    if protocol == "openai":
        msgs = body.get("messages") or []
        results = []
        for m in reversed(msgs):
            if m.get("role") != "tool":
                break
            results.append(str(m.get("content")))
        return " | ".join(reversed(results)) if results else None
    if protocol == "anthropic":
        msgs = body.get("messages") or []
        last = msgs[-1] if msgs else {}
        c = last.get("content")
        if isinstance(c, list) and c and all(b.get("type") == "tool_result" for b in c):
            return " | ".join(str(b.get("content")) for b in c)
        return None
    contents = body.get("contents") or []
    parts = (contents[-1].get("parts") if contents else None) or []
    rs = [p.get("functionResponse") or p.get("function_response") for p in parts]
    if rs and all(rs):
        return " | ".join(json.dumps(r.get("response", {}).get("result"), separators=(",", ":")) for r in rs)
    return None


def _tool_call(protocol: str, model: str, fault: Fault, tokens_in: int) -> dict[str, Any]:
    name, args = fault.tool or "tool", fault.args or {}
    if protocol == "openai":
        return {
            "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": None,
                "tool_calls": [{"id": "call_1", "type": "function",
                                "function": {"name": name, "arguments": json.dumps(args)}}]}}],
            "usage": {"prompt_tokens": tokens_in, "completion_tokens": 5, "total_tokens": tokens_in + 5},
        }  # fmt: skip
    if protocol == "anthropic":
        return {
            "id": "msg_fake", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "tool_use", "id": "toolu_1", "name": name, "input": args}],
            "stop_reason": "tool_use", "stop_sequence": None,
            "usage": {"input_tokens": tokens_in, "output_tokens": 5},
        }  # fmt: skip
    return {
        "candidates": [{"content": {"parts": [{"functionCall": {"name": name, "args": args}}], "role": "model"},
                        "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": tokens_in, "candidatesTokenCount": 5, "totalTokenCount": tokens_in + 5},
        "modelVersion": model,
    }  # fmt: skip


def _full(protocol: str, model: str, text: str, tokens_in: int, tokens_out: int) -> dict[str, Any]:
    if protocol == "openai":
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {
                "prompt_tokens": tokens_in,
                "completion_tokens": tokens_out,
                "total_tokens": tokens_in + tokens_out,
            },
        }
    if protocol == "anthropic":
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
        }
    return {
        "candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {
            "promptTokenCount": tokens_in,
            "candidatesTokenCount": tokens_out,
            "totalTokenCount": tokens_in + tokens_out,
        },
        "modelVersion": model,
    }


def _stream(
    h: _Handler, protocol: str, model: str, deltas: list[str], tokens_in: int, tokens_out: int, *, cut: bool
) -> None:
    if cut:
        deltas = deltas[:1]
    if protocol == "openai":
        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
        h._sse(
            {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
        )
        for d in deltas:
            h._sse({**base, "choices": [{"index": 0, "delta": {"content": d}, "finish_reason": None}]})
        if cut:
            return
        h._sse({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        h._sse(
            {
                **base,
                "choices": [],
                "usage": {
                    "prompt_tokens": tokens_in,
                    "completion_tokens": tokens_out,
                    "total_tokens": tokens_in + tokens_out,
                },
            }
        )
        h._sse("[DONE]")
    elif protocol == "anthropic":
        h._sse(
            {
                "type": "message_start",
                "message": {
                    "id": "msg_fake",
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": tokens_in, "output_tokens": 1},
                },
            },
            event="message_start",
        )
        h._sse(
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            event="content_block_start",
        )
        for d in deltas:
            h._sse(
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": d}},
                event="content_block_delta",
            )
        if cut:
            return
        h._sse({"type": "content_block_stop", "index": 0}, event="content_block_stop")
        h._sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": tokens_out},
            },
            event="message_delta",
        )
        h._sse({"type": "message_stop"}, event="message_stop")
    else:
        n = len(deltas)
        for i, d in enumerate(deltas):
            last = i == n - 1 and not cut
            out_so_far = len("".join(deltas[: i + 1]).split())
            chunk: dict[str, Any] = {
                "candidates": [
                    {
                        "content": {"parts": [{"text": d}], "role": "model"},
                        "index": 0,
                        **({"finishReason": "STOP"} if last else {}),
                    }
                ],
                "usageMetadata": {
                    "promptTokenCount": tokens_in,
                    "candidatesTokenCount": out_so_far,
                    "totalTokenCount": tokens_in + out_so_far,
                },
                "modelVersion": model,
            }
            h._sse(chunk)
