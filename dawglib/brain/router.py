"""The router: tiers, quality/cost preference, fallback chains, one retry loop, cooldowns, budgets, ledger.

Design (lessons from LiteLLM Router users):

* **One retry loop.** Every SDK is built with its own retries off; only :class:`Router` retries.
* **Retry only what can heal**: rate limit, overload, timeout, connection, 5xx. Auth (401/403) and
  bad requests (400) are never retried; the chain moves to the next route.
* **Backoff** is exponential with jitter, and a server's ``retry-after`` is honoured (the wait is
  never shorter). A ``retry-after`` longer than ``RetryPolicy.max_retry_after_s`` is not slept
  through: the provider cools down and the chain moves on.
* **Fallback chains never loop**: the chain is the tier's routes, de-duplicated, walked once, with a
  hard cap on attempts.
* **Cooldowns are visible**: :meth:`Router.cooldown_state` (and ``.to_frame()``) shows every provider's
  consecutive failures, reason and remaining time; a provider that fails again cools down longer.
* **Budgets are checked before the call**: a stopped request makes zero server calls.
* **A stream falls back only before its first token**; after it, an error raises
  :class:`~dawglib.brain.base.StreamInterruptedError` with the partial text.
* **Ledger**: every attempt is an :class:`~dawglib.brain.base.Attempt` on the response and an
  ``llm_call`` event on the sink (ts, provider, model, tokens_in, tokens_out, cost_usd, latency_ms, ok,
  user_id, persona, feature). Streamed and non-streamed calls are priced by the same function.

Clock, sleep, now and random generator are injected so that tests run fast and deterministically.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..events import EventSink, NullSink, utc_now
from ..exceptions import ParameterError
from .base import (
    AllProvidersFailedError,
    Attempt,
    BrainError,
    BrainResponse,
    BrainWarning,
    Completion,
    Message,
    Provider,
    ProviderError,
    StreamInterruptedError,
    StreamPiece,
    ToolResult,
    Usage,
    as_messages,
)
from .budget import Budget, BudgetTracker
from .personas import Persona, get_persona
from .pricing import LOCAL_PROVIDERS, PriceBook
from .tools import Tool, result_text, run_tool_calls

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "Route",
    "RetryPolicy",
    "CooldownPolicy",
    "CooldownState",
    "Cooldowns",
    "Router",
    "BrainStream",
    "DEFAULT_ROUTES",
    "QUALITY",
    "TIERS",
    "OFFLINE_ROUTE",
]

TIERS = ("cheap", "standard", "complex")


@dataclass(frozen=True)
class Route:
    """One (provider, model) pair of a chain."""

    provider: str
    model: str

    def __str__(self) -> str:
        return f"{self.provider}/{self.model}"


#: The offline provider's route (appended to every chain when an offline provider is given).
OFFLINE_ROUTE = Route("offline", "offline-exact")

#: Default chains per tier, in fallback order (data; pass ``routes=`` to change them).
DEFAULT_ROUTES: dict[str, tuple[Route, ...]] = {
    "cheap": (
        Route("gemini", "gemini-2.5-flash-lite"),
        Route("openai", "gpt-5-mini"),
        Route("anthropic", "claude-haiku-4-5"),
    ),
    "standard": (
        Route("openai", "gpt-5.4"),
        Route("anthropic", "claude-sonnet-4-6"),
        Route("gemini", "gemini-2.5-flash"),
    ),
    "complex": (
        Route("anthropic", "claude-opus-4-6"),
        Route("openai", "gpt-5.5"),
        Route("gemini", "gemini-2.5-pro"),
    ),
}

#: A relative quality score per model (higher is better), used by ``prefer="quality"``. Data, not truth:
#: adjust it to your own evaluations (models missing here score 0).
QUALITY: dict[str, float] = {
    "gemini-2.5-flash-lite": 50,
    "gpt-4o-mini": 52,
    "gpt-5-mini": 60,
    "claude-haiku-4-5": 62,
    "gemini-2.5-flash": 66,
    "gpt-4o": 68,
    "gpt-4.1": 70,
    "gpt-5.4": 80,
    "claude-sonnet-4-6": 82,
    "gemini-2.5-pro": 78,
    "gpt-5.5": 86,
    "claude-opus-4-6": 88,
    "offline-exact": 0,
}


@dataclass(frozen=True)
class RetryPolicy:
    """The one retry loop's settings.

    Parameters
    ----------
    max_attempts : int
        Calls per route (1 = no retry) before falling back.
    base_delay_s, max_delay_s : float
        Exponential backoff ``base * 2**k`` capped at ``max_delay_s``.
    jitter : float in [0, 1]
        Fraction of the delay drawn at random (``delay * (1 - jitter * U)``).
    max_retry_after_s : float
        Longest ``retry-after`` the router sleeps through; longer: cool down and fall back.
    max_total_attempts : int
        Hard cap on server calls for one request, whatever the chain.
    """

    max_attempts: int = 3
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    jitter: float = 0.5
    max_retry_after_s: float = 20.0
    max_total_attempts: int = 10

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.max_total_attempts < 1:
            raise ParameterError(f"max_attempts and max_total_attempts must be >= 1, given {self}")
        if not 0 <= self.jitter <= 1:
            raise ParameterError(f"jitter must be in [0, 1], given {self.jitter}")

    def delay_s(self, k: int, retry_after_s: float | None, rng: random.Random) -> float | None:
        """Wait before retry ``k + 1`` (k = 0 after the first failure); None: do not wait, fall back."""
        if retry_after_s is not None and retry_after_s > self.max_retry_after_s:
            return None
        backoff = min(self.max_delay_s, self.base_delay_s * 2.0**k)
        backoff *= 1.0 - self.jitter * rng.random()
        return max(backoff, retry_after_s or 0.0)


@dataclass(frozen=True)
class CooldownPolicy:
    """How long a failing provider is skipped.

    The n-th consecutive give-up cools a provider for ``base_s * factor**(n-1)`` (capped at ``max_s``),
    at least the server's ``retry-after``; an auth failure for ``auth_s``. A success resets it.
    """

    base_s: float = 10.0
    factor: float = 2.0
    max_s: float = 600.0
    auth_s: float = 3600.0


@dataclass(frozen=True)
class CooldownState:
    """What the router knows about one provider's health (see :meth:`Router.cooldown_state`)."""

    provider: str
    active: bool
    remaining_s: float
    cooldown_s: float
    consecutive_failures: int
    last_error: str | None
    until: dt.datetime | None


