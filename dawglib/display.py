"""Plots for notebooks and apps (matplotlib, imported lazily).

Every function takes the library's result objects and returns a matplotlib ``Figure``; nothing here
computes an analysis of its own.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .convert import hz_to_midi, midi_to_note_name

__all__ = ["plot_coach_report", "plot_progress", "figure_png"]


def _plt() -> Any:
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_coach_report(report: Any, *, width_in: float = 11.0, height_in: float = 4.0) -> Any:
    """The sung pitch curve over the target notes, coloured by cents off the target.

    Parameters
    ----------
    report : dawglib.coach.CoachReport
        Must carry its pitch ``track``.
    width_in, height_in : float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(width_in, height_in), constrained_layout=True)
    tr = report.track
    if tr is not None and len(tr.times_s):
        midi = np.asarray(hz_to_midi(np.where(tr.voiced, tr.f0_hz, np.nan)))
        ax.plot(tr.times_s, midi, color="0.55", lw=0.8, label="sung pitch", zorder=2)
    for n in report.notes:
        colour = "#2e7d32" if n.in_tune else ("#c62828" if n.sung else "#9e9e9e")
        ax.hlines(n.target_midi, n.start_s, n.end_s, colors="#1565c0", lw=6, alpha=0.25, zorder=1)
        if n.sung:
            ax.hlines(n.sung_midi, n.sung_start_s, n.sung_end_s, colors=colour, lw=2.2, zorder=3)
            ax.annotate(
                f"{n.cents_off:+.0f}c",
                (n.sung_start_s, n.sung_midi),
                textcoords="offset points",
                xytext=(0, 6),
                fontsize=7,
                color=colour,
            )
    lo = min([n.target_midi for n in report.notes] + [n.sung_midi for n in report.notes if n.sung]) - 2
    hi = max([n.target_midi for n in report.notes] + [n.sung_midi for n in report.notes if n.sung]) + 2
    ticks = np.arange(int(np.floor(lo)), int(np.ceil(hi)) + 1)
    ax.set_yticks(ticks)
    ax.set_yticklabels([str(midi_to_note_name(t)) for t in ticks], fontsize=7)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("time (s)")
    ax.set_title("Target notes (blue bands) and the sung notes: green in tune, red out of tune", fontsize=9)
    ax.grid(alpha=0.25)
    return fig


def plot_progress(progress: Any, *, width_in: float = 8.0, height_in: float = 3.0) -> Any:
    """A singer's scores per take over time (from :meth:`CoachStore.progress`)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(width_in, height_in), constrained_layout=True)
    if len(progress):
        x = np.arange(len(progress))
        for col in ("overall", "pitch", "rhythm", "consistency", "confidence"):
            ax.plot(x, progress[col], marker="o", lw=2 if col == "overall" else 1, label=col)
        ax.set_xticks(x)
        ax.set_xticklabels(progress["name"], fontsize=8)
    ax.set_ylim(0, 100)
    ax.set_ylabel("score")
    ax.legend(fontsize=7, ncol=5, loc="lower right")
    ax.grid(alpha=0.25)
    return fig


def figure_png(fig: Any, *, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (and the figure closed)."""
    import io

    plt = _plt()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()
