"""Cost of a call in USD from the token usage: ``genai-prices`` (pinned, offline) plus user overrides.

``genai-prices`` ships its price snapshot inside the package; nothing is fetched (its optional
auto-update is never started here). Overrides (negotiated prices, a local gateway, a new model) win
over the snapshot. An unknown model costs ``None`` and raises a :class:`~dawglib.brain.base.BrainWarning`
once per model — never a silent $0. The same function prices streamed and non-streamed calls, so the
same usage always costs the same.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from ..exceptions import ParameterError
from .base import BrainWarning, Usage

__all__ = ["Price", "PriceBook", "GENAI_PRICES_PROVIDER", "LOCAL_PROVIDERS"]

#: brain provider name -> genai-prices provider id
GENAI_PRICES_PROVIDER = {"openai": "openai", "anthropic": "anthropic", "gemini": "google"}
#: providers that run on this machine and cost nothing
LOCAL_PROVIDERS = frozenset({"offline"})


@dataclass(frozen=True)
class Price:
    """A price in USD per million tokens.

    Examples
    --------
    >>> Price(input_per_mtok_usd=2.5, output_per_mtok_usd=10.0).cost_usd(Usage(1000, 500))
    0.0075
    """

    input_per_mtok_usd: float
    output_per_mtok_usd: float

    def __post_init__(self) -> None:
        if self.input_per_mtok_usd < 0 or self.output_per_mtok_usd < 0:
            raise ParameterError(f"prices must be >= 0 USD per million tokens, given {self}")

    def cost_usd(self, usage: Usage) -> float:
        """Cost of a usage (exact decimal arithmetic, returned as float)."""
        c = (
            Decimal(str(self.input_per_mtok_usd)) * usage.tokens_in
            + Decimal(str(self.output_per_mtok_usd)) * usage.tokens_out
        ) / Decimal(1_000_000)
        return float(c)


class PriceBook:
    """Prices of models: user overrides first, then the ``genai-prices`` snapshot.

    Parameters
    ----------
    overrides : mapping, optional
        ``"provider/model"`` (or ``"model"`` for any provider) -> :class:`Price` or
        ``{"input_per_mtok_usd": ..., "output_per_mtok_usd": ...}``.

    Examples
    --------
    >>> book = PriceBook(overrides={"openai/my-finetune": Price(1.0, 2.0)})
    >>> book.cost_usd("openai", "my-finetune", Usage(1_000_000, 0))
    1.0
    >>> book.cost_usd("openai", "gpt-4o", Usage(1000, 500))
    0.0075
    """

    def __init__(self, *, overrides: Mapping[str, Price | Mapping[str, float]] | None = None) -> None:
        self.overrides: dict[str, Price] = {}
        for k, v in (overrides or {}).items():
            self.overrides[str(k)] = v if isinstance(v, Price) else Price(**{kk: float(vv) for kk, vv in v.items()})
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def _override(self, provider: str, model: str) -> Price | None:
        return self.overrides.get(f"{provider}/{model}") or self.overrides.get(model)

    def known(self, provider: str, model: str) -> bool:
        """Whether a price exists for the model (no warning)."""
        return self._cost(provider, model, Usage(1, 1)) is not None

    def _cost(self, provider: str, model: str, usage: Usage) -> float | None:
        if provider in LOCAL_PROVIDERS:
            return 0.0
        over = self._override(provider, model)
        if over is not None:
            return over.cost_usd(usage)
        pid = GENAI_PRICES_PROVIDER.get(provider)
        if pid is None:
            return None
        from genai_prices import Usage as GUsage
        from genai_prices import calc_price

        try:
            r = calc_price(GUsage(input_tokens=usage.tokens_in, output_tokens=usage.tokens_out), model, provider_id=pid)
        except LookupError:
            return None
        return float(r.total_price)

    def cost_usd(
        self, provider: str, model: str, usage: Usage | None, *, fallback_model: str | None = None
    ) -> float | None:
        """Cost of one call in USD, or None (with a warning, once per model) when no price is known.

        Parameters
        ----------
        provider, model : str
            The provider and the model that served the call.
        usage : Usage or None
            None (the provider reported no usage) gives None.
        fallback_model : str, optional
            Tried when ``model`` has no price (e.g. the requested alias when the server names a dated snapshot).
        """
        if usage is None:
            self._warn(f"{provider}/{model}: the provider reported no token usage; cost unknown (None)")
            return None
        for m in (model, fallback_model):
            if m:
                c = self._cost(provider, m, usage)
                if c is not None:
                    return c
        self._warn(
            f"no price for {provider}/{model} in genai-prices or the overrides; cost is None, not $0. "
            "Add an override: PriceBook(overrides={'%s/%s': Price(input_per_mtok_usd=..., output_per_mtok_usd=...)})"
            % (provider, model)
        )
        return None

    def price_per_mtok(self, provider: str, model: str) -> Price | None:
        """Input and output price per million tokens (None when unknown)."""
        i = self._cost(provider, model, Usage(1000, 0))  # 1k tokens: below any long-context tier
        o = self._cost(provider, model, Usage(0, 1000))
        return None if i is None or o is None else Price(round(i * 1000, 9), round(o * 1000, 9))

    def _warn(self, msg: str) -> None:
        with self._lock:
            if msg in self._warned:
                return
            self._warned.add(msg)
        warnings.warn(msg, BrainWarning, stacklevel=3)
