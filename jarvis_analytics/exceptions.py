"""The exception tree of :mod:`jarvis_analytics`."""

from __future__ import annotations

__all__ = ["JarvisError", "StoreError", "SchemaError", "IngestError"]


class JarvisError(Exception):
    """Base class of every error raised on purpose by :mod:`jarvis_analytics`."""


class StoreError(JarvisError):
    """The DuckDB store cannot be opened, is locked by another writer, or a query failed."""


class SchemaError(JarvisError, ValueError):
    """The store's schema version is unknown or newer than this code understands."""


class IngestError(JarvisError, ValueError):
    """An input file cannot be ingested at all (rows that fail alone are quarantined instead)."""
