"""The one disk cache of computed results (activation statistics, renders, explorer panels, folder passes).

Every cache file is named by :func:`key` of what the result depends on, written by :func:`atomic_save`
(a reader never sees half a file, and a crash leaves no partial file behind) and read by :func:`load`,
which treats an unreadable file as missing rather than failing the student's cell.

>>> key("stats", [1, 2], {"b": 1, "a": 2}) == key("stats", [1, 2], {"a": 2, "b": 1})
True
>>> len(key("anything"))
24
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

__all__ = ["key", "digest", "atomic_save", "load"]


def key(*parts: Any) -> str:
    """A 24-hex-digit name for ``parts`` (JSON-able; dict order does not matter, other objects by ``str``)."""
    text = json.dumps(list(parts), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def digest(array: "torch.Tensor | np.ndarray") -> str:
    """The SHA-256 of an array: its dtype, shape and values (hashed in place, without a copy where it can)."""
    if isinstance(array, torch.Tensor):
        array = array.detach().cpu().contiguous().numpy()
    array = np.ascontiguousarray(array)
    h = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    h.update(memoryview(array).cast("B"))
    return h.hexdigest()


def atomic_save(path: "str | Path", payload: Any = None, *, write: "Callable[[Path], None] | None" = None) -> Path:
    """Write ``path`` through a temporary file beside it, then rename it into place.

    The file holds ``payload`` (:func:`torch.save`), or whatever ``write`` writes to the temporary path
    it is given.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if write is not None:
            write(tmp)
        else:
            torch.save(payload, tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def load(path: "str | Path | None", read: "Callable[[Path], Any] | None" = None, *,
         weights_only: bool = True) -> Any:
    """What :func:`atomic_save` wrote at ``path``, or None when there is no such (readable) file.

    ``read`` reads the file (default :func:`torch.load` with ``weights_only``).
    """
    if path is None:
        return None
    path = Path(path)
    if not path.is_file():
        return None
    try:
        if read is not None:
            return read(path)
        return torch.load(path, weights_only=weights_only)
    except Exception:  # a truncated or foreign file: recompute rather than fail
        return None
