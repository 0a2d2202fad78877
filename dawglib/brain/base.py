"""The provider-neutral interface of the brain: messages, usage, attempts, responses and errors.

A *provider* is any object with a ``name`` and two methods::

    complete(messages, *, model, system, max_tokens, temperature) -> Completion
    stream(messages, *, model, system, max_tokens, temperature) -> Iterator[StreamPiece]

that raises :class:`ProviderError` (with a ``kind``) for every failure. The router wraps providers
with retries, fallback, costs, budgets and the ledger, and returns a :class:`BrainResponse`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..exceptions import DawglibError, DawglibWarning, ParameterError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "Message",
    "ToolCall",
    "ToolSpec",
    "ToolResult",
    "Usage",
    "Completion",
    "StreamPiece",
    "Attempt",
    "BrainResponse",
    "Provider",
    "BrainError",
    "ProviderError",
    "BudgetExceededError",
    "AllProvidersFailedError",
    "StreamInterruptedError",
    "BrainWarning",
    "ERROR_KINDS",
    "RETRYABLE_KINDS",
    "kind_for_status",
    "parse_retry_after",
    "as_messages",
]

#: Every failure kind a provider reports.
ERROR_KINDS = (
    "rate_limit",  # 429
    "overloaded",  # 529 (Anthropic), 503
    "timeout",  # no answer within the client's timeout
    "connection",  # refused, reset, dropped mid-body
    "server",  # other 5xx
    "auth",  # 401, 403: wrong or missing key
    "bad_request",  # 400, 404, 413, 422: the request itself is wrong
    "malformed",  # 2xx whose body is not the protocol's shape
)
#: Kinds worth retrying on the same provider (with backoff).
RETRYABLE_KINDS = frozenset({"rate_limit", "overloaded", "timeout", "connection", "server"})


class BrainError(DawglibError):
    """Base class of the brain's errors."""


class BrainWarning(DawglibWarning):
    """Unknown price, budget near its limit, a readable key file, ..."""


class ProviderError(BrainError):
    """One failed call to one provider.

    Parameters
    ----------
    message : str
    provider : str
    kind : {'rate_limit', 'overloaded', 'timeout', 'connection', 'server', 'auth', 'bad_request', 'malformed'}
    status_code : int, optional
        The HTTP status, when there was one.
    retry_after_s : float, optional
        The server's ``retry-after`` in seconds, when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        kind: str,
        status_code: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        if kind not in ERROR_KINDS:
            raise ParameterError(f"kind must be one of {ERROR_KINDS}, given {kind!r}")
        super().__init__(f"{provider}: {kind}: {message}")
        self.provider = provider
        self.kind = kind
        self.status_code = status_code
        self.retry_after_s = retry_after_s

    @property
    def retryable(self) -> bool:
        """Whether the same provider may be tried again (rate limit, overload, timeout, connection, 5xx)."""
        return self.kind in RETRYABLE_KINDS


class BudgetExceededError(BrainError):
    """A per-user or per-day budget would be exceeded; raised before any server call."""

    def __init__(self, message: str, *, scope: str, limit_usd: float, spent_usd: float) -> None:
        super().__init__(message)
        self.scope = scope
        self.limit_usd = limit_usd
        self.spent_usd = spent_usd


class AllProvidersFailedError(BrainError):
    """Every route of the chain failed or was cooling down; ``attempts`` tells what happened."""

    def __init__(self, message: str, *, attempts: Sequence[Attempt]) -> None:
        super().__init__(message)
        self.attempts = tuple(attempts)


class StreamInterruptedError(BrainError):
    """A stream failed after its first token (no fallback is possible then)."""

    def __init__(self, message: str, *, partial_text: str, attempts: Sequence[Attempt]) -> None:
        super().__init__(message)
        self.partial_text = partial_text
        self.attempts = tuple(attempts)


def kind_for_status(status_code: int) -> str:
    """The failure kind of an HTTP status.

    Examples
    --------
    >>> kind_for_status(429), kind_for_status(529), kind_for_status(401), kind_for_status(502)
    ('rate_limit', 'overloaded', 'auth', 'server')
    """
    if status_code == 429:
        return "rate_limit"
    if status_code in (529, 503):
        return "overloaded"
    if status_code in (401, 403):
        return "auth"
    if status_code == 408:
        return "timeout"
    if status_code >= 500:
        return "server"
    if 400 <= status_code < 500:
        return "bad_request"
    return "malformed"


def parse_retry_after(headers: Mapping[str, str] | Any, *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` / ``retry-after`` (seconds or an HTTP date).

    Examples
    --------
    >>> parse_retry_after({"retry-after": "2"})
    2.0
    >>> parse_retry_after({"retry-after-ms": "1500"})
    1.5
    >>> parse_retry_after({}) is None
    True
    """
    if headers is None:
        return None
    get = headers.get
    ms = get("retry-after-ms") or get("Retry-After-Ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    val = get("retry-after") or get("Retry-After")
    if not val:
        return None
    try:
        return max(0.0, float(val))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(val)
    except (TypeError, ValueError):
        return None
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True)
class ToolCall:
    """A provider's request to call one tool.

    Attributes
    ----------
    id : str
        The provider's call id (Gemini may send none: then ``name``).
    name : str
    arguments : dict
    """

    id: str
    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    """One turn of a conversation, provider-neutral.

    Parameters
    ----------
    role : {'user', 'assistant', 'tool'}
    content : str
        Text; for a ``tool`` message the tool's result as JSON text.
    tool_calls : tuple of ToolCall
        Tools the assistant asked for (assistant messages only).
    tool_call_id, name : str, optional
        Which call a ``tool`` message answers.
    """

    role: str
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ("user", "assistant", "tool"):
            raise ParameterError(f"role must be 'user', 'assistant' or 'tool', given {self.role!r}")
        if not isinstance(self.content, str):
            raise ParameterError(f"content must be str, given {type(self.content).__name__}")
        if self.role == "tool" and (not self.tool_call_id or not self.name):
            raise ParameterError("a 'tool' message needs tool_call_id and name")
        if self.tool_calls and self.role != "assistant":
            raise ParameterError(f"only assistant messages carry tool_calls, given role {self.role!r}")


