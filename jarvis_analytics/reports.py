"""Scheduled reports: the papermill runner, the schedule, and what the report notebooks show.

- :func:`run_report` executes a template of ``notebooks/reports/`` with papermill (kernel ``dawg``)
  into ``<out>/<name>_<YYYY-MM-DD>.ipynb`` and ``.html`` (``jarvis report NAME --param k=v --out DIR``).
- :data:`SCHEDULE` says when each report is due; :func:`run_due` runs the ones whose latest slot has
  no output yet (``jarvis schedule --run-due``), so cron only has to call it every hour
  (:func:`cron_line`, ``jarvis schedule --print-cron``): a run missed while the machine was off is
  made at the next call, and a slot already written is never run twice.
- :func:`weekly_ops` (template ``ops_weekly.ipynb``) and :func:`singer_progress`
  (``singer_progress.ipynb``) compute everything the notebooks show, so the notebooks stay thin.

The singer report reads the vocal coach's store through dawglib's public API
(:class:`dawglib.takes.CoachStore`); dawglib is imported inside the functions that need it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .exceptions import JarvisError

__all__ = [
    "REPORTS",
    "SCHEDULE",
    "ReportSpec",
    "ScheduledReport",
    "ReportRun",
    "parse_params",
    "output_paths",
    "run_report",
    "latest_slot",
    "run_due",
    "cron_line",
    "incidents",
    "weekly_ops",
    "WeeklyOps",
    "coach_store_for_report",
    "singer_progress",
    "SingerProgress",
]

ROOT = Path(__file__).resolve().parent.parent
KERNEL = "dawg"


@dataclasses.dataclass(frozen=True)
class ReportSpec:
    """A report template: its notebook and which parameters are paths (made absolute)."""

    name: str
    notebook: str
    path_params: tuple[str, ...] = ()
    description: str = ""


#: name -> template (under ``notebooks/reports/``, or ``$JARVIS_REPORTS_DIR``).
REPORTS: dict[str, ReportSpec] = {
    "ops-weekly": ReportSpec(
        "ops-weekly",
        "ops_weekly.ipynb",
        ("db",),
        "uptime and incidents, latency, errors, LLM costs and projection, anomalies, recommendations",
    ),
    "singer-progress": ReportSpec(
        "singer-progress",
        "singer_progress.ipynb",
        ("coach_db", "samples"),
        "a singer's takes, scores over time and recurring faults (vocal coach store)",
    ),
}


@dataclasses.dataclass(frozen=True)
class ScheduledReport:
    """A report due every week at ``weekday`` (0 = Monday) ``hour:minute`` UTC.

    ``until_slot`` passes the slot's midnight as the report's ``until`` parameter (the week before it).
    """

    name: str
    weekday: int
    hour: int
    minute: int = 0
    until_slot: bool = False


#: The schedule: the weekly ops report on Monday 06:00 UTC covering the week to Monday 00:00,
#: the singer progress report on Monday 06:30 UTC.
SCHEDULE: tuple[ScheduledReport, ...] = (
    ScheduledReport("ops-weekly", weekday=0, hour=6, until_slot=True),
    ScheduledReport("singer-progress", weekday=0, hour=6, minute=30),
)


@dataclasses.dataclass(frozen=True)
class ReportRun:
    """What :func:`run_report` did."""

    name: str
    ipynb: Path
    html: Path
    skipped: bool
    seconds: float

    def to_frame(self) -> pd.DataFrame:
        """One row."""
        return pd.DataFrame([dataclasses.asdict(self)])


def parse_params(items: Sequence[str]) -> dict[str, Any]:
    """``["k=v", ...]`` -> dict; values read as JSON when they are (numbers, true/false, null), else strings.

    Examples
    --------
    >>> parse_params(["db=data/j.duckdb", "days=14", "budget_usd=150.5", "singer=Ana"])
    {'db': 'data/j.duckdb', 'days': 14, 'budget_usd': 150.5, 'singer': 'Ana'}
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip().isidentifier():
            raise JarvisError(f"--param expects NAME=VALUE with a Python identifier as NAME, got {item!r}")
        try:
            out[key.strip()] = json.loads(value)
        except ValueError:
            out[key.strip()] = value
    return out


