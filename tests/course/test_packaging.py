"""The built wheel and sdist hold the whole package: every module, subpackage and data file.

Colab installs the course from its wheel (``pip install "zoom-in-course @ git+..."``), so a file
missing from the wheel breaks every notebook there while an editable install hides it.
"""
from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from tools import colab_like


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    dest = tmp_path_factory.mktemp("dist")
    return colab_like.build_wheel(dest), colab_like.build_sdist(dest)


def test_wheel_holds_exactly_the_package_tree(built: tuple[Path, Path]) -> None:
    wheel, _ = built
    tree, files = colab_like.package_files(), colab_like.wheel_files(wheel)
    assert {"shared_utils/plot/__init__.py", "shared_utils/manifests/circuits.json"} <= tree
    assert tree - files == set(), f"missing from the wheel: {sorted(tree - files)}"
    assert files - tree == set(), f"in the wheel but not in the package: {sorted(files - tree)}"


def test_sdist_holds_the_package_tree_and_its_build_files(built: tuple[Path, Path]) -> None:
    _, sdist = built
    with tarfile.open(sdist) as tar:
        top = tar.getnames()[0].split("/")[0]
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    missing = colab_like.package_files() - names
    assert missing == set(), f"missing from the sdist: {sorted(missing)}"
    assert {"pyproject.toml", "README.md"} <= names, top


def test_a_new_subpackage_would_be_caught(tmp_path: Path) -> None:
    """The comparison above can fail: a wheel with a subpackage dropped differs from the tree."""
    wheel = colab_like.build_wheel(tmp_path / "whole")
    broken = colab_like.without(wheel, "shared_utils/plot/", tmp_path / "broken")
    lost = colab_like.package_files() - colab_like.wheel_files(broken)
    assert lost and all(p.startswith("shared_utils/plot/") for p in lost)
