"""JARVIS ops dashboard (Panel). Serve with ``make ops`` or
``panel serve dashboards/ops.py --address 127.0.0.1 --port 5006``.

Thin on purpose: every number comes from ``jarvis_analytics.dashboard`` (which calls the metrics,
anomaly, forecast and alert functions); the app holds no SQL. It reads the newest snapshot the
writer publishes (``open_reader``), so it never fights ``jarvis monitor`` / ``jarvis ingest``.

Environment:
  JARVIS_DB                         the store (default data/jarvis.duckdb)
  JARVIS_DASHBOARD_REFRESH_S        live refresh period of tiles and alerts (default 10)
  JARVIS_DASHBOARD_CHART_REFRESH_S  minimum time between chart refreshes on new data (default 60)
  JARVIS_DASHBOARD_RANGE            initial time range: 1 h, 6 h, 24 h, 7 d, 30 d (default 7 d)
  JARVIS_MONTHLY_BUDGET_USD         the LLM budget line (default 200)
  JARVIS_DASHBOARD_TOKEN            when set, every session needs ?token=<value> in its URL
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hmac
import html
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import panel as pn
from bokeh.models import (
    BasicTicker,
    BasicTickFormatter,
    ColumnDataSource,
    DatetimeAxis,
    DatetimeTicker,
    DatetimeTickFormatter,
    Grid,
    HoverTool,
    Line,
    LinearAxis,
    Scatter,
    VArea,
)
from bokeh.models.annotations import Legend, LegendItem, Span, Whisker
from bokeh.palettes import Category10_10
from bokeh.plotting import figure
from panel.io import hold

from jarvis_analytics import dashboard as dash

pn.extension(sizing_mode="stretch_width", notifications=True)

DB = Path(os.environ.get("JARVIS_DB", Path(__file__).resolve().parent.parent / "data" / "jarvis.duckdb"))
REFRESH_S = float(os.environ.get("JARVIS_DASHBOARD_REFRESH_S", "10"))
CHART_REFRESH_S = float(os.environ.get("JARVIS_DASHBOARD_CHART_REFRESH_S", "60"))
START_RANGE = os.environ.get("JARVIS_DASHBOARD_RANGE", dash.DEFAULT_RANGE)
BUDGET_USD = float(os.environ.get("JARVIS_MONTHLY_BUDGET_USD", "200"))
TOKEN = os.environ.get("JARVIS_DASHBOARD_TOKEN", "")
LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")

CSS = """
.tiles {display: flex; flex-wrap: wrap; gap: 10px;}
.tile {border-radius: 8px; padding: 8px 12px; min-width: 170px; background: #f6f8fa; border-left: 6px solid #999;
       font-size: 13px; line-height: 1.5;}