class Cooldowns:
    """Per-provider cooldowns, inspectable.

    Parameters
    ----------
    policy : CooldownPolicy
    clock : callable
        Monotonic seconds (injected).
    now : callable
        UTC datetime (for the ``until`` column).
    """

    def __init__(
        self,
        policy: CooldownPolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.policy = policy
        self._clock = clock
        self._now = now
        self._state: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def active(self, provider: str) -> bool:
        """Whether the provider is cooling down now."""
        with self._lock:
            st = self._state.get(provider)
            return bool(st and st["until_s"] > self._clock())

    def record_failure(self, provider: str, *, kind: str, retry_after_s: float | None = None) -> float:
        """Start (or extend) a cooldown after the router gave up on a provider; returns its length in s."""
        p = self.policy
        with self._lock:
            st = self._state.setdefault(provider, {"failures": 0, "until_s": -math.inf, "last": None, "cool_s": 0.0})
            st["failures"] += 1
            if kind == "auth":
                cool = p.auth_s
            else:
                cool = min(p.max_s, p.base_s * p.factor ** (st["failures"] - 1))
            cool = max(cool, retry_after_s or 0.0)
            st["until_s"] = max(st["until_s"], self._clock() + cool)
            st["last"] = kind
            st["cool_s"] = cool
            return cool

    def record_success(self, provider: str) -> None:
        """A success ends the provider's cooldown and resets its failure count."""
        with self._lock:
            self._state.pop(provider, None)

    def state(self, providers: Sequence[str] = ()) -> list[CooldownState]:
        """One :class:`CooldownState` per known provider (and per name in ``providers``)."""
        now_s, now = self._clock(), self._now()
        out = []
        with self._lock:
            for name in sorted(set(self._state) | set(providers)):
                st = self._state.get(name)
                if st is None:
                    out.append(CooldownState(name, False, 0.0, 0.0, 0, None, None))
                    continue
                rem = max(0.0, st["until_s"] - now_s)
                out.append(
                    CooldownState(
                        provider=name,
                        active=rem > 0,
                        remaining_s=rem,
                        cooldown_s=st["cool_s"],
                        consecutive_failures=st["failures"],
                        last_error=st["last"],
                        until=now + dt.timedelta(seconds=rem) if rem > 0 else None,
                    )
                )
        return out


@dataclass
class _Ctx:
    messages: tuple[Message, ...]
    system: str | None
    persona: Persona
    user_id: str
    feature: str
    max_tokens: int
    temperature: float | None
    chain: list[Route]
    start_s: float
    day: dt.date
    attempts: list[Attempt] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class Router:
    """Routes requests over providers with retries, fallback, cooldowns, budgets, costs and a ledger.

    Parameters
    ----------
    providers : mapping of str to Provider, or sequence of Provider
        The providers that have a key (``openai``, ``anthropic``, ``gemini``, or any object with a
        ``name``, ``complete`` and ``stream``).
    offline : Provider, optional
        The offline provider: the last route of every chain, and the only one when no provider is given.
    routes : mapping, optional
        ``tier -> sequence of Route or "provider/model"``; default :data:`DEFAULT_ROUTES`.
    quality : mapping, optional
        ``model -> score`` for ``prefer="quality"``; default :data:`QUALITY`.
    pricebook : PriceBook, optional
    budget : Budget or BudgetTracker, optional
    sink : EventSink, optional
        Receives one ``llm_call`` event per server call; default :class:`~dawglib.events.NullSink`.
    retry : RetryPolicy, optional
    cooldown : CooldownPolicy, optional
    clock, sleep, now : callables, optional
        Monotonic seconds, sleep(seconds), UTC now — injected by tests.
    rng : random.Random, optional
        For the jitter.
    ledger_size : int
        How many attempts :attr:`ledger` keeps (the sink gets every one).

    Examples
    --------
    >>> from dawglib.brain import Router, OfflineProvider
    >>> r = Router({}, offline=OfflineProvider())
    >>> r.complete("spell the chord D major").text  # doctest: +SKIP
    'D major: D F# A'
    """

    def __init__(
        self,
        providers: Mapping[str, Provider] | Sequence[Provider],
        *,
        offline: Provider | None = None,
        routes: Mapping[str, Sequence[Route | str]] | None = None,
        quality: Mapping[str, float] | None = None,
        pricebook: PriceBook | None = None,
        budget: Budget | BudgetTracker | None = None,
        sink: EventSink | None = None,
        retry: RetryPolicy | None = None,
        cooldown: CooldownPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], dt.datetime] = utc_now,
        rng: random.Random | None = None,
        ledger_size: int = 100_000,
    ) -> None:
        if isinstance(providers, Mapping):
            self.providers: dict[str, Provider] = dict(providers)
        else:
            self.providers = {p.name: p for p in providers}
        self.offline = offline
        if offline is not None:
            self.providers.setdefault(OFFLINE_ROUTE.provider, offline)
        self.routes: dict[str, tuple[Route, ...]] = {
            tier: tuple(_route(r) for r in rs) for tier, rs in (routes or DEFAULT_ROUTES).items()
        }
        self.quality = dict(QUALITY if quality is None else quality)
        self.pricebook = pricebook or PriceBook()
        if isinstance(budget, Budget):
            budget = BudgetTracker(budget)
        self.budget = budget
        self.sink: EventSink = sink or NullSink()
        self.retry = retry or RetryPolicy()
        self._clock = clock
        self._sleep = sleep
        self._now = now
        self._rng = rng or random.Random()
        self.cooldowns = Cooldowns(cooldown or CooldownPolicy(), clock=clock, now=now)
        #: every attempt of every request made through this router, in order (the last ``ledger_size``)
        self.ledger: deque[Attempt] = deque(maxlen=int(ledger_size))
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Router(providers={sorted(self.providers)}, tiers={sorted(self.routes)})"

    # -- routing ----------------------------------------------------------------------------------
    def chain(self, tier: str = "standard", *, prefer: str | None = None) -> list[Route]:
        """The fallback chain of a tier: routes with a provider, de-duplicated, ordered, offline last.

        Parameters
        ----------
        tier : {'cheap', 'standard', 'complex'} or any tier of ``routes``
        prefer : {None, 'cost', 'quality'}
            None keeps the table's order; ``'cost'`` sorts by price (unknown prices last);
            ``'quality'`` by :attr:`quality` (highest first).
        """
        if tier not in self.routes:
            raise ParameterError(f"unknown tier {tier!r}; expected one of {sorted(self.routes)}")
        if prefer not in (None, "cost", "quality"):
            raise ParameterError(f"prefer must be None, 'cost' or 'quality', given {prefer!r}")
        seen: set[Route] = set()
        chain = []
        for r in self.routes[tier]:
            if r in seen or r.provider not in self.providers or r.provider in LOCAL_PROVIDERS:
                continue
            seen.add(r)
            chain.append(r)
        if prefer == "cost":
            chain.sort(key=self._blended_price)
        elif prefer == "quality":
            chain.sort(key=lambda r: -self.quality.get(r.model, 0.0))
        if self.offline is not None:
            chain.append(OFFLINE_ROUTE)
        return chain

    def _blended_price(self, r: Route) -> float:
        p = self.pricebook.price_per_mtok(r.provider, r.model)
        return math.inf if p is None else (3 * p.input_per_mtok_usd + p.output_per_mtok_usd) / 4

    def routing_table(self) -> pd.DataFrame:
        """Every tier's routes with prices (USD per million tokens), quality and availability."""
        import pandas as pd

        rows = []
        for tier, routes in self.routes.items():
            for rank, r in enumerate(routes, 1):
                p = self.pricebook.price_per_mtok(r.provider, r.model)
                rows.append(
                    {
                        "tier": tier,
                        "rank": rank,
                        "provider": r.provider,
                        "model": r.model,
                        "input_per_mtok_usd": None if p is None else p.input_per_mtok_usd,
                        "output_per_mtok_usd": None if p is None else p.output_per_mtok_usd,
                        "quality": self.quality.get(r.model),
                        "available": r.provider in self.providers,
                        "cooling_down": self.cooldowns.active(r.provider),
                    }
                )
        return pd.DataFrame(rows)

    def cooldown_state(self) -> list[CooldownState]:
        """Cooldown state of every provider (inspectable; see :class:`CooldownState`)."""
        return self.cooldowns.state(sorted(p for p in self.providers if p not in LOCAL_PROVIDERS))

    def cooldown_frame(self) -> pd.DataFrame:
        """:meth:`cooldown_state` as a DataFrame."""
        import dataclasses

        import pandas as pd

        return pd.DataFrame([dataclasses.asdict(s) for s in self.cooldown_state()])

    def ledger_frame(self) -> pd.DataFrame:
        """Every attempt made through this router as a DataFrame."""
        import dataclasses

        import pandas as pd

        with self._lock:
            return pd.DataFrame([dataclasses.asdict(a) for a in list(self.ledger)])

    # -- requests ---------------------------------------------------------------------------------
    def _context(
        self,
        prompt: str | Sequence[Message | Mapping[str, str]],
        *,
        tier: str,
        prefer: str | None,
        persona: Persona | str | None,
        user_id: str,
        feature: str,
        system: str | None,
        max_tokens: int,
        temperature: float | None,
        history: Sequence[Message] | None,
    ) -> _Ctx:
        msgs = as_messages(prompt)
        if history:
            msgs = tuple(history) + msgs
        if max_tokens < 1:
            raise ParameterError(f"max_tokens must be >= 1, given {max_tokens}")
        p = get_persona(persona)
        sys_prompt = p.system_prompt + (f"\n\n{system}" if system else "")
        chain = self.chain(tier, prefer=prefer)
        if not chain:
            raise AllProvidersFailedError(
                f"no provider for tier {tier!r}: no API key is set and no offline provider was given "
                f"(providers: {sorted(self.providers)})",
                attempts=(),
            )
        ctx = _Ctx(
            messages=msgs,
            system=sys_prompt,
            persona=p,
            user_id=str(user_id),
            feature=str(feature),
            max_tokens=int(max_tokens),
            temperature=temperature,
            chain=chain,
            start_s=self._clock(),
            day=self._now().astimezone(dt.UTC).date(),
        )
        self._check_budget(ctx)
        return ctx

    def _check_budget(self, ctx: _Ctx) -> None:
        if self.budget is None:
            return
        paid = [r for r in ctx.chain if r.provider not in LOCAL_PROVIDERS]
        if not paid:
            return
        est_tokens = math.ceil(
            (len(ctx.system or "") + sum(len(m.content) for m in ctx.messages)) / 4
        )  # ≈ 4 characters per token: a lower bound for English
        prices = [self.pricebook.price_per_mtok(r.provider, r.model) for r in paid]
        known = [p.input_per_mtok_usd for p in prices if p is not None]
        estimate = min(known) * est_tokens / 1e6 if known else 0.0
        ctx.warnings.extend(self.budget.check(day=ctx.day, user_id=ctx.user_id, estimate_usd=estimate))

    def _record(self, ctx: _Ctx, a: Attempt) -> None:
        ctx.attempts.append(a)
        with self._lock:
            self.ledger.append(a)
        if not a.called:
            return
        if self.budget is not None:
            self.budget.add_spent(a.cost_usd, day=ctx.day, user_id=ctx.user_id)
        self.sink.emit(
            "llm_call",
            {
                "ts": a.ts,
                "provider": a.provider,
                "model": a.model,
                "tokens_in": a.tokens_in,
                "tokens_out": a.tokens_out,
                "cost_usd": a.cost_usd,
                "latency_ms": a.latency_ms,
                "ok": a.ok,
                "user_id": ctx.user_id,
                "persona": ctx.persona.name,
                "feature": ctx.feature,
            },
        )

    def _cost(self, route: Route, model: str, usage: Usage | None) -> float | None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", BrainWarning)
            c = self.pricebook.cost_usd(route.provider, model, usage, fallback_model=route.model)
        for w in caught:
            warnings.warn(w.message, BrainWarning, stacklevel=4)
        return c

    def _loop(self, ctx: _Ctx, call: Callable[[Provider, Route], Any]) -> tuple[Any, Route, float, dt.datetime]:
        """The one retry loop: returns (result, route, start clock, start ts) of the first success."""
        calls = 0
        failures_before_offline = False
        for route in ctx.chain:
            if route.provider not in LOCAL_PROVIDERS and self.cooldowns.active(route.provider):
                self._record(ctx, Attempt(route.provider, route.model, ok=False, outcome="cooldown", ts=self._now()))
                failures_before_offline = True
                continue
            provider = self.providers[route.provider]
            last: ProviderError | None = None
            for k in range(self.retry.max_attempts):
                if calls >= self.retry.max_total_attempts:
                    break
                calls += 1
                t0, ts = self._clock(), self._now()
                try:
                    result = call(provider, route)
                except ProviderError as exc:
                    last = exc
                    wait = None
                    if exc.retryable and k + 1 < self.retry.max_attempts and calls < self.retry.max_total_attempts:
                        wait = self.retry.delay_s(k, exc.retry_after_s, self._rng)
                    self._record(
                        ctx,
                        Attempt(
                            route.provider,
                            route.model,
                            ok=False,
                            outcome=exc.kind,
                            status_code=exc.status_code,
                            latency_ms=(self._clock() - t0) * 1000.0,
                            cost_usd=0.0,  # providers do not bill failed requests
                            retry_after_s=exc.retry_after_s,
                            wait_s=wait or 0.0,
                            streamed=getattr(call, "streamed", False),
                            ts=ts,
                            message=str(exc)[:300],
                        ),
                    )
                    if wait is None:
                        break
                    self._sleep(wait)
                    continue
                if (
                    route.provider in LOCAL_PROVIDERS
                    and failures_before_offline
                    and isinstance(result, Completion)
                    and not result.answered
                ):
                    # The offline provider cannot answer this: say that the providers failed, not "needs a key".
                    self._record(ctx, Attempt(route.provider, route.model, ok=False, outcome="unanswered", ts=ts))
                    break
                return result, route, t0, ts
            if last is not None:
                failures_before_offline = True
                if last.kind != "bad_request" and route.provider not in LOCAL_PROVIDERS:
                    self.cooldowns.record_failure(route.provider, kind=last.kind, retry_after_s=last.retry_after_s)
            if calls >= self.retry.max_total_attempts:
                break
        summary = ", ".join(f"{a.provider}/{a.model}: {a.outcome}" for a in ctx.attempts) or "nothing tried"
        raise AllProvidersFailedError(f"every route failed ({summary})", attempts=ctx.attempts)

    def complete(
        self,
        prompt: str | Sequence[Message | Mapping[str, str]],
        *,
        tier: str = "standard",
        prefer: str | None = None,
        persona: Persona | str | None = None,
        user_id: str = "anonymous",
        feature: str = "ask",
        system: str | None = None,
        max_tokens: int = 512,
        temperature: float | None = None,
        history: Sequence[Message] | None = None,
        tools: Sequence[Tool] | None = None,
        max_tool_rounds: int = 4,
    ) -> BrainResponse:
        """Answer a prompt through the chain of a tier.

        Parameters
        ----------
        prompt : str or sequence of Message / {"role", "content"}
        tier : {'cheap', 'standard', 'complex'}
        prefer : {None, 'cost', 'quality'}
        persona : Persona or str, optional
            Default: the music assistant. Its system prompt is sent with every call.
        user_id, feature : str
            For budgets and the ledger.
        system : str, optional
            Extra system text appended to the persona's.
        max_tokens : int
        temperature : float, optional
        history : sequence of Message, optional
            Earlier turns (e.g. from :class:`~dawglib.brain.memory.Memory`), put before the prompt.
        tools : sequence of Tool, optional
            Tools the model may call; only those the persona allows are offered. Each round (model asks,
            tools run, results go back) is a full call with the same retries, fallback, costs and ledger;
            a fallback mid-way hands the provider-neutral conversation to the next provider.
        max_tool_rounds : int
            Most tool rounds before :class:`~dawglib.brain.base.BrainError` is raised.

        Returns
        -------
        BrainResponse

        Raises
        ------
        BudgetExceededError
            Before any call, when a budget would be exceeded.
        AllProvidersFailedError
            When every route failed or was cooling down.
        """
        ctx = self._context(
            prompt, tier=tier, prefer=prefer, persona=persona, user_id=user_id, feature=feature, system=system,
            max_tokens=max_tokens, temperature=temperature, history=history,
        )  # fmt: skip

        allowed = [t for t in (tools or ()) if ctx.persona.allows(t.name)]
        specs = [t.spec for t in allowed]

        def call(provider: Provider, route: Route) -> Completion:
            extra = {"tools": specs} if specs else {}
            return provider.complete(
                ctx.messages, model=route.model, system=ctx.system, max_tokens=ctx.max_tokens,
                temperature=ctx.temperature, **extra,
            )  # fmt: skip

        tool_results: list[ToolResult] = []
        oks: list[Attempt] = []
        for round_ in range(max_tool_rounds + 1):
            result, route, t0, ts = self._loop(ctx, call)
            comp: Completion = result
            cost = self._cost(route, comp.model, comp.usage)
            ok = Attempt(
                route.provider,
                comp.model,
                ok=True,
                outcome="ok" if comp.answered else "unanswered",
                latency_ms=(self._clock() - t0) * 1000.0,
                tokens_in=comp.usage.tokens_in if comp.usage else 0,
                tokens_out=comp.usage.tokens_out if comp.usage else 0,
                cost_usd=cost,
                ts=ts,
            )
            self._record(ctx, ok)
            oks.append(ok)
            if route.provider not in LOCAL_PROVIDERS:
                self.cooldowns.record_success(route.provider)
            if not comp.tool_calls or not allowed:
                break
            if round_ == max_tool_rounds:
                raise BrainError(
                    f"the model still asked for tools after {max_tool_rounds} rounds "
                    f"({', '.join(c.name for c in comp.tool_calls)}); stopping"
                )
            results = run_tool_calls(comp.tool_calls, allowed, allowed=ctx.persona.allows)
            tool_results.extend(results)
            ctx.messages = (
                *ctx.messages,
                Message("assistant", comp.text, tool_calls=comp.tool_calls),
                *(Message("tool", result_text(r), tool_call_id=r.call.id, name=r.call.name) for r in results),
            )
        costs = [a.cost_usd for a in oks]
        total = None if any(c is None for c in costs) else float(sum(c for c in costs if c is not None))
        usage = comp.usage
        if len(oks) > 1:
            usage = Usage(sum(a.tokens_in for a in oks), sum(a.tokens_out for a in oks))
        return BrainResponse(
            text=comp.text,
            provider=route.provider,
            model=comp.model,
            usage=usage,
            cost_usd=total,
            latency_ms=(self._clock() - ctx.start_s) * 1000.0,
            attempts=tuple(ctx.attempts),
            persona=ctx.persona.name,
            user_id=ctx.user_id,
            feature=ctx.feature,
            streamed=False,
            answered=comp.answered,
            warnings=tuple(ctx.warnings),
            tool_results=tuple(tool_results),
        )

    def stream(
        self,
        prompt: str | Sequence[Message | Mapping[str, str]],
        *,
        tier: str = "standard",
        prefer: str | None = None,
        persona: Persona | str | None = None,
        user_id: str = "anonymous",
        feature: str = "ask",
        system: str | None = None,
        max_tokens: int = 512,
        temperature: float | None = None,
        history: Sequence[Message] | None = None,
    ) -> BrainStream:
        """Like :meth:`complete`, streamed: iterate the returned :class:`BrainStream` for text deltas.

        Budget checks happen here, before the first call. Retries and fallback happen only before the
        first text token; :attr:`BrainStream.response` is set when the stream ends (its cost equals the
        cost of the same usage non-streamed).
        """
        ctx = self._context(
            prompt, tier=tier, prefer=prefer, persona=persona, user_id=user_id, feature=feature, system=system,
            max_tokens=max_tokens, temperature=temperature, history=history,
        )  # fmt: skip
        return BrainStream(self, ctx)