def as_messages(prompt: str | Sequence[Message | Mapping[str, str]]) -> tuple[Message, ...]:
    """Normalise a prompt (a string or a list of messages / ``{"role", "content"}`` dicts)."""
    if isinstance(prompt, str):
        if not prompt.strip():
            raise ParameterError("prompt is empty; expected a question or a list of messages")
        return (Message("user", prompt),)
    out = tuple(m if isinstance(m, Message) else Message(str(m["role"]), str(m["content"])) for m in prompt)
    if not out or out[-1].role not in ("user", "tool"):
        raise ParameterError(f"the last message must be from the user, given {len(out)} messages")
    return out


@dataclass(frozen=True)
class Usage:
    """Token counts of one call."""

    tokens_in: int
    tokens_out: int


@dataclass(frozen=True)
class Completion:
    """What a provider returns for one successful non-streamed call.

    ``answered`` is False only for the offline provider's honest "this needs an API key" reply.
    """

    text: str
    model: str
    usage: Usage | None
    answered: bool = True
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class ToolSpec:
    """A tool as the providers see it: a name, a description and a JSON-schema of its arguments."""

    name: str
    description: str
    parameters: Mapping[str, Any]


@dataclass(frozen=True)
class ToolResult:
    """What running one requested tool gave (``ok`` False: not allowed, unknown or raised; see ``error``)."""

    call: ToolCall
    ok: bool
    result: Any = None
    error: str | None = None


@dataclass(frozen=True)
class StreamPiece:
    """One item of a provider stream: a text delta, and/or the usage (usually at the end)."""

    text: str = ""
    usage: Usage | None = None
    model: str | None = None


@runtime_checkable
class Provider(Protocol):
    """What the router needs from a provider (see module docstring)."""

    name: str

    def complete(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        system: str | None,
        max_tokens: int,
        temperature: float | None,
        tools: Sequence[ToolSpec] | None = None,
    ) -> Completion:
        """One non-streamed call (``tools``: what the model may call); raises :class:`ProviderError`."""
        ...

    def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        system: str | None,
        max_tokens: int,
        temperature: float | None,
    ) -> Iterator[StreamPiece]:
        """One streamed call; raises :class:`ProviderError` on failure (before or during the stream)."""
        ...