def _templates_dir(templates_dir: str | os.PathLike[str] | None) -> Path:
    if templates_dir is not None:
        return Path(templates_dir)
    return Path(os.environ.get("JARVIS_REPORTS_DIR", ROOT / "notebooks" / "reports"))


def output_paths(name: str, *, out_dir: str | os.PathLike[str], date: dt.date) -> tuple[Path, Path]:
    """``(<out>/<name>_<date>.ipynb, .html)``.

    Examples
    --------
    >>> [p.name for p in output_paths("ops-weekly", out_dir="reports", date=dt.date(2026, 11, 23))]
    ['ops-weekly_2026-11-23.ipynb', 'ops-weekly_2026-11-23.html']
    """
    base = Path(out_dir) / f"{name}_{date:%Y-%m-%d}"
    return base.with_suffix(".ipynb"), base.with_suffix(".html")


def run_report(
    name: str,
    *,
    out_dir: str | os.PathLike[str],
    params: Mapping[str, Any] | None = None,
    date: dt.date | None = None,
    skip_existing: bool = False,
    templates_dir: str | os.PathLike[str] | None = None,
    kernel: str = KERNEL,
) -> ReportRun:
    """Execute one report with papermill and write it as a dated ``.ipynb`` and ``.html``.

    Parameters
    ----------
    name : {'ops-weekly', 'singer-progress'}
    out_dir : path-like
        Created when missing.
    params : mapping, optional
        Notebook parameters; path parameters (``db``, ``coach_db``, ``samples``) are made absolute
        against the current folder (papermill runs the notebook in its own folder).
    date : date, optional
        The date in the file names (default: today, UTC).
    skip_existing : bool
        Do nothing when the ``.html`` for that date exists (the scheduler's mode).
    templates_dir : path-like, optional
        Default ``notebooks/reports`` (or ``$JARVIS_REPORTS_DIR``).
    kernel : str
        Jupyter kernel name.

    Returns
    -------
    run : ReportRun

    Raises
    ------
    JarvisError
        Unknown report, missing template, or a failing cell (papermill's error, with the cell, is chained).
    """
    import papermill as pm
    from nbconvert import HTMLExporter

    if name not in REPORTS:
        raise JarvisError(f"unknown report {name!r}; expected one of {sorted(REPORTS)}")
    spec = REPORTS[name]
    src = _templates_dir(templates_dir) / spec.notebook
    if not src.exists():
        raise JarvisError(f"report template {str(src)!r} not found")
    date = date or dt.datetime.now(dt.UTC).date()
    ipynb, html = output_paths(name, out_dir=out_dir, date=date)
    if skip_existing and html.exists():
        return ReportRun(name, ipynb, html, True, 0.0)
    ipynb.parent.mkdir(parents=True, exist_ok=True)
    p = dict(params or {})
    for key in spec.path_params:
        if isinstance(p.get(key), str) and p[key] and p[key] != ":memory:":
            p[key] = str(Path(p[key]).expanduser().resolve())
    t0 = time.perf_counter()
    tmp = ipynb.with_name(f".{ipynb.name}.tmp.ipynb")
    try:
        pm.execute_notebook(
            str(src), str(tmp), parameters=p, kernel_name=kernel, cwd=str(src.parent), progress_bar=False
        )
    except pm.PapermillExecutionError as exc:
        raise JarvisError(f"report {name!r} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}") from exc
    exporter = HTMLExporter()
    exporter.exclude_input = True  # readers see the results, not the code
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    import nbformat

    body, _ = exporter.from_notebook_node(
        nbformat.read(tmp, as_version=4), resources={"metadata": {"name": ipynb.stem}}
    )
    html_tmp = html.with_name(f".{html.name}.tmp")
    html_tmp.write_text(body, encoding="utf-8")
    os.replace(tmp, ipynb)
    os.replace(html_tmp, html)  # the .html last: its presence means the run is complete
    return ReportRun(name, ipynb, html, False, time.perf_counter() - t0)


