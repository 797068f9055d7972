"""Atomic writes: a file is either its old version or its complete new one, never half written.

Every checkpoint, shipped weight file and cache of the project goes through
:func:`atomic_path`, so an interrupted run (Ctrl-C, a killed job, a full disk) loses no work:
``--resume`` finds the last complete checkpoint.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def atomic_path(path: str | Path, suffix: str = "") -> Iterator[Path]:
    """A temporary path in ``path``'s folder to write to; renamed onto ``path`` when the block
    succeeds, removed when it fails. ``suffix`` is what the writer appends (``".zip"`` for
    SB3's ``save``, ``".npz"`` for ``np.savez``), so the temporary name is the one it writes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}{suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_save(obj: Any, path: str | Path) -> None:
    """``torch.save(obj, path)``, atomically."""
    import torch

    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def atomic_write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)
