"""A soundfile-based stand-in for ``torchaudio``, given to torchcrepe at import time.

torchcrepe imports torchaudio only for ``torchaudio.load`` (its own file loader, which dawglib never
calls). PyPI's torchaudio is a CUDA build that fails to load beside the CPU torch this project
pins, so ``make setup`` installs torchcrepe without it and :func:`import_torchcrepe` registers this
module under the name ``torchaudio`` when the real one cannot be imported.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

from .exceptions import DependencyError

__all__ = ["import_torchcrepe", "make_shim"]


def _load(path: Any, *args: Any, **kwargs: Any) -> tuple[Any, int]:
    import soundfile as sf
    import torch

    data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    return torch.from_numpy(data.T.copy()), int(sr)


def make_shim() -> types.ModuleType:
    """A module named ``torchaudio`` whose ``load(path)`` returns ``(tensor[channels, n], sr)``."""
    mod = types.ModuleType("torchaudio")
    mod.__dict__["load"] = _load
    mod.__dict__["__dawglib_shim__"] = True
    return mod


def import_torchcrepe() -> Any:
    """Import torchcrepe, supplying the torchaudio stand-in when the real one is missing or broken.

    Raises
    ------
    DependencyError
        torch or torchcrepe is not installed.
    """
    if "torchaudio" not in sys.modules:
        try:
            importlib.import_module("torchaudio")
        except (ImportError, OSError):
            sys.modules.pop("torchaudio", None)
            sys.modules["torchaudio"] = make_shim()
    try:
        return importlib.import_module("torchcrepe")
    except ImportError as exc:
        raise DependencyError(f"the crepe backend needs torch and torchcrepe ({exc}); run 'make setup'") from exc