@dataclass(frozen=True)
class Attempt:
    """One entry of the ledger: a call to a provider (or a route skipped while cooling down).

    Attributes
    ----------
    provider, model : str
    ok : bool
    outcome : str
        ``'ok'``, an error kind from :data:`ERROR_KINDS`, ``'cooldown'`` (skipped, no call made) or
        ``'unanswered'`` (offline provider could not answer).
    status_code : int or None
    latency_ms : float
    tokens_in, tokens_out : int
    cost_usd : float or None
        None when the price of the model is unknown.
    retry_after_s : float or None
        What the server asked for.
    wait_s : float
        How long the router slept after this attempt before the next one.
    streamed : bool
    ts : datetime
        UTC start of the attempt.
    """

    provider: str
    model: str
    ok: bool
    outcome: str
    status_code: int | None = None
    latency_ms: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = 0.0
    retry_after_s: float | None = None
    wait_s: float = 0.0
    streamed: bool = False
    ts: dt.datetime | None = None
    message: str = ""

    @property
    def called(self) -> bool:
        """Whether a server call was made (False for a route skipped while cooling down)."""
        return self.outcome != "cooldown"


@dataclass(frozen=True)
class BrainResponse:
    """The answer of the router.

    Attributes
    ----------
    text : str
    provider, model : str
        Who answered.
    usage : Usage or None
    cost_usd : float or None
        Cost of the successful call(s) — one, or one per tool round (None: unknown price). Failed attempts
        cost nothing; see :attr:`total_cost_usd` for all attempts.
    latency_ms : float
        Wall time of the whole request, retries and waits included.
    attempts : tuple of Attempt
        The ledger of this request, in order.
    persona, user_id, feature : str
    streamed : bool
    answered : bool
        False when the offline provider said plainly that the request needs an API key.
    warnings : tuple of str
    tool_results : tuple of ToolResult
        The tools run for this answer, in order.
    """

    text: str
    provider: str
    model: str
    usage: Usage | None
    cost_usd: float | None
    latency_ms: float
    attempts: tuple[Attempt, ...]
    persona: str
    user_id: str
    feature: str
    streamed: bool = False
    answered: bool = True
    warnings: tuple[str, ...] = field(default_factory=tuple)
    tool_results: tuple[ToolResult, ...] = field(default_factory=tuple)

    @property
    def total_cost_usd(self) -> float | None:
        """Sum of the cost of every attempt (None when any price is unknown)."""
        costs = [a.cost_usd for a in self.attempts if a.called]
        return None if any(c is None for c in costs) else float(sum(c for c in costs if c is not None))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``text``, ``provider``, ``model``, ``cost_usd``, usage, attempts, ...)."""
        d = {
            "text": self.text,
            "provider": self.provider,
            "model": self.model,
            "cost_usd": self.cost_usd,
            "total_cost_usd": self.total_cost_usd,
            "tokens_in": self.usage.tokens_in if self.usage else None,
            "tokens_out": self.usage.tokens_out if self.usage else None,
            "latency_ms": round(self.latency_ms, 3),
            "persona": self.persona,
            "user_id": self.user_id,
            "feature": self.feature,
            "streamed": self.streamed,
            "answered": self.answered,
            "warnings": list(self.warnings),
            "attempts": [_attempt_dict(a) for a in self.attempts],
            "tool_results": [
                {"name": t.call.name, "arguments": dict(t.call.arguments), "ok": t.ok, "result": t.result,
                 "error": t.error}
                for t in self.tool_results
            ],
        }  # fmt: skip
        return d

    def to_frame(self) -> pd.DataFrame:
        """The attempts (the ledger of this request) as a DataFrame, one row per attempt."""
        import pandas as pd

        return pd.DataFrame([dataclasses.asdict(a) for a in self.attempts])


def _attempt_dict(a: Attempt) -> dict[str, Any]:
    d = dataclasses.asdict(a)
    d["ts"] = a.ts.isoformat() if a.ts else None
    return d
