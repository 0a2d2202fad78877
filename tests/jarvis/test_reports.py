"""Reports: the papermill runner, the schedule, and the report notebooks on the demo data."""

from __future__ import annotations

import datetime as dt
import html
import re

import nbformat
import pandas as pd
import pytest

from jarvis_analytics import metrics
from jarvis_analytics.cli import main
from jarvis_analytics.exceptions import JarvisError
from jarvis_analytics.reports import (
    REPORTS,
    SCHEDULE,
    cron_line,
    incidents,
    latest_slot,
    output_paths,
    parse_params,
    run_due,
    weekly_ops,
)
from jarvis_analytics.store import Store, open_reader

from ..conftest import DATA, ROOT

TEMPLATES = ROOT / "notebooks" / "reports"
T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _text(path):
    """The visible text of an HTML report."""
    t = re.sub(r"<style.*?</style>|<script.*?</script>", " ", path.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", t)))


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_each_template_has_one_parameters_cell_with_the_documented_names(name):
    nb = nbformat.read(TEMPLATES / REPORTS[name].notebook, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert nb.metadata.kernelspec.name == "dawg"
    names = set(re.findall(r"^(\w+)\s*=", tagged[0].source, flags=re.M))
    want = {"ops-weekly": {"db", "until", "days", "budget_usd"}, "singer-progress": {"coach_db", "singer", "samples"}}
    assert names == want[name]
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_parse_params_and_dated_names():
    assert parse_params(["db=a.duckdb", "days=30", "x=true", 'singer="007"']) == {
        "db": "a.duckdb",
        "days": 30,
        "x": True,
        "singer": "007",
    }
    with pytest.raises(JarvisError, match="NAME=VALUE"):
        parse_params(["days"])
    ipynb, out = output_paths("ops-weekly", out_dir="r", date=dt.date(2026, 11, 23))
    assert (ipynb.name, out.name) == ("ops-weekly_2026-11-23.ipynb", "ops-weekly_2026-11-23.html")


def test_latest_slot_is_the_last_due_time():
    weekly = SCHEDULE[0]  # Mondays 06:00 UTC
    assert latest_slot(weekly, now="2026-11-23T06:00:00Z") == dt.datetime(2026, 11, 23, 6, tzinfo=dt.UTC)
    assert latest_slot(weekly, now="2026-11-23T05:59:59Z") == dt.datetime(2026, 11, 16, 6, tzinfo=dt.UTC)
    assert latest_slot(weekly, now="2026-11-29T23:00:00Z") == dt.datetime(2026, 11, 23, 6, tzinfo=dt.UTC)


def test_incidents_are_runs_of_down_checks():
    store = Store(":memory:")
    status = ["up"] * 10 + ["down"] * 4 + ["up"] * 10 + ["down"] * 2
    ts = [T0 + dt.timedelta(seconds=30 * i) for i in range(len(status))]
    store.append(
        "health_check", pd.DataFrame({"ts": ts, "service": "api", "status": status, "latency_ms": 1.0, "detail": ""})
    )
    found = incidents(store.con, since=T0, until=T0 + dt.timedelta(seconds=30 * 26 + 60))
    assert list(found["checks"]) == [4, 2]
    assert list(found["minutes"]) == [2.0, 2.0]  # the last run lasts until the window's end
    assert found["end"].iloc[1] == pd.Timestamp(T0 + dt.timedelta(seconds=30 * 26 + 60))
    store.close()


def test_weekly_ops_on_the_demo_month():
    with open_reader(DATA / "jarvis.duckdb") as r:
        week = weekly_ops(r.con, days=30, budget_usd=150)
        end = metrics.resolve_window(r.con)[1]
        up = metrics.uptime(r.con, since=end - dt.timedelta(days=30), until=end).set_index("service")
    inc = week.incidents.set_index("service")
    assert inc.loc["producer", "minutes"] == pytest.approx(45.0, abs=0.5)  # the planted outages
    assert inc.loc["brain", "minutes"] == pytest.approx(20.0, abs=0.5)
    assert week.uptime.set_index("service").loc["producer", "uptime_pct"] == up.loc["producer", "uptime_pct"]
    text = " ".join(week.recommendations)
    assert "producer: uptime" in text and "over the 150.00 USD budget" in text and "LLM cost was anomalous" in text


def _tiny_templates(tmp_path):
    """Fast stand-ins for the two templates (same names and parameters) for the scheduler tests."""
    d = tmp_path / "templates"
    d.mkdir()
    for spec, params in (("ops_weekly.ipynb", 'db = ""\nuntil = ""'), ("singer_progress.ipynb", 'coach_db = ""')):
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell(params)
        cell.metadata["tags"] = ["parameters"]
        nb.cells = [cell, nbformat.v4.new_code_cell("print('ran with', repr(until) if 'until' in dir() else '-')")]
        nb.metadata["kernelspec"] = {"name": "dawg", "display_name": "dawg", "language": "python"}
        nbformat.write(nb, d / spec)
    return d


def test_run_due_writes_each_slot_once(tmp_path):
    templates = _tiny_templates(tmp_path)
    out = tmp_path / "scheduled"
    now = dt.datetime(2026, 11, 27, 0, 41, tzinfo=dt.UTC)
    first = run_due(out_dir=out, now=now, templates_dir=templates)
    assert [r.skipped for r in first] == [False, False]
    assert sorted(p.name for p in out.glob("*.html")) == [
        "ops-weekly_2026-11-23.html",
        "singer-progress_2026-11-23.html",
    ]
    assert "2026-11-23T00:00:00+00:00" in first[0].html.read_text()  # the week before the slot
    again = run_due(out_dir=out, now=now + dt.timedelta(hours=1), templates_dir=templates)
    assert [r.skipped for r in again] == [True, True]


def test_schedule_print_cron(capsys, tmp_path):
    assert main(["schedule", "--print-cron", "--out", str(tmp_path), "--db", "j.duckdb"]) == 0
    out = capsys.readouterr().out
    line = [ln for ln in out.splitlines() if not ln.startswith("#")][0]
    assert line.split()[:5] == ["7", "*", "*", "*", "*"]
    assert "schedule --run-due" in line and str(tmp_path) in line
    assert cron_line(out_dir=tmp_path, db="j", coach_db="c", root="/srv").count("cd /srv") == 1


@pytest.mark.slow
def test_jarvis_report_ops_weekly_html_has_the_key_figures(tmp_path, capsys):
    db = DATA / "jarvis.duckdb"
    rc = main(
        [
            "report",
            "ops-weekly",
            "--param",
            f"db={db}",
            "--param",
            "days=30",
            "--out",
            str(tmp_path),
            "--date",
            "2026-11-26",
        ]
    )
    assert rc == 0, capsys.readouterr()
    page = _text(tmp_path / "ops-weekly_2026-11-26.html")
    assert (tmp_path / "ops-weekly_2026-11-26.ipynb").exists()
    with open_reader(db) as r:
        week = weekly_ops(r.con, days=30)
    producer = week.uptime.set_index("service").loc["producer", "uptime_pct"]
    assert f"producer {producer:.3f} %" in page
    assert f"LLM spend: {week.total_cost_usd:.2f} USD" in page
    assert f"{week.projection.projected_usd:.2f} USD" in page
    assert "Incidents: 2 down period(s), 65 min in total" in page
    assert week.recommendations[0] in page
    assert "Traceback" not in page


@pytest.mark.slow
def test_jarvis_report_singer_progress_fills_a_missing_store(tmp_path, capsys, samples):
    missing = tmp_path / "no-coach.duckdb"
    rc = main(
        [
            "report",
            "singer-progress",
            "--param",
            f"coach_db={missing}",
            "--param",
            f"samples={samples}",
            "--out",
            str(tmp_path),
            "--date",
            "2026-11-26",
        ]
    )
    assert rc == 0, capsys.readouterr()
    assert not missing.exists()  # the report filled an in-memory store, not the user's file
    page = _text(tmp_path / "singer-progress_2026-11-26.html")
    assert "Singer: demo — 5 take(s)" in page
    assert "Recurring faults: rhythm (2 of 5 takes)" in page  # the late entries, sung twice
    assert re.search(r"Overall score: first \d+\.\d → last 9\d\.\d", page)
