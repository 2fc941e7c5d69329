"""The package's layout holds: lucent stays inside shared_utils/inception/, the student core imports no
subpackage meant for one lab or for instructors, and the figures the explorer draws in its thread
touch no pyplot state."""
from __future__ import annotations

import ast
import subprocess
import sys
import threading
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "shared_utils"
#: Subpackages outside the student core: the core never imports them.
OUTSIDE_CORE = ("labs", "explorer", "verify")


def _imports(path: Path) -> list[str]:
    """Absolute dotted names of everything ``path`` imports (relative imports resolved)."""
    rel = path.relative_to(ROOT).with_suffix("")
    package = list(rel.parts[:-1])  # the package a module (or an __init__) sits in
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out += [mod] + [f"{mod}.{a.name}" for a in node.names]
    return out


def test_only_the_inception_package_names_lucent() -> None:
    offenders = {str(p.relative_to(ROOT)): [m for m in _imports(p) if m.split(".")[0] == "lucent"]
                 for p in PKG.rglob("*.py") if "inception" not in p.relative_to(PKG).parts}
    assert {k: v for k, v in offenders.items() if v} == {}
    # ...and the check can fail: the inception layer itself does import lucent.
    assert any(m.split(".")[0] == "lucent" for m in _imports(PKG / "inception" / "_lucent.py"))


def test_the_core_imports_no_lab_explorer_or_instructor_module() -> None:
    core = [p for p in PKG.glob("*.py")] + list((PKG / "plot").glob("*.py")) + list((PKG / "inception").glob("*.py")) \
        + list((PKG / "data").glob("*.py"))
    assert len(core) > 20
    bad = {}
    for p in core:
        hits = [m for m in _imports(p) if any(m == f"shared_utils.{s}" or m.startswith(f"shared_utils.{s}.")
                                              for s in OUTSIDE_CORE)]
        if hits:
            bad[str(p.relative_to(ROOT))] = hits
    assert bad == {}
    # The lab helpers do import the core, so the same reading finds imports where they exist.
    assert "shared_utils.tuning" in _imports(PKG / "labs" / "universality.py")


def test_importing_the_core_loads_no_subpackage_outside_it() -> None:
    code = ("import sys, shared_utils; "
            f"print(sorted(m for m in sys.modules if m.split('.')[:2] in {[['shared_utils', s] for s in OUTSIDE_CORE]!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_plot_draw_functions_in_a_thread_touch_no_pyplot_state() -> None:
    from shared_utils.plot.features import draw_render
    from shared_utils.plot.tuning import draw_tuning, tuning_axes
    from shared_utils.plot.weights import plot_kernel
    from shared_utils.tuning import TuningCurve

    angles = torch.arange(0, 360, 45, dtype=torch.float32)
    tc = TuningCurve(angles, torch.cos(torch.deg2rad(angles - 90)).clamp(min=0), "3b:379", "test")
    plt.close("all")
    errors: list[BaseException] = []
    figures: list[Figure] = []

    def draw() -> None:
        try:
            fig = Figure()
            line, polar = fig.add_subplot(1, 3, 1), fig.add_subplot(1, 3, 2, projection="polar")
            draw_tuning(line, tc)
            tuning_axes(line, fontsize=7)
            draw_tuning(polar, tc, normalise=True)
            tuning_axes(polar, normalise=True)
            draw_render(fig.add_subplot(1, 3, 3), np.random.default_rng(0).random((8, 8, 3)), "3b:379")
            plot_kernel(torch.randn(5, 5), ax=line, colorbar=False)
            figures.append(fig)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    worker = threading.Thread(target=draw)
    worker.start()
    worker.join(60)
    assert errors == [] and len(figures) == 1
    assert plt.get_fignums() == [], "a draw function opened a pyplot figure"
    line, polar, image = figures[0].axes[:3]
    assert len(line.lines) == 1 and len(polar.lines) == 1 and len(image.images) == 1
    # The curve is drawn closed (360° repeats 0°) and on the polar axes in radians.
    assert np.allclose(line.lines[0].get_xdata(), list(range(0, 361, 45)))
    assert np.allclose(polar.lines[0].get_xdata()[-1], 2 * np.pi)