class _StreamCall:
    """Opens a provider stream and reads up to the first text token (the fallback boundary)."""

    streamed = True

    def __init__(self, ctx: _Ctx) -> None:
        self.ctx = ctx

    def __call__(self, provider: Provider, route: Route) -> tuple[Iterator[StreamPiece], list[StreamPiece]]:
        ctx = self.ctx
        if route.provider in LOCAL_PROVIDERS and not hasattr(provider, "stream"):
            raise ProviderError("no stream", provider=route.provider, kind="bad_request")
        try:
            it = iter(
                provider.stream(
                    ctx.messages,
                    model=route.model,
                    system=ctx.system,
                    max_tokens=ctx.max_tokens,
                    temperature=ctx.temperature,
                )  # fmt: skip
            )
            head: list[StreamPiece] = []
            for piece in it:
                head.append(piece)
                if piece.text:
                    break
        except ProviderError:
            raise
        except Exception as exc:  # noqa: BLE001 - a third-party provider's raw error
            from .providers._common import to_provider_error

            raise to_provider_error(exc, provider=route.provider) from None
        return it, head


class BrainStream:
    """An answer being streamed: iterate for text deltas; :attr:`response` is set at the end.

    Attributes
    ----------
    text : str
        Text received so far.
    response : BrainResponse or None
        Set when the stream has ended successfully.
    attempts : list of Attempt
        The ledger of this request so far.
    """

    def __init__(self, router: Router, ctx: _Ctx) -> None:
        self._router = router
        self._ctx = ctx
        self.text = ""
        self.response: BrainResponse | None = None
        self._started = False

    @property
    def attempts(self) -> list[Attempt]:
        """The attempts so far."""
        return list(self._ctx.attempts)

    def __iter__(self) -> Iterator[str]:
        if self._started:
            raise ParameterError("a BrainStream can be iterated only once")
        self._started = True
        return self._gen()

    def read(self) -> BrainResponse:
        """Consume the whole stream and return the response."""
        for _ in self:
            pass
        assert self.response is not None
        return self.response

    def _gen(self) -> Iterator[str]:
        router, ctx = self._router, self._ctx
        (it, head), route, t0, ts = router._loop(ctx, _StreamCall(ctx))
        usage: Usage | None = None
        served = route.model
        answered = True

        def take(piece: StreamPiece) -> str:
            nonlocal usage, served
            if piece.usage is not None:
                usage = piece.usage
            if piece.model:
                served = piece.model
            return piece.text

        done = failed = False
        try:
            for piece in head:
                if take(piece):
                    self.text += piece.text
                    yield piece.text
            for piece in it:
                if take(piece):
                    self.text += piece.text
                    yield piece.text
            done = True
        except ProviderError as exc:
            failed = True
            router._record(
                ctx,
                Attempt(route.provider, served, ok=False, outcome=exc.kind, status_code=exc.status_code,
                        latency_ms=(router._clock() - t0) * 1000.0, cost_usd=None, streamed=True, ts=ts,
                        message=f"after the first token: {exc}"[:300]),
            )  # fmt: skip
            raise StreamInterruptedError(
                f"stream from {route} failed after its first token ({exc.kind}); no fallback is possible "
                f"once text was sent; partial text has {len(self.text)} characters",
                partial_text=self.text,
                attempts=ctx.attempts,
            ) from None
        finally:
            if not done and not failed:
                # the consumer stopped early (or an unexpected error): the call happened, its usage is unknown
                router._record(
                    ctx,
                    Attempt(route.provider, served, ok=False, outcome="connection",
                            latency_ms=(router._clock() - t0) * 1000.0, cost_usd=None, streamed=True, ts=ts,
                            message="stream closed before its end"),
                )  # fmt: skip
        if usage is None and route.provider in LOCAL_PROVIDERS:
            usage = Usage(0, 0)
        cost = router._cost(route, served, usage)
        router._record(
            ctx,
            Attempt(route.provider, served, ok=True, outcome="ok", latency_ms=(router._clock() - t0) * 1000.0,
                    tokens_in=usage.tokens_in if usage else 0, tokens_out=usage.tokens_out if usage else 0,
                    cost_usd=cost, streamed=True, ts=ts),
        )  # fmt: skip
        if route.provider not in LOCAL_PROVIDERS:
            router.cooldowns.record_success(route.provider)
        self.response = BrainResponse(
            text=self.text,
            provider=route.provider,
            model=served,
            usage=usage,
            cost_usd=cost,
            latency_ms=(router._clock() - ctx.start_s) * 1000.0,
            attempts=tuple(ctx.attempts),
            persona=ctx.persona.name,
            user_id=ctx.user_id,
            feature=ctx.feature,
            streamed=True,
            answered=answered,
            warnings=tuple(ctx.warnings),
        )


def _route(r: Route | str) -> Route:
    if isinstance(r, Route):
        return r
    if "/" not in r:
        raise ParameterError(f"a route is 'provider/model', given {r!r}")
    p, m = r.split("/", 1)
    return Route(p, m)
