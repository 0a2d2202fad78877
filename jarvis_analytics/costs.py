"""Cost-optimisation advice from the LLM ledger.

"Cheap-tier" tasks are calls small enough for the cheapest model (``tokens_in + tokens_out`` at
most ``small_tokens``). For each (feature, model) the advice reports how many such calls went to a
model dearer than the cheapest one seen in the ledger, what they cost, what they would have cost on
the cheapest model (at its observed average price per token) and the saving.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from .metrics import _bounds

__all__ = ["model_prices", "cost_advice"]


def model_prices(con: duckdb.DuckDBPyConnection, *, since: Any = None, until: Any = None) -> pd.DataFrame:
    """Observed average price per 1 000 tokens (in + out) per provider/model, cheapest first."""
    s, u = _bounds(since, until)
    return (
        con.cursor()
        .execute(
            """SELECT provider, model, count(*) AS calls, sum(cost_usd) AS cost_usd,
                  1000 * sum(cost_usd) / nullif(sum(tokens_in + tokens_out), 0) AS usd_per_1k_tokens
           FROM llm_call WHERE ts >= ? AND ts < ? GROUP BY ALL ORDER BY usd_per_1k_tokens""",
            [s, u],
        )
        .df()
    )


def cost_advice(
    con: duckdb.DuckDBPyConnection, *, since: Any = None, until: Any = None, small_tokens: int = 1500
) -> pd.DataFrame:
    """Where moving cheap-tier calls to the cheapest model would save money.

    Returns
    -------
    advice : DataFrame
        Columns ``feature, model, small_calls, share_of_feature_calls, cost_usd, cost_on_cheapest_usd,
        savings_usd, cheapest_model``, largest saving first (only models dearer than the cheapest).

    Examples
    --------
    >>> from jarvis_analytics.store import Store
    >>> cost_advice(Store().con).empty
    True
    """
    prices = model_prices(con, since=since, until=until).dropna(subset=["usd_per_1k_tokens"])
    if prices.empty:
        return pd.DataFrame(
            columns=[
                "feature",
                "model",
                "small_calls",
                "share_of_feature_calls",
                "cost_usd",
                "cost_on_cheapest_usd",
                "savings_usd",
                "cheapest_model",
            ]
        )
    cheapest = prices.iloc[0]
    s, u = _bounds(since, until)
    out = (
        con.cursor()
        .execute(
            """WITH calls AS (SELECT feature, model, tokens_in + tokens_out AS tok, cost_usd FROM llm_call
                          WHERE ts >= ? AND ts < ?),
                per_feature AS (SELECT feature, count(*) AS n FROM calls GROUP BY feature)
           SELECT c.feature, c.model, count(*) AS small_calls, count(*) / any_value(f.n) AS share_of_feature_calls,
                  sum(c.cost_usd) AS cost_usd, sum(c.tok) * ? / 1000 AS cost_on_cheapest_usd
           FROM calls c JOIN per_feature f USING (feature)
           WHERE c.tok <= ? AND c.model <> ?
           GROUP BY c.feature, c.model""",
            [s, u, float(cheapest.usd_per_1k_tokens), small_tokens, str(cheapest.model)],
        )
        .df()
    )
    out["savings_usd"] = out.cost_usd - out.cost_on_cheapest_usd
    out["cheapest_model"] = str(cheapest.model)
    return out[out.savings_usd > 0].sort_values("savings_usd", ascending=False).reset_index(drop=True)
