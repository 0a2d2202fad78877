"""JARVIS ops dashboard (Panel). Serve with ``make ops`` or
``panel serve dashboards/ops.py --address 127.0.0.1 --port 5006``.

Thin on purpose: every number comes from jarvis_analytics. The full dashboard (health tiles,
charts, alerts, chat) arrives with the dashboard issue.
"""

import os
from pathlib import Path

import pandas as pd
import panel as pn

from jarvis_analytics.store import Store

pn.extension(sizing_mode="stretch_width")

DB = Path(os.environ.get("JARVIS_DB", Path(__file__).resolve().parent.parent / "data" / "jarvis.duckdb"))


@pn.cache(ttl=10)
def load_counts() -> pd.DataFrame:
    with Store(DB, read_only=True) as store:
        counts = store.counts()
    return pd.DataFrame({"event_type": list(counts), "rows": list(counts.values())})


counts = load_counts()
tiles = pn.Row(
    *[
        pn.indicators.Number(name=row.event_type, value=int(row.rows), format="{value:,}", css_classes=["tile"])
        for row in counts.itertuples()
    ]
)
pn.template.FastListTemplate(
    title="JARVIS ops",
    main=[pn.pane.Markdown(f"Event store: `{DB.name}`", css_classes=["store-name"]), tiles],
).servable()
