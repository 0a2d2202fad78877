"""Budgets: a hard stop and a soft warning per user per day and for everybody per day, checked before a call.

Spending is kept in memory per UTC day (``(day, user)`` and ``day``) and can be seeded from the JARVIS
store (``tracker.add_spent(...)`` with what the store already counted). The check runs before any
server call with a lower-bound estimate of the request's cost (its input tokens at the cheapest price
of the chain), so a request that would start above the limit makes zero server calls.
"""

from __future__ import annotations

import datetime as dt
import threading
import warnings
from dataclasses import dataclass

from ..exceptions import ParameterError
from .base import BrainWarning, BudgetExceededError

__all__ = ["Budget", "BudgetTracker"]


@dataclass(frozen=True)
class Budget:
    """Spending limits in USD.

    Parameters
    ----------
    per_user_day_usd : float, optional
        Limit for one user in one UTC day (None: no limit).
    per_day_usd : float, optional
        Limit for everybody together in one UTC day (None: no limit).
    soft_fraction : float in (0, 1]
        A :class:`~dawglib.brain.base.BrainWarning` is raised once spending reaches this fraction.

    Examples
    --------
    >>> Budget(per_user_day_usd=1.0, per_day_usd=20.0)
    Budget(per_user_day_usd=1.0, per_day_usd=20.0, soft_fraction=0.8)
    """

    per_user_day_usd: float | None = None
    per_day_usd: float | None = None
    soft_fraction: float = 0.8

    def __post_init__(self) -> None:
        for name in ("per_user_day_usd", "per_day_usd"):
            v = getattr(self, name)
            if v is not None and not v >= 0:
                raise ParameterError(f"{name} must be >= 0 or None, given {v!r}")
        if not 0 < self.soft_fraction <= 1:
            raise ParameterError(f"soft_fraction must be in (0, 1], given {self.soft_fraction!r}")


class BudgetTracker:
    """Spent USD per (day, user) and per day, with :meth:`check` before a call and :meth:`add_spent` after.

    Parameters
    ----------
    budget : Budget
    """

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self._user: dict[tuple[dt.date, str], float] = {}
        self._day: dict[dt.date, float] = {}
        self._lock = threading.Lock()

    def spent_usd(self, *, day: dt.date, user_id: str | None = None) -> float:
        """Spent so far in a day (for one user, or for everybody when ``user_id`` is None)."""
        with self._lock:
            if user_id is None:
                return self._day.get(day, 0.0)
            return self._user.get((day, user_id), 0.0)

    def add_spent(self, cost_usd: float | None, *, day: dt.date, user_id: str) -> None:
        """Count a cost (None — unknown price — counts nothing but was warned about by the price book)."""
        if cost_usd is None or cost_usd <= 0:
            return
        with self._lock:
            self._user[(day, user_id)] = self._user.get((day, user_id), 0.0) + cost_usd
            self._day[day] = self._day.get(day, 0.0) + cost_usd

    def check(self, *, day: dt.date, user_id: str, estimate_usd: float = 0.0) -> list[str]:
        """Raise :class:`BudgetExceededError` when spent + estimate exceeds a limit; return soft warnings.

        Parameters
        ----------
        day : date
            The UTC day.
        user_id : str
        estimate_usd : float
            Lower bound of the cost of the coming request.

        Returns
        -------
        list of str
            Soft-limit messages (also raised as :class:`BrainWarning`).
        """
        out = []
        for scope, limit, spent in (
            ("user_day", self.budget.per_user_day_usd, self.spent_usd(day=day, user_id=user_id)),
            ("day", self.budget.per_day_usd, self.spent_usd(day=day)),
        ):
            if limit is None:
                continue
            who = f"user {user_id!r}" if scope == "user_day" else "all users"
            if spent + estimate_usd > limit or (limit == 0 and spent + estimate_usd >= limit):
                raise BudgetExceededError(
                    f"budget stop: {who} spent {spent:.6f} USD on {day} (+{estimate_usd:.6f} estimated for this "
                    f"request) against a limit of {limit:.6f} USD; no call was made",
                    scope=scope,
                    limit_usd=limit,
                    spent_usd=spent,
                )
            if spent + estimate_usd >= self.budget.soft_fraction * limit:
                msg = (
                    f"budget warning: {who} spent {spent:.6f} of {limit:.6f} USD on {day}; with this "
                    f"request's estimate that is {100 * (spent + estimate_usd) / limit:.0f} % of the limit"
                )
                warnings.warn(msg, BrainWarning, stacklevel=3)
                out.append(msg)
        return out
