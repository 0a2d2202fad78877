"""``dawg ask "..."``: one question to the brain (offline and honest when no API key is set)."""

from __future__ import annotations

import argparse
import json
import os
import sys

__all__ = ["HELP", "add_arguments", "run"]

HELP = "ask the brain a question (OpenAI / Anthropic / Gemini when a key is set, else the exact offline mode)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``dawg ask``."""
    p.add_argument("question", help="the question, in quotes")
    p.add_argument(
        "--persona",
        choices=["musician", "jarvis"],
        default="musician",
        help="who answers: the music assistant (default) or JARVIS, the ops operator",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object (text, provider, model, cost_usd, ...)")
    p.add_argument("--tier", choices=["cheap", "standard", "complex"], default="standard", help="routing tier")
    p.add_argument("--prefer", choices=["cost", "quality"], default=None, help="order the tier's routes by this")
    p.add_argument("--user", default=os.environ.get("USER", "cli"), help="user id for budgets and the ledger")
    p.add_argument("--stream", action="store_true", help="print the answer as it arrives")
    p.add_argument("--coach-db", default="data/coach.duckdb", help="coach store for questions about your takes")
    p.add_argument("--out", default="data/generated", help="folder for MIDI made by beat requests")
    p.add_argument(
        "--spool",
        default=os.environ.get("DAWG_EVENT_SPOOL"),
        help="folder for llm_call events (JSON Lines for the JARVIS store; env DAWG_EVENT_SPOOL)",
    )


def run(args: argparse.Namespace) -> int:
    """Ask, print, return 0 (library errors are printed by ``dawg`` as one line, exit 2)."""
    from .brain.answerers import default_answerers
    from .brain.factory import build_router
    from .events import EventSink, JsonlSpoolSink, NullSink

    sink: EventSink = JsonlSpoolSink(args.spool) if args.spool else NullSink()
    answerers = default_answerers(singer=args.user, coach_db=args.coach_db, out_dir=args.out)
    router = build_router(sink=sink, answerers=answerers)
    kw = {"persona": args.persona, "user_id": args.user, "tier": args.tier, "prefer": args.prefer, "feature": "cli_ask"}
    try:
        if args.stream and not args.json:
            s = router.stream(args.question, **kw)
            for delta in s:
                sys.stdout.write(delta)
                sys.stdout.flush()
            sys.stdout.write("\n")
            r = s.response
        else:
            r = router.complete(args.question, **kw)
            if args.json:
                print(json.dumps(r.to_dict(), ensure_ascii=False))
            else:
                print(r.text)
    finally:
        if isinstance(sink, JsonlSpoolSink):
            sink.flush()
    if r is not None and not args.json:
        cost = "unknown" if r.cost_usd is None else f"{r.cost_usd:.6f} USD"
        print(f"[{r.provider}/{r.model}, {cost}]", file=sys.stderr)
    return 0
