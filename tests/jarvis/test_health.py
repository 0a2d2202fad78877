"""Health checks against real HTTP servers on 127.0.0.1, pending before down, flips, restart policy."""

from __future__ import annotations

import datetime as dt
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from jarvis_analytics.exceptions import JarvisError
from jarvis_analytics.health import Monitor, MonitorConfig, ServiceConfig, load_config, run_check
from jarvis_analytics.schema import SCHEMA_VERSION
from jarvis_analytics.store import Store

from .conftest import jarvis


class FakeClock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)

    def at(self, seconds: float) -> None:
        self.now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)


class HealthServer:
    """A real HTTP server with a switchable behaviour: ok, 500, slow, degraded; a heal file resets it to ok."""

    def __init__(self, heal_file: Path) -> None:
        self.mode = "ok"
        self.heal_file = heal_file
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if outer.heal_file.exists():
                    outer.heal_file.unlink()
                    outer.mode = "ok"
                if outer.mode == "slow":
                    time.sleep(1.0)
                code = 500 if outer.mode == "500" else 200
                body = json.dumps({"status": "degraded" if outer.mode == "degraded" else "ok"}).encode()
                try:
                    self.send_response(code)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.handler = Handler
        self.port = 0
        self.start()

    def start(self) -> None:
        ThreadingHTTPServer.allow_reuse_address = True
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/health"


@pytest.fixture
def server(tmp_path):
    srv = HealthServer(tmp_path / "heal")
    yield srv
    try:
        srv.stop()
    except OSError:
        pass


def _monitor(svc: ServiceConfig, clock: FakeClock, **cfg) -> tuple[Monitor, Store]:
    store = Store(":memory:")
    config = MonitorConfig(services=(svc,), **cfg)
    return Monitor(config, store=store, clock=clock, sleep=clock.sleep), store


def test_probe_results_ok_500_slow_degraded_refused(server):
    svc = ServiceConfig("api", url=server.url, timeout_s=0.3)
    assert run_check(svc).status == "up"
    server.mode = "500"
    r = run_check(svc)
    assert not r.ok and r.detail == "HTTP 500"
    server.mode = "slow"
    r = run_check(svc)
    assert not r.ok and "timeout" in r.detail
    server.mode = "degraded"
    r = run_check(svc)
    assert r.ok and r.status == "degraded"
    server.stop()
    r = run_check(svc)
    assert not r.ok and "unreachable" in r.detail


def test_tcp_and_duckdb_checks(server, tmp_path):
    assert run_check(ServiceConfig("tcp", kind="tcp", host="127.0.0.1", port=server.port)).ok
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    assert not run_check(ServiceConfig("tcp", kind="tcp", host="127.0.0.1", port=closed, timeout_s=0.5)).ok
    db = tmp_path / "j.duckdb"
    assert not run_check(ServiceConfig("db", kind="duckdb", path=str(db), timeout_s=0.2)).ok
    with Store(db):  # the writer holds the file; the check reads the snapshot and never fights the lock
        r = run_check(ServiceConfig("db", kind="duckdb", path=str(db)))
        assert r.ok and r.detail == f"schema v{SCHEMA_VERSION}"


def test_pending_before_down_and_flips_recorded_once(server):
    clock = FakeClock()
    svc = ServiceConfig("api", url=server.url, timeout_s=0.3, retries=2, critical=True)
    mon, store = _monitor(svc, clock)
    statuses = []
    plan = ["ok", "500", "500", "500", "500", "slow", "ok", "ok"]
    for i, mode in enumerate(plan):
        clock.at(30 * i)
        server.mode = mode
        statuses.append(mon.run_round())
        statuses.append(mon.states["api"].status)
    assert statuses[1::2] == ["up", "pending", "pending", "down", "down", "down", "up", "up"]
    assert statuses[0::2] == ["healthy", "degraded", "degraded", "down", "down", "down", "healthy", "healthy"]
    flips = store.query(
        "SELECT from_status, to_status, epoch(ts) - epoch(TIMESTAMPTZ '2026-11-01') AS t FROM flips ORDER BY ts"
    )
    assert list(zip(flips.from_status, flips.to_status)) == [
        ("unknown", "up"),
        ("up", "pending"),
        ("pending", "down"),
        ("down", "up"),
    ]
    assert flips.t.tolist() == [0, 30, 90, 180]
    checks = store.query("SELECT status, detail FROM health_check ORDER BY ts")
    assert checks.status.tolist() == ["up", "degraded", "degraded", "down", "down", "down", "up", "up"]
    assert checks.detail[1].startswith("pending (1/3)")
    alerts = store.query("SELECT rule, severity, state FROM alerts")
    assert alerts.values.tolist() == [["service_down", "critical", "resolved"]]


