"""The ``dawg`` command line.

Subcommands are registered in :data:`COMMANDS` (help, add arguments, run) or, for those whose code
lives beside their analysis, in :data:`MODULE_COMMANDS` as ``name -> module``: such a module defines
``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``. Errors from the library are printed
as one line on stderr with exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Callable, Sequence

from . import __version__
from .exceptions import DawglibError

__all__ = ["main", "build_parser"]

Runner = Callable[[argparse.Namespace], int]


def _add_info(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="audio file to describe")


def _run_info(args: argparse.Namespace) -> int:
    from .io import load_audio

    y, sr = load_audio(args.file)
    dur = y.size / sr
    print(f"{args.file}: {dur:.3f} s, {sr} Hz, peak {float(abs(y).max()):.3f}")
    return 0


#: name -> (help, add_arguments, run)
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Runner]] = {
    "info": ("duration, sample rate and peak level of an audio file", _add_info, _run_info),
}


#: name -> module implementing HELP / add_arguments / run (imported only when present).
MODULE_COMMANDS: dict[str, str] = {
    "pitch": "dawglib._cli_pitch",
    "rhythm": "dawglib._cli_rhythm",
    "beat": "dawglib._cli_beat",
    "song": "dawglib._cli_song",
    "ask": "dawglib._cli_ask",
    "analyze": "dawglib._cli_analyze",
    "batch": "dawglib._cli_batch",
}


def _module_commands() -> dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Runner]]:
    out = {}
    for name, modname in MODULE_COMMANDS.items():
        if importlib.util.find_spec(modname) is None:
            continue
        mod = importlib.import_module(modname)
        out[name] = (mod.HELP, mod.add_arguments, mod.run)
    return out


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dawg`` with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="dawg",
        description="DAWG Workbench: music analysis (pitch, rhythm, coach) and production tools.",
    )
    parser.add_argument("--version", action="version", version=f"dawglib {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_, add, run) in {**COMMANDS, **_module_commands()}.items():
        p = sub.add_parser(name, help=help_, description=help_)
        add(p)
        p.set_defaults(_run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``dawg``; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "_run", None)
    if run is None:
        parser.print_help()
        return 1
    try:
        return int(run(args))
    except DawglibError as exc:
        print(f"dawg {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `dawg ... | head`
        return 0