def latest_slot(entry: ScheduledReport, *, now: Any) -> dt.datetime:
    """The most recent time at or before ``now`` when ``entry`` was due (UTC).

    Examples
    --------
    >>> latest_slot(SCHEDULE[0], now=dt.datetime(2026, 11, 27, 0, 41, tzinfo=dt.UTC)).isoformat()
    '2026-11-23T06:00:00+00:00'
    """
    ts = pd.Timestamp(now)
    t: dt.datetime = (ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")).to_pydatetime()
    day = t.date() - dt.timedelta(days=(t.weekday() - entry.weekday) % 7)
    slot = dt.datetime(day.year, day.month, day.day, entry.hour, entry.minute, tzinfo=dt.UTC)
    return slot if slot <= t else slot - dt.timedelta(days=7)


def run_due(
    *,
    out_dir: str | os.PathLike[str],
    now: Any = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    schedule: Sequence[ScheduledReport] = SCHEDULE,
    templates_dir: str | os.PathLike[str] | None = None,
    kernel: str = KERNEL,
) -> list[ReportRun]:
    """Run every scheduled report whose latest slot has no output yet; skip the others.

    Parameters
    ----------
    out_dir : path-like
    now : datetime, optional
        Default: the current UTC time.
    params : mapping, optional
        ``report name -> parameters`` (e.g. ``{"ops-weekly": {"db": "data/jarvis.duckdb"}}``).
    schedule : sequence of ScheduledReport
    templates_dir, kernel
        As :func:`run_report`.

    Returns
    -------
    runs : list of ReportRun
        One per entry; ``skipped`` for those already written.
    """
    now = now if now is not None else dt.datetime.now(dt.UTC)
    runs = []
    for entry in schedule:
        slot = latest_slot(entry, now=now)
        p = dict((params or {}).get(entry.name, {}))
        if entry.until_slot:
            p.setdefault("until", f"{slot:%Y-%m-%d}T00:00:00+00:00")
        runs.append(
            run_report(
                entry.name,
                out_dir=out_dir,
                params=p,
                date=slot.date(),
                skip_existing=True,
                templates_dir=templates_dir,
                kernel=kernel,
            )
        )
    return runs


def cron_line(
    *, out_dir: str | os.PathLike[str], db: str | os.PathLike[str], coach_db: str | os.PathLike[str], root: Any = None
) -> str:
    """A crontab line that calls ``jarvis schedule --run-due`` at minute 7 of every hour.

    Examples
    --------
    >>> cron_line(out_dir="/srv/r", db="/srv/j.duckdb", coach_db="/srv/c.duckdb", root="/srv/wb").split()[:5]
    ['7', '*', '*', '*', '*']
    """
    root = Path(root) if root is not None else ROOT
    jarvis = Path(sys.executable).parent / "jarvis"
    out, log = Path(out_dir).resolve(), Path(out_dir).resolve() / "schedule.log"
    return (
        f"7 * * * * cd {root} && {jarvis} schedule --run-due --out {out} --db {Path(db).resolve()} "
        f"--coach-db {Path(coach_db).resolve()} >> {log} 2>&1"
    )


# -- the weekly ops report -----------------------------------------------------------------------


def incidents(con: duckdb.DuckDBPyConnection, *, since: Any, until: Any) -> pd.DataFrame:
    """Down periods per service: runs of consecutive ``down`` health checks (gaps and islands).

    A run lasts from its first down check to the next non-down check (or ``until``).

    Returns
    -------
    incidents : DataFrame
        Columns ``service, start, end, minutes, checks, detail``, longest first.
    """
    from .metrics import _bounds

    s, u = _bounds(since, until)
    return (
        con.cursor()
        .execute(
            """WITH c AS (
                 SELECT service, ts, status, detail,
                        lead(ts) OVER (PARTITION BY service ORDER BY ts) AS next_ts,
                        row_number() OVER (PARTITION BY service ORDER BY ts)
                          - row_number() OVER (PARTITION BY service, status = 'down' ORDER BY ts) AS grp
                 FROM health_check WHERE ts >= ? AND ts < ?)
               SELECT service, min(ts) AS start,
                      CASE WHEN count(next_ts) < count(*) THEN ?::TIMESTAMPTZ ELSE max(next_ts) END AS "end",
                      (epoch("end") - epoch(min(ts))) / 60 AS minutes,
                      count(*) AS checks, any_value(detail) AS detail
               FROM c WHERE status = 'down' GROUP BY service, grp ORDER BY minutes DESC, start""",
            [s, u, u],
        )
        .df()
    )


@dataclasses.dataclass(frozen=True)
class WeeklyOps:
    """Everything the weekly ops report shows (one window, usually 7 days)."""

    since: dt.datetime
    until: dt.datetime
    uptime: pd.DataFrame
    incidents: pd.DataFrame
    services: pd.DataFrame
    costs_by_provider: pd.DataFrame
    costs_by_model: pd.DataFrame
    cost_daily: pd.DataFrame
    projection: Any
    budget_usd: float
    anomalies: pd.DataFrame
    savings: pd.DataFrame
    recommendations: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """Per service: uptime, requests, error rate, latency and the change of p95."""
        return self.services

    @property
    def total_cost_usd(self) -> float:
        """LLM spend in the window."""
        return float(self.costs_by_provider["cost_usd"].sum()) if len(self.costs_by_provider) else 0.0

    def headline_markdown(self) -> str:
        """The key figures as Markdown."""
        up = ", ".join(f"{r.service} {r.uptime_pct:.3f} %" for r in self.uptime.itertuples())
        worst = self.uptime.sort_values("uptime_pct").iloc[0] if len(self.uptime) else None
        lines = [
            f"**Window:** {self.since:%Y-%m-%d %H:%M} → {self.until:%Y-%m-%d %H:%M} UTC",
            f"**Uptime:** {up or 'no health checks'}",
            f"**Lowest uptime:** {worst.service} {worst.uptime_pct:.3f} %" if worst is not None else "",
            f"**Incidents:** {len(self.incidents)} down period(s), {self.incidents['minutes'].sum():.0f} min in total"
            if len(self.incidents)
            else "**Incidents:** none",
            f"**LLM spend:** {self.total_cost_usd:.2f} USD",
        ]
        if self.projection is not None:
            p = self.projection
            lines.append(
                f"**Month-end projection ({p.month}):** {p.projected_usd:.2f} USD "
                f"(90 % interval {p.lower_usd:.2f}–{p.upper_usd:.2f}; budget {self.budget_usd:.2f} USD)"
            )
        lines.append(f"**Anomalous hours:** {len(self.anomalies)}")
        return "\n\n".join(x for x in lines if x)

    def recommendations_markdown(self) -> str:
        """The recommendations as a Markdown list."""
        return "\n".join(f"- {r}" for r in self.recommendations) or "- Nothing to act on this week."


def _recommend(w: dict[str, Any]) -> tuple[str, ...]:
    out = []
    for r in w["uptime"].itertuples():
        if r.uptime_pct < 99.9:
            out.append(f"{r.service}: uptime {r.uptime_pct:.3f} % is below the 99.9 % objective; review its incidents.")
    for r in w["services"].itertuples():
        if r.error_rate > 0.01:
            out.append(
                f"{r.service}: 5xx error rate {100 * r.error_rate:.2f} % (> 1 %); look at its failing endpoints."
            )
        if pd.notna(r.p95_change_pct) and r.p95_change_pct > 20:
            out.append(
                f"{r.service}: p95 latency {r.p95_ms:.0f} ms is {r.p95_change_pct:.0f} % above the previous "
                "window; check the last deploy."
            )
    proj, budget = w["projection"], w["budget_usd"]
    if proj is not None and proj.projected_usd > budget:
        out.append(
            f"LLM spend is projected at {proj.projected_usd:.2f} USD for {proj.month}, over the "
            f"{budget:.2f} USD budget; act on the savings below."
        )
    for r in w["savings"].head(3).itertuples():
        out.append(
            f"Move small {r.feature} calls from {r.model} to {r.cheapest_model}: saves {r.savings_usd:.2f} USD "
            "over the window."
        )
    cost_anoms = w["anomalies"][w["anomalies"]["metric"] == "cost_usd"]
    if len(cost_anoms):
        first = pd.Timestamp(cost_anoms["hour"].min())
        out.append(
            f"LLM cost was anomalous in {len(cost_anoms)} hour(s) from {first:%Y-%m-%d %H:%M} UTC: find the job."
        )
    return tuple(out)


def weekly_ops(
    con: duckdb.DuckDBPyConnection, *, until: Any = None, days: float = 7, budget_usd: float = 200.0
) -> WeeklyOps:
    """The weekly ops report over ``[until - days, until)``.

    Parameters
    ----------
    con : DuckDB connection
        A reader (:func:`jarvis_analytics.store.open_reader`).
    until : datetime or str, optional
        End of the window (exclusive); default just after the last event.
    days : float
        Window length; the previous window of the same length is the latency baseline.
    budget_usd : float
        Monthly LLM budget for the projection and the recommendations.

    Returns
    -------
    WeeklyOps

    Examples
    --------
    >>> from jarvis_analytics.store import Store
    >>> w = weekly_ops(Store().con, until="2026-11-23")
    >>> w.total_cost_usd, w.recommendations
    (0.0, ())
    """
    from .anomalies import detect_anomalies
    from .costs import cost_advice
    from .forecast import month_end_cost
    from .metrics import _utc, cost_daily, llm_costs, resolve_window, service_stats, uptime

    u = _utc(until) if until not in (None, "") else resolve_window(con)[1]
    assert u is not None
    s = u - dt.timedelta(days=float(days))
    up = uptime(con, since=s, until=u)
    stats = service_stats(con, since=s, until=u)
    prev = service_stats(con, since=s - (u - s), until=s)[["service", "p95_ms"]].rename(columns={"p95_ms": "prev_p95"})
    services = stats.merge(prev, on="service", how="left").merge(
        up[["service", "uptime_pct"]], on="service", how="outer"
    )
    services["p95_change_pct"] = 100 * (services["p95_ms"] / services["prev_p95"] - 1)
    try:
        projection = month_end_cost(con, now=u)
    except JarvisError:
        projection = None
    try:
        anomalies = detect_anomalies(con, since=s, until=u)
    except JarvisError:
        anomalies = pd.DataFrame(columns=["hour", "metric", "service", "value", "expected", "score"])
    savings = cost_advice(con, since=s, until=u)
    parts: dict[str, Any] = {
        "uptime": up,
        "services": services,
        "projection": projection,
        "budget_usd": float(budget_usd),
        "anomalies": anomalies,
        "savings": savings,
    }
    return WeeklyOps(
        since=s,
        until=u,
        uptime=up,
        incidents=incidents(con, since=s, until=u),
        services=services,
        costs_by_provider=llm_costs(con, since=s, until=u, by=("provider",)),
        costs_by_model=llm_costs(con, since=s, until=u, by=("model",)),
        cost_daily=cost_daily(con, since=s, until=u),
        projection=projection,
        budget_usd=float(budget_usd),
        anomalies=anomalies,
        savings=savings,
        recommendations=_recommend(parts),
    )


# -- the singer progress report ------------------------------------------------------------------

#: The embedded takes a demo singer "sings", in order: late entries twice (a recurring fault), then better.
DEMO_TAKES = ("coach_late_entries", "coach_flat_high", "coach_late_entries", "coach_wobbly", "coach_good")


def coach_store_for_report(
    coach_db: str | os.PathLike[str], *, samples_dir: str | os.PathLike[str], singer: str = "demo"
) -> tuple[Any, bool]:
    """Open the coach store for a report; a missing or empty one is replaced by a filled in-memory store.

    The filled store holds ``singer``'s takes of the embedded samples (:data:`DEMO_TAKES`, one a
    day), analysed by :func:`dawglib.coach.analyze_take` against ``coach_reference.mid``; the
    file at ``coach_db`` is never created or written for that.

    Returns
    -------
    store : dawglib.takes.CoachStore
        Close it when done.
    filled : bool
        True when the store was filled from the samples.
    """
    from dawglib.takes import CoachStore

    path = Path(coach_db)
    if path.exists():
        store = CoachStore(path)
        if len(store.takes()):
            return store, False
        store.close()
    from dawglib.coach import analyze_take
    from dawglib.io import load_audio

    samples = Path(samples_dir)
    if not (samples / "coach_reference.mid").exists():
        from dawglib.samples import generate

        generate(samples.parent)
    clock_at = [dt.datetime(2026, 11, 2, 18, 0, tzinfo=dt.UTC)]
    store = CoachStore(":memory:", clock=lambda: clock_at[0])
    for k, name in enumerate(DEMO_TAKES):
        clock_at[0] = dt.datetime(2026, 11, 2, 18, 0, tzinfo=dt.UTC) + dt.timedelta(days=k)
        y, sr = load_audio(samples / f"{name}.wav")
        report = analyze_take(y, sr=sr, reference=samples / "coach_reference.mid")
        store.add_take(report, singer_id=singer, audio_path=f"{name}.wav")
    return store, True


@dataclasses.dataclass(frozen=True)
class SingerProgress:
    """A singer's takes, scores over time and recurring faults."""

    singer: str
    progress: pd.DataFrame
    faults: pd.DataFrame
    first_overall: float
    last_overall: float
    best_overall: float

    def to_frame(self) -> pd.DataFrame:
        """The takes with their scores (oldest first)."""
        return self.progress

    def headline_markdown(self) -> str:
        """The key figures as Markdown."""
        n = len(self.progress)
        rec = self.faults[self.faults["takes"] >= 2]
        top = "; ".join(f"{r.kind} ({r.takes} of {n} takes)" for r in rec.itertuples()) or "none"
        return "\n\n".join(
            [
                f"**Singer:** {self.singer} — {n} take(s)",
                f"**Overall score:** first {self.first_overall:.1f} → last {self.last_overall:.1f} "
                f"(best {self.best_overall:.1f}, change {self.last_overall - self.first_overall:+.1f})",
                f"**Recurring faults:** {top}",
            ]
        )


def singer_progress(store: Any, singer: str | None = None) -> SingerProgress:
    """A singer's progress from the coach store.

    Parameters
    ----------
    store : dawglib.takes.CoachStore
    singer : str or None
        Default: the singer with the most takes.

    Returns
    -------
    SingerProgress
        ``faults``: one row per warning kind (``pitch``, ``rhythm``, ``missing``...) with the number of
        takes it appeared in, the first and last take names and an example message, most frequent first.
    """
    takes = store.takes()
    if takes.empty:
        raise JarvisError("the coach store has no takes")
    if not singer:
        singer = str(takes.groupby("singer_id").size().sort_values(ascending=False).index[0])
    progress = store.progress(singer)
    if progress.empty:
        raise JarvisError(f"singer {singer!r} has no takes; singers: {store.singers()}")
    rows = []
    for t in progress.itertuples():
        for f in store.report(int(t.take_id))["feedback"]:
            if f["severity"] == "warning":
                rows.append({"take": t.name, "take_id": int(t.take_id), "kind": f["kind"], "message": f["message"]})
    warn = pd.DataFrame(rows, columns=["take", "take_id", "kind", "message"])
    faults = (
        warn.groupby("kind")
        .agg(
            takes=("take_id", "nunique"),
            first_take=("take", "first"),
            last_take=("take", "last"),
            example=("message", "first"),
        )
        .reset_index()
        .sort_values(["takes", "kind"], ascending=[False, True])
        .reset_index(drop=True)
    )
    return SingerProgress(
        singer=singer,
        progress=progress,
        faults=faults,
        first_overall=float(progress["overall"].iloc[0]),
        last_overall=float(progress["overall"].iloc[-1]),
        best_overall=float(progress["overall"].max()),
    )