.tile.up {border-left-color: #2da44e;} .tile.degraded {border-left-color: #d4a72c;}
.tile.down {border-left-color: #cf222e;} .tile .name {font-weight: 600; font-size: 14px;}
.tile .status {text-transform: uppercase; font-weight: 600;}
.tile.down .status {color: #cf222e;} .tile.up .status {color: #2da44e;} .tile.degraded .status {color: #9a6700;}
.tile .detail {color: #57606a; font-size: 12px;}
.alert {padding: 4px 8px; border-left: 5px solid #999; margin: 2px 0;}
.alert.critical {border-left-color: #cf222e;} .alert.warning {border-left-color: #d4a72c;}
.alert.info {border-left-color: #0969da;} .alert .sev {font-weight: 600; text-transform: uppercase;}
.anomaly-table {max-height: 260px; overflow-y: auto; font-size: 12px;}
.anomaly-table table {border-collapse: collapse; width: 100%;}
.anomaly-table th, .anomaly-table td {padding: 2px 8px; text-align: right; border-bottom: 1px solid #eaeef2;}
"""


def _shared() -> dict[str, Any]:
    """Per-process state shared by the sessions: one reader that follows the snapshots, one cache."""
    key = f"jarvis-ops:{DB}"
    if key not in pn.state.cache:
        pn.state.cache[key] = {
            "live": dash.LiveReader(DB),
            "up30": dash.UptimeCache(pd.Timedelta(days=30).to_pytimedelta()),
            "acks": dash.AckBook.for_store(DB),
            "memo": dash.ResultMemo(background=True),  # anomalies + forecast of a new hour: in a worker
            "pool": ThreadPoolExecutor(max_workers=1, thread_name_prefix="jarvis-ops-charts"),
        }
    return pn.state.cache[key]


def _authorised() -> str | None:
    """None when this session may see the dashboard, else the reason it may not."""
    args = pn.state.session_args or {}
    if TOKEN:
        given = (args.get("token") or [b""])[0].decode()
        return None if hmac.compare_digest(given, TOKEN) else "a valid ?token= is required"
    host = str((pn.state.headers or {}).get("Host", "127.0.0.1")).rsplit(":", 1)[0]
    if host not in LOOPBACK and not pn.state.user:
        return (
            f"this dashboard is served beyond localhost (host {host!r}) without authentication; "
            "start it with --basic-auth (or set JARVIS_DASHBOARD_TOKEN)"
        )
    return None


# -- figures (bokeh) ----------------------------------------------------------------------------


class _Kit:
    """Models shared by the figures of one page: one datetime ticker and formatter for every x axis
    (13 + 3 models each otherwise), one y ticker and formatter, and a legend per figure built once.
    Fewer models is less to serialise on the server and less to build and lay out in the browser."""

    def __init__(self) -> None:
        self.x_ticker = DatetimeTicker()
        self.x_format = DatetimeTickFormatter()
        self.y_ticker = BasicTicker()
        self.y_format = BasicTickFormatter()
        self.legends: dict[int, Legend] = {}

    def legend(self, p: Any) -> Any:
        if id(p) not in self.legends:
            self.legends[id(p)] = Legend(location="top_left", click_policy="hide")
            p.add_layout(self.legends[id(p)])
        return self.legends[id(p)]


def _fig(title: str, y_label: str, *, kit: _Kit, height: int = 260, x_range: Any = None) -> Any:
    p = figure(
        title=title,
        x_axis_type=None,
        y_axis_type=None,
        height=height,
        sizing_mode="stretch_width",
        tools="pan,xwheel_zoom,box_zoom,reset,save",
        name=f"fig:{title}",
        **({"x_range": x_range} if x_range is not None else {}),
    )
    p.add_layout(DatetimeAxis(ticker=kit.x_ticker, formatter=kit.x_format), "below")
    p.add_layout(LinearAxis(ticker=kit.y_ticker, formatter=kit.y_format, axis_label=y_label), "left")
    p.add_layout(Grid(dimension=0, ticker=kit.x_ticker))
    p.add_layout(Grid(dimension=1, ticker=kit.y_ticker))
    p.add_tools(HoverTool(tooltips=[("time", "@x{%F %H:%M}"), ("value", "@y{0.000}"), ("series", "$name")],
                          formatters={"@x": "datetime"}))  # fmt: skip
    p.toolbar.logo = None
    return p


def _naive(t: Any) -> Any:
    """UTC times as float milliseconds since the epoch (bokeh's datetime axis unit; sent as binary)."""
    idx = pd.DatetimeIndex(pd.to_datetime(pd.Index(t), utc=True)).tz_convert(None)
    return ((idx - pd.Timestamp(0)) / pd.Timedelta(1, "ms")).to_numpy(dtype=float)


def _line(
    p: Any, x: Any, y: Any, *, kit: _Kit, name: str, label: str, color: str, dash_: str = "solid", width: int = 2
) -> None:
    """One series: numpy columns (sent as binary buffers), one glyph (no selection/muted copies)."""
    src = ColumnDataSource({"x": _naive(x), "y": np.asarray(y, dtype=float)}, name=name)
    glyph = Line(x="x", y="y", line_color=color, line_width=width, line_dash=dash_)
    r = p.add_glyph(src, glyph, name=label)
    kit.legend(p).items.append(LegendItem(label=label, renderers=[r]))


def _marks(p: Any, marks: pd.DataFrame, *, kit: _Kit, name: str) -> None:
    src = ColumnDataSource(
        {
            "x": _naive(marks["hour"]) if len(marks) else np.zeros(0),
            "y": marks["y"].to_numpy(dtype=float) if len(marks) else np.zeros(0),
            "label": [
                f"anomaly: {m} {s or ''} (z={z:.1f})" for m, s, z in zip(marks.metric, marks.service, marks.score)
            ]
            if len(marks)
            else [],
        },
        name=name,
    )
    glyph = Scatter(x="x", y="y", size=11, fill_color="red", line_color="red", fill_alpha=0.35, line_width=2)
    r = p.add_glyph(src, glyph, name="anomaly")
    kit.legend(p).items.append(LegendItem(label="anomaly", renderers=[r]))


def traffic_figures(
    step: str, frame: pd.DataFrame, marks: pd.DataFrame, *, latency_service: str, kit: _Kit
) -> list[Any]:
    per = "minute" if step == "minute" else "hour"
    req = _fig(f"Requests per minute (per {per})", "req/min", kit=kit)
    err = _fig(f"5xx error rate (per {per})", "%", kit=kit, x_range=req.x_range)  # linked zoom and pan
    lat = _fig(f"Latency of {latency_service}: p50 / p95 / p99 (per {per})", "ms", kit=kit, x_range=req.x_range)
    for i, (svc, g) in enumerate(frame.groupby("service")):
        c = Category10_10[i % 10]
        _line(req, g.t, g.req_per_min, kit=kit, name=f"requests:{svc}", label=str(svc), color=c)
        _line(err, g.t, g.error_pct, kit=kit, name=f"errors:{svc}", label=str(svc), color=c)
    g = frame[frame.service == latency_service]
    for q, c, d in (("p50", "#2da44e", "solid"), ("p95", "#d4a72c", "solid"), ("p99", "#cf222e", "dashed")):
        _line(lat, g.t, g[f"{q}_ms"], kit=kit, name=f"latency:{q}", label=q, color=c, dash_=d)
    _marks(req, marks[marks.chart == "requests"], kit=kit, name="anomalies:requests")
    _marks(err, marks[marks.chart == "errors"], kit=kit, name="anomalies:errors")
    lat_marks = marks[(marks.chart == "latency") & (marks.service == latency_service)]
    _marks(lat, lat_marks, kit=kit, name="anomalies:latency")
    return [req, err, lat]


def forecast_figure(hist: pd.Series, fc: pd.DataFrame, *, kit: _Kit) -> Any:
    p = _fig("Requests per hour (all services): last 3 days and the next 24 h, 90 % interval", "requests/h", kit=kit)
    h = hist.iloc[-72:]
    _line(p, h.index, h.to_numpy(), kit=kit, name="forecast:history", label="observed", color="#0969da")
    if len(fc):
        cols = {"x": _naive(fc.index), "lower": fc["lower"].to_numpy(float), "upper": fc["upper"].to_numpy(float)}
        band = ColumnDataSource(cols, name="forecast:band")
        r = p.add_glyph(band, VArea(x="x", y1="lower", y2="upper", fill_alpha=0.2, fill_color="#8250df"))
        kit.legend(p).items.append(LegendItem(label="90 % interval", renderers=[r]))
        _line(p, fc.index, fc["mean"], kit=kit, name="forecast:mean", label="forecast", color="#8250df", dash_="dashed")
    return p


def cost_figures(view: dash.CostView, marks: pd.DataFrame, *, by: str, kit: _Kit) -> list[Any]:
    daily = view.daily.copy()
    daily["day"] = pd.to_datetime(daily["day"])
    wide = daily.pivot_table(index="day", columns=by, values="cost_usd", aggfunc="sum").fillna(0.0)
    bars = _fig(f"LLM cost per {by} per day (USD)", "USD", kit=kit)
    groups = [str(c) for c in wide.columns]
    if groups:
        cols = {"x": _naive(wide.index), **{g: wide[g].to_numpy(float) for g in groups}}
        src = ColumnDataSource(cols, name="cost:daily")
        colors = [Category10_10[i % 10] for i in range(len(groups))]
        stack = bars.vbar_stack(groups, x="x", width=0.8 * 86_400_000, source=src, color=colors)
        kit.legend(bars).items.extend(LegendItem(label=g, renderers=[r]) for g, r in zip(groups, stack))
    hourly = marks[marks.chart == "cost"]
    if len(hourly):  # an anomalous hour of spend: marked on its day at the day's total
        day_total = wide.sum(axis=1)
        d = pd.to_datetime(hourly["hour"], utc=True).dt.tz_convert(None).dt.normalize()
        m = hourly.assign(hour=d + pd.Timedelta(hours=12), y=d.map(day_total).to_numpy())
        _marks(bars, m, kit=kit, name="anomalies:cost")
    mtd = view.month_to_date
    proj = view.projection
    cum = _fig("Month to date: spend, month-end projection (90 % interval) and budget", "USD", kit=kit)
    if len(mtd):
        x = pd.to_datetime(mtd["day"]) + pd.Timedelta(days=1)  # spend up to the end of each day
        _line(cum, x, mtd["cumulative_usd"], kit=kit, name="cost:mtd", label="spent", color="#0969da")
    if proj is not None:
        month_end = pd.Timestamp(proj.month + "-01") + pd.offsets.MonthBegin(1)
        start = pd.to_datetime(mtd["day"]).max() + pd.Timedelta(days=1) if len(mtd) else pd.Timestamp(proj.month)
        _line(cum, [start, month_end], [proj.spent_usd, proj.projected_usd], kit=kit, name="cost:projection",
              label=f"projected {proj.projected_usd:.2f} USD", color="#8250df", dash_="dashed")  # fmt: skip
        w = ColumnDataSource({"x": [month_end], "lower": [proj.lower_usd], "upper": [proj.upper_usd]}, name="cost:pi")
        cum.add_layout(Whisker(source=w, base="x", lower="lower", upper="upper", line_color="#8250df"))
    cum.add_layout(Span(location=view.budget_usd, dimension="width", line_color="#cf222e", line_dash="dotted"))
    _line(cum, [], [], kit=kit, name="cost:budget", label=f"budget {view.budget_usd:.0f} USD", color="#cf222e",
          dash_="dotted")  # fmt: skip
    return [bars, cum]


def users_figure(daily: pd.DataFrame, *, kit: _Kit) -> Any:
    p = _fig("Users and sessions per UTC day", "count", kit=kit)
    for col, c in (("dau", "#0969da"), ("wau", "#8250df"), ("new_users", "#2da44e"), ("sessions", "#d4a72c")):
        _line(p, daily["day"], daily[col], kit=kit, name=f"users:{col}", label=col, color=c)
    return p


# -- HTML pieces --------------------------------------------------------------------------------


def _records(frame: pd.DataFrame) -> list[SimpleNamespace]:
    """The rows of a frame with attribute access."""
    return [SimpleNamespace(**{str(k): v for k, v in rec.items()}) for rec in frame.to_dict("records")]


def tiles_html(tiles: pd.DataFrame, *, until: Any) -> str:
    cards = []
    for r in _records(tiles):
        cards.append(
            f"""<div class="tile {html.escape(str(r.status))}" data-service="{html.escape(str(r.service))}">
<div class="name">{html.escape(str(r.service))}</div>
<div>status <span class="status" data-k="status">{html.escape(str(r.status))}</span></div>
<div>uptime 24 h <b data-k="uptime_24h">{dash.fmt_pct(r.uptime_24h_pct)}</b></div>
<div>uptime 30 d <b data-k="uptime_30d">{dash.fmt_pct(r.uptime_30d_pct)}</b></div>
<div>last check <span data-k="last_check">{dash.fmt_ts(r.last_check)}</span></div>
<div>restarts <span data-k="restarts">{r.restarts_24h} (24 h) / {r.restarts_30d} (30 d)</span></div>
<div class="detail" data-k="detail">{html.escape(str(r.detail or ""))}</div></div>"""
        )
    return f'<div class="tiles">{"".join(cards) or "no health checks yet"}</div>'


def users_html(tiles: dict[str, int], daily: pd.DataFrame) -> str:
    last = f"{pd.Timestamp(daily['day'].iloc[-1]):%Y-%m-%d}" if len(daily) else "–"
    items = [
        ("dau", f"active users on {last}"),
        ("wau", f"active in the 7 days to {last}"),
        ("new_users", "new users in the window's days"),
        ("sessions", "sessions in the window's days"),
    ]
    cards = "".join(
        f'<div class="tile" data-users="{k}"><div class="name" data-k="{k}">{tiles[k]:,}</div>{label}</div>'
        for k, label in items
    )
    return f'<div class="tiles">{cards}</div>'


def anomalies_table_html(marks: pd.DataFrame) -> str:
    """The anomalous hours as a plain HTML table (no Tabulator bundle to load)."""
    table = marks[["hour", "metric", "service", "value", "expected", "score"]].copy()
    table["hour"] = pd.to_datetime(table["hour"], utc=True).dt.strftime("%Y-%m-%d %H:%M")
    body = table.round(3).to_html(index=False, border=0, classes="anomalies", na_rep="–", escape=True)
    return f'<div class="anomaly-table">{body}</div>'


@dataclasses.dataclass(frozen=True)
class BuiltCharts:
    """The charts' data and their bokeh figures, built outside any document (thread-safe)."""

    args: dict[str, Any]
    data: dash.ChartData
    services: list[str]
    latency_service: str
    figures: dict[str, Any]
    memo_refreshed: int = 0  # ResultMemo.refreshed before the query: a later value means newer hourly results


def build_charts(
    con: Any,
    *,
    range_label: str,
    until: Any,
    by: str,
    budget_usd: float,
    generation: Any,
    latency_service: str,
    memo: dash.ResultMemo | None = None,
    lease: Callable[[], dash.Lease] | None = None,
) -> BuiltCharts:
    """Query (``dash.chart_data``) and build every figure; touches no Panel object or document.

    ``lease`` lends the memo's worker a cursor when the anomalies and forecast of a new hour are
    recomputed in the background (``dash.LiveReader.lease``).
    """
    args = {
        "range_label": range_label,
        "until": until,
        "by": by,
        "budget_usd": budget_usd,
        "generation": generation,
        "latency_service": latency_service,
    }
    refreshed = memo.refreshed if memo is not None else 0
    # a recomputation of the hour's anomalies/forecast starts once the figures are built (shared GIL)
    with memo.deferred() if memo is not None else contextlib.nullcontext():
        d = dash.chart_data(
            con,
            range_label=range_label,
            until=until,
            by=by,
            budget_usd=budget_usd,
            memo=memo,
            generation=generation,
            lease=lease,
        )
        services = sorted(d.traffic.service.unique()) if len(d.traffic) else []
        svc = latency_service if latency_service in services else (services or [""])[0]
        kit = _Kit()
        req, err, lat = traffic_figures(d.step, d.traffic, d.marks, latency_service=svc, kit=kit)
        bars, cum = cost_figures(d.costs, d.marks, by=by, kit=kit)
        figures = {
            "requests": req,
            "errors": err,
            "latency": lat,
            "forecast": forecast_figure(d.history, d.forecast, kit=kit),
            "cost_daily": bars,
            "cost_mtd": cum,
            "users": users_figure(d.users_daily, kit=kit),
        }
    return BuiltCharts(
        args=args, data=d, services=services, latency_service=svc, figures=figures, memo_refreshed=refreshed
    )


# -- the app ------------------------------------------------------------------------------------


class OpsDashboard:
    """One browser session of the dashboard.

    The page is sent with the health tiles, alerts and as-of line already filled (cheap, shared per
    snapshot); the charts are filled by :meth:`load_charts` once the browser has drawn the page
    (``pn.state.onload``), from results shared by the sessions (``dash.chart_data`` with a memo).
    After an hour boundary the memo's worker recomputes the anomalies and forecast while the charts
    keep the previous hour's; the first periodic refresh after they landed redraws the charts.
    """

    def __init__(self) -> None:
        self.shared = _shared()
        self.live: dash.LiveReader = self.shared["live"]
        self.memo: dash.ResultMemo = self.shared["memo"]
        self.gen = -1
        self._updating = False
        self.charts_loaded = False
        self.until: Any = None
        self.last_chart_refresh = 0.0
        self.awaiting_hourly: int | None = None  # shown anomalies/forecast are stale: memo.refreshed then
        self.range = pn.widgets.RadioButtonGroup(name="Time range", options=list(dash.RANGES), value=START_RANGE)
        self.cost_by = pn.widgets.RadioButtonGroup(name="Cost by", options=["provider", "model"], value="provider")
        self.budget = pn.widgets.FloatInput(name="Monthly LLM budget (USD)", value=BUDGET_USD, step=10, start=0)
        self.latency_service = pn.widgets.Select(name="Latency of", options=[])
        self.asof = pn.pane.HTML("", css_classes=["asof"])
        self.tiles = pn.pane.HTML("", stylesheets=[CSS], css_classes=["health-tiles"])
        loading = '<span data-k="charts-loading">loading charts…</span>'
        self.traffic = pn.Column(pn.pane.HTML(loading))
        self.forecast = pn.Column(pn.pane.HTML(loading))
        self.costs = pn.Column(pn.pane.HTML(loading))
        self.users = pn.Column(pn.pane.HTML(loading))
        self.anomalies = pn.Column(pn.pane.HTML(loading))
        self.alerts = pn.Column()
        self.chat = pn.chat.ChatInterface(
            callback=self.answer,
            callback_user="JARVIS",
            show_rerun=False,
            show_undo=False,
            height=420,
            placeholder_text="Ask JARVIS, e.g. 'uptime of the producer over the last 30 days'",
        )
        self._router: Any = None
        self._tools: Any = None
        self._prebuilt: Any = None
        self.range.param.watch(lambda *_: self.refresh_charts(), "value")
        self.cost_by.param.watch(lambda *_: self.refresh_charts(), "value")
        self.budget.param.watch(lambda *_: self.refresh_charts(), "value")
        self.latency_service.param.watch(self._latency_changed, "value")
        self.refresh(force=True)
        self._start_prebuild()
        pn.state.onload(self.load_charts)
        pn.state.add_periodic_callback(self.refresh, period=int(REFRESH_S * 1000))

    def _latency_changed(self, *_: Any) -> None:
        if not self._updating and self.charts_loaded:
            self.refresh_charts()

    def con(self) -> Any:
        return self.live.get()[0]

    # live part: tiles, alerts, as-of (cheap; only when the writer published a new snapshot)
    def refresh(self, force: bool = False) -> None:
        con, _ = self.live.get()
        if self.live.opened == self.gen and not force:
            self._hourly_landed()
            return
        self.gen = self.live.opened
        gen = self.gen
        self.until = self.memo.get(("until", gen), lambda: dash.data_end(con))
        tiles = self.memo.get(
            ("tiles", gen, self.until),
            lambda: dash.health_tiles(con, until=self.until, cache_30d=self.shared["up30"]),
        )
        self.tiles.object = tiles_html(tiles, until=self.until)
        age = pd.Timestamp.now(tz="UTC") - pd.Timestamp(self.until)
        self.asof.object = (
            f'<span data-k="asof">as of {dash.fmt_ts(self.until)}</span> '
            f"(last event {age.total_seconds() / 60:,.0f} min ago; store <code>{html.escape(DB.name)}</code>, "
            f"refresh every {REFRESH_S:g} s)"
        )
        self.render_alerts(dash.alerts_view(con, acks=self.shared["acks"]))
        if self.charts_loaded and time.monotonic() - self.last_chart_refresh >= CHART_REFRESH_S:
            self.refresh_charts()
        else:
            self._hourly_landed()

    def _hourly_landed(self) -> None:
        """Redraw the charts when they show the previous hour's anomalies/forecast and the new ones landed.

        The memo's worker recomputes those after an hour boundary while the refresh shows the old
        ones (no refresh waits for it); the next periodic refresh after they landed shows them (the
        other results are memo hits: no query).
        """
        if self.charts_loaded and self.awaiting_hourly is not None and self.memo.refreshed != self.awaiting_hourly:
            self.refresh_charts()

    def _chart_args(self) -> dict[str, Any]:
        """What the charts depend on, read from the widgets (in the session's thread)."""
        return {
            "range_label": self.range.value,
            "until": self.until,
            "by": self.cost_by.value,
            "budget_usd": float(self.budget.value or 0.0),
            "generation": self.gen,
            "latency_service": self.latency_service.value,
        }

    def _start_prebuild(self) -> None:
        """Query and build the charts in a worker thread while the browser loads and draws the page."""
        # a cursor of its own (DuckDB connections are not shared across threads), leased so that the
        # reader keeps this snapshot open until the worker is done
        lease = self.live.lease()
        self._prebuilt = self.shared["pool"].submit(self._prebuild, lease, self._chart_args())

    def _prebuild(self, lease: dash.Lease, args: dict[str, Any]) -> BuiltCharts:
        with lease:
            return build_charts(lease.con, memo=self.memo, lease=self.live.lease, **args)

    async def load_charts(self) -> None:
        """Show the charts (runs once the browser has drawn the page; usually prebuilt by then)."""
        fut, self._prebuilt = self._prebuilt, None
        built = None
        if fut is not None:
            try:
                built = await asyncio.wrap_future(fut)
            except Exception:  # noqa: BLE001 - e.g. a snapshot swapped under the worker: build here instead
                built = None
        if built is None or built.args != self._chart_args():
            self.refresh_charts()
        else:
            self.show_charts(built)

    def refresh_charts(self) -> None:
        self.show_charts(build_charts(self.con(), memo=self.memo, lease=self.live.lease, **self._chart_args()))

    def show_charts(self, built: BuiltCharts) -> None:
        self.last_chart_refresh = time.monotonic()
        self.awaiting_hourly = None if built.data.hourly_current else built.memo_refreshed
        d, figs = built.data, built.figures
        if list(self.latency_service.options) != built.services or self.latency_service.value != built.latency_service:
            self._updating = True
            try:
                self.latency_service.param.update(options=built.services, value=built.latency_service)
            finally:
                self._updating = False
        view = d.costs
        win = f"window {dash.fmt_ts(d.since)} → {dash.fmt_ts(d.until)} ({d.range_label})"
        proj = view.projection
        proj_text = (
            f'spent <b data-k="spent">{proj.spent_usd:.2f} USD</b> this month before today; projected month end '
            f'<b data-k="projected">{proj.projected_usd:.2f} USD</b> (90 %: {proj.lower_usd:.2f}–{proj.upper_usd:.2f}) '
            f"against a budget of {view.budget_usd:.2f} USD"
            + (' — <b class="over" style="color:#cf222e">projected over budget</b>' if view.over_budget else "")
            if proj is not None
            else "not enough history for a month-end projection"
        )
        with hold():  # one message, one layout pass in the browser (not one per tab)
            self.traffic.objects = [
                pn.pane.HTML(f'<span data-k="window">{win}</span>'),
                pn.pane.Bokeh(figs["requests"]),
                pn.pane.Bokeh(figs["errors"]),
                self.latency_service,
                pn.pane.Bokeh(figs["latency"]),
            ]
            self.forecast.objects = [pn.pane.Bokeh(figs["forecast"])]
            self.costs.objects = [
                pn.pane.HTML(proj_text, css_classes=["cost-projection"]),
                pn.pane.Bokeh(figs["cost_daily"]),
                pn.pane.Bokeh(figs["cost_mtd"]),
            ]
            self.users.objects = [
                pn.pane.HTML(users_html(d.users_tiles, d.users_daily), stylesheets=[CSS]),
                pn.pane.Bokeh(figs["users"]),
            ]
            self.anomalies.objects = [
                pn.pane.HTML(
                    f'<span data-k="anomaly-count">{len(d.marks)}</span> anomalous hours (|z| > 5) in the window'
                    + anomalies_table_html(d.marks),
                    stylesheets=[CSS],
                )
            ]
        self.charts_loaded = True

    def render_alerts(self, frame: pd.DataFrame) -> None:
        rows: list[Any] = []
        for r in _records(frame):
            acked = isinstance(r.acked_by, str)
            ack = f" — acknowledged by {html.escape(r.acked_by)}" if acked else ""
            text = (
                f'<div class="alert {html.escape(str(r.severity))}" data-alert="{html.escape(r.dedup_key)}">'
                f'<span class="sev">{html.escape(str(r.severity))}</span> · {html.escape(str(r.state))} · '
                f"{html.escape(str(r.rule))} on <b>{html.escape(str(r.subject))}</b> since {dash.fmt_ts(r.ts)}: "
                f"{html.escape(str(r.message))}{ack}</div>"
            )
            item: list[Any] = [pn.pane.HTML(text, stylesheets=[CSS])]
            if r.state == "firing" and not acked:
                btn = pn.widgets.Button(name="Acknowledge", button_type="warning", width=120, sizing_mode="fixed")
                btn.on_click(self._ack_handler(r.dedup_key, r.ts))
                item.append(btn)
            rows.append(pn.Row(*item))
        self.alerts.objects = rows or [pn.pane.HTML('<span data-k="no-alerts">No alerts.</span>')]

    def _ack_handler(self, dedup_key: str, fired_at: Any) -> Callable[[Any], None]:
        def handler(_event: Any) -> None:
            self.acknowledge(dedup_key, fired_at)

        return handler

    def acknowledge(self, dedup_key: str, fired_at: Any) -> None:
        self.shared["acks"].ack(dedup_key, fired_at, by=pn.state.user or "ops")
        self.render_alerts(dash.alerts_view(self.con(), acks=self.shared["acks"]))

    # the chat: the brain's JARVIS persona through the router; offline it answers from the metrics
    def router(self) -> Any:
        if self._router is None:
            from dawglib.brain import Router, load_api_keys
            from dawglib.brain.factory import make_provider
            from dawglib.brain.keys import load_base_urls
            from dawglib.brain.providers.offline import OfflineProvider
            from dawglib.brain.theory_qa import answer as theory_answer
            from dawglib.brain.tools import bind_tools

            keys, urls = load_api_keys(), load_base_urls()
            providers = {n: make_provider(n, api_key=k, base_url=urls.get(n)) for n, k in keys.items()}
            offline = OfflineProvider(
                answerers=[lambda q: dash.ops_answer(q, con=self.con(), until=self.until), theory_answer]
            )
            self._router = Router(providers, offline=offline)
            self._tools = bind_tools(dash.ops_tool_functions(self.con, get_until=lambda: self.until))
        return self._router

    def answer(self, contents: str, user: str, instance: Any) -> str:
        try:
            r = self.router().complete(
                contents, persona="jarvis", user_id=pn.state.user or "ops", feature="ops_chat", tools=self._tools
            )
        except Exception as exc:  # noqa: BLE001 - the chat reports the failure and the app keeps running
            return f"Sorry, I could not answer: {exc}"
        return r.text

    def view(self) -> Any:
        tmpl = pn.template.FastListTemplate(
            title="JARVIS ops",
            sidebar=[
                pn.pane.Markdown("### Time range"),
                self.range,
                pn.pane.Markdown("### LLM cost"),
                self.cost_by,
                self.budget,
            ],
            main=[
                self.asof,
                pn.pane.Markdown("## Service health"),
                self.tiles,
                pn.Tabs(
                    ("Traffic", self.traffic),
                    ("Costs", self.costs),
                    ("Users", self.users),
                    ("Forecast", self.forecast),
                    ("Anomalies", self.anomalies),
                    dynamic=False,
                ),
                pn.Row(
                    pn.Column(pn.pane.Markdown("## Alerts"), self.alerts),
                    pn.Column(pn.pane.Markdown("## Ask JARVIS"), self.chat),
                ),
            ],
        )
        return tmpl


reason = _authorised()
if reason is None:
    OpsDashboard().view().servable()
else:
    pn.pane.Markdown(f"# JARVIS ops\n\nAccess refused: {reason}.").servable()