def test_restart_is_verified(server, tmp_path):
    clock = FakeClock()
    heal = [
        sys.executable,
        "-c",
        "import pathlib, sys; pathlib.Path(sys.argv[1]).write_text('x')",
        str(server.heal_file),
    ]
    svc = ServiceConfig("producer", url=server.url, timeout_s=0.5, retries=0, restart=tuple(heal))
    mon, store = _monitor(svc, clock, verify_after_s=5.0)
    server.mode = "500"
    mon.run_round()
    assert mon.states["producer"].status == "up"
    actions = store.query("SELECT attempt, argv, returncode, verified FROM restart_actions")
    assert actions.values.tolist() == [[1, json.dumps(heal), 0, True]]
    flips = store.query("SELECT to_status FROM flips ORDER BY ts, to_status DESC")
    assert flips.to_status.tolist() == ["down", "up"]


def test_three_restarts_then_human_needed(server, tmp_path):
    clock = FakeClock()
    argv = (sys.executable, "-c", "pass")  # 'restarts' that do not help: the server stays stopped
    svc = ServiceConfig("producer", url=server.url, timeout_s=0.5, retries=0, restart=argv)
    mon, store = _monitor(svc, clock, verify_after_s=5.0, cooldown_s=60.0, restart_window_s=300.0)
    server.stop()
    for t in (0, 35, 65, 130, 200, 230):
        clock.at(t)
        mon.run_round()
    actions = store.query(
        "SELECT attempt, verified, epoch(ts) - epoch(TIMESTAMPTZ '2026-11-01') AS t FROM restart_actions ORDER BY ts"
    )
    assert actions.attempt.tolist() == [1, 2, 3] and not actions.verified.any()
    assert actions.t.tolist() == [0, 65, 130]  # the round at 35 s was in the cooldown
    alerts = store.query(
        "SELECT rule, severity, state, epoch(ts) - epoch(TIMESTAMPTZ '2026-11-01') AS t FROM alerts ORDER BY ts"
    )
    assert alerts[["rule", "severity", "state"]].values.tolist() == [
        ["service_down", "warning", "firing"],
        ["human_needed", "critical", "firing"],
    ]
    assert alerts.t.tolist() == [0, 200]  # one human-needed alert, deduplicated at 230 s
    server.start()
    clock.at(260)
    mon.run_round()
    assert store.query("SELECT count(*) AS n FROM alerts WHERE state = 'firing'").n[0] == 0


def test_restart_must_be_an_argv_list():
    with pytest.raises(JarvisError, match="argv list"):
        ServiceConfig("x", url="http://127.0.0.1:1/", restart="docker restart x")  # type: ignore[arg-type]


def test_packaged_config_and_monitor_once_cli(server, tmp_path):
    assert {"daw-backend", "vocal-coach", "producer", "brain", "postgres", "redis"} <= {
        s.name for s in load_config().services
    }
    cfg = tmp_path / "services.toml"
    cfg.write_text(f'[[service]]\nname = "api"\nkind = "http"\nurl = "{server.url}"\ncritical = true\n')
    db = tmp_path / "j.duckdb"
    proc = jarvis("monitor", "--config", str(cfg), "--once", "--db", str(db))
    assert "platform: healthy" in proc.stdout
    out = jarvis("summary", "--db", str(db)).stdout
    assert "health_check          1 rows" in out
