"""API keys: from the environment or a config file the user owns; never logged, never stored.

Keys are wrapped in :class:`Secret`, whose ``repr``/``str`` show only ``Secret('***')``, so a key
that ends up in a log line, a traceback, a DataFrame or a notebook output shows nothing. The brain
never writes keys anywhere (not in DuckDB, not in events, not in responses).

Environment variables: ``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``, ``GEMINI_API_KEY`` (or
``GOOGLE_API_KEY``). Config file (TOML, default ``~/.config/dawg/brain.toml`` or ``$DAWG_BRAIN_CONFIG``)::

    [keys]
    openai = "sk-..."
    anthropic = "sk-ant-..."
    gemini = "AIza..."

    [base_urls]           # optional: a proxy or a local gateway
    openai = "http://127.0.0.1:4000/v1"

Environment variables win over the file. A file readable by other users triggers a warning.
"""

from __future__ import annotations

import os
import stat
import tomllib
import warnings
from collections.abc import Mapping
from pathlib import Path

from ..exceptions import ParameterError
from .base import BrainWarning

__all__ = ["Secret", "load_api_keys", "load_base_urls", "default_config_path", "ENV_VARS"]

#: provider -> environment variables (first one set wins)
ENV_VARS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
}


class Secret:
    """A string that does not show itself.

    Examples
    --------
    >>> s = Secret("sk-123")
    >>> s, str(s)
    (Secret('***'), '***')
    >>> s.reveal()
    'sk-123'
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str) or not value.strip():
            raise ParameterError("an API key must be a non-empty string")
        self._value = value.strip()

    def reveal(self) -> str:
        """The key itself, for the SDK constructor only."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> tuple[object, ...]:  # refuse to be pickled into caches or files
        raise TypeError("Secret objects cannot be pickled")


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$DAWG_BRAIN_CONFIG`` or ``~/.config/dawg/brain.toml``."""
    env = os.environ if env is None else env
    if env.get("DAWG_BRAIN_CONFIG"):
        return Path(env["DAWG_BRAIN_CONFIG"]).expanduser()
    return Path("~/.config/dawg/brain.toml").expanduser()


def _read_config(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            warnings.warn(
                f"{path} is readable by other users (mode {stat.filemode(mode)}); run 'chmod 600 {path}'",
                BrainWarning,
                stacklevel=3,
            )
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ParameterError(f"cannot read the brain config {path}: {type(exc).__name__}") from None


def load_api_keys(
    *, env: Mapping[str, str] | None = None, config_path: str | os.PathLike[str] | None = None
) -> dict[str, Secret]:
    """The API keys that are set, as ``provider -> Secret``.

    Parameters
    ----------
    env : mapping, optional
        Environment to read (default ``os.environ``; tests pass a dict).
    config_path : path, optional
        TOML file with a ``[keys]`` table (default :func:`default_config_path`).

    Returns
    -------
    dict
        Only providers with a key; empty when none is set (the router then uses the offline provider).

    Examples
    --------
    >>> load_api_keys(env={"OPENAI_API_KEY": "sk-x"}, config_path="/nonexistent")
    {'openai': Secret('***')}
    """
    env = os.environ if env is None else env
    path = Path(config_path) if config_path is not None else default_config_path(env)
    cfg = _read_config(path).get("keys", {})
    out: dict[str, Secret] = {}
    for provider, names in ENV_VARS.items():
        val = next((env[n] for n in names if env.get(n, "").strip()), None) or cfg.get(provider)
        if isinstance(val, str) and val.strip():
            out[provider] = Secret(val)
    return out


def load_base_urls(
    *, env: Mapping[str, str] | None = None, config_path: str | os.PathLike[str] | None = None
) -> dict[str, str]:
    """Optional ``[base_urls]`` of the config file (``provider -> url``)."""
    env = os.environ if env is None else env
    path = Path(config_path) if config_path is not None else default_config_path(env)
    urls = _read_config(path).get("base_urls", {})
    return {str(k): str(v) for k, v in urls.items() if isinstance(v, str)}
