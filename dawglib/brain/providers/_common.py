"""Helpers shared by the SDK adapters: error mapping and key handling."""

from __future__ import annotations

import re
from typing import Any

from ..base import ProviderError, kind_for_status, parse_retry_after
from ..keys import Secret

__all__ = ["to_provider_error", "reveal", "scrub"]


def reveal(key: Secret | str | None) -> str | None:
    """The plain key for the SDK constructor (never logged)."""
    if key is None:
        return None
    return key.reveal() if isinstance(key, Secret) else str(key)


def _headers(exc: Any) -> Any:
    resp = getattr(exc, "response", None)
    return getattr(resp, "headers", None)


def to_provider_error(exc: BaseException, *, provider: str) -> ProviderError:
    """Map any SDK / transport exception to a :class:`ProviderError` with a kind.

    Status errors (anything carrying ``status_code`` or ``code`` and a response) map through
    :func:`~dawglib.brain.base.kind_for_status`; timeouts and connection failures are recognised by
    the class names of the SDKs and of httpx (``...Timeout...``, ``...Connect...``, ``RemoteProtocolError``);
    JSON / validation failures of a 2xx body become ``malformed``.
    """
    if isinstance(exc, ProviderError):
        return exc
    names = [c.__name__ for c in type(exc).__mro__]
    status = getattr(exc, "status_code", None)
    if status is None and "APIError" in names:
        status = getattr(exc, "code", None)
    if isinstance(status, int) and status >= 400:
        kind = kind_for_status(status)
        return ProviderError(
            _short(exc),
            provider=provider,
            kind=kind,
            status_code=status,
            retry_after_s=parse_retry_after(_headers(exc)),
        )
    if any("Timeout" in n for n in names):
        return ProviderError(_short(exc), provider=provider, kind="timeout")
    if any(
        n in ("APIResponseValidationError", "JSONDecodeError", "ValidationError", "UnknownApiResponseError")
        for n in names
    ):
        return ProviderError(_short(exc), provider=provider, kind="malformed")
    if any(
        ("Connect" in n or "Protocol" in n or "Network" in n or "Transport" in n or "ReadError" in n) for n in names
    ):
        return ProviderError(_short(exc), provider=provider, kind="connection")
    if isinstance(exc, (KeyError, IndexError, TypeError, ValueError, AttributeError)):
        return ProviderError(_short(exc), provider=provider, kind="malformed")
    if isinstance(exc, OSError):
        return ProviderError(_short(exc), provider=provider, kind="connection")
    return ProviderError(_short(exc), provider=provider, kind="malformed")


_KEYLIKE = re.compile(r"(sk-[A-Za-z0-9_\-*]{4,}|sk-ant-[A-Za-z0-9_\-*]{4,}|AIza[0-9A-Za-z_\-*]{8,}|key=[^&\s]+)")


def scrub(text: str) -> str:
    """Remove anything that looks like an API key from a message."""
    return _KEYLIKE.sub("[redacted]", text)


def _short(exc: BaseException) -> str:
    s = scrub(f"{type(exc).__name__}: {exc}")
    return s if len(s) < 300 else s[:297] + "..."


class SDKProvider:
    """The part the three SDK providers share.

    The key (kept as a :class:`Secret`), base URL, timeout, and one SDK client built on first use
    and kept (a temporary client may close itself).
    """

    name = "sdk"

    def __init__(self, *, api_key: Secret | str, base_url: str | None = None, timeout_s: float = 30.0) -> None:
        self._key = api_key if isinstance(api_key, Secret) else Secret(api_key)
        self.base_url = base_url
        self.timeout_s = float(timeout_s)
        self._client: Any = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, timeout_s={self.timeout_s})"

    def client(self) -> Any:
        """The SDK client (built once and kept)."""
        if self._client is None:
            self._client = self._make_client(reveal(self._key))
        return self._client

    def _make_client(self, api_key: str | None) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError
