"""Module paths of release 0.1 (before the subpackages), still importable.

A lab notebook saved from an earlier release imports ``shared_utils.names`` or ``from shared_utils
import handbuilt``; Colab's set-up cell installs the newest course, so without these names the
student's saved work would stop at its first cell. Each old path *is* the new module (the same
object in ``sys.modules``: the check cells' guard switches off a twin under either name), and
importing it warns once with the new path.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

#: Old dotted path -> where the module lives now.
MOVED: dict[str, str] = {
    "shared_utils.model": "shared_utils.inception.model",
    "shared_utils.names": "shared_utils.inception.names",
    "shared_utils.labels": "shared_utils.data.labels",
    "shared_utils.articles": "shared_utils.data.articles",
    "shared_utils.image_folder": "shared_utils.data.folders",
    "shared_utils.unit_labels": "shared_utils.explorer.unit_labels",
    "shared_utils.handbuilt": "shared_utils.labs.handbuilt",
    "shared_utils.universality": "shared_utils.labs.universality",
    "shared_utils.equivariance": "shared_utils.labs.equivariance",
    "shared_utils.hed_vgg16": "shared_utils.labs.hed_vgg16",
}


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds only the names in :data:`MOVED`; loading one imports the new module and returns it."""

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> "importlib.machinery.ModuleSpec | None":
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new = MOVED[spec.name]
        warnings.warn(f"`{spec.name}` is now `{new}`; this notebook still works, and the lab's newer release "
                      f"imports `{new}`.", FutureWarning, stacklevel=2)
        return importlib.import_module(new)

    def exec_module(self, module: ModuleType) -> None:  # the new module ran when it was imported
        return None


def install() -> None:
    """Put the alias finder on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _Alias) for f in sys.meta_path):
        sys.meta_path.append(_Alias())
